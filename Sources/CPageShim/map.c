// SPDX-License-Identifier: Apache-2.0
/*
 * map.c - pk_map (mach_vm_map) and pk_remap (mach_vm_remap and
 * mach_vm_remap_new).
 *
 * Both place a range as pk_allocate does (anywhere, with an alignment
 * mask; fixed; fixed over what is there), reserve it with inaccessible
 * private memory, and then put the pages there: a backing mapped
 * MAP_SHARED for an alias, or private memory holding a copy.
 */
#include "internal.h"

#include <pagekit/sharing.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory_entry.h"
#include "segments.h"

/* Where the new pages go, and what they are. */
struct target {
    uintptr_t start, length;
    uint64_t mask;
    unsigned int flags;
};

/* What goes in the target, per piece: a backing at a byte offset (shared,
 * or copied when private is set), or zero-filled memory. */
struct piece {
    struct pk_backing *backing;
    uint64_t offset;
    bool private_copy;
    unsigned int protection, max_protection;
    struct pk_object *object; /* anonymous purgeable memory */
    uintptr_t source;          /* a private copy of this process's pages, if not 0 */
};

/* The smallest power of two above every bit of mask and of a page. */
static uintptr_t alignment_for(uint64_t mask)
{
    uint64_t bits = mask | (pk_page() - 1);
    return bits == UINT64_MAX ? 0 : (uintptr_t)1 << (64 - __builtin_clzll(bits));
}

/* Inaccessible private memory of length bytes that does not overlap
 * [start, start + length), where an overwrite is filled before it moves
 * there (mremap cannot move pages onto a range that overlaps theirs): its
 * start, or a negative errno. The kernel may place it in a hole of the
 * target; held there, it makes the next try land elsewhere, and two such
 * (one over each end of the target) are as many as can be disjoint. */
static intptr_t reserve_aside(uintptr_t start, size_t length)
{
    int anonymous = MAP_PRIVATE | MAP_ANONYMOUS;
    intptr_t held[2];
    int count = 0;
    intptr_t aside;
    for (;;) {
        aside = pk_sys_mmap(0, length, PROT_NONE, anonymous);
        if (aside < 0 || (uintptr_t)aside >= start + length || (uintptr_t)aside + length <= start || count == 2)
            break;
        held[count++] = aside;
    }
    while (count > 0)
        pk_sys_munmap((uintptr_t)held[--count], length);
    return aside;
}

/* Reserves the target with inaccessible private memory: its start, or a
 * negative errno (ENOMEM no room or out of range, EEXIST occupied or
 * misaligned, EPERM sealed). An overwrite is reserved aside instead, once
 * its range may be replaced: place() fills it there and moves it over the
 * old memory only when every piece is ready, so a failure leaves the old
 * memory as it was. */
static intptr_t reserve(const struct target *target, struct pk_spares *spares)
{
    int anonymous = MAP_PRIVATE | MAP_ANONYMOUS;
    if (target->flags & PK_ALLOC_ANYWHERE) {
        uintptr_t alignment = alignment_for(target->mask);
        if (alignment == 0)
            return -ENOMEM;
        return alignment > pk_page() ? pk_map_aligned(target->length, alignment, PROT_NONE)
                                     : pk_sys_mmap(0, target->length, PROT_NONE, anonymous);
    }
    uintptr_t start = target->start;
    if (start & target->mask)
        return -EEXIST;
    if (start < pk_min_address() || start > pk_max_address() || target->length > pk_max_address() - start)
        return -ENOMEM;
    if (!(target->flags & PK_ALLOC_OVERWRITE)) {
        intptr_t mapped = pk_sys_mmap(start, target->length, PROT_NONE, anonymous | MAP_FIXED_NOREPLACE);
        if (mapped >= 0 && (uintptr_t)mapped != start) {
            pk_sys_munmap((uintptr_t)mapped, target->length);
            return -EEXIST;
        }
        return mapped;
    }
    int error = pk_check_overwrite(start, start + target->length, spares);
    return error ? error : reserve_aside(start, target->length);
}

/* Moves the filled pieces from where they were made over the target, one
 * mremap each (a piece is one kernel mapping; mremap moves no more). Only
 * the first move can fail without a trace: after a later failure the
 * target is neither old nor new, so it is cleared, as XNU's overwrite
 * leaves a range it could not fill. */
static int move_over(uintptr_t from, uintptr_t to, size_t total, const size_t *lengths, size_t count, bool *cleared)
{
    size_t done = 0;
    *cleared = false;
    for (size_t i = 0; i < count; done += lengths[i++]) {
        int error = pk_sys_move(from + done, lengths[i], to + done);
        if (error) {
            pk_sys_munmap(from + done, total - done);
            *cleared = done > 0 && pk_sys_munmap(to, total) == 0;
            return error;
        }
    }
    return 0;
}

/* Puts a piece's pages at [at, at + length). */
static int fill(uintptr_t at, size_t length, const struct piece *piece)
{
    if (piece->source != 0) {
        int error = pk_sys_mprotect(at, length, PROT_READ | PROT_WRITE);
        if (error == 0)
            error = pk_copy_pages(piece->source, piece->source + length, at);
        return error ? error : pk_sys_mprotect(at, length, (int)piece->protection);
    }
    if (piece->backing == NULL)
        return pk_sys_mprotect(at, length, (int)piece->protection);
    if (!piece->private_copy) {
        intptr_t mapped = pk_sys_mmap_file(at, length, (int)piece->protection, MAP_SHARED | MAP_FIXED,
                                           piece->backing->fd, piece->offset);
        return mapped < 0 ? (int)mapped : 0;
    }
    int error = pk_sys_mprotect(at, length, PROT_READ | PROT_WRITE);
    if (error == 0)
        error = pk_sys_pread_all(piece->backing->fd, (void *)at, length, piece->offset);
    return error ? error : pk_sys_mprotect(at, length, (int)piece->protection);
}

/* Records [start, start + length) as one new allocation's entry. */
static void record(uintptr_t start, size_t length, const struct piece *piece, unsigned int flags,
                   unsigned int inheritance, uint32_t allocation, struct pk_spares *spares, struct pk_orphans *orphans)
{
    pk_table_remove_range(start, start + length, spares, orphans);
    struct pk_entry *entry = pk_spares_take(spares);
    struct pk_backing *backing = piece->private_copy || piece->source != 0 ? NULL : piece->backing;
    *entry = (struct pk_entry){
        .start = start,
        .end = start + length,
        .allocation = allocation,
        .object = piece->object,
        .backing = backing,
        .backing_page = backing != NULL ? (uint32_t)(piece->offset / pk_page()) : 0,
        .flags = pk_entry_flags(flags),
        .protection = (uint8_t)piece->protection,
        .max_protection = (uint8_t)piece->max_protection,
        .inheritance = PK_INHERIT_COPY,
        .tag = (uint8_t)(flags >> 24),
    };
    if (entry->object != NULL) {
        entry->object->start = entry->start;
        entry->object->end = entry->end;
        pk_objects_insert(entry->object);
    }
    pk_table_insert(entry);
    entry->inheritance = (uint8_t)inheritance;
    pk_fork_advice(entry);
    if (entry->tag != 0)
        pk_names_apply(entry->start, entry->end);
}

/* Places the target and fills it piece by piece: count pieces, each
 * lengths[i] bytes. On failure nothing is left of the target. */
static int place(struct target *target, const struct piece *pieces, const size_t *lengths, size_t count,
                 unsigned int inheritance, uintptr_t *placed)
{
    struct pk_spares spares;
    struct pk_orphans orphans = PK_ORPHANS_INITIALIZER(orphans);
    int error = pk_spares_reserve(&spares, 3);
    intptr_t start = error ? error : reserve(target, &spares);
    pk_spares_release(&spares);
    if (start < 0)
        return (int)start;
    uintptr_t at = (uintptr_t)start;
    for (size_t i = 0; i < count && error == 0; at += lengths[i++])
        error = fill(at, lengths[i], &pieces[i]);
    if (error) {
        pk_sys_munmap((uintptr_t)start, target->length);
        return error;
    }
    bool staged = !(target->flags & PK_ALLOC_ANYWHERE) && (target->flags & PK_ALLOC_OVERWRITE);
    if (staged) {
        bool cleared;
        error = move_over((uintptr_t)start, target->start, target->length, lengths, count, &cleared);
        start = (intptr_t)target->start;
        /* A move that failed halfway cleared the target: the table forgets
         * what was there (without spares, drop() in the next verify does). */
        if (cleared && pk_spares_reserve(&spares, 2) == 0) {
            pk_table_remove_range(target->start, target->start + target->length, &spares, &orphans);
            pk_spares_release(&spares);
            pk_orphans_release(&orphans);
        }
        if (error)
            return error;
    }
    /* The range is the kernel's now; recording it cannot fail for want of
     * entries, which are taken before each record. */
    uint32_t allocation = pk_table_new_allocation();
    at = (uintptr_t)start;
    for (size_t i = 0; i < count; at += lengths[i++]) {
        if (pk_spares_reserve(&spares, 3) != 0)
            abort();
        record(at, lengths[i], &pieces[i], target->flags, inheritance, allocation, &spares, &orphans);
        pk_spares_release(&spares);
    }
    pk_table_coalesce((uintptr_t)start, (uintptr_t)start + target->length);
    pk_orphans_release(&orphans);
    *placed = (uintptr_t)start;
    return 0;
}

/* Private memory just placed that a child must share moves onto shared
 * pages now, by vm_inherit's rules (purgeable memory cannot be shared);
 * if it cannot, the placed range goes again. */
static int share_placed(uintptr_t placed, size_t length, unsigned int inheritance)
{
    if (inheritance != PK_INHERIT_SHARE)
        return 0;
    int error = pk_inherit_locked(placed, length, PK_INHERIT_SHARE);
    if (error) {
        struct pk_orphans orphans = PK_ORPHANS_INITIALIZER(orphans);
        struct pk_spares spares = {0};
        if (pk_spares_reserve(&spares, 2) == 0 && pk_sys_munmap(placed, length) == 0)
            pk_table_remove_range(placed, placed + length, &spares, &orphans);
        pk_spares_release(&spares);
        pk_orphans_release(&orphans);
    }
    return error;
}

static bool valid_protection(unsigned int protection, unsigned int allowed)
{
    return (protection & ~allowed) == 0;
}

static int map_entry(uintptr_t *address, uint64_t size, uint64_t mask, unsigned int flags, pk_entry_name_t name,
                     uint64_t offset, bool copy, unsigned int cur, unsigned int max, unsigned int inheritance)
{
    struct pk_memory_entry *entry = NULL;
    if (name != 0 && (entry = pk_memory_entry_lookup(name)) == NULL)
        return -EBADF;
    bool is_mask = ((cur | max) & PK_PROT_IS_MASK) != 0;
    cur &= PK_PROT_ALL;
    max &= PK_PROT_ALL;
    uintptr_t data_offset = 0;
    if (entry != NULL) {
        if (flags & (PK_ALLOC_RETURN_DATA_ADDR | PK_ALLOC_RETURN_4K_DATA_ADDR)) {
            if (offset > UINT64_MAX - entry->data_offset)
                return -EINVAL;
            offset += entry->data_offset;
            data_offset = offset & (pk_page() - 1);
            offset -= data_offset;
        } else if (offset & (pk_page() - 1)) {
            return -EINVAL;
        }
        if (is_mask) {
            max &= entry->protection;
            cur &= entry->protection;
        }
        if (!valid_protection(max, entry->protection) || !valid_protection(cur, entry->protection))
            return -EACCES;
        if (offset > entry->size || data_offset > entry->size - offset ||
            size > entry->size - offset - data_offset)
            return -EINVAL;
        if (flags & (PK_ALLOC_PURGEABLE | PK_ALLOC_SUPERPAGE_MASK))
            return -EINVAL;
    }
    uintptr_t length;
    if (!pk_round(size + data_offset, &length) || length == 0)
        return -EINVAL;
    struct target target = {.start = pk_trunc(*address), .length = length, .mask = mask, .flags = flags};
    struct piece piece = {
        .backing = entry != NULL ? entry->backing : NULL,
        .offset = entry != NULL ? entry->offset + offset : 0,
        .private_copy = copy && entry != NULL,
        .protection = cur,
        .max_protection = max,
    };
    if (entry == NULL && (flags & PK_ALLOC_PURGEABLE) && (piece.object = pk_object_create(length)) == NULL)
        return -ENOMEM;
    uintptr_t placed;
    int error = place(&target, &piece, &target.length, 1, inheritance, &placed);
    if (error) {
        pk_object_destroy(piece.object);
        return error;
    }
    if ((error = share_placed(placed, length, inheritance)) != 0)
        return error;
    *address = placed + ((flags & (PK_ALLOC_RETURN_DATA_ADDR | PK_ALLOC_RETURN_4K_DATA_ADDR)) ? data_offset : 0);
    return 0;
}

int pk_map(uintptr_t *address, uint64_t size, uint64_t mask, unsigned int flags, pk_entry_name_t entry,
           uint64_t offset, bool copy, unsigned int cur, unsigned int max, unsigned int inheritance)
{
    if (address == NULL || (flags & ~PK_MAP_ACCEPTED) != 0)
        return -EINVAL;
    unsigned int allowed = PK_PROT_ALL | PK_PROT_IS_MASK;
    if (!valid_protection(cur, allowed) || !valid_protection(max, allowed))
        return -EINVAL;
    /* Mach's compatibility rule: a current protection above the maximum is
     * cut down to it, not refused. */
    cur &= max | PK_PROT_IS_MASK;
    if (inheritance > PK_INHERIT_LAST_VALID || size == 0)
        return -EINVAL;
    if (!(flags & PK_ALLOC_ANYWHERE) && *address > UINT64_MAX - size)
        return -EINVAL;
    if (entry != 0 && offset > UINT64_MAX - size)
        return -EINVAL;
    int error = pk_table_lock();
    if (error)
        return error;
    uintptr_t where = *address;
    error = map_entry(&where, size, mask, flags, entry, offset, copy, cur, max, inheritance);
    pk_table_unlock();
    if (error == 0)
        *address = where;
    return error;
}

/* The source's segments, all mapped (else EFAULT), and what they share. */
static int collect_source(uintptr_t start, uintptr_t end, struct pk_segments *segments, unsigned int *cur,
                          unsigned int *max)
{
    pk_table_verify(start, end);
    int error = pk_segments_collect(start, end, segments);
    *cur = *max = PK_PROT_ALL;
    for (size_t i = 0; error == 0 && i < segments->count; i++) {
        const struct pk_segment *segment = &segments->items[i];
        if (segment->entry != NULL && (segment->entry->flags & PK_ENTRY_INTERNAL))
            error = -ENOMEM;
        *cur &= segment->protection;
        *max &= segment->entry != NULL ? segment->entry->max_protection : PK_PROT_ALL;
    }
    return error == -ENOMEM ? -EFAULT : error;
}

/* An alias needs the source on shared pages: it moves there if private. */
static int share_source(uintptr_t start, uintptr_t end, const struct pk_segments *segments)
{
    for (size_t i = 0; i < segments->count; i++) {
        const struct pk_entry *entry = segments->items[i].entry;
        if (entry == NULL || entry->object != NULL)
            return -EOPNOTSUPP;
        if ((entry->flags & PK_ENTRY_SEALED) && entry->backing == NULL)
            return -EPERM;
    }
    return pk_share_private_runs(start, end);
}

/* One piece per source entry (or foreign run): its pages, shared or
 * copied, with the protections the call gives them. A copy is made
 * straight into the target, unless the target may overlap the source: then
 * the source is read once, into *snapshot, which the caller closes after
 * placing. */
static int build_pieces(uintptr_t start, uintptr_t end, bool copy, bool snapshot_first, bool legacy,
                        unsigned int cur, unsigned int max, struct piece **pieces, size_t **lengths, size_t *count,
                        struct pk_backing **snapshot)
{
    struct pk_segments segments;
    int error = pk_segments_collect(start, end, &segments);
    *pieces = error ? NULL : calloc(segments.count, sizeof **pieces);
    *lengths = error ? NULL : calloc(segments.count, sizeof **lengths);
    if (error == 0 && (*pieces == NULL || *lengths == NULL))
        error = -ENOMEM;
    *count = error ? 0 : segments.count;
    *snapshot = NULL;
    if (error == 0 && copy && snapshot_first && (*snapshot = pk_backing_create(end - start, &error)) != NULL)
        error = pk_copy_pages_to_file(start, end, (*snapshot)->fd, 0);
    for (size_t i = 0; error == 0 && i < segments.count; i++) {
        const struct pk_segment *segment = &segments.items[i];
        const struct pk_entry *entry = segment->entry;
        (*lengths)[i] = segment->end - segment->start;
        (*pieces)[i] = (struct piece){
            .backing = copy ? *snapshot : entry->backing,
            .offset = copy ? segment->start - start
                           : (uint64_t)entry->backing_page * pk_page() + (segment->start - entry->start),
            .private_copy = copy,
            .source = copy && !snapshot_first ? segment->start : 0,
            .protection = legacy ? segment->protection : cur,
            .max_protection = legacy ? (entry != NULL ? entry->max_protection : PK_PROT_ALL) : max,
        };
    }
    pk_segments_free(&segments);
    return error;
}

static int remap(uintptr_t *target, uint64_t size, uint64_t mask, unsigned int flags, uintptr_t source, bool copy,
                 unsigned int *cur, unsigned int *max, unsigned int inheritance, bool legacy)
{
    uintptr_t start, end;
    if (pk_page_range(source, size, &start, &end) != 0 || end == start)
        return -EINVAL;
    struct pk_segments segments;
    unsigned int shared_cur, shared_max;
    int error = collect_source(start, end, &segments, &shared_cur, &shared_max);
    for (size_t i = 0; error == 0 && !legacy && i < segments.count; i++) {
        const struct pk_segment *segment = &segments.items[i];
        unsigned int entry_max = segment->entry != NULL ? segment->entry->max_protection : PK_PROT_ALL;
        if (copy ? !(entry_max & PK_PROT_READ)
                 : (*cur & ~segment->protection) != 0 || (*max & ~entry_max) != 0)
            error = -EACCES;
    }
    if (error == 0 && !copy)
        error = share_source(start, end, &segments);
    pk_segments_free(&segments);
    if (error)
        return error;
    struct piece *pieces;
    size_t *lengths, count;
    struct pk_backing *snapshot;
    /* Only a fixed target can overlap its source. */
    bool overlap = !(flags & PK_ALLOC_ANYWHERE) && pk_trunc(*target) < end && start < pk_trunc(*target) + (end - start);
    error = build_pieces(start, end, copy, overlap, legacy, *cur, *max, &pieces, &lengths, &count, &snapshot);
    struct target placement = {.start = pk_trunc(*target), .length = end - start, .mask = mask, .flags = flags};
    uintptr_t placed = 0;
    if (error == 0)
        error = place(&placement, pieces, lengths, count, inheritance, &placed);
    free(pieces);
    free(lengths);
    if (snapshot != NULL)
        pk_backing_close(snapshot);
    if (error == 0)
        error = share_placed(placed, end - start, inheritance);
    if (error)
        return error;
    if (legacy) {
        *cur = shared_cur;
        *max = shared_max;
    }
    bool data_address = !legacy || (flags & PK_ALLOC_RETURN_DATA_ADDR);
    *target = placed + (data_address ? source - start : 0);
    return 0;
}

int pk_remap(uintptr_t *target, uint64_t size, uint64_t mask, unsigned int flags, uintptr_t source, bool copy,
             unsigned int *cur, unsigned int *max, unsigned int inheritance, bool legacy)
{
    if (target == NULL || cur == NULL || max == NULL || (flags & ~PK_REMAP_ACCEPTED) != 0)
        return -EINVAL;
    unsigned int want_cur = legacy ? PK_PROT_NONE : *cur, want_max = legacy ? PK_PROT_NONE : *max;
    if (!legacy) {
        if (!valid_protection(want_cur, PK_PROT_ALL) || !valid_protection(want_max, PK_PROT_ALL) ||
            !valid_protection(want_cur, want_max))
            return -EINVAL;
        if ((want_max & (PK_PROT_WRITE | PK_PROT_EXECUTE)) == (PK_PROT_WRITE | PK_PROT_EXECUTE))
            return -EACCES;
    }
    if (inheritance > PK_INHERIT_LAST_VALID || size == 0)
        return -EINVAL;
    if ((flags & PK_ALLOC_RESILIENT_MEDIA) && !copy)
        return -EINVAL;
    int error = pk_table_lock();
    if (error)
        return error;
    uintptr_t where = *target;
    error = remap(&where, size, mask, flags, source, copy, &want_cur, &want_max, inheritance, legacy);
    pk_table_unlock();
    if (error == 0) {
        *target = where;
        *cur = want_cur;
        *max = want_max;
    }
    return error;
}
