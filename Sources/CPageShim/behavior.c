// SPDX-License-Identifier: Apache-2.0
/*
 * behavior.c - pk_behavior_set (mach_vm_behavior_set): Mach's access and
 * reuse advice, with Mach's meanings, over madvise.
 *
 * The access patterns (DEFAULT, RANDOM, SEQUENTIAL, RSEQNTL) are recorded
 * in the table, where region reports find them, and passed on as
 * MADV_NORMAL, MADV_RANDOM and MADV_SEQUENTIAL (Linux has no reverse
 * read-ahead: RSEQNTL is MADV_NORMAL). The rest act once:
 *
 *   WILLNEED           MADV_WILLNEED
 *   DONTNEED           Mach keeps the data: MADV_COLD, never MADV_DONTNEED
 *   FREE, REUSABLE     the data may go: MADV_FREE (shared pages keep theirs)
 *   REUSE, CAN_REUSE   nothing to undo: Linux takes MADV_FREE back on write
 *   ZERO_WIRED_PAGES   checked and accepted: freed pages are zeroed anyway
 *   PAGEOUT            MADV_PAGEOUT (release macOS kernels refuse it)
 *   ZERO               the pages read as zeros: MADV_DONTNEED on private
 *                      memory, MADV_REMOVE on PageKit's shared pages (every
 *                      view), written over where locked; refused for a
 *                      file's pages and others' shared memory
 *
 * XNU's checks come first, in its order: the value, then size 0, the range,
 * holes (PageKit's own memory counting as one), then what the advice needs
 * of the pages (ZERO_WIRED_PAGES and ZERO: writable; ZERO: not executable).
 */
#include "internal.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "segments.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif

static bool recorded(unsigned int behavior)
{
    return behavior <= PK_BEHAVIOR_RSEQNTL;
}

/* What the advice asks of each page: 0, or the first refusal in address
 * order (ENOMEM for a hole or PageKit's own memory, EACCES for a page the
 * advice may not touch). */
static int check(uintptr_t start, uintptr_t end, unsigned int behavior)
{
    pk_table_verify(start, end);
    struct pk_segments segments;
    int collected = pk_segments_collect(start, end, &segments), error = 0;
    for (size_t i = 0; i < segments.count && error == 0; i++) {
        const struct pk_segment *segment = &segments.items[i];
        if (segment->entry != NULL && (segment->entry->flags & PK_ENTRY_INTERNAL))
            error = -ENOMEM;
        else if ((behavior == PK_BEHAVIOR_ZERO_WIRED_PAGES || behavior == PK_BEHAVIOR_ZERO) &&
                 !(segment->protection & PK_PROT_WRITE))
            error = -EACCES;
        else if (behavior == PK_BEHAVIOR_ZERO && (segment->protection & PK_PROT_EXECUTE))
            error = -EACCES;
        /* A file's pages, or shared memory PageKit did not make: zeroing
         * would reach the file or the other process, and XNU zeroes only
         * anonymous objects. */
        else if (behavior == PK_BEHAVIOR_ZERO && segment->entry == NULL && !pk_segment_private_anonymous(segment))
            error = -EACCES;
    }
    pk_segments_free(&segments);
    return error != 0 ? error : collected != 0 ? -ENOMEM : 0;
}

bool pk_segment_private_anonymous(const struct pk_segment *segment)
{
    struct pk_kernel_mapping mapping;
    if (segment->entry != NULL)
        return segment->entry->backing == NULL;
    /* The heap and the stacks are private anonymous memory too, as XNU
     * sees any memory without a file behind it. */
    return pk_kernel_mapping(segment->start, &mapping) == 0 && !mapping.shared && !mapping.file;
}

int pk_zero_segment(const struct pk_segment *segment)
{
    size_t length = segment->end - segment->start;
    bool private_anonymous = pk_segment_private_anonymous(segment);
    int advice = private_anonymous ? MADV_DONTNEED : segment->entry != NULL ? MADV_REMOVE : -1;
    /* Locked pages refuse both: they are written over. */
    if (advice >= 0 && pk_sys_madvise(segment->start, length, advice) == 0)
        return 0;
    intptr_t zeros = pk_sys_mmap(0, length, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
    if (zeros < 0)
        return (int)zeros;
    int error = pk_sys_read_process(getpid(), (uintptr_t)zeros, (void *)segment->start, length);
    pk_sys_munmap((uintptr_t)zeros, length);
    return error != 0 ? -EFAULT : 0;
}

/* madvise where Linux takes the advice; advice it does not know (an older
 * kernel without MADV_COLD), a kind of memory it refuses it for (shared
 * pages and MADV_FREE; anonymous memory and MADV_WILLNEED without swap,
 * EBADF), or a kernel without madvise at all (CONFIG_ADVISE_SYSCALLS),
 * changes nothing, which each of these allows. */
static int advise(uintptr_t start, size_t length, int advice)
{
    int error = pk_sys_madvise(start, length, advice);
    return error == -EINVAL || error == -ENOSYS || error == -EBADF ? 0 : error;
}

static int act(uintptr_t start, uintptr_t end, unsigned int behavior)
{
    static const int access_advice[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_NORMAL};
    struct pk_segments segments;
    int error = pk_segments_collect(start, end, &segments);
    for (size_t i = 0; i < segments.count && error == 0; i++) {
        const struct pk_segment *segment = &segments.items[i];
        size_t length = segment->end - segment->start;
        switch (behavior) {
        case PK_BEHAVIOR_DEFAULT:
        case PK_BEHAVIOR_RANDOM:
        case PK_BEHAVIOR_SEQUENTIAL:
        case PK_BEHAVIOR_RSEQNTL: error = advise(segment->start, length, access_advice[behavior]); break;
        case PK_BEHAVIOR_WILLNEED: error = advise(segment->start, length, MADV_WILLNEED); break;
        case PK_BEHAVIOR_DONTNEED: error = advise(segment->start, length, MADV_COLD); break;
        case PK_BEHAVIOR_FREE:
        case PK_BEHAVIOR_REUSABLE:
            /* A purgeable object's pages are MADV_FREE'd by its own rules. */
            if (segment->entry == NULL || segment->entry->object == NULL)
                error = advise(segment->start, length, MADV_FREE);
            break;
        case PK_BEHAVIOR_PAGEOUT: error = advise(segment->start, length, MADV_PAGEOUT); break;
        case PK_BEHAVIOR_ZERO: error = pk_zero_segment(segment); break;
        default: break; /* REUSE, CAN_REUSE, ZERO_WIRED_PAGES */
        }
    }
    pk_segments_free(&segments);
    return error == -EAGAIN || error == -ENOMEM ? -EAGAIN : error;
}

/* The table keeps the access pattern of PageKit's entries. */
static int record(uintptr_t start, uintptr_t end, unsigned int behavior)
{
    struct pk_spares spares;
    int error = pk_spares_reserve(&spares, 2);
    if (error)
        return error;
    pk_table_clip(start, end, &spares);
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry))
        if (!(entry->flags & PK_ENTRY_INTERNAL))
            entry->flags = (uint8_t)((entry->flags & ~PK_ENTRY_BEHAVIOR_MASK) |
                                     (behavior << PK_ENTRY_BEHAVIOR_SHIFT));
    pk_table_coalesce(start, end);
    pk_spares_release(&spares);
    return 0;
}

int pk_behavior_set(uintptr_t address, size_t size, unsigned int behavior)
{
    if (behavior > PK_BEHAVIOR_LAST_VALID)
        return -EINVAL;
    if (size == 0)
        return 0;
    uintptr_t start, end;
    int error = pk_map_range(address, size, -ENOSPC, &start, &end);
    if (error)
        return error;
    error = pk_table_lock();
    if (error)
        return error;
    error = check(start, end, behavior);
    /* Recorded first: it can fail for want of memory, and then nothing
     * was advised. */
    if (error == 0 && recorded(behavior))
        error = record(start, end, behavior);
    if (error == 0)
        error = act(start, end, behavior);
    pk_table_unlock();
    return error;
}
