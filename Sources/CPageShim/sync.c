// SPDX-License-Identifier: Apache-2.0
/*
 * sync.c - pk_msync (mach_vm_msync) and pk_cache_attribute
 * (mach_vm_machine_attribute): writing pages back, dropping them, and the
 * caches.
 *
 * mach_vm_msync's flags act on each mapped part of the range, as XNU's do:
 * SYNCHRONOUS and ASYNCHRONOUS write file pages back (msync MS_SYNC,
 * MS_ASYNC), INVALIDATE drops cached copies (MS_INVALIDATE), KILLPAGES
 * discards private anonymous pages (they read as zeros again; shared
 * pages and a file's are left, as XNU leaves them), DEACTIVATE ages them
 * (MADV_COLD), REUSABLEPAGES lets the kernel take them (MADV_FREE). Holes
 * are passed over, unless CONTIGUOUS asks for none: PageKit checks that
 * before it does anything, so that refusal changes nothing.
 *
 * mach_vm_machine_attribute knows MATTR_CACHE only, and on XNU it does
 * what the machine needs: on x86-64 XNU has no cache operation for a page,
 * and any resident page in the range gives KERN_INVALID_ADDRESS; on arm64
 * the instruction cache is made to see the data (as the JIT flush).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "segments.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif

/* Calls visit on each mapped piece of [start, end), in order, passing over
 * holes (PageKit's own memory is one), or stopping at the first when
 * stop_at_hole; *hole says whether there was one. */
static int for_each_mapped(uintptr_t start, uintptr_t end, bool stop_at_hole,
                           int (*visit)(const struct pk_segment *, unsigned int), unsigned int flags, bool *hole)
{
    *hole = false;
    for (uintptr_t at = start; at < end;) {
        struct pk_segments segments;
        int collected = pk_segments_collect(at, end, &segments), error = 0;
        uintptr_t reached = at;
        bool internal = false;
        for (size_t i = 0; i < segments.count; i++) {
            const struct pk_segment *segment = &segments.items[i];
            reached = segment->end;
            if (segment->entry != NULL && (segment->entry->flags & PK_ENTRY_INTERNAL)) {
                internal = true;
                break;
            }
            if (visit != NULL && (error = visit(segment, flags)) != 0)
                break;
        }
        uintptr_t gap = segments.hole;
        pk_segments_free(&segments);
        if (error)
            return error;
        if (!internal && collected == 0)
            return 0;
        *hole = true;
        if (stop_at_hole)
            return 0;
        if (internal) {
            at = reached;
            continue;
        }
        struct pk_kernel_mapping mapping;
        if (pk_kernel_mapping(gap, &mapping) != 0 || mapping.start >= end)
            return 0;
        at = mapping.start;
    }
    return 0;
}

static int sync_segment(const struct pk_segment *segment, unsigned int flags)
{
    size_t length = segment->end - segment->start;
    int error = 0;
    if (flags & (PK_SYNC_SYNCHRONOUS | PK_SYNC_ASYNCHRONOUS | PK_SYNC_INVALIDATE)) {
        int how = (flags & PK_SYNC_SYNCHRONOUS) ? MS_SYNC : MS_ASYNC;
        error = pk_sys_msync(segment->start, length, how | ((flags & PK_SYNC_INVALIDATE) ? MS_INVALIDATE : 0));
    }
    /* Private anonymous pages' data goes: they read as zeros again. As on
     * XNU, pages that are shared, or a file's, are not killed; and pages
     * that can neither be dropped nor written keep theirs. */
    if (error == 0 && (flags & PK_SYNC_KILLPAGES) && pk_segment_private_anonymous(segment) &&
        pk_zero_segment(segment) != 0 && (segment->protection & PK_PROT_WRITE))
        error = -EAGAIN;
    if (error == 0 && (flags & PK_SYNC_DEACTIVATE) && pk_sys_madvise(segment->start, length, MADV_COLD) == -EAGAIN)
        error = -EAGAIN;
    if (error == 0 && (flags & PK_SYNC_REUSABLEPAGES) && (segment->entry == NULL || segment->entry->object == NULL) &&
        pk_sys_madvise(segment->start, length, MADV_FREE) == -EAGAIN)
        error = -EAGAIN;
    return error == -EBUSY ? -EAGAIN : error;
}

int pk_msync(uintptr_t address, size_t size, unsigned int flags)
{
    if (size == 0)
        return 0;
    if ((flags & PK_SYNC_SYNCHRONOUS) && (flags & PK_SYNC_ASYNCHRONOUS))
        return -EINVAL;
    uintptr_t start, end;
    if (pk_page_range(address, size, &start, &end) != 0)
        return -EFAULT;
    int error = pk_table_lock();
    if (error)
        return error;
    pk_table_verify(start, end);
    bool hole = false;
    bool killing = (flags & PK_SYNC_KILLPAGES) != 0;
    if (flags & PK_SYNC_CONTIGUOUS) {
        for_each_mapped(start, end, killing, NULL, 0, &hole);
        error = hole ? -ENOMEM : 0;
    }
    if (error == 0)
        error = for_each_mapped(start, end, killing, sync_segment, flags, &hole);
    pk_table_unlock();
    return error;
}

#if defined(__x86_64__)
/* Whether any page of the segment is in memory. */
static int find_resident(const struct pk_segment *segment, unsigned int unused)
{
    (void)unused;
    size_t pages = (segment->end - segment->start) / pk_page();
    unsigned char *vector = malloc(pages);
    if (vector == NULL)
        return -ENOMEM;
    int error = pk_sys_mincore(segment->start, segment->end - segment->start, vector);
    bool resident = false;
    for (size_t i = 0; error == 0 && i < pages && !resident; i++)
        resident = vector[i] & 1;
    free(vector);
    return error != 0 ? error : resident ? -EEXIST : 0;
}
#else
static int sync_caches(const struct pk_segment *segment, unsigned int unused)
{
    (void)unused;
    if (segment->protection & PK_PROT_READ)
        __builtin___clear_cache((char *)segment->start, (char *)segment->end);
    return 0;
}
#endif

int pk_cache_attribute(uintptr_t address, size_t size, unsigned int attribute, int *value)
{
    (void)value; /* XNU never looks at it */
    if (size == 0)
        return 0;
    uintptr_t start, end;
    int error = pk_map_range(address, size, -EFAULT, &start, &end);
    if (error)
        return error;
    if (attribute != PK_MATTR_CACHE)
        return -EFAULT;
    error = pk_table_lock();
    if (error)
        return error;
    pk_table_verify(start, end);
    bool hole = false;
    error = for_each_mapped(start, end, true, NULL, 0, &hole);
    if (error == 0 && hole)
        error = -ENXIO;
#if defined(__x86_64__)
    if (error == 0) {
        error = for_each_mapped(start, end, true, find_resident, 0, &hole);
        if (error == -EEXIST)
            error = -EFAULT;
    }
#else
    if (error == 0)
        error = for_each_mapped(start, end, true, sync_caches, 0, &hole);
#endif
    pk_table_unlock();
    return error;
}
