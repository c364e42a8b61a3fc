// SPDX-License-Identifier: Apache-2.0
/*
 * region_table.c - the store behind every operation: entries, names and the
 * list of purgeable objects, all kept in PageKit's arena. It never calls an
 * operation; an operation that removes entries releases what they owned.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "lock.h"
#include "publication.h"

static int compare(const struct pk_entry *a, const struct pk_entry *b)
{
    return a->start < b->start ? -1 : a->start > b->start;
}

RB_HEAD(pk_tree, pk_entry);
/* RB_GENERATE_STATIC needs a __unused that libbsd leaves undefined. */
RB_GENERATE_INTERNAL(pk_tree, pk_entry, link, compare, __attribute__((unused)) static)

/* What every call touches, on one cache line: after a system call has
 * pushed PageKit out of the cache, the unlock and the next lookup find the
 * lock, the tree's root and the last entry found in one miss. */
static struct {
    struct pk_lock lock;
    struct pk_tree tree;
    struct pk_entry *found_last;
} hot __attribute__((aligned(64))) = {PK_LOCK_INITIALIZER, RB_INITIALIZER(&hot.tree), NULL};

static LIST_HEAD(, pk_object) objects = LIST_HEAD_INITIALIZER(objects);
static unsigned long entry_count;
static uint32_t last_allocation;


/* Set while this thread takes, holds or releases the lock: a call from a
 * signal handler that interrupted it must not wait for a lock its own
 * thread holds. The signal fences keep the flag around the lock's atomics as
 * the handler sees it. Initial exec, so the check is one
 * thread-pointer-relative load. */
static __thread bool busy __attribute__((tls_model("initial-exec")));

/* For fork.c: the lock around fork(), and a fresh one in the child. A fork
 * from a signal handler that interrupted a PageKit call on this thread
 * would wait forever for the lock its own thread holds: it goes ahead
 * without it (false), and the parent's table stays as the interrupted call
 * left it. */
bool pk_table_fork_lock(void)
{
    if (busy)
        return false;
    pk_lock_acquire(&hot.lock);
    return true;
}

void pk_table_fork_unlock(void)
{
    pk_lock_release(&hot.lock);
}

void pk_table_fork_reset(void)
{
    pk_lock_reset(&hot.lock);
}


int pk_table_lock(void)
{
    if (busy)
        return -EDEADLK;
    busy = true;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pk_lock_acquire(&hot.lock);
    pk_publish_begin();
    return 0;
}

void pk_table_unlock(void)
{
    pk_publish_end();
    pk_lock_release(&hot.lock);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    busy = false;
}

const void *pk_table_root_address(void)
{
    return &RB_ROOT(&hot.tree);
}

/* The entry containing address, or else the first one above it, runs
 * left pending. */
static struct pk_entry *ceiling(uintptr_t address)
{
    struct pk_entry key = {.start = address};
    struct pk_entry *above = RB_NFIND(pk_tree, &hot.tree, &key);
    if (above != NULL && above->start == address)
        return above;
    struct pk_entry *below = above != NULL ? RB_PREV(pk_tree, &hot.tree, above) : RB_MAX(pk_tree, &hot.tree);
    if (below != NULL && below->end > address)
        return below;
    return above;
}

struct pk_entry *pk_table_ceiling(uintptr_t address)
{
    pk_runs_settle_pending();
    return ceiling(address);
}

struct pk_entry *pk_table_lookup(uintptr_t address)
{
    pk_runs_settle_pending();
    struct pk_entry *entry = hot.found_last;
    if (entry != NULL && entry->start <= address && address < entry->end)
        return entry;
    entry = ceiling(address);
    return entry != NULL && entry->start <= address ? entry : NULL;
}

/* The entry found (or allocated) last is tried first, here and by
 * pk_table_lookup: a call that changes one page's protection back and
 * forth, or frees the region just allocated, finds it again without a walk
 * down a tree whose upper levels the system call has pushed out of the
 * cache. It is forgotten when freed, and its bounds are checked on each
 * use. */
struct pk_entry *pk_table_find_unsettled(uintptr_t start, uintptr_t end)
{
    struct pk_entry *entry = hot.found_last;
    if (entry == NULL || entry->start > start || entry->end < end) {
        entry = ceiling(start);
        if (entry == NULL || entry->start > start || entry->end < end)
            return NULL;
        hot.found_last = entry;
    }
    return entry;
}

struct pk_entry *pk_table_last(void)
{
    pk_runs_settle_pending();
    return RB_MAX(pk_tree, &hot.tree);
}

struct pk_entry *pk_table_next(struct pk_entry *entry)
{
    pk_runs_settle_pending();
    return RB_NEXT(pk_tree, &hot.tree, entry);
}

struct pk_entry *pk_table_prev(struct pk_entry *entry)
{
    pk_runs_settle_pending();
    return RB_PREV(pk_tree, &hot.tree, entry);
}

bool pk_table_overlaps(uintptr_t start, uintptr_t end)
{
    struct pk_entry *entry = pk_table_ceiling(start);
    return entry != NULL && entry->start < end;
}

static void inserted(struct pk_entry *entry)
{
    entry_count++;
    if (entry->object != NULL)
        entry->object->entries++;
    if (entry->backing != NULL)
        pk_backing_retain(entry->backing);
}

void pk_table_insert(struct pk_entry *entry)
{
    pk_runs_settle_pending();
    RB_INSERT(pk_tree, &hot.tree, entry);
    inserted(entry);
}

bool pk_table_insert_if_free(struct pk_entry *entry)
{
    pk_runs_settle_pending();
    if (RB_INSERT(pk_tree, &hot.tree, entry) != NULL)
        return false;
    struct pk_entry *previous = RB_PREV(pk_tree, &hot.tree, entry), *next = RB_NEXT(pk_tree, &hot.tree, entry);
    if ((previous != NULL && previous->end > entry->start) || (next != NULL && next->start < entry->end)) {
        RB_REMOVE(pk_tree, &hot.tree, entry);
        return false;
    }
    inserted(entry);
    /* The next call is often about the new region: its deallocation, or
     * a protect inside it. */
    hot.found_last = entry;
    return true;
}

static struct pk_entry *entry_new(void)
{
    return pk_arena_alloc(sizeof(struct pk_entry));
}

static void entry_free(struct pk_entry *entry)
{
    if (entry == hot.found_last)
        hot.found_last = NULL;
    pk_arena_free(entry, sizeof *entry);
}

void pk_table_delete(struct pk_entry *entry, struct pk_orphans *orphans)
{
    pk_runs_settle_pending();
    RB_REMOVE(pk_tree, &hot.tree, entry);
    entry_count--;
    if (entry->object != NULL && --entry->object->entries == 0) {
        LIST_REMOVE(entry->object, link);
        pk_orphans_add(orphans, entry->object);
    }
    if (entry->backing != NULL)
        pk_backing_release(entry->backing, orphans);
    if (entry->name != NULL)
        pk_shared_name_release(entry->name);
    entry_free(entry);
}

/* Merging keeps one entry of the same object and backing, so it never
 * orphans either. */
static void delete_merged(struct pk_entry *entry)
{
    struct pk_orphans orphans = PK_ORPHANS_INITIALIZER(orphans);
    pk_table_delete(entry, &orphans);
    if (!LIST_EMPTY(&orphans.objects) || !LIST_EMPTY(&orphans.backings))
        abort();
}

void pk_backing_retain(struct pk_backing *backing)
{
    if (backing->orphaned) {
        LIST_REMOVE(backing, link);
        backing->orphaned = false;
    }
    backing->references++;
}

void pk_backing_release(struct pk_backing *backing, struct pk_orphans *orphans)
{
    if (--backing->references == 0) {
        LIST_INSERT_HEAD(&orphans->backings, backing, link);
        backing->orphaned = true;
    }
}

/* Links upper into the tree as entry's in-order successor, which it is:
 * no search from the root. */
static void insert_after(struct pk_entry *entry, struct pk_entry *upper)
{
    struct pk_entry *parent = RB_RIGHT(entry, link);
    if (parent == NULL) {
        RB_SET(upper, entry, link);
        RB_RIGHT(entry, link) = upper;
    } else {
        while (RB_LEFT(parent, link) != NULL)
            parent = RB_LEFT(parent, link);
        RB_SET(upper, parent, link);
        RB_LEFT(parent, link) = upper;
    }
    pk_tree_RB_INSERT_COLOR(&hot.tree, upper);
    inserted(upper);
}

struct pk_entry *pk_table_split(struct pk_entry *entry, uintptr_t address, struct pk_spares *spares)
{
    struct pk_entry *upper = pk_spares_take(spares);
    *upper = *entry;
    upper->start = address;
    if (upper->backing != NULL)
        upper->backing_page += (uint32_t)((address - entry->start) / pk_page());
    entry->end = address;
    if (upper->name != NULL)
        pk_shared_name_retain(upper->name);
    insert_after(entry, upper);
    return upper;
}

/* PageKit's own entries are never split or removed by the caller's
 * operations: the arena keeps pointers to them, and no operation changes
 * part of one. */
static bool splittable(const struct pk_entry *entry)
{
    return entry != NULL && !(entry->flags & PK_ENTRY_INTERNAL);
}

void pk_table_clip(uintptr_t start, uintptr_t end, struct pk_spares *spares)
{
    struct pk_entry *first = pk_table_lookup(start);
    if (splittable(first) && first->start < start)
        pk_table_split(first, start, spares);
    struct pk_entry *last = end > 0 ? pk_table_lookup(end - 1) : NULL;
    if (splittable(last) && last->end > end)
        pk_table_split(last, end, spares);
}

void pk_table_remove_range(uintptr_t start, uintptr_t end, struct pk_spares *spares, struct pk_orphans *orphans)
{
    if (!pk_table_overlaps(start, end))
        return;
    pk_table_clip(start, end, spares);
    struct pk_entry *entry = pk_table_ceiling(start);
    while (entry != NULL && entry->start < end) {
        struct pk_entry *next = pk_table_next(entry);
        if (splittable(entry))
            pk_table_delete(entry, orphans);
        entry = next;
    }
}

void pk_orphans_add(struct pk_orphans *orphans, struct pk_object *object)
{
    if (object != NULL)
        LIST_INSERT_HEAD(&orphans->objects, object, link);
}

static bool same_name(const struct pk_shared_name *a, const struct pk_shared_name *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a->text, b->text) == 0);
}

static bool mergeable(const struct pk_entry *lower, const struct pk_entry *upper)
{
    return lower->end == upper->start && lower->allocation == upper->allocation &&
           lower->object == upper->object && lower->backing == upper->backing &&
           (lower->backing == NULL ||
            lower->backing_page + (lower->end - lower->start) / pk_page() == upper->backing_page) &&
           lower->flags == upper->flags &&
           lower->protection == upper->protection && lower->max_protection == upper->max_protection &&
           lower->inheritance == upper->inheritance && lower->tag == upper->tag &&
           lower->wired == upper->wired && same_name(lower->name, upper->name);
}

struct pk_entry *pk_table_coalesce_entry(struct pk_entry *entry)
{
    struct pk_entry *previous = pk_table_prev(entry);
    if (previous != NULL && mergeable(previous, entry)) {
        uintptr_t merged_end = entry->end;
        delete_merged(entry);
        previous->end = merged_end;
        entry = previous;
    }
    struct pk_entry *next = pk_table_next(entry);
    if (next != NULL && mergeable(entry, next)) {
        uintptr_t merged_end = next->end;
        delete_merged(next);
        entry->end = merged_end;
    }
    return entry;
}

void pk_table_coalesce(uintptr_t start, uintptr_t end)
{
    struct pk_entry *entry = pk_table_ceiling(start);
    if (entry == NULL)
        return;
    struct pk_entry *previous = pk_table_prev(entry);
    if (previous != NULL)
        entry = previous;
    while (entry != NULL && entry->start <= end) {
        struct pk_entry *next = pk_table_next(entry);
        if (next != NULL && mergeable(entry, next)) {
            uintptr_t merged_end = next->end;
            delete_merged(next);
            entry->end = merged_end;
            continue;
        }
        entry = next;
    }
}

uint32_t pk_table_new_allocation(void)
{
    return ++last_allocation;
}

unsigned long pk_table_count(void)
{
    pk_runs_settle_pending();
    return entry_count;
}

int pk_spares_reserve(struct pk_spares *spares, int count)
{
    for (spares->count = 0; spares->count < count; spares->count++) {
        struct pk_entry *entry = entry_new();
        if (entry == NULL) {
            pk_spares_release(spares);
            return -ENOMEM;
        }
        spares->entry[spares->count] = entry;
    }
    return 0;
}

struct pk_entry *pk_spares_take(struct pk_spares *spares)
{
    if (spares->count == 0)
        abort(); /* an operation used more entries than it reserved: a bug */
    return spares->entry[--spares->count];
}

void pk_spares_put_back(struct pk_spares *spares, struct pk_entry *entry)
{
    if (spares->count == (int)(sizeof spares->entry / sizeof spares->entry[0]))
        abort(); /* more put back than taken: a bug */
    spares->entry[spares->count++] = entry;
}

void pk_spares_release(struct pk_spares *spares)
{
    while (spares->count > 0)
        entry_free(spares->entry[--spares->count]);
}

static size_t name_bytes(size_t length)
{
    return sizeof(struct pk_shared_name) + length + 1;
}

struct pk_shared_name *pk_shared_name_create(const char *text)
{
    size_t length = strlen(text);
    struct pk_shared_name *name = pk_arena_alloc(name_bytes(length));
    if (name != NULL) {
        name->references = 1;
        memcpy(name->text, text, length + 1);
    }
    return name;
}

void pk_shared_name_retain(struct pk_shared_name *name)
{
    name->references++;
}

void pk_shared_name_release(struct pk_shared_name *name)
{
    if (--name->references == 0)
        pk_arena_free(name, name_bytes(strlen(name->text)));
}

void pk_objects_insert(struct pk_object *object)
{
    LIST_INSERT_HEAD(&objects, object, link);
}

struct pk_object *pk_objects_first(void)
{
    return LIST_FIRST(&objects);
}

struct pk_object *pk_objects_next(struct pk_object *object)
{
    return LIST_NEXT(object, link);
}
