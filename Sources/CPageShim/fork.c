// SPDX-License-Identifier: Apache-2.0
/*
 * fork.c - what a child gets at fork(), as Mach's inheritance says.
 *
 * VM_INHERIT_COPY memory that is shared in the parent (a backing's pages)
 * must reach the child as its own copy, as XNU copies each entry: Linux
 * would keep it shared. Such mappings are marked MADV_DONTFORK, and before
 * the fork PageKit copies each into a private mapping the child inherits;
 * in the child that copy moves to the original address. The parent pays
 * one copy of that memory per fork. VM_INHERIT_NONE memory is
 * MADV_DONTFORK too, and VM_INHERIT_SHARE memory is on shared pages, which
 * fork shares as it is.
 */
#include "internal.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"

struct snapshot {
    struct pk_entry *entry;
    uintptr_t copy;
};

static struct snapshot *snapshots;
static size_t snapshot_count;

static bool copied_at_fork(const struct pk_entry *entry)
{
    return entry->backing != NULL && entry->inheritance == PK_INHERIT_COPY;
}

void pk_fork_advice(const struct pk_entry *entry)
{
    bool keep = entry->inheritance == PK_INHERIT_SHARE ||
                (entry->inheritance == PK_INHERIT_COPY && entry->backing == NULL);
    pk_sys_madvise(entry->start, entry->end - entry->start, keep ? MADV_DOFORK : MADV_DONTFORK);
}

/* A private copy of entry's pages, with its protection, or 0. */
static uintptr_t copy_entry(const struct pk_entry *entry)
{
    size_t length = entry->end - entry->start;
    intptr_t copy = pk_sys_mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (copy < 0)
        return 0;
    uint64_t offset = entry->backing_page * (uint64_t)pk_page();
    if (pk_sys_pread_all(entry->backing->fd, (void *)copy, length, offset) != 0) {
        pk_sys_munmap((uintptr_t)copy, length);
        return 0;
    }
    pk_sys_mprotect((uintptr_t)copy, length, entry->protection);
    return (uintptr_t)copy;
}

static void take_snapshots(void)
{
    size_t count = 0;
    for (struct pk_entry *entry = pk_table_ceiling(0); entry != NULL; entry = pk_table_next(entry))
        count += copied_at_fork(entry);
    if (count == 0 || (snapshots = pk_arena_alloc(count * sizeof *snapshots)) == NULL)
        return;
    for (struct pk_entry *entry = pk_table_ceiling(0); entry != NULL; entry = pk_table_next(entry))
        if (copied_at_fork(entry))
            snapshots[snapshot_count++] = (struct snapshot){entry, copy_entry(entry)};
}

static void drop_snapshots(bool child)
{
    struct pk_orphans orphans = PK_ORPHANS_INITIALIZER(orphans);
    for (size_t i = 0; i < snapshot_count; i++) {
        struct pk_entry *entry = snapshots[i].entry;
        size_t length = entry->end - entry->start;
        if (snapshots[i].copy == 0)
            continue;
        if (!child) {
            pk_sys_munmap(snapshots[i].copy, length);
            continue;
        }
        /* The child's own copy, where the parent's shared pages were. */
        mremap((void *)snapshots[i].copy, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)entry->start);
        pk_backing_release(entry->backing, &orphans);
        entry->backing = NULL;
        entry->backing_page = 0;
    }
    pk_orphans_release(&orphans);
    if (snapshots != NULL)
        pk_arena_free(snapshots, snapshot_count * sizeof *snapshots);
    snapshots = NULL;
    snapshot_count = 0;
}

/* Whether before_fork took the lock (not from a signal handler that
 * interrupted a PageKit call). Only the forking thread reads it. */
static bool fork_locked;

static void before_fork(void)
{
    fork_locked = pk_table_fork_lock();
    if (fork_locked)
        take_snapshots();
}

static void after_fork_in_parent(void)
{
    if (!fork_locked)
        return;
    drop_snapshots(false);
    pk_table_fork_unlock();
}

/* A child must not inherit a lock some other thread of the parent held,
 * and its /proc/self/maps descriptor would still describe the parent. */
static void after_fork_in_child(void)
{
    pk_table_fork_reset();
    /* A child inherits no locked pages, on Linux as on XNU. (A fork from a
     * handler that interrupted a PageKit call may find the table half
     * changed: it is not walked then.) */
    for (struct pk_entry *entry = fork_locked ? pk_table_ceiling(0) : NULL; entry != NULL; entry = pk_table_next(entry))
        entry->wired = 0;
    drop_snapshots(true);
    pk_kernel_maps_reset();
}

/* Registered when the library is loaded, so that taking the lock is one
 * call on every path. */
__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}
