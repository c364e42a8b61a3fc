// SPDX-License-Identifier: Apache-2.0
/*
 * region_table.h - what PageKit remembers that Linux does not: maximum
 * protection, tags, names, purgeable objects, permanence and seals.
 *
 * A red-black tree (libbsd's sys/tree.h) of entries keyed by start address,
 * one entry per contiguous run with identical attributes. Entries are split
 * when part of a range changes and merged back when neighbours of the same
 * allocation become equal again. Entries, objects and names live in
 * PageKit's arena (arena.h). One lock (lock.h) guards it all; every
 * function here except pk_table_lock() expects the caller to hold it.
 *
 * The one exception to "an entry per run of identical attributes" is a
 * protection run (protection_runs.c): vm_protect of pages strictly inside
 * one entry, the commonest change of all (a guard page, a page made
 * read-only and back), is noted beside the entry instead of splitting it.
 * Every function below that finds, walks or changes entries first settles
 * the pending runs into ordinary entries, so nothing but vm_protect's fast
 * path ever sees one.
 */
#ifndef PAGEKIT_REGION_TABLE_H
#define PAGEKIT_REGION_TABLE_H

#include <bsd/sys/queue.h>
#include <bsd/sys/tree.h>
#include <stdbool.h>
#include <stdint.h>

/* A region name shared by the entries it was split into. */
struct pk_shared_name {
    unsigned int references;
    char text[];
};

/* One purgeable allocation: it changes state as a whole. */
enum { PK_QUEUE_FIFO, PK_QUEUE_LIFO, PK_QUEUE_OBSOLETE };

struct pk_object {
    LIST_ENTRY(pk_object) link; /* in the table's list, or an orphan list */
    uintptr_t start, end;
    unsigned int entries; /* table entries that refer to it */
    int8_t state;         /* PK_PURGEABLE_NONVOLATILE, _VOLATILE or _EMPTY */
    /* While volatile, where Mach would queue it for purging: the queue
     * (PK_QUEUE_*) and volatile group (0 to 7) its SET_STATE asked for. */
    uint8_t queue, group;
    uint8_t debug_empty;  /* VM_PURGABLE_DEBUG_EMPTY was asked: volatile is empty */
    uintptr_t saved[];    /* while volatile: each page's first word */
};

/* Shared pages several mappings can alias: a memfd, mapped MAP_SHARED by
 * every entry that refers to it (backing.c). */
struct pk_backing {
    LIST_ENTRY(pk_backing) link; /* in an orphan list, once unreferenced */
    uint64_t size;
    unsigned int references; /* table entries and memory entries */
    bool orphaned;           /* in an orphan list */
    int fd;
};

/* Objects and backings whose last reference an operation removed: it
 * releases them once the table is consistent again (pk_orphans_release).
 * A backing the same operation refers to again (a remap over its own
 * source) leaves the list when it is retained. */
struct pk_orphans {
    LIST_HEAD(, pk_object) objects;
    LIST_HEAD(, pk_backing) backings;
};
#define PK_ORPHANS_INITIALIZER(orphans) \
    {LIST_HEAD_INITIALIZER((orphans).objects), LIST_HEAD_INITIALIZER((orphans).backings)}

/* pk_entry.flags (eight bits) */
#define PK_ENTRY_PERMANENT 0x1u
#define PK_ENTRY_SEALED 0x2u
#define PK_ENTRY_NO_CACHE 0x4u
#define PK_ENTRY_4GB_CHUNK 0x8u
#define PK_ENTRY_SUPERPAGE 0x10u
/* PageKit's own memory (arena.h): no user call may change it. */
#define PK_ENTRY_INTERNAL 0x20u
/* The access pattern mach_vm_behavior_set recorded (VM_BEHAVIOR_DEFAULT,
 * RANDOM, SEQUENTIAL or RSEQNTL), in two bits. */
#define PK_ENTRY_BEHAVIOR_SHIFT 6
#define PK_ENTRY_BEHAVIOR_MASK (0x3u << PK_ENTRY_BEHAVIOR_SHIFT)

struct pk_entry {
    RB_ENTRY(pk_entry) link;
    uintptr_t start, end;
    struct pk_object *object;       /* its purgeable object, or NULL */
    struct pk_shared_name *name;    /* its own name, or NULL */
    struct pk_backing *backing;     /* the shared pages it maps, or NULL: private */
    uint32_t allocation;            /* which call made it (merging stays within one) */
    uint32_t backing_page;          /* where in the backing start lies, in pages */
    uint8_t flags;
    uint8_t run; /* its pending protection run's slot + 1, or 0 (protection_runs.c) */
    uint8_t protection, max_protection, inheritance, tag;
    uint16_t wired; /* user wirings (mach_vm_wire), as XNU's user_wired_count */
};

/* Entries an operation may need, taken before it changes anything so
 * that splitting can never fail half-way. */
struct pk_spares {
    int count;
    struct pk_entry *entry[3];
};

/* 0, or -EDEADLK when this thread already holds the lock: a signal handler
 * interrupted a PageKit call and called PageKit again. */
int pk_table_lock(void) __attribute__((warn_unused_result));
void pk_table_unlock(void);
/* Around fork() (fork.c): taken in the parent, re-created in the child. */
bool pk_table_fork_lock(void);
void pk_table_fork_unlock(void);
void pk_table_fork_reset(void);

/* The entry containing address, or NULL. */
struct pk_entry *pk_table_lookup(uintptr_t address);
/* The entry containing all of [start, end), or NULL, with protection runs
 * left pending: for vm_protect's fast path only. It tries the entry it
 * found last before searching the tree. */
struct pk_entry *pk_table_find_unsettled(uintptr_t start, uintptr_t end);
/* The entry containing address, or else the first one above it, or NULL. */
struct pk_entry *pk_table_ceiling(uintptr_t address);
struct pk_entry *pk_table_last(void);
struct pk_entry *pk_table_next(struct pk_entry *entry);
struct pk_entry *pk_table_prev(struct pk_entry *entry);

/* True if some entry overlaps [start, end). */
bool pk_table_overlaps(uintptr_t start, uintptr_t end);

void pk_table_insert(struct pk_entry *entry);
/* Inserts entry unless it overlaps another; false, and nothing inserted,
 * if it does. One walk down the tree where a check and an insert take two. */
bool pk_table_insert_if_free(struct pk_entry *entry);
/* Removes an entry and frees it, dropping its name, object and backing
 * references; an object or backing left unreferenced joins orphans, for
 * the caller to release. */
void pk_table_delete(struct pk_entry *entry, struct pk_orphans *orphans);
/* Deletes every entry, or part of one, in [start, end), except PageKit's
 * own (internal) entries, which stay whole; objects left without entries
 * join orphans. */
void pk_table_remove_range(uintptr_t start, uintptr_t end, struct pk_spares *spares, struct pk_orphans *orphans);
void pk_orphans_add(struct pk_orphans *orphans, struct pk_object *object);
/* Entries' references to backings, kept by the table like objects'. */
void pk_backing_retain(struct pk_backing *backing);
/* Drops a reference; at the last one the backing joins orphans. */
void pk_backing_release(struct pk_backing *backing, struct pk_orphans *orphans);
/* Splits entries so that none straddles start or end (internal entries
 * excepted: they are never split). */
void pk_table_clip(uintptr_t start, uintptr_t end, struct pk_spares *spares);
/* Splits entry at address, which lies strictly inside it; returns the upper
 * part, made from a spare. */
struct pk_entry *pk_table_split(struct pk_entry *entry, uintptr_t address, struct pk_spares *spares);
/* Merges entry with equal neighbours of the same allocation; returns the
 * entry that now covers it. */
struct pk_entry *pk_table_coalesce_entry(struct pk_entry *entry);
/* Merges equal neighbours of the same allocation in and around [start, end). */
void pk_table_coalesce(uintptr_t start, uintptr_t end);

uint32_t pk_table_new_allocation(void);
unsigned long pk_table_count(void);

/* Spares, reserved and released with the table locked: 0 or -ENOMEM.
 * pk_spares_release gives back what was not used. */
int pk_spares_reserve(struct pk_spares *spares, int count);
struct pk_entry *pk_spares_take(struct pk_spares *spares);
/* Puts back an entry taken and not used. */
void pk_spares_put_back(struct pk_spares *spares, struct pk_entry *entry);
void pk_spares_release(struct pk_spares *spares);

struct pk_shared_name *pk_shared_name_create(const char *text);
void pk_shared_name_retain(struct pk_shared_name *name);
void pk_shared_name_release(struct pk_shared_name *name);

/*
 * Protection runs (protection_runs.c): at most one per entry, and a fixed
 * number in all. Each holds two spare entries, taken when it is noted, so
 * that settling it into three ordinary entries cannot fail.
 */
/* Runs not yet settled: every finding, walking or changing function above
 * settles them first. */
extern unsigned int pk_runs_pending;
void pk_runs_settle(void);
static inline void pk_runs_settle_pending(void)
{
    if (__builtin_expect(pk_runs_pending != 0, 0))
        pk_runs_settle();
}
/* Whether a protection change of [start, end), which lies inside entry,
 * can be noted as a run: [start, end) is the entry's run, or the entry has
 * none and the range lies strictly inside it, and a slot and spares are at
 * hand. *current is the range's protection now. Changes nothing a caller
 * sees; false sends the caller down the ordinary path. */
bool pk_run_prepare(struct pk_entry *entry, uintptr_t start, uintptr_t end, unsigned int *current);
/* Notes [start, end)'s new protection, after pk_run_prepare said yes: a run
 * that comes back to the entry's own protection is dropped. */
void pk_run_record(struct pk_entry *entry, uintptr_t start, uintptr_t end, unsigned int protection);

/* Iterates the objects (for PURGE_ALL). */
void pk_objects_insert(struct pk_object *object);
struct pk_object *pk_objects_first(void);
struct pk_object *pk_objects_next(struct pk_object *object);

#endif
