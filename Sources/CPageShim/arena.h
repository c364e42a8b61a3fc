// SPDX-License-Identifier: Apache-2.0
/*
 * arena.h - the memory PageKit keeps its own bookkeeping in.
 *
 * Table entries, purgeable objects with their side arrays, and names live
 * in address space PageKit reserves for itself in large chunks, never in a
 * mapping of their own: nothing of PageKit's can land in a hole the user
 * leaves, and a purgeable region adds no mapping besides the user's pages.
 * Every chunk is recorded in the region table as internal memory
 * (PK_ENTRY_INTERNAL), which no call a user makes can protect, unmap,
 * overwrite, name or make purgeable.
 *
 * Every function here but pk_arena_usage runs with the table lock held.
 */
#ifndef PAGEKIT_ARENA_H
#define PAGEKIT_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct pk_entry;

/* One chunk of reserved address space, as the arena keeps it and as
 * another process reads it (publication.h). */
struct pk_arena_chunk {
    uintptr_t base, top, committed, end;
    struct pk_entry *committed_entry, *reserved_entry;
};
#define PK_ARENA_MAX_CHUNKS 64

/* A block of at least size bytes, or NULL when no memory is left (the
 * caller reports ENOMEM). Fresh blocks read as zeros; reused ones do not. */
void *pk_arena_alloc(size_t size);
/* Gives back a block; size is what was asked of pk_arena_alloc. */
void pk_arena_free(void *block, size_t size);
#ifdef PK_TEST_SEAM
/* Testing, where the machine cannot be made to run out of memory on cue:
 * count more blocks are handed out, then one is refused (NULL), then the
 * arena behaves again; -1 cancels. */
void pk_arena_refuse_after(long count);
#endif

struct pk_arena_usage {
    size_t in_use;    /* bytes handed out, rounded up to their size class */
    size_t committed; /* bytes made readable and writable so far */
    size_t reserved;  /* address space reserved, committed included */
    unsigned int chunks;
};
/* Where the chunk array and its count live, for the published directory. */
const struct pk_arena_chunk *pk_arena_chunks(void);
const unsigned int *pk_arena_chunk_count(void);

/* Takes the table lock itself: for tests and benchmarks. */
void pk_arena_usage(struct pk_arena_usage *usage);

#endif
