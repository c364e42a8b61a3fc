// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE
#include "raw_baselines.h"

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

void raw_free_and_store(void *region, size_t size, size_t page_size)
{
    madvise(region, size, MADV_FREE);
    for (uintptr_t at = (uintptr_t)region; at < (uintptr_t)region + size; at += page_size)
        *(volatile uintptr_t *)at = at;
}
