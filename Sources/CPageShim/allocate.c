// SPDX-License-Identifier: Apache-2.0
/*
 * allocate.c - pk_allocate (vm_allocate).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#define SUPERPAGE_2MB_SIZE ((uintptr_t)2 << 20)
#define RANDOM_ADDRESS_TRIES 8

static const int anonymous = MAP_PRIVATE | MAP_ANONYMOUS;
static const int read_write = PROT_READ | PROT_WRITE;

/* What one allocation asks for, checked before anything is mapped. */
struct request {
    uintptr_t start; /* fixed requests only */
    uintptr_t length;
    unsigned int flags;
    unsigned int superpage;
    bool anywhere, overwrite;
};

static int check_request(uintptr_t address, size_t size, unsigned int flags, const char *name,
                         struct request *request)
{
    *request = (struct request){
        .flags = flags,
        .superpage = flags & PK_ALLOC_SUPERPAGE_MASK,
        .anywhere = (flags & PK_ALLOC_ANYWHERE) != 0,
        .overwrite = (flags & PK_ALLOC_OVERWRITE) != 0,
    };

    /* TPRO needs hardware and kernel support Linux does not have. */
    if (flags & PK_ALLOC_TPRO)
        return -EINVAL;
    if (request->superpage != 0 && request->superpage != PK_ALLOC_SUPERPAGE_ANY &&
        request->superpage != PK_ALLOC_SUPERPAGE_2MB)
        return -EINVAL;
    if ((flags & PK_ALLOC_PURGEABLE) && request->superpage != 0)
        return -EINVAL;
    if (request->anywhere && request->overwrite)
        return -EINVAL;
    if (name != NULL && pk_name_check(name) != 0)
        return -EINVAL;
    if (!pk_round(size, &request->length))
        return -EINVAL;
    if (request->superpage == PK_ALLOC_SUPERPAGE_2MB && request->length % SUPERPAGE_2MB_SIZE != 0)
        return -EINVAL;
    if (request->anywhere)
        return 0;

    request->start = pk_trunc(address);
    if (request->start > UINTPTR_MAX - request->length)
        return -ENOMEM;
    if (request->start < pk_min_address() || request->start + request->length > pk_max_address())
        return -ENOMEM;
    if (request->superpage == PK_ALLOC_SUPERPAGE_2MB && request->start % SUPERPAGE_2MB_SIZE != 0)
        return -EINVAL;
    return 0;
}

static intptr_t map_fixed_noreplace(uintptr_t start, uintptr_t length)
{
    intptr_t mapped = pk_sys_mmap(start, length, read_write, anonymous | MAP_FIXED_NOREPLACE);
    /* Kernels before 4.17 take MAP_FIXED_NOREPLACE as a mere hint. */
    if (mapped >= 0 && (uintptr_t)mapped != start) {
        pk_sys_munmap((uintptr_t)mapped, length);
        return -EEXIST;
    }
    return mapped;
}

static uintptr_t random_page(uintptr_t limit)
{
    uint64_t value = 0;
    if (getrandom(&value, sizeof value, GRND_NONBLOCK) != sizeof value)
        value = (uint64_t)(uintptr_t)&value * 0x9E3779B97F4A7C15u;
    return pk_trunc(pk_min_address() + (uintptr_t)(value % (limit - pk_min_address())));
}

/* A random free address, or else wherever the kernel puts it. */
static intptr_t map_random(uintptr_t length)
{
    uintptr_t top = pk_max_address() - length;
    for (int try = 0; length < pk_max_address() - pk_min_address() && try < RANDOM_ADDRESS_TRIES; try++) {
        intptr_t mapped = map_fixed_noreplace(random_page(top), length);
        if (mapped != -EEXIST)
            return mapped;
    }
    return pk_sys_mmap(0, length, read_write, anonymous);
}

/* Aligned memory anywhere: map alignment more, then trim both ends. */
intptr_t pk_map_aligned(uintptr_t length, uintptr_t alignment, int prot)
{
    if (length > UINTPTR_MAX - alignment)
        return -ENOMEM;
    intptr_t mapped = pk_sys_mmap(0, length + alignment, prot, anonymous);
    if (mapped < 0)
        return mapped;
    uintptr_t raw = (uintptr_t)mapped;
    uintptr_t start = (raw + alignment - 1) & ~(alignment - 1);
    if (start > raw)
        pk_sys_munmap(raw, start - raw);
    if (raw + alignment > start)
        pk_sys_munmap(start + length, raw + alignment - start);
    return (intptr_t)start;
}

/* Inline, so that the common case maps from pk_allocate's frame
 * (syscalls.h). */
static inline __attribute__((always_inline)) intptr_t map_anywhere(const struct request *request)
{
    if (request->superpage == PK_ALLOC_SUPERPAGE_2MB)
        return pk_map_aligned(request->length, SUPERPAGE_2MB_SIZE, read_write);
    if (request->flags & PK_ALLOC_RANDOM_ADDR)
        return map_random(request->length);
    return pk_sys_mmap(0, request->length, read_write, anonymous);
}

/* What lies in an overwrite's range decides whether it may go ahead:
 * PageKit's own memory and sealed memory cannot be replaced, and permanent
 * memory is never unmapped, only made inaccessible (as XNU's delete leaves
 * it), after which the range counts as occupied. */
int pk_check_overwrite(uintptr_t start, uintptr_t end, struct pk_spares *spares)
{
    unsigned int flags = 0;
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry))
        flags |= entry->flags;
    /* The table decides here, so it must still describe the kernel. */
    if ((flags & (PK_ENTRY_SEALED | PK_ENTRY_PERMANENT)) && pk_table_verify(start, end))
        return pk_check_overwrite(start, end, spares);
    if (flags & PK_ENTRY_INTERNAL)
        return -EEXIST;
    if (flags & PK_ENTRY_SEALED)
        return -EPERM;
    if (!(flags & PK_ENTRY_PERMANENT))
        return 0;
    pk_permanent_revoke(start, end, spares);
    return -EEXIST;
}

static intptr_t map_fixed(const struct request *request, struct pk_spares *spares)
{
    uintptr_t end = request->start + request->length;
    if (!request->overwrite)
        return map_fixed_noreplace(request->start, request->length);
    int error = pk_check_overwrite(request->start, end, spares);
    if (error)
        return error;
    return pk_sys_mmap(request->start, request->length, read_write, anonymous | MAP_FIXED);
}

uint8_t pk_entry_flags(unsigned int flags)
{
    return (uint8_t)(((flags & PK_ALLOC_PERMANENT) ? PK_ENTRY_PERMANENT : 0) |
                     ((flags & PK_ALLOC_NO_CACHE) ? PK_ENTRY_NO_CACHE : 0) |
                     ((flags & PK_ALLOC_4GB_CHUNK) ? PK_ENTRY_4GB_CHUNK : 0) |
                     ((flags & PK_ALLOC_SUPERPAGE_MASK) ? PK_ENTRY_SUPERPAGE : 0));
}

/* Everything that can fail for lack of memory, taken from PageKit's arena
 * with the table locked, before the fixed path maps anything. */
struct resources {
    struct pk_spares spares;
    struct pk_object *object;
    struct pk_shared_name *name;
    struct pk_orphans orphans;
};

static void release(struct resources *resources)
{
    if (resources->spares.count > 0)
        pk_spares_release(&resources->spares);
    if (resources->object != NULL)
        pk_object_destroy(resources->object);
    if (resources->name != NULL)
        pk_shared_name_release(resources->name);
    pk_orphans_release(&resources->orphans);
}

static int reserve(const struct request *request, const char *name, int spares, struct resources *resources)
{
    *resources = (struct resources){.orphans = PK_ORPHANS_INITIALIZER(resources->orphans)};
    if (pk_spares_reserve(&resources->spares, spares) != 0)
        return -ENOMEM;
    if ((request->flags & PK_ALLOC_PURGEABLE) && (resources->object = pk_object_create(request->length)) == NULL)
        return -ENOMEM;
    if (name != NULL && (resources->name = pk_shared_name_create(name)) == NULL)
        return -ENOMEM;
    return 0;
}

/* Records the new pages. The kernel hands out only free space, but the
 * table may still hold entries there for memory unmapped behind PageKit's
 * back, and an overwrite's range holds the entries it replaced: those go.
 * An allocation anywhere reserved one entry, so the rare removal takes two
 * more now; without them the new pages are unmapped again and the call
 * fails with -ENOMEM, as if the reservation had. */
static int record(const struct request *request, uintptr_t start, struct resources *resources)
{
    uintptr_t end = start + request->length;
    struct pk_entry *entry = pk_spares_take(&resources->spares);
    *entry = (struct pk_entry){
        .start = start,
        .end = end,
        .allocation = pk_table_new_allocation(),
        .object = resources->object,
        .name = resources->name,
        .flags = pk_entry_flags(request->flags),
        .protection = PK_PROT_DEFAULT,
        .max_protection = PK_PROT_ALL,
        .inheritance = PK_INHERIT_COPY,
        .tag = (uint8_t)(request->flags >> 24),
    };
    if (!pk_table_insert_if_free(entry)) {
        if (resources->spares.count < 2 && pk_spares_reserve(&resources->spares, 2) != 0) {
            pk_spares_put_back(&resources->spares, entry);
            pk_sys_munmap(start, request->length);
            return -ENOMEM;
        }
        pk_table_remove_range(start, end, &resources->spares, &resources->orphans);
        pk_table_insert(entry);
    }
    if (entry->object != NULL) {
        entry->object->start = start;
        entry->object->end = end;
        pk_objects_insert(entry->object);
    }
    resources->object = NULL;
    resources->name = NULL;
    if (entry->name != NULL || entry->tag != 0)
        pk_names_apply(start, end);
    return 0;
}

static void advise(const struct request *request, uintptr_t start)
{
    if (request->superpage != 0)
        pk_sys_madvise(start, request->length, MADV_HUGEPAGE);
}

int pk_allocate(uintptr_t *address, size_t size, unsigned int flags, const char *name)
{
    if (address == NULL || (flags & ~PK_ALLOC_ACCEPTED) != 0)
        return -EINVAL;
    if (size == 0) {
        *address = 0;
        return 0;
    }
    struct request request;
    int error = check_request(*address, size, flags, name, &request);
    if (error)
        return error;

    /* Mapping happens under the table lock, anywhere too: a deallocate of
     * a range with holes in another thread would otherwise unmap the new
     * pages between their mmap and their record, and the table would keep
     * an entry for memory that is gone. */
    if ((error = pk_table_lock()) != 0)
        return error;
    struct resources resources;
    /* An entry for the new pages; a fixed request may also split two where
     * it replaces. */
    error = reserve(&request, name, request.anywhere ? 1 : 3, &resources);
    intptr_t mapped = error;
    if (error == 0)
        mapped = request.anywhere ? map_anywhere(&request) : map_fixed(&request, &resources.spares);
    if (error == 0 && mapped < 0)
        error = (int)mapped;
    if (error == 0) {
        advise(&request, (uintptr_t)mapped);
        error = record(&request, (uintptr_t)mapped, &resources);
    }
    if (error == 0)
        *address = (uintptr_t)mapped;
    release(&resources);
    pk_table_unlock();
    return error;
}
