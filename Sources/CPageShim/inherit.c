// SPDX-License-Identifier: Apache-2.0
/*
 * inherit.c - pk_inherit (vm_inherit).
 */
#include "internal.h"

#include <pagekit/sharing.h>

#include <errno.h>

/* The first run of private (not yet shared) PageKit pages at or after
 * from in [from, end), as [*run_start, *run_end): false if none. */
static bool private_run(uintptr_t from, uintptr_t end, uintptr_t *run_start, uintptr_t *run_end)
{
    struct pk_entry *entry = pk_table_ceiling(from);
    while (entry != NULL && entry->start < end && (entry->backing != NULL || (entry->flags & PK_ENTRY_INTERNAL)))
        entry = pk_table_next(entry);
    if (entry == NULL || entry->start >= end)
        return false;
    *run_start = entry->start > from ? entry->start : from;
    uintptr_t at = entry->end;
    for (entry = pk_table_next(entry); entry != NULL && entry->start == at && at < end && entry->backing == NULL &&
                                       !(entry->flags & PK_ENTRY_INTERNAL);
         entry = pk_table_next(entry))
        at = entry->end;
    *run_end = at < end ? at : end;
    return true;
}

int pk_share_private_runs(uintptr_t start, uintptr_t end)
{
    for (uintptr_t at = start, run_start, run_end; private_run(at, end, &run_start, &run_end); at = run_end) {
        struct pk_spares spares;
        if (pk_spares_reserve(&spares, 2) != 0)
            return -ENOMEM;
        struct pk_backing *backing;
        int error = pk_share_range(run_start, run_end, &spares, &backing);
        pk_spares_release(&spares);
        if (error)
            return error;
    }
    return 0;
}

static int check(uintptr_t start, uintptr_t end, unsigned int inheritance)
{
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        if (entry->flags & PK_ENTRY_INTERNAL)
            continue;
        /* MADV_FREE cannot serve shared pages. */
        if (inheritance == PK_INHERIT_SHARE && entry->object != NULL && entry->backing == NULL)
            return -EOPNOTSUPP;
        if (inheritance == PK_INHERIT_SHARE && entry->backing == NULL && (entry->flags & PK_ENTRY_SEALED))
            return -EPERM;
    }
    return 0;
}

int pk_inherit_locked(uintptr_t start, size_t size, unsigned int inheritance)
{
    uintptr_t end = start + size;
    /* Holes are fine, as on Mach; so is memory PageKit did not map, which
     * it leaves as it is. What is PageKit's must still be. */
    pk_table_verify(start, end);
    int error = check(start, end, inheritance);
    if (error == 0 && inheritance == PK_INHERIT_SHARE)
        error = pk_share_private_runs(start, end);
    struct pk_spares spares;
    if (error == 0 && (error = pk_spares_reserve(&spares, 2)) == 0) {
        pk_table_clip(start, end, &spares);
        for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
             entry = pk_table_next(entry)) {
            if (entry->flags & PK_ENTRY_INTERNAL)
                continue;
            entry->inheritance = (uint8_t)inheritance;
            pk_fork_advice(entry);
        }
        pk_table_coalesce(start, end);
        pk_spares_release(&spares);
    }
    return error;
}

int pk_inherit(uintptr_t address, size_t size, unsigned int inheritance)
{
    /* XNU's order: size 0 succeeds before the value is looked at. */
    if (size == 0)
        return 0;
    if (inheritance > PK_INHERIT_LAST_VALID)
        return -EINVAL;
    uintptr_t start, end;
    int error = pk_page_range(address, size, &start, &end);
    if (error)
        return error;
    if ((error = pk_table_lock()) != 0)
        return error;
    error = pk_inherit_locked(start, end - start, inheritance);
    pk_table_unlock();
    return error;
}
