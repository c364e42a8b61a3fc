// SPDX-License-Identifier: Apache-2.0
/*
 * protect.c - pk_protect (vm_protect) and pk_freeze.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "segments.h"

/* What one protection change does to every segment of its range. */
struct change {
    bool set_maximum;
    bool copy;           /* PK_PROT_COPY: WRITE joins the maximum first */
    bool freeze;         /* current and maximum both become the protection */
    bool seal;           /* and the pages are mseal'd */
    unsigned int protection;
};

/* PK_PROT_COPY raises the maximum of private memory only: on XNU it gives
 * the range a private copy, which shared pages on Linux would not get, so
 * writes would reach pages the maximum was meant to keep read-only. */
static unsigned int maximum_of(const struct pk_segment *segment, const struct change *change)
{
    if (segment->entry == NULL)
        return PK_PROT_ALL;
    bool private_copy = change->copy && segment->entry->backing == NULL;
    return segment->entry->max_protection | (private_copy ? PK_PROT_WRITE : 0);
}

static unsigned int new_protection(const struct pk_segment *segment, const struct change *change)
{
    if (change->set_maximum && !change->freeze)
        return segment->protection & change->protection;
    return change->protection;
}

/* The first problem in address order, as XNU's vm_map_protect reports it.
 * -EEXIST, once nothing else is wrong: VM_PROT_COPY over permanent memory. */
static int check(const struct pk_segments *segments, int collect_error, const struct change *change)
{
    bool permanent = false;
    for (size_t i = 0; i < segments->count; i++) {
        const struct pk_entry *entry = segments->items[i].entry;
        /* To the caller, PageKit's own memory is a hole. */
        if (entry != NULL && (entry->flags & PK_ENTRY_INTERNAL))
            return -ENOMEM;
        /* Freezing lowers a maximum, which only PageKit's own memory has. */
        if (entry == NULL && change->freeze)
            return -ENOMEM;
        /* The kernel refuses any mprotect on sealed memory. */
        if (entry != NULL && (entry->flags & PK_ENTRY_SEALED))
            return -EPERM;
        if (change->protection & ~maximum_of(&segments->items[i], change))
            return -EACCES;
        permanent |= entry != NULL && (entry->flags & PK_ENTRY_PERMANENT);
    }
    if (collect_error)
        return collect_error;
    /* XNU carries out a copy-on-write protect as an overwriting remap of the
     * range, which permanent memory survives only as inaccessible pages. */
    return change->copy && permanent ? -EEXIST : 0;
}

/* Results the table decided rather than the kernel. */
static bool decided_by_table(int error)
{
    return error == -EACCES || error == -EPERM || error == -EEXIST;
}

/* ENOMEM from mprotect over a range with no hole is the kernel's limit on
 * the number of mappings (a change in the middle of a mapping splits it in
 * three): a resource shortage, not a bad address. */
static int mapping_limit(uintptr_t start, uintptr_t end, int error)
{
    return error == -ENOMEM && pk_sys_mapped(start, end - start) == 0 ? -EAGAIN : error;
}

/* One mprotect for the whole range where every segment ends up alike, else
 * one per segment; on failure every segment gets its old protection back. */
static int apply(uintptr_t start, uintptr_t end, const struct pk_segments *segments, const struct change *change)
{
    bool alike = true;
    for (size_t i = 1; i < segments->count && alike; i++)
        alike = new_protection(&segments->items[i], change) == new_protection(&segments->items[0], change);
    if (alike) {
        int error = pk_sys_mprotect(start, end - start, (int)new_protection(&segments->items[0], change));
        if (error)
            pk_segments_restore(segments, segments->count);
        return mapping_limit(start, end, error);
    }
    for (size_t i = 0; i < segments->count; i++) {
        const struct pk_segment *segment = &segments->items[i];
        int error = pk_sys_mprotect(segment->start, segment->end - segment->start,
                                    (int)new_protection(segment, change));
        if (error) {
            pk_segments_restore(segments, i);
            return mapping_limit(start, end, error);
        }
    }
    return 0;
}

static int seal(uintptr_t start, uintptr_t end, const struct pk_segments *segments)
{
    int error = pk_sys_mseal(start, end - start);
    if (error)
        pk_segments_restore(segments, segments->count);
    return error == -ENOSYS ? -EOPNOTSUPP : error;
}

/* Entries the record step will split: at most one at each end. */
static int splits_needed(uintptr_t start, uintptr_t end, const struct pk_segments *segments)
{
    const struct pk_segment *first = &segments->items[0], *last = &segments->items[segments->count - 1];
    return (first->entry != NULL && first->entry->start < start) + (last->entry != NULL && last->entry->end > end);
}

static void update(struct pk_entry *entry, const struct change *change)
{
    if (change->copy && entry->backing == NULL)
        entry->max_protection |= PK_PROT_WRITE;
    if (change->freeze) {
        entry->max_protection = entry->protection = (uint8_t)change->protection;
    } else if (change->set_maximum) {
        entry->max_protection = (uint8_t)change->protection;
        entry->protection &= (uint8_t)change->protection;
    } else {
        entry->protection = (uint8_t)change->protection;
    }
    if (change->seal)
        entry->flags |= PK_ENTRY_SEALED;
}

static void record(uintptr_t start, uintptr_t end, const struct pk_segments *segments, const struct change *change,
                   struct pk_spares *spares)
{
    /* The common case, part of one entry: no second lookup, no split when
     * nothing changes, and no merge attempt when both neighbours were just
     * split off with the old attributes. */
    if (segments->count == 1 && segments->items[0].entry != NULL) {
        struct pk_entry *entry = segments->items[0].entry, changed = *entry;
        update(&changed, change);
        if (changed.protection == entry->protection && changed.max_protection == entry->max_protection &&
            changed.flags == entry->flags)
            return;
        bool below = entry->start < start, above = entry->end > end;
        if (below)
            entry = pk_table_split(entry, start, spares);
        if (above)
            pk_table_split(entry, end, spares);
        update(entry, change);
        if (!(below && above))
            pk_table_coalesce_entry(entry);
        return;
    }
    pk_table_clip(start, end, spares);
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry))
        update(entry, change);
    pk_table_coalesce(start, end);
}

/* Permanent memory in a copy-on-write protect: made inaccessible, and the
 * range then counts as occupied. */
static int revoke(uintptr_t start, uintptr_t end)
{
    struct pk_spares spares;
    if (pk_spares_reserve(&spares, 2) != 0)
        return -ENOMEM;
    pk_permanent_revoke(start, end, &spares);
    pk_spares_release(&spares);
    return -EEXIST;
}

/* Collects the range's segments and checks the change against them. */
static int collect_and_check(uintptr_t start, uintptr_t end, const struct change *change,
                             struct pk_segments *segments)
{
    int collected = pk_segments_collect(start, end, segments);
    return check(segments, collected, change);
}

static int change(uintptr_t start, uintptr_t end, const struct change *change)
{
    struct pk_segments segments;
    int error = collect_and_check(start, end, change, &segments);
    /* Before the table refuses, or freezes what it believes it owns, it
     * must still describe the kernel. */
    if ((decided_by_table(error) || change->freeze) && pk_table_verify(start, end)) {
        pk_segments_free(&segments);
        error = collect_and_check(start, end, change, &segments);
    }
    if (error == -EEXIST) {
        error = revoke(start, end);
    } else if (error == 0) {
        struct pk_spares spares;
        error = pk_spares_reserve(&spares, splits_needed(start, end, &segments));
        if (error == 0)
            error = apply(start, end, &segments, change);
        if (error == 0 && change->seal)
            error = seal(start, end, &segments);
        if (error == 0)
            record(start, end, &segments, change, &spares);
        pk_spares_release(&spares);
    }
    pk_segments_free(&segments);
    /* The kernel found a hole the table did not know of: the table learns
     * it, and lets go of what was unmapped behind its back. */
    if (error == -ENOMEM)
        pk_table_verify(start, end);
    return error;
}

/* The commonest change: pages strictly inside one entry whose maximum
 * allows the protection, or exactly the entry's pending run. The table
 * notes it as a protection run instead of splitting the entry
 * (protection_runs.c), and nothing above the entry's own fields is read or
 * written. False when the change is not of this kind; *result is the
 * call's result otherwise. */
static inline __attribute__((always_inline)) bool change_as_run(uintptr_t start, uintptr_t end,
                                                                 const struct change *change, int *result)
{
    if (change->set_maximum || change->copy)
        return false;
    struct pk_entry *entry = pk_table_find_unsettled(start, end);
    unsigned int current;
    if (entry == NULL || (entry->flags & (PK_ENTRY_INTERNAL | PK_ENTRY_SEALED)) ||
        (change->protection & ~entry->max_protection) || !pk_run_prepare(entry, start, end, &current))
        return false;
    /* Noted before the system call, while the table is still in the
     * cache, and taken back if the call fails. */
    pk_run_record(entry, start, end, change->protection);
    int error = pk_sys_mprotect(start, end - start, (int)change->protection);
    if (error) {
        pk_run_record(entry, start, end, current);
        pk_sys_mprotect(start, end - start, (int)current);
        error = mapping_limit(start, end, error);
        if (error == -ENOMEM)
            pk_table_verify(start, end);
    }
    *result = error;
    return true;
}

/* Inline in both callers, so that the fast path's mprotect is made from
 * the caller's own frame (syscalls.h). */
static inline __attribute__((always_inline)) int change_range(uintptr_t start, uintptr_t end,
                                                             const struct change *request)
{
    int error = pk_table_lock();
    if (error)
        return error;
    if (!change_as_run(start, end, request, &error))
        error = change(start, end, request);
    pk_table_unlock();
    return error;
}

int pk_protect(uintptr_t address, size_t size, bool set_maximum, unsigned int prot)
{
    if (size == 0)
        return 0;
    uintptr_t start, end;
    if ((prot & ~(PK_PROT_ALL | PK_PROT_COPY)) != 0 || pk_page_range(address, size, &start, &end) != 0)
        return -EINVAL;
    struct change change = {
        .set_maximum = set_maximum,
        .copy = (prot & PK_PROT_COPY) != 0,
        .protection = prot & PK_PROT_ALL,
    };
    return change_range(start, end, &change);
}

int pk_freeze(uintptr_t address, size_t size, unsigned int flags)
{
    uintptr_t start, end;
    if ((flags & ~PK_FREEZE_SEALED) != 0 || size == 0 || pk_page_range(address, size, &start, &end) != 0)
        return -EINVAL;
    struct change change = {
        .set_maximum = true,
        .freeze = true,
        .seal = (flags & PK_FREEZE_SEALED) != 0,
        .protection = PK_PROT_READ,
    };
    if (change.seal && !pk_has(PK_FEATURE_MSEAL))
        return -EOPNOTSUPP;
    return change_range(start, end, &change);
}
