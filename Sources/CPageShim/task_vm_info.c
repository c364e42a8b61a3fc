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

static int read_status(struct pk_task_vm_info *info, uint64_t *shmem)
{
    FILE *status = fopen("/proc/self/status", "re");
    if (status == NULL)
        return -errno;
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
    fclose(status);
    info->internal = anonymous + *shmem;
    return 0;
}

static int count_mappings(unsigned int *count)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    if (maps == NULL)
        return -errno;
    char line[512];
    *count = 0;
    while (fgets(line, sizeof line, maps) != NULL)
        *count += strchr(line, '\n') != NULL;
    fclose(maps);
    return 0;
}

int pk_task_vm_info(struct pk_task_vm_info *info)
{
    if (info == NULL)
        return -EINVAL;
    *info = (struct pk_task_vm_info){.min_address = pk_min_address(), .max_address = pk_max_address()};
    uint64_t shmem = 0;
    int error = read_status(info, &shmem);
    if (error == 0)
        error = count_mappings(&info->region_count);
    if (error)
        return error;
    /* Volatile purgeable objects: their pages, and those in memory. */
    if ((error = pk_table_lock()) != 0)
        return error;
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
