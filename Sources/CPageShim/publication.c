// SPDX-License-Identifier: Apache-2.0
/*
 * publication.c - the directory another process reads PageKit's table
 * through, and the marker mapping that leads to it (publication.h).
 */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "publication.h"

struct pk_directory *pk_published;

/* The marker is PageKit's own memory too, in the last page of the arena's
 * reservation, so it can never land in a hole the caller leaves; the table
 * records it, so no call of the caller's can unmap or change it. */
static bool record_marker(uintptr_t marker)
{
    struct pk_entry *entry = pk_arena_alloc(sizeof *entry);
    if (entry == NULL)
        return false;
    *entry = (struct pk_entry){
        .start = marker,
        .end = marker + pk_page(),
        .allocation = pk_table_new_allocation(),
        .flags = PK_ENTRY_INTERNAL,
        .protection = PK_PROT_READ,
        .max_protection = PK_PROT_READ,
        .inheritance = PK_INHERIT_SHARE,
    };
    pk_table_insert(entry);
    return true;
}

bool pk_publish_create(uintptr_t page, uintptr_t marker_page)
{
    struct pk_directory *directory = (struct pk_directory *)page;
    *directory = (struct pk_directory){
        .version = PK_DIRECTORY_VERSION,
        .page_size = (uint32_t)pk_page(),
        /* Created inside a change: the unlock that ends it makes it even. */
        .generation = 1,
        .tree = (uintptr_t)pk_table_root_address(),
        .tag_names = (uintptr_t)pk_tag_names_address(),
        .chunks = (uintptr_t)pk_arena_chunks(),
        .chunk_count = (uintptr_t)pk_arena_chunk_count(),
        .entry_size = sizeof(struct pk_entry),
        .object_size = sizeof(struct pk_object),
        .name_size = sizeof(struct pk_shared_name),
        .chunk_size = sizeof(struct pk_arena_chunk),
    };
    memcpy(directory->magic, PK_DIRECTORY_MAGIC, sizeof directory->magic);
    pk_published = directory;
    /* The directory's address is in the marker's name, so a reader needs
     * only /proc/PID/maps to find it, and never touches the marker. */
    char name[64];
    snprintf(name, sizeof name, PK_MARKER_NAME "@%" PRIxPTR, page);
    intptr_t marker = pk_sys_map_marker(name, marker_page, pk_page());
    return marker >= 0 && record_marker((uintptr_t)marker);
}
