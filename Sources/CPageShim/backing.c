// SPDX-License-Identifier: Apache-2.0
/*
 * backing.c - shared pages: a memfd that every mapping of it maps
 * MAP_SHARED, so that writes through one are seen through all. Linux cannot
 * alias private anonymous memory, so memory that Mach code shares (a
 * memory entry, a remap without copy, VM_INHERIT_SHARE) lives on one.
 *
 * A backing stays open while a table entry or a memory entry refers to it;
 * the last release closes it, and the kernel frees its pages once nothing
 * maps them either. Its descriptor lies where descriptors.c puts it.
 */
#include "internal.h"

#include <errno.h>
#include <unistd.h>

#include "arena.h"

struct pk_backing *pk_backing_create(uint64_t size, int *error)
{
    struct pk_backing *backing = pk_arena_alloc(sizeof *backing);
    if (backing == NULL) {
        *error = -ENOMEM;
        return NULL;
    }
    int fd = pk_descriptor_memfd(PK_BACKING_NAME, size);
    if (fd < 0) {
        pk_arena_free(backing, sizeof *backing);
        *error = fd;
        return NULL;
    }
    *backing = (struct pk_backing){.size = size, .fd = fd};
    return backing;
}

struct pk_backing *pk_backing_adopt(int fd, uint64_t size, int *error)
{
    struct pk_backing *backing = pk_arena_alloc(sizeof *backing);
    int copy = backing != NULL ? pk_descriptor_duplicate(fd) : -ENOMEM;
    if (copy < 0) {
        *error = copy;
        if (backing != NULL)
            pk_arena_free(backing, sizeof *backing);
        return NULL;
    }
    *backing = (struct pk_backing){.size = size, .fd = copy};
    return backing;
}

void pk_backing_close(struct pk_backing *backing)
{
    close(backing->fd);
    pk_arena_free(backing, sizeof *backing);
}

void pk_orphans_release_all(struct pk_orphans *orphans)
{
    while (!LIST_EMPTY(&orphans->objects)) {
        struct pk_object *object = LIST_FIRST(&orphans->objects);
        LIST_REMOVE(object, link);
        pk_object_destroy(object);
    }
    while (!LIST_EMPTY(&orphans->backings)) {
        struct pk_backing *backing = LIST_FIRST(&orphans->backings);
        LIST_REMOVE(backing, link);
        pk_backing_close(backing);
    }
}
