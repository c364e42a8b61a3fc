// SPDX-License-Identifier: Apache-2.0
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

/* The top of the default user address space: mmap only goes above it when
 * asked to with a hint (x86-64 five-level paging, arm64 52-bit VAs). */
#if defined(__x86_64__)
#define DEFAULT_ADDRESS_BITS 47
#else
#define DEFAULT_ADDRESS_BITS 48
#endif

/* Both are computed on first use; a race computes the same values twice. */
size_t pk_known_page_size;
static uintptr_t min_address;

static uintptr_t read_mmap_min_addr(void)
{
    unsigned long value = 0;
    FILE *file = fopen("/proc/sys/vm/mmap_min_addr", "re");
    if (file != NULL) {
        if (fscanf(file, "%lu", &value) != 1)
            value = 0;
        fclose(file);
    }
    return value;
}

size_t pk_page_size(void)
{
    size_t size = __atomic_load_n(&pk_known_page_size, __ATOMIC_RELAXED);
    if (size == 0) {
        size = (size_t)sysconf(_SC_PAGESIZE);
        __atomic_store_n(&pk_known_page_size, size, __ATOMIC_RELAXED);
    }
    return size;
}

uintptr_t pk_min_address(void)
{
    uintptr_t minimum = __atomic_load_n(&min_address, __ATOMIC_RELAXED);
    if (minimum == 0) {
        uintptr_t page = pk_page(), kernel_minimum = read_mmap_min_addr();
        minimum = kernel_minimum > page ? (kernel_minimum + page - 1) & ~(page - 1) : page;
        __atomic_store_n(&min_address, minimum, __ATOMIC_RELAXED);
    }
    return minimum;
}

uintptr_t pk_max_address(void)
{
    return (uintptr_t)1 << DEFAULT_ADDRESS_BITS;
}

int pk_page_range(uintptr_t address, size_t size, uintptr_t *start, uintptr_t *end)
{
    if (address > UINTPTR_MAX - size)
        return -EINVAL;
    if (!pk_round(address + size, end))
        return -EINVAL;
    *start = pk_trunc(address);
    return 0;
}
