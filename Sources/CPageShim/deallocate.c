// SPDX-License-Identifier: Apache-2.0
/*
 * deallocate.c - pk_deallocate (vm_deallocate).
 */
#include "internal.h"

#include <errno.h>
#include <sys/mman.h>

/* Entries a deallocate leaves mapped: permanent memory, which it makes
 * inaccessible, and PageKit's own, which it leaves exactly as it is (to the
 * caller it is a hole). */
static bool is_kept(const struct pk_entry *entry)
{
    return (entry->flags & (PK_ENTRY_PERMANENT | PK_ENTRY_INTERNAL)) != 0;
}

static bool is_permanent(const struct pk_entry *entry)
{
    return (entry->flags & PK_ENTRY_PERMANENT) != 0;
}

static unsigned int scan_range(uintptr_t start, uintptr_t end)
{
    unsigned int flags = 0;
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry))
        flags |= entry->flags;
    return flags;
}

/* Gives the permanent entries in [start, until) their recorded protection
 * back in the kernel (rollback). */
static void restore_permanent(uintptr_t start, uintptr_t until)
{
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < until;
         entry = pk_table_next(entry))
        if (is_permanent(entry))
            pk_sys_mprotect(entry->start, entry->end - entry->start, entry->protection);
}

/* Unmaps what lies between the kept entries of [start, end). *done ends
 * where the last successful unmap ended: below it nothing can be put back,
 * above it everything can. */
static int unmap_around_kept(uintptr_t start, uintptr_t end, uintptr_t *done)
{
    uintptr_t at = start;
    for (struct pk_entry *entry = pk_table_ceiling(start); at < end; entry = pk_table_next(entry)) {
        while (entry != NULL && entry->start < end && !is_kept(entry))
            entry = pk_table_next(entry);
        uintptr_t stop = entry != NULL && entry->start < end ? entry->start : end;
        if (stop > at) {
            int error = pk_sys_munmap(at, stop - at);
            if (error)
                return error;
            *done = stop;
        }
        if (stop == end)
            break;
        at = entry->end;
    }
    *done = end;
    return 0;
}

/* Permanent memory stays mapped but inaccessible, PageKit's own stays as it
 * is, and what lies between is unmapped. The protection changes come first
 * because they can be undone. An unmap cannot be: when a later piece
 * fails, the pieces before it stay removed, and the table follows the
 * kernel there and keeps the rest. */
static int remove_around_kept(uintptr_t start, uintptr_t end, struct pk_spares *spares,
                              struct pk_orphans *orphans)
{
    pk_table_clip(start, end, spares);
    int error = 0;
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        if (is_permanent(entry) && (error = pk_sys_mprotect(entry->start, entry->end - entry->start, PROT_NONE))) {
            restore_permanent(start, entry->start);
            pk_table_coalesce(start, end);
            return error;
        }
    }
    uintptr_t done = start;
    error = unmap_around_kept(start, end, &done);
    if (error)
        restore_permanent(done, end);
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < done;) {
        struct pk_entry *next = pk_table_next(entry);
        if (is_permanent(entry))
            entry->protection = entry->max_protection = PK_PROT_NONE;
        else if (!is_kept(entry))
            pk_table_delete(entry, orphans);
        entry = next;
    }
    pk_table_coalesce(start, end);
    return error;
}

static int remove_range(uintptr_t start, uintptr_t end, struct pk_orphans *orphans)
{
    struct pk_spares spares;
    /* Spares first: growing the arena maps memory, which the scan below
     * must then see. */
    int error = pk_spares_reserve(&spares, 2);
    if (error)
        return error;
    unsigned int flags = scan_range(start, end);
    /* Sealed and permanent entries decide what happens, so they must still
     * describe the kernel. */
    if ((flags & (PK_ENTRY_SEALED | PK_ENTRY_PERMANENT)) && pk_table_verify(start, end))
        flags = scan_range(start, end);
    if (flags & PK_ENTRY_SEALED) {
        error = -EPERM;
    } else if (flags & (PK_ENTRY_PERMANENT | PK_ENTRY_INTERNAL)) {
        error = remove_around_kept(start, end, &spares, orphans);
    } else {
        error = pk_sys_munmap(start, end - start);
        if (error == 0)
            pk_table_remove_range(start, end, &spares, orphans);
    }
    pk_spares_release(&spares);
    return error;
}

int pk_deallocate(uintptr_t address, size_t size)
{
    if (size == 0)
        return 0;
    uintptr_t start, end;
    int error = pk_page_range(address, size, &start, &end);
    if (error)
        return error;
    /* Mach removes nothing, and reports success, when the range reaches
     * outside the map. */
    if (start < pk_min_address() || end > pk_max_address())
        return 0;

    if ((error = pk_table_lock()) != 0)
        return error;
    struct pk_orphans orphans = PK_ORPHANS_INITIALIZER(orphans);
    /* The common case: exactly one ordinary region. */
    struct pk_entry *entry = pk_table_lookup(start);
    if (entry != NULL && entry->start == start && entry->end == end &&
        !(entry->flags & (PK_ENTRY_PERMANENT | PK_ENTRY_SEALED | PK_ENTRY_INTERNAL))) {
        error = pk_sys_munmap(start, end - start);
        if (error == 0)
            pk_table_delete(entry, &orphans);
    } else {
        error = remove_range(start, end, &orphans);
    }
    pk_orphans_release(&orphans);
    pk_table_unlock();
    return error;
}
