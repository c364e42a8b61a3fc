// SPDX-License-Identifier: Apache-2.0
/*
 * internal.h - what CPageShim's files share and nobody else sees.
 */
#ifndef PAGEKIT_INTERNAL_H
#define PAGEKIT_INTERNAL_H

/* The build may set these too; the sources must also build with a bare
 * cc -Iinclude with every C file of Sources/CPageShim. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pagekit/pagekit.h>

#include <stdio.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "region_table.h"
#include "syscalls.h"

/* What newer kernels have and older C libraries' headers may not name. */
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif
#ifndef SYS_mseal
#define SYS_mseal 462
#endif

_Static_assert(sizeof(uintptr_t) == 8, "PageKit needs a 64-bit address space");

#define PK_HIDDEN __attribute__((visibility("hidden")))

/* The usable address range [pk_min_address(), pk_max_address()). */
uintptr_t pk_min_address(void);
uintptr_t pk_max_address(void);

/* The page size, known after the first pk_page_size() call: every hot path
 * reads it, so it is one load here. */
extern size_t pk_known_page_size;

static inline size_t pk_page(void)
{
    size_t size = __atomic_load_n(&pk_known_page_size, __ATOMIC_RELAXED);
    return size != 0 ? size : pk_page_size();
}

static inline uintptr_t pk_trunc(uintptr_t address)
{
    return address & ~(uintptr_t)(pk_page() - 1);
}

/* Rounds up to a page; false if that wraps past the top of the address
 * space (the result would be 0). */
static inline bool pk_round(uintptr_t value, uintptr_t *rounded)
{
    uintptr_t mask = pk_page() - 1;
    if (value > UINTPTR_MAX - mask)
        return false;
    *rounded = (value + mask) & ~mask;
    return true;
}

/* [trunc(address), round(address + size)) for deallocate, protect and the
 * other range calls: -EINVAL when address + size overflows or rounds to 0. */
static inline int pk_page_range(uintptr_t address, size_t size, uintptr_t *start, uintptr_t *end)
{
    if (address > UINTPTR_MAX - size || !pk_round(address + size, end))
        return -EINVAL;
    *start = pk_trunc(address);
    return 0;
}
/* The same inside the usable address range, for the calls that check it
 * as XNU's vm_map range checks do: -EINVAL when address + size wraps,
 * outside (the caller's errno: XNU's calls differ) when the pages round
 * past the top or reach beyond [pk_min_address(), pk_max_address()). */
int pk_map_range(uintptr_t address, size_t size, int outside, uintptr_t *start, uintptr_t *end);

/* Allocation's pieces (allocate.c), for pk_map too. */
/* length bytes of anonymous memory anywhere, at a multiple of alignment. */
intptr_t pk_map_aligned(uintptr_t length, uintptr_t alignment, int prot);
/* Whether an overwrite of [start, end) may go ahead: 0, or EEXIST
 * (PageKit's own memory; permanent memory, made inaccessible first) or
 * EPERM (sealed). Needs two spares. */
int pk_check_overwrite(uintptr_t start, uintptr_t end, struct pk_spares *spares);
/* The entry flags for allocation flags. */
uint8_t pk_entry_flags(unsigned int flags);

/* Kernel names: the name the kernel should show for an entry, or NULL. */
const char *pk_entry_kernel_name(const struct pk_entry *entry, char buffer[PK_NAME_MAX + 1]);
/* Gives the kernel names of entries in [start, end) to the kernel, where it
 * can name anonymous memory. Failures are ignored: names are advisory. */
void pk_names_apply(uintptr_t start, uintptr_t end);

/* The name PageKit's own memory carries: in region reports, and in
 * /proc/PID/maps as [anon:pagekit] where the kernel names memory. */
#define PK_INTERNAL_NAME "pagekit"
/* The memfd behind shared pages: /memfd:pagekit-shared in /proc/PID/maps. */
#define PK_BACKING_NAME "pagekit-shared"

/* Purgeable objects (purgeable.c), kept in PageKit's arena: all of these
 * run with the table lock held. pk_object_create makes an object for an
 * allocation of size bytes, placed by whoever records it. */
struct pk_object *pk_object_create(size_t size);
void pk_object_destroy(struct pk_object *object);
/* PageKit's lasting descriptors (descriptors.c) lie at FD_SETSIZE and
 * above, clear of select()'s numbers, the soft RLIMIT_NOFILE raised to make
 * room for shared pages. pk_descriptor_memfd: a memfd of size bytes there,
 * or a negative errno. pk_descriptor_keep: fd moved up (and closed), or fd
 * where there is no room; make_room raises the limit for it, and needs the
 * table lock. pk_descriptor_duplicate (table lock held): a close-on-exec
 * duplicate of fd, or a negative errno. */
int pk_descriptor_memfd(const char *name, uint64_t size);
int pk_descriptor_keep(int fd, bool make_room);
int pk_descriptor_duplicate(int fd);
/* A new open of the same /proc file as fd, with a file position of its own
 * (a duplicate shares fd's, which another thread may be moving): a stream
 * read from its start that no other call disturbs. The same process's file
 * whatever has become of its PID, with the access checked again. */
FILE *pk_descriptor_reopen(int fd);
/* Shared backings (backing.c): a memfd of size bytes, with no references
 * yet; NULL with *error set on failure. */
struct pk_backing *pk_backing_create(uint64_t size, int *error);
void pk_backing_close(struct pk_backing *backing);
/* A backing for a descriptor another process exported (a duplicate of it). */
struct pk_backing *pk_backing_adopt(int fd, uint64_t size, int *error);

/* Moves the PageKit private memory of [start, end), entries already
 * clipped or not, onto one new backing in place (share.c): contents,
 * protections, names and inheritance kept. The caller has checked that the
 * range is all PageKit's, private, not purgeable, not sealed, with no
 * hole; spares holds two entries for the clipping. */
int pk_share_range(uintptr_t start, uintptr_t end, struct pk_spares *spares, struct pk_backing **shared);

/* Copies what [start, end) of this process holds to copy (writable
 * memory), or to fd at offset: only the pages it has, whatever their
 * protection, since /proc/self/mem reads through it as a debugger does
 * (share.c). Volatile purgeable pages come out with the user's words, not
 * PageKit's markers. Runs with the table lock held. */
int pk_copy_pages(uintptr_t start, uintptr_t end, uintptr_t copy);
/* Before [start, end) is read: the purgeable objects it holds checked
 * against the kernel, and each object's state known (one the kernel purged
 * is zeroed now). After it was copied whole to copy: the user's first words
 * put back where volatile pages hold PageKit's marker (share.c). */
void pk_objects_prepare_read(uintptr_t start, uintptr_t end);
void pk_objects_unmark_copy(uintptr_t start, uintptr_t end, uintptr_t copy);
/* Copies the pages [start, end) of this process to copy, with the user's
 * words in volatile pages, and without a signal: 0, -ENODATA or -EFAULT (a
 * page faulted meanwhile), -ENOMEM (transfer.c). The table is locked. */
int pk_snapshot_pages(uintptr_t start, uintptr_t end, uintptr_t copy);
int pk_copy_pages_to_file(uintptr_t start, uintptr_t end, int fd, uint64_t offset);
/* *word is what a volatile object's page (or a copy of it) holds first:
 * if it is the marker, it becomes the user's word, and true (purgeable.c). */
bool pk_object_saved_word(const struct pk_object *object, uintptr_t page, uintptr_t *word);

/* pk_page_range_query and pk_page_counts for another process (pid; maps
 * -1 and pid 0: this one), through descriptors of its /proc/PID/pagemap
 * and maps (page_query.c). */
int pk_page_range_query_in(int pagemap, int maps, uintptr_t address, size_t size, int *dispositions, size_t *count);
int pk_page_counts_in(int pid, int pagemap, int maps, uintptr_t address, size_t size, struct pk_page_counts *counts);
/* XNU's msg_ool_size_small: transfers up to this size go through a kernel
 * buffer, where any fault is KERN_INVALID_ADDRESS (transfer.c). */
#if defined(__x86_64__)
#define PK_SMALL_TRANSFER ((size_t)16 << 10)
#else
#define PK_SMALL_TRANSFER ((size_t)32 << 10)
#endif
/* mach_vm_read, in this task or another (transfer.c): the arguments
 * (data NULL EINVAL; size 0 gives data 0; a wrap EFAULT), then the source
 * (check), then size bytes from address by copy into new memory here,
 * where XNU puts them (the start of a page for a small copy, else the
 * source's offset in its page), freed again if copy fails. *data is set on
 * success only. */
struct pk_reader {
    int (*check)(void *context, uintptr_t address, size_t size);
    int (*copy)(void *context, uintptr_t address, size_t size, uintptr_t destination);
    void *context;
};
int pk_read_into_new(uintptr_t address, size_t size, uintptr_t *data, const struct pk_reader *reader);

/* A process's memory in task_info's terms, from its /proc status and maps
 * files read from the start (task_vm_info.c): -ESRCH when they say nothing
 * (the process is gone). Volatile purgeable figures are left 0. */
int pk_vm_info_from(FILE *status, FILE *maps, struct pk_task_vm_info *info);

/* The bytes of volatile purgeable objects in memory (page_query.c). */
int pk_volatile_resident(uint64_t *bytes);

/* pk_inherit with the table locked, on a page range (inherit.c). */
int pk_inherit_locked(uintptr_t start, size_t size, unsigned int inheritance);
/* Moves each run of private PageKit pages in [start, end) onto shared
 * pages of its own, inheritance and all else kept (inherit.c). */
int pk_share_private_runs(uintptr_t start, uintptr_t end);

/* Marks an entry's pages for fork() as its inheritance says (fork.c). */
void pk_fork_advice(const struct pk_entry *entry);

/* Destroys the objects and closes the backings an operation's removals
 * orphaned (backing.c). */
void pk_orphans_release_all(struct pk_orphans *orphans);
/* Releases what an operation orphaned, once the table is consistent. */
static inline void pk_orphans_release(struct pk_orphans *orphans)
{
    if (!LIST_EMPTY(&orphans->objects) || !LIST_EMPTY(&orphans->backings))
        pk_orphans_release_all(orphans);
}
/* The object's state, after noticing pages the kernel dropped. */
int pk_object_state(struct pk_object *object);
/* Drops from the table whatever of a volatile object was unmapped or
 * replaced behind PageKit's back, before its pages are read or emptied. */
void pk_objects_verify_volatile(void);
/* Zeroes the entries of the object and marks it EMPTY. */
void pk_object_empty(struct pk_object *object);

/* Foreign mappings (kernel_maps.c): the kernel's mapping containing address
 * or the next one above it. */
struct pk_kernel_mapping {
    uintptr_t start, end;
    unsigned int protection;
    bool shared;
    bool anonymous; /* private, no file, and not [heap], [stack] or the like */
    bool file;      /* a file's pages (a memfd's too) */
    char name[256];
};
int pk_kernel_mapping(uintptr_t address, struct pk_kernel_mapping *mapping);
/* The same through PROCMAP_QUERY only: -ENOTTY where the kernel lacks it. */
int pk_procmap_query(uintptr_t address, struct pk_kernel_mapping *mapping);
/* One line of a maps file into mapping: false if it is not one. */
bool pk_kernel_maps_parse_line(const char *line, struct pk_kernel_mapping *mapping);
/* The same in another process's maps, through a descriptor of its
 * /proc/PID/maps. */
int pk_kernel_mapping_in(int maps, uintptr_t address, struct pk_kernel_mapping *mapping);
/* With remember true, until it is called with false, this thread's
 * pk_kernel_mapping answers again from the last mapping it was given, for
 * any address inside it: for operations that read the address space and
 * change no mapping meanwhile. */
void pk_kernel_maps_remember(bool remember);
/* Testing: read /proc/self/maps even where PROCMAP_QUERY works. */
void pk_kernel_maps_force_scan(bool force);
/* Forgets the cached /proc/self/maps descriptor (after fork). */
void pk_kernel_maps_reset(void);

/* Ownership (ownership.c): drops the parts of entries in [start, end) that
 * the kernel no longer maps as PageKit did (private anonymous memory, or
 * a backing's memfd), because someone unmapped them behind PageKit's back
 * and perhaps mapped something else there; and takes the kernel's
 * protection where it differs from the table's. Internal entries are
 * PageKit's own and always kept. Objects left without entries are
 * destroyed. True if anything changed. */
bool pk_table_verify(uintptr_t start, uintptr_t end);

/* Permanent memory (permanent.c): clips the permanent entries in
 * [start, end) to it and makes them inaccessible for good, current and
 * maximum protection NONE, as XNU's delete leaves them. */
void pk_permanent_revoke(uintptr_t start, uintptr_t end, struct pk_spares *spares);

/* Features (features.c). */
bool pk_has(unsigned int feature);
/* Testing: behave as if the kernel lacked these features (0 undoes it). */
void pk_features_hide(unsigned int features);

#endif
