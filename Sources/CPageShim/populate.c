// SPDX-License-Identifier: Apache-2.0
/*
 * populate.c - pk_populate: fault pages in now rather than on first touch.
 */
#include "internal.h"

#include <errno.h>
#include <sys/mman.h>

/* Kernels before 5.14: an atomic add of 0 to each page faults it in
 * writable without changing it. */
static void touch_pages(uintptr_t start, uintptr_t end)
{
    for (uintptr_t page = start; page < end; page += pk_page())
        __atomic_fetch_add((volatile unsigned char *)page, 0, __ATOMIC_RELAXED);
}

int pk_populate(uintptr_t address, size_t size)
{
    uintptr_t start, end;
    int error = pk_page_range(address, size, &start, &end);
    if (error || start == end)
        return error;
    /* The range must be PageKit's and writable, so that neither path faults
     * in the caller or fails half-way. */
    unsigned int current, maximum;
    if ((error = pk_protection(start, end - start, &current, &maximum)) != 0)
        return error;
    if (!(current & PK_PROT_WRITE))
        return -EACCES;
    if (pk_has(PK_FEATURE_MADV_POPULATE))
        return pk_sys_madvise(start, end - start, MADV_POPULATE_WRITE);
    touch_pages(start, end);
    return 0;
}
