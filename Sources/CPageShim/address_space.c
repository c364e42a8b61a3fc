#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

/* The top of the default user address space: mmap only goes above it when
 * asked to with a hint (x86-64 five-level paging, arm64 52-bit VAs). */
#if defined(__x86_64__)
#define DEFAULT_ADDRESS_BITS 47
#else
#define DEFAULT_ADDRESS_BITS 48
#endif

static size_t page_size;
static uintptr_t min_address;
static pthread_once_t address_space_once = PTHREAD_ONCE_INIT;

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

static void probe_address_space(void)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t kernel_minimum = read_mmap_min_addr();
    uintptr_t minimum = kernel_minimum > page_size ? kernel_minimum : page_size;
    min_address = (minimum + page_size - 1) & ~(uintptr_t)(page_size - 1);
}

size_t pk_page_size(void)
{
    pthread_once(&address_space_once, probe_address_space);
    return page_size;
}

uintptr_t pk_min_address(void)
{
    pthread_once(&address_space_once, probe_address_space);
    return min_address;
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
