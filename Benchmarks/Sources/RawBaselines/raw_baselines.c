// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE
#include "raw_baselines.h"

#include <pagekit/pagekit.h>

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

static void *map_or_die(size_t size)
{
    void *region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        abort();
    return region;
}

void raw_lifecycle(size_t size)
{
    void *region = map_or_die(size);
    *(volatile char *)region = 1;
    munmap(region, size);
}

void raw_freeze_lifecycle(size_t size)
{
    void *region = map_or_die(size);
    *(volatile char *)region = 1;
    mprotect(region, size, PROT_READ);
    munmap(region, size);
}

void *raw_map(size_t size)
{
    return map_or_die(size);
}

void raw_unmap(void *region, size_t size)
{
    munmap(region, size);
}

void raw_protect_round_trip(void *page, size_t page_size)
{
    mprotect(page, page_size, PROT_READ);
    mprotect(page, page_size, PROT_READ | PROT_WRITE);
}

int raw_protect(void *address, size_t size, int prot)
{
    return mprotect(address, size, prot);
}

void raw_free_and_store(void *region, size_t size, size_t page_size)
{
    madvise(region, size, MADV_FREE);
    for (uintptr_t at = (uintptr_t)region; at < (uintptr_t)region + size; at += page_size)
        *(volatile uintptr_t *)at = at;
}

void c_pagekit_lifecycle(size_t size)
{
    uintptr_t region = 0;
    if (pk_allocate(&region, size, PK_ALLOC_ANYWHERE, NULL) != 0)
        abort();
    *(volatile char *)region = 1;
    pk_deallocate(region, size);
}

void c_pagekit_freeze_lifecycle(size_t size)
{
    uintptr_t region = 0;
    if (pk_allocate(&region, size, PK_ALLOC_ANYWHERE, NULL) != 0)
        abort();
    *(volatile char *)region = 1;
    if (pk_freeze(region, size, 0) != 0)
        abort();
    pk_deallocate(region, size);
}

void c_pagekit_protect_round_trip(uintptr_t page, size_t page_size)
{
    if (pk_protect(page, page_size, false, PK_PROT_READ) != 0 ||
        pk_protect(page, page_size, false, PK_PROT_DEFAULT) != 0)
        abort();
}

uintptr_t c_pagekit_purgeable(size_t size)
{
    uintptr_t region = 0;
    return pk_allocate(&region, size, PK_ALLOC_ANYWHERE | PK_ALLOC_PURGEABLE, NULL) == 0 ? region : 0;
}

void c_pagekit_release(uintptr_t region, size_t size)
{
    pk_deallocate(region, size);
}

int c_pagekit_volatile_cycle(uintptr_t region)
{
    int state = PK_PURGEABLE_VOLATILE;
    if (pk_purgeable_control(region, PK_PURGEABLE_SET_STATE, &state) != 0)
        abort();
    state = PK_PURGEABLE_NONVOLATILE;
    if (pk_purgeable_control(region, PK_PURGEABLE_SET_STATE, &state) != 0)
        abort();
    return state;
}

int c_pagekit_protect(uintptr_t address, size_t size, unsigned int protection)
{
    return pk_protect(address, size, false, protection);
}

uintptr_t c_pagekit_allocate(size_t size)
{
    uintptr_t region = 0;
    if (pk_allocate(&region, size, PK_ALLOC_ANYWHERE, NULL) != 0)
        abort();
    return region;
}

void c_pagekit_deallocate(uintptr_t address, size_t size)
{
    pk_deallocate(address, size);
}
