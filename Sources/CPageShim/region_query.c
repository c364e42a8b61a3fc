// SPDX-License-Identifier: Apache-2.0
/*
 * region_query.c - pk_region (mach_vm_region) and pk_resident_pages.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* PageKit's own memory: reported, so that a walk covers the address
 * space, but as nobody's the caller can change. */
static void describe_internal(const struct pk_entry *entry, struct pk_region_info *info)
{
    *info = (struct pk_region_info){
        .start = entry->start,
        .size = entry->end - entry->start,
        .protection = entry->protection,
        .max_protection = entry->max_protection,
        .inheritance = entry->inheritance,
        .purgeable_state = -1,
        .flags = PK_REGION_INTERNAL | (pk_has(PK_FEATURE_ANON_VMA_NAME) ? PK_REGION_NAME_IN_KERNEL : 0),
    };
    strcpy(info->name, PK_INTERNAL_NAME);
}

static void describe_entry(const struct pk_entry *entry, struct pk_region_info *info)
{
    if (entry->flags & PK_ENTRY_INTERNAL) {
        describe_internal(entry, info);
        return;
    }
    char buffer[PK_NAME_MAX + 1];
    const char *name = pk_entry_kernel_name(entry, buffer);
    *info = (struct pk_region_info){
        .start = entry->start,
        .size = entry->end - entry->start,
        .protection = entry->protection,
        .max_protection = entry->max_protection,
        .inheritance = entry->inheritance,
        .tag = entry->tag,
        .purgeable_state = entry->object != NULL ? pk_object_state(entry->object) : -1,
        .flags = PK_REGION_OWNED | (entry->object != NULL ? PK_REGION_PURGEABLE : 0) |
                 ((entry->flags & PK_ENTRY_PERMANENT) ? PK_REGION_PERMANENT : 0) |
                 ((entry->flags & PK_ENTRY_SEALED) ? PK_REGION_SEALED : 0) |
                 ((entry->flags & PK_ENTRY_NO_CACHE) ? PK_REGION_NO_CACHE : 0) |
                 ((entry->flags & PK_ENTRY_4GB_CHUNK) ? PK_REGION_4GB_CHUNK : 0) |
                 ((entry->flags & PK_ENTRY_SUPERPAGE) ? PK_REGION_SUPERPAGE : 0) |
                 (entry->backing != NULL ? PK_REGION_SHARED : 0) |
                 (name != NULL && pk_has(PK_FEATURE_ANON_VMA_NAME) ? PK_REGION_NAME_IN_KERNEL : 0),
        .user_wired_count = entry->wired,
        .behavior = (entry->flags & PK_ENTRY_BEHAVIOR_MASK) >> PK_ENTRY_BEHAVIOR_SHIFT,
    };
    if (name != NULL)
        strcpy(info->name, name);
}

static void describe_foreign(const struct pk_kernel_mapping *mapping, uintptr_t start, uintptr_t end,
                             struct pk_region_info *info)
{
    *info = (struct pk_region_info){
        .start = start,
        .size = end - start,
        .protection = mapping->protection,
        .max_protection = PK_PROT_ALL,
        .inheritance = mapping->shared ? PK_INHERIT_SHARE : PK_INHERIT_COPY,
        .purgeable_state = -1,
        .flags = mapping->shared ? PK_REGION_SHARED : 0,
    };
    snprintf(info->name, sizeof info->name, "%s", mapping->name);
}

/* The kernel's mapping at or above address, minus the parts PageKit's
 * entries cover: above is the first entry above address, NULL if none. */
static int describe_kernel(uintptr_t address, struct pk_entry *above, struct pk_region_info *info)
{
    struct pk_kernel_mapping mapping;
    int error = pk_kernel_mapping(address, &mapping);
    if (error)
        return error;
    if (above != NULL && mapping.start >= above->start)
        return -ENOMEM;
    struct pk_entry *below = above != NULL ? pk_table_prev(above) : pk_table_last();
    uintptr_t start = mapping.start;
    if (below != NULL && below->end > start)
        start = below->end;
    uintptr_t end = above != NULL && above->start < mapping.end ? above->start : mapping.end;
    describe_foreign(&mapping, start, end, info);
    return 0;
}

int pk_region(uintptr_t *address, struct pk_region_info *info)
{
    if (address == NULL || info == NULL)
        return -EINVAL;
    int error = pk_table_lock();
    if (error)
        return error;
    struct pk_entry *entry = pk_table_ceiling(*address);
    /* A report claims the memory is PageKit's: the entry must still be,
     * and so must its whole purgeable object, whose pages the state
     * reads. */
    while (entry != NULL && pk_table_verify(entry->object != NULL ? entry->object->start : entry->start,
                                            entry->object != NULL ? entry->object->end : entry->end))
        entry = pk_table_ceiling(*address);
    if (entry == NULL || entry->start > *address) {
        error = describe_kernel(*address, entry, info);
        if (error == -ENOMEM && entry != NULL) {
            describe_entry(entry, info);
            error = 0;
        }
    } else {
        describe_entry(entry, info);
    }
    pk_table_unlock();
    if (error == 0)
        *address = info->start;
    return error;
}

int pk_resident_pages(uintptr_t address, size_t size, size_t *count)
{
    if (count == NULL || address != pk_trunc(address))
        return -EINVAL;
    uintptr_t start, end;
    int error = pk_page_range(address, size, &start, &end);
    if (error)
        return error;
    size_t page = pk_page();
    size_t resident = 0;
    unsigned char vector[512];
    for (uintptr_t at = start; at < end; at += sizeof vector * page) {
        uintptr_t length = end - at < sizeof vector * page ? end - at : sizeof vector * page;
        if ((error = pk_sys_mincore(at, length, vector)) != 0)
            return error;
        for (size_t i = 0; i < length / page; i++)
            resident += vector[i] & 1;
    }
    *count = resident;
    return 0;
}

int pk_protection(uintptr_t address, size_t size, unsigned int *current, unsigned int *maximum)
{
    uintptr_t start, end;
    if (current == NULL || maximum == NULL || size == 0 || pk_page_range(address, size, &start, &end) != 0)
        return -EINVAL;
    unsigned int shared_current = PK_PROT_ALL, shared_maximum = PK_PROT_ALL;
    uintptr_t covered = start;
    int error = pk_table_lock();
    if (error)
        return error;
    for (struct pk_entry *entry = pk_table_ceiling(start);
         entry != NULL && entry->start <= covered && covered < end && !(entry->flags & PK_ENTRY_INTERNAL);
         entry = pk_table_next(entry)) {
        shared_current &= entry->protection;
        shared_maximum &= entry->max_protection;
        covered = entry->end;
    }
    pk_table_unlock();
    if (covered < end)
        return -ENOMEM;
    *current = shared_current;
    *maximum = shared_maximum;
    return 0;
}
