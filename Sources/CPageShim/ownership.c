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
    static const char memfd_name[] = "/memfd:" PK_BACKING_NAME " ";
    return mapping->shared && strncmp(mapping->name, memfd_name, sizeof memfd_name - 1) == 0;
}

/* What find_change found in a range. */
enum change { UNCHANGED, FOREIGN, PROTECTION };

/* The first part of [start, end) that the kernel maps as something other
 * than what PageKit mapped there, or does not map at all (FOREIGN); or,
 * failing that, the first part it maps as PageKit did but with another
 * protection than recorded (PROTECTION, in *protection): a raw mprotect,
 * or a stranger mapped exactly where PageKit's pages were. */
static enum change find_change(uintptr_t start, uintptr_t end, bool shared, unsigned int recorded,
                               uintptr_t *change_start, uintptr_t *change_end, unsigned int *protection)
{
    uintptr_t at = start;
    while (at < end) {
        struct pk_kernel_mapping mapping;
        int error = pk_kernel_mapping(at, &mapping);
        /* Another failure says nothing about ownership: keep the entry. */
        if (error != 0 && error != -ENOMEM)
            return UNCHANGED;
        *change_start = at;
        if (error == -ENOMEM || mapping.start >= end) {
            *change_end = end;
            return FOREIGN;
        }
        if (mapping.start > at) {
            *change_end = mapping.start;
            return FOREIGN;
        }
        uintptr_t stop = mapping.end < end ? mapping.end : end;
        *change_end = stop;
        if (!looks_like(&mapping, shared))
            return FOREIGN;
        if (mapping.protection != recorded) {
            *protection = mapping.protection;
            return PROTECTION;
        }
        at = stop;
    }
    return UNCHANGED;
}

/* The kernel's protection becomes the table's for [start, end): what the
 * pages allow is what PageKit must go by when it reads or writes them.
 * False if there was no memory to split the entries: nothing changed. */
static bool adopt(uintptr_t start, uintptr_t end, unsigned int protection)
{
    struct pk_spares spares;
    if (pk_spares_reserve(&spares, 2) != 0)
        return false;
    pk_table_clip(start, end, &spares);
    /* The kernel allows what it maps: a maximum below it (a record of
     * pages since replaced by a stranger's) rises to include it. */
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        entry->protection = (uint8_t)protection;
        entry->max_protection |= (uint8_t)protection;
    }
    pk_table_coalesce(start, end);
    pk_spares_release(&spares);
    return true;
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
    bool changed = false;
    uintptr_t at = start;
    for (struct pk_entry *entry = pk_table_ceiling(at); entry != NULL && entry->start < end;
         entry = pk_table_ceiling(at)) {
        uintptr_t from = entry->start > start ? entry->start : start;
        uintptr_t to = entry->end < end ? entry->end : end;
        uintptr_t change_start = from, change_end = to;
        unsigned int protection = 0;
        enum change change = (entry->flags & PK_ENTRY_INTERNAL)
                                 ? UNCHANGED
                                 : find_change(from, to, entry->backing != NULL, entry->protection, &change_start,
                                               &change_end, &protection);
        /* Callers look again when something changed, so a protection that
         * could not be adopted must not count as a change. */
        if (change == FOREIGN) {
            drop(change_start, change_end, &orphans);
            changed = true;
        } else if (change == PROTECTION && adopt(change_start, change_end, protection)) {
            changed = true;
        }
        at = change != UNCHANGED ? change_end : to;
        if (at >= end)
            break;
    }
    pk_orphans_release(&orphans);
    return changed;
}
