// SPDX-License-Identifier: Apache-2.0
/*
 * ownership.c - what PageKit still owns.
 *
 * Code ported from macOS mixes munmap and vm_deallocate, so memory the
 * table records can be unmapped behind PageKit's back and something else
 * mapped there. Before the table decides anything a stranger would be
 * hurt by - a refusal, a report, a write into the pages, a permanent or
 * purgeable treatment - the operation asks the kernel: a part of an entry
 * that is no longer private anonymous memory is not PageKit's any more,
 * and is dropped from the table. The common successful paths never ask,
 * since the kernel's own answer there is the same for any mapping.
 *
 * What the kernel cannot tell apart: an anonymous private mapping made
 * exactly where PageKit's was, where the kernel does not name anonymous
 * memory (shared pages are told apart by their memfd's name). README.md
 * lists it.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

/* What PageKit maps for an entry: private anonymous memory, or for shared
 * pages a MAP_SHARED mapping of its backing's memfd. */
static bool looks_like(const struct pk_kernel_mapping *mapping, bool shared)
{
    if (!shared)
        return mapping->anonymous;
    return mapping->shared && strncmp(mapping->name, "/memfd:" PK_BACKING_NAME " ", 8 + sizeof PK_BACKING_NAME - 1) == 0;
}

/* The first part of [start, end) that the kernel maps as something other
 * than what PageKit mapped there, or does not map at all: false if none. */
static bool find_foreign(uintptr_t start, uintptr_t end, bool shared, uintptr_t *foreign_start, uintptr_t *foreign_end)
{
    uintptr_t at = start;
    while (at < end) {
        struct pk_kernel_mapping mapping;
        int error = pk_kernel_mapping(at, &mapping);
        /* Another failure says nothing about ownership: keep the entry. */
        if (error != 0 && error != -ENOMEM)
            return false;
        if (error == -ENOMEM || mapping.start >= end) {
            *foreign_start = at;
            *foreign_end = end;
            return true;
        }
        if (mapping.start > at) {
            *foreign_start = at;
            *foreign_end = mapping.start;
            return true;
        }
        uintptr_t stop = mapping.end < end ? mapping.end : end;
        if (!looks_like(&mapping, shared)) {
            *foreign_start = at;
            *foreign_end = stop;
            return true;
        }
        at = stop;
    }
    return false;
}

/* Drops [start, end) from the table; without spares for the clipping,
 * drops the whole entries it touches (less is kept, never more). */
static void drop(uintptr_t start, uintptr_t end, struct pk_orphans *orphans)
{
    struct pk_spares spares;
    if (pk_spares_reserve(&spares, 2) == 0) {
        pk_table_remove_range(start, end, &spares, orphans);
        pk_spares_release(&spares);
        return;
    }
    struct pk_entry *entry = pk_table_ceiling(start);
    while (entry != NULL && entry->start < end) {
        struct pk_entry *next = pk_table_next(entry);
        pk_table_delete(entry, orphans);
        entry = next;
    }
}

bool pk_table_verify(uintptr_t start, uintptr_t end)
{
    struct pk_orphans orphans = PK_ORPHANS_INITIALIZER(orphans);
    bool dropped = false;
    uintptr_t at = start;
    for (struct pk_entry *entry = pk_table_ceiling(at); entry != NULL && entry->start < end;
         entry = pk_table_ceiling(at)) {
        uintptr_t from = entry->start > start ? entry->start : start;
        uintptr_t to = entry->end < end ? entry->end : end;
        uintptr_t foreign_start, foreign_end;
        if (!(entry->flags & PK_ENTRY_INTERNAL) &&
            find_foreign(from, to, entry->backing != NULL, &foreign_start, &foreign_end)) {
            drop(foreign_start, foreign_end, &orphans);
            dropped = true;
            at = foreign_end;
        } else {
            at = to;
        }
        if (at >= end)
            break;
    }
    pk_orphans_release(&orphans);
    return dropped;
}
