// SPDX-License-Identifier: Apache-2.0
/*
 * task_vm_info.c - pk_task_vm_info (task_info with TASK_VM_INFO): the
 * process's memory in Mach's terms, from the kernel's own counts in
 * /proc/self/status, its mappings in /proc/self/maps, and PageKit's
 * purgeable objects.
 */
#include "internal.h"

#include <pagekit/pagekit.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A "Name:   N kB" line of /proc/self/status, in bytes. */
static void status_field(const char *line, const char *name, uint64_t *bytes)
{
    size_t length = strlen(name);
    unsigned long long kib;
    if (strncmp(line, name, length) == 0 && line[length] == ':' && sscanf(line + length + 1, "%llu", &kib) == 1)
        *bytes = kib * 1024;
}

static void read_status(FILE *status, struct pk_task_vm_info *info, uint64_t *shmem)
{
    char line[256];
    uint64_t anonymous = 0;
    while (fgets(line, sizeof line, status) != NULL) {
        status_field(line, "VmSize", &info->virtual_size);
        status_field(line, "VmRSS", &info->resident_size);
        status_field(line, "VmHWM", &info->resident_size_peak);
        status_field(line, "RssAnon", &anonymous);
        status_field(line, "RssFile", &info->external);
        status_field(line, "RssShmem", shmem);
        status_field(line, "VmSwap", &info->compressed);
    }
    info->internal = anonymous + *shmem;
}

static void count_mappings(FILE *maps, unsigned int *count)
{
    char line[512];
    *count = 0;
    while (fgets(line, sizeof line, maps) != NULL)
        *count += strchr(line, '\n') != NULL;
}

int pk_vm_info_from(FILE *status, FILE *maps, struct pk_task_vm_info *info)
{
    *info = (struct pk_task_vm_info){.min_address = pk_min_address(), .max_address = pk_max_address()};
    uint64_t shmem = 0;
    read_status(status, info, &shmem);
    count_mappings(maps, &info->region_count);
    /* A process that is gone says nothing. */
    if (info->virtual_size == 0 && info->region_count == 0)
        return -ESRCH;
    info->phys_footprint = info->internal + info->compressed;
    return 0;
}

int pk_task_vm_info(struct pk_task_vm_info *info)
{
    if (info == NULL)
        return -EINVAL;
    FILE *status = fopen("/proc/self/status", "re");
    int error = status == NULL ? -errno : 0;
    FILE *maps = error == 0 ? fopen("/proc/self/maps", "re") : NULL;
    if (error == 0)
        error = maps == NULL ? -errno : pk_vm_info_from(status, maps, info);
    if (status != NULL)
        fclose(status);
    if (maps != NULL)
        fclose(maps);
    if (error)
        return error;
    /* Volatile purgeable objects: their pages, and those in memory. */
    if ((error = pk_table_lock()) != 0)
        return error;
    pk_objects_verify_volatile();
    for (struct pk_object *object = pk_objects_first(); object != NULL; object = pk_objects_next(object))
        if (pk_object_state(object) == PK_PURGEABLE_VOLATILE)
            info->purgeable_volatile_virtual += object->end - object->start;
    pk_table_unlock();
    if ((error = pk_volatile_resident(&info->purgeable_volatile_resident)) != 0)
        return error;
    uint64_t footprint = info->internal + info->compressed;
    info->phys_footprint = footprint > info->purgeable_volatile_resident
                               ? footprint - info->purgeable_volatile_resident
                               : 0;
    return 0;
}
