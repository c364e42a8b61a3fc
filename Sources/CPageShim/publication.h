// SPDX-License-Identifier: Apache-2.0
/*
 * publication.h - what PageKit publishes of its table, so that another
 * process (pagekit vmmap, pk_inspect) can show tags, names, maximum
 * protections and purgeable states on kernels that cannot name memory.
 *
 * Nothing is copied: the directory, in the first page of PageKit's arena,
 * gives the addresses of the table's tree, the tag names and the arena's
 * chunks, and a reader with the right to read this process's memory
 * (process_vm_readv, the same ptrace check as /proc/PID/mem) copies the
 * arena and walks the tree itself. A sequence count makes the copy
 * consistent: odd while the table changes, so a reader that saw the same
 * even count before and after its copy has a snapshot no change tore.
 *
 * The reader finds the directory through /proc/PID/maps alone: a one-page,
 * sealed, read-only memfd mapping carries its address in its name
 * ("/memfd:pagekit@7f0a2c000000 (deleted)"), which a forked child
 * inherits along with the directory at that address; where memfd is
 * missing, the first mapping named [anon:pagekit] starts with it.
 */
#ifndef PAGEKIT_PUBLICATION_H
#define PAGEKIT_PUBLICATION_H

#include <stdbool.h>
#include <stdint.h>

#define PK_DIRECTORY_MAGIC "PKTABLE"
#define PK_DIRECTORY_VERSION 3u
#define PK_MARKER_NAME "pagekit"

struct pk_directory {
    char magic[8];
    uint32_t version;
    uint32_t page_size;
    uint64_t generation;  /* odd while the table changes */
    uint64_t tree;        /* address of the tree's root pointer */
    uint64_t tag_names;   /* address of the 256 tag-name pointers */
    uint64_t chunks;      /* address of the arena's chunk array */
    uint64_t chunk_count; /* address of its count (unsigned int) */
    /* The layout the reader must share: sizes of what it decodes. */
    uint32_t entry_size, object_size, name_size, chunk_size;
};

/* The directory, or NULL before the arena exists. */
extern struct pk_directory *pk_published;

/* Called with the table lock just taken, and just before releasing it. */
static inline void pk_publish_begin(void)
{
    struct pk_directory *directory = pk_published;
    /* A full read-modify-write: no store of the change can become visible
     * before the count turns odd (one locked add, beside the lock's). */
    if (directory != 0)
        __atomic_fetch_add(&directory->generation, 1, __ATOMIC_SEQ_CST);
}

static inline void pk_publish_end(void)
{
    struct pk_directory *directory = pk_published;
    if (directory != 0)
        __atomic_store_n(&directory->generation, directory->generation + 1, __ATOMIC_RELEASE);
}

/* Fills the directory at page (the arena's first page) and maps the marker
 * that points to it over marker_page (the last page of the arena's
 * reservation), recorded as PageKit's own memory. False if the marker is
 * not in the table (no memfd, or no room for its entry): the arena then
 * keeps the page in its reservation, whatever is mapped there. Runs once,
 * with the table lock held. */
bool pk_publish_create(uintptr_t page, uintptr_t marker_page);

/* For the directory: where the table and the names keep their roots. */
const void *pk_table_root_address(void);
const void *pk_tag_names_address(void);

#endif
