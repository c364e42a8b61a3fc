/*
 * internal.h - what CPageShim's files share and nobody else sees.
 */
#ifndef PAGEKIT_INTERNAL_H
#define PAGEKIT_INTERNAL_H

/* The build may set these too; the sources must also build with a bare
 * cc -Iinclude with every C file of Sources/CPageShim. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pagekit/pagekit.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "region_table.h"
#include "syscalls.h"

/* What newer kernels have and older C libraries' headers may not name. */
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif
#ifndef SYS_mseal
#define SYS_mseal 462
#endif

_Static_assert(sizeof(uintptr_t) == 8, "PageKit needs a 64-bit address space");

#define PK_HIDDEN __attribute__((visibility("hidden")))

/* The usable address range [pk_min_address(), pk_max_address()). */
uintptr_t pk_min_address(void);
uintptr_t pk_max_address(void);

/* The page size, known after the first pk_page_size() call: every hot path
 * reads it, so it is one load here. */
extern size_t pk_known_page_size;

static inline size_t pk_page(void)
{
    size_t size = __atomic_load_n(&pk_known_page_size, __ATOMIC_RELAXED);
    return size != 0 ? size : pk_page_size();
}

static inline uintptr_t pk_trunc(uintptr_t address)
{
    return address & ~(uintptr_t)(pk_page() - 1);
}

/* Rounds up to a page; false if that wraps past the top of the address
 * space (the result would be 0). */
static inline bool pk_round(uintptr_t value, uintptr_t *rounded)
{
    uintptr_t mask = pk_page() - 1;
    if (value > UINTPTR_MAX - mask)
        return false;
    *rounded = (value + mask) & ~mask;
    return true;
}

/* [trunc(address), round(address + size)) for deallocate, protect and the
 * other range calls: -EINVAL when address + size overflows or rounds to 0. */
int pk_page_range(uintptr_t address, size_t size, uintptr_t *start, uintptr_t *end);

/* Kernel names: the name the kernel should show for an entry, or NULL. */
const char *pk_entry_kernel_name(const struct pk_entry *entry, char buffer[PK_NAME_MAX + 1]);
/* Gives the kernel names of entries in [start, end) to the kernel, where it
 * can name anonymous memory. Failures are ignored: names are advisory. */
void pk_names_apply(uintptr_t start, uintptr_t end);

/* Purgeable objects (purgeable.c). */
struct pk_object *pk_object_create(uintptr_t start, uintptr_t end);
void pk_object_destroy(struct pk_object *object);
/* The object's state, after noticing pages the kernel dropped. */
int pk_object_state(struct pk_object *object);
/* Zeroes the entries of the object and marks it EMPTY. */
void pk_object_empty(struct pk_object *object);

/* Foreign mappings (kernel_maps.c): the kernel's mapping containing address
 * or the next one above it. */
struct pk_kernel_mapping {
    uintptr_t start, end;
    unsigned int protection;
    bool shared;
    char name[256];
};
int pk_kernel_mapping(uintptr_t address, struct pk_kernel_mapping *mapping);
/* The same through PROCMAP_QUERY only: -ENOTTY where the kernel lacks it. */
int pk_procmap_query(uintptr_t address, struct pk_kernel_mapping *mapping);
/* Testing: read /proc/self/maps even where PROCMAP_QUERY works. */
void pk_kernel_maps_force_scan(bool force);
/* Forgets the cached /proc/self/maps descriptor (after fork). */
void pk_kernel_maps_reset(void);

/* Features (features.c). */
bool pk_has(unsigned int feature);
/* Testing: behave as if the kernel lacked these features (0 undoes it). */
void pk_features_hide(unsigned int features);

#endif
