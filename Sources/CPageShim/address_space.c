// SPDX-License-Identifier: Apache-2.0
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

/* The top of the default user address space: mmap only goes above it when
 * asked to with a hint (x86-64 five-level paging, arm64 52-bit VAs). On
 * x86-64 it is 2^47; arm64 kernels choose 39, 42, 47 or 48 bits with their
 * page size, so there it is read from where the kernel put the main
 * stack's top: the power of two just above the program's file name, which
 * the kernel writes there (stack randomisation never moves it down a
 * whole half). */
#if defined(__x86_64__)
#define DEFAULT_ADDRESS_BITS 47
#else
static uintptr_t max_address;
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
#if defined(DEFAULT_ADDRESS_BITS)
    return (uintptr_t)1 << DEFAULT_ADDRESS_BITS;
#else
    uintptr_t maximum = __atomic_load_n(&max_address, __ATOMIC_RELAXED);
    if (maximum == 0) {
        uintptr_t stack_top = (uintptr_t)getauxval(AT_EXECFN);
        maximum = stack_top != 0 ? (uintptr_t)1 << (64 - __builtin_clzl(stack_top)) : (uintptr_t)1 << 48;
        __atomic_store_n(&max_address, maximum, __ATOMIC_RELAXED);
    }
    return maximum;
#endif
}

int pk_map_range(uintptr_t address, size_t size, int outside, uintptr_t *start, uintptr_t *end)
{
    if (address > UINTPTR_MAX - size)
        return -EINVAL;
    if (pk_page_range(address, size, start, end) != 0 || *start < pk_min_address() || *end > pk_max_address())
        return outside;
    return 0;
}

