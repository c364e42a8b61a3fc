// SPDX-License-Identifier: Apache-2.0
/*
 * arena.c - PageKit's own memory: chunks of reserved address space, carved
 * into size classes for small blocks and into page runs for large ones.
 *
 * A chunk is reserved PROT_NONE (which costs no memory and no commit
 * charge) and made read-write from its start as it fills, so it is two
 * kernel mappings however many blocks it holds, and the table records it
 * as two internal entries: the committed part and the rest.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "publication.h"

/* Room for a million regions' entries many times over; a larger block gets
 * a chunk of its own size. */
#define CHUNK_BYTES ((size_t)4 << 30)
#define COMMIT_STEP ((size_t)1 << 20)

/* Classes: every multiple of 8 up to 256 bytes (entries, objects, names
 * and small side arrays fit one exactly), then powers of two up to 64 KiB.
 * Larger blocks are page runs. */
#define SMALL_STEP 8
#define SMALL_MAX 256
#define LARGE_MAX ((size_t)64 << 10)
#define SMALL_CLASSES (SMALL_MAX / SMALL_STEP)
#define CLASSES (SMALL_CLASSES + 8) /* 512 ... 64 KiB */
#define SLAB_BYTES LARGE_MAX

struct free_block {
    struct free_block *next;
};

/* A free page run, described in its own first bytes; kept in address
 * order so neighbours merge. */
struct free_run {
    struct free_run *next;
    size_t size;
};

static struct free_block *free_blocks[CLASSES];
static struct free_run *free_runs;
static struct pk_arena_chunk chunks[PK_ARENA_MAX_CHUNKS];
static unsigned int chunk_count;
static size_t in_use;

static unsigned int class_of(size_t size)
{
    if (size <= SMALL_MAX)
        return size == 0 ? 0 : (unsigned int)((size - 1) / SMALL_STEP);
    unsigned int class = SMALL_CLASSES;
    for (size_t block = 2 * SMALL_MAX; block < size; block <<= 1)
        class++;
    return class;
}

static size_t class_size(unsigned int class)
{
    if (class < SMALL_CLASSES)
        return (size_t)(class + 1) * SMALL_STEP;
    return (size_t)2 * SMALL_MAX << (class - SMALL_CLASSES);
}

static struct pk_entry *internal_entry(uintptr_t start, uintptr_t end, unsigned int protection)
{
    struct pk_entry *entry = pk_arena_alloc(sizeof *entry);
    if (entry != NULL) {
        *entry = (struct pk_entry){
            .start = start,
            .end = end,
            .allocation = pk_table_new_allocation(),
            .flags = PK_ENTRY_INTERNAL,
            .protection = (uint8_t)protection,
            .max_protection = (uint8_t)protection,
            .inheritance = PK_INHERIT_COPY,
        };
        pk_table_insert(entry);
    }
    return entry;
}

/* Makes [committed, at least `until`) of the chunk readable and writable,
 * and moves the boundary between its two table entries. */
static int commit(struct pk_arena_chunk *chunk, uintptr_t until)
{
    if (until <= chunk->committed)
        return 0;
    uintptr_t target = chunk->committed + ((until - chunk->committed + COMMIT_STEP - 1) & ~(COMMIT_STEP - 1));
    if (target > chunk->end || target < chunk->committed)
        target = chunk->end;
    int error = pk_sys_mprotect(chunk->committed, target - chunk->committed, PROT_READ | PROT_WRITE);
    if (error)
        return error;
    chunk->committed = target;
    if (chunk->committed_entry != NULL)
        chunk->committed_entry->end = target;
    if (chunk->reserved_entry != NULL) {
        if (target == chunk->end) {
            struct pk_orphans none = PK_ORPHANS_INITIALIZER(none);
            pk_table_delete(chunk->reserved_entry, &none);
            chunk->reserved_entry = NULL;
        } else {
            chunk->reserved_entry->start = target;
        }
    }
    return 0;
}

static void name_chunk(struct pk_arena_chunk *chunk)
{
    if (pk_has(PK_FEATURE_ANON_VMA_NAME))
        pk_sys_name_anon(chunk->base, chunk->end - chunk->base, PK_INTERNAL_NAME);
}

/* A new chunk with room for at least `bytes`, recorded in the table. Its
 * entries come from its own first pages. */
static struct pk_arena_chunk *new_chunk(size_t bytes)
{
    if (chunk_count == PK_ARENA_MAX_CHUNKS || bytes > SIZE_MAX - 2 * COMMIT_STEP)
        return NULL;
    size_t size = (bytes + 2 * COMMIT_STEP - 1) & ~(COMMIT_STEP - 1);
    if (size < CHUNK_BYTES)
        size = CHUNK_BYTES;
    intptr_t mapped = pk_sys_mmap(0, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
    if (mapped < 0)
        return NULL;
    struct pk_arena_chunk *chunk = &chunks[chunk_count];
    *chunk = (struct pk_arena_chunk){.base = (uintptr_t)mapped, .top = (uintptr_t)mapped, .committed = (uintptr_t)mapped,
                            .end = (uintptr_t)mapped + size};
    if (commit(chunk, chunk->base + COMMIT_STEP) != 0) {
        pk_sys_munmap(chunk->base, size);
        return NULL;
    }
    chunk_count++;
    name_chunk(chunk);
    /* The first page of the first chunk is the directory other processes
     * read the table through. */
    if (chunk_count == 1) {
        chunk->top += pk_page();
        chunk->end -= pk_page();
        if (!pk_publish_create(chunk->base, chunk->end))
            chunk->end += pk_page();
    }
    chunk->committed_entry = internal_entry(chunk->base, chunk->committed, PK_PROT_READ | PK_PROT_WRITE);
    if (chunk->committed < chunk->end)
        chunk->reserved_entry = internal_entry(chunk->committed, chunk->end, PK_PROT_NONE);
    /* Without entries, the chunk would be memory the user could reach. */
    if (chunk->committed_entry == NULL || (chunk->committed < chunk->end && chunk->reserved_entry == NULL))
        abort();
    return chunk;
}

static uintptr_t take_free_run(size_t bytes)
{
    for (struct free_run **link = &free_runs; *link != NULL; link = &(*link)->next) {
        struct free_run *run = *link;
        if (run->size < bytes)
            continue;
        if (run->size == bytes) {
            *link = run->next;
        } else {
            struct free_run *rest = (struct free_run *)((uintptr_t)run + bytes);
            *rest = (struct free_run){run->next, run->size - bytes};
            *link = rest;
        }
        return (uintptr_t)run;
    }
    return 0;
}

/* A page run of `bytes` (a page multiple), or 0. */
static uintptr_t alloc_run(size_t bytes)
{
    uintptr_t run = take_free_run(bytes);
    if (run != 0)
        return run;
    struct pk_arena_chunk *chunk = chunk_count > 0 ? &chunks[chunk_count - 1] : NULL;
    if (chunk == NULL || chunk->end - chunk->top < bytes)
        chunk = new_chunk(bytes);
    /* new_chunk itself takes blocks for its entries, so look again. */
    if (chunk == NULL || chunk->end - chunk->top < bytes || commit(chunk, chunk->top + bytes) != 0)
        return 0;
    run = chunk->top;
    chunk->top += bytes;
    return run;
}

static void free_run(uintptr_t address, size_t bytes)
{
    size_t page = pk_page();
    /* The pages past the run's header go back to the kernel. */
    if (bytes > page)
        pk_sys_madvise(address + page, bytes - page, MADV_DONTNEED);
    struct free_run *previous = NULL, *next = free_runs;
    while (next != NULL && (uintptr_t)next < address) {
        previous = next;
        next = next->next;
    }
    struct free_run *run = (struct free_run *)address;
    *run = (struct free_run){next, bytes};
    if (next != NULL && address + bytes == (uintptr_t)next) {
        run->size += next->size;
        run->next = next->next;
    }
    if (previous == NULL) {
        free_runs = run;
    } else if ((uintptr_t)previous + previous->size == address) {
        previous->size += run->size;
        previous->next = run->next;
    } else {
        previous->next = run;
    }
}

static bool refill(unsigned int class)
{
    size_t block = class_size(class);
    uintptr_t slab = alloc_run(SLAB_BYTES);
    if (slab == 0)
        return false;
    /* Pushed last first, so that blocks are handed out in address order. */
    for (size_t count = SLAB_BYTES / block; count-- > 0;) {
        struct free_block *free = (struct free_block *)(slab + count * block);
        free->next = free_blocks[class];
        free_blocks[class] = free;
    }
    return true;
}

static size_t run_bytes(size_t size)
{
    size_t page = pk_page();
    return size > SIZE_MAX - page ? 0 : (size + page - 1) & ~(page - 1);
}

#ifdef PK_TEST_SEAM
/* Testing: how many more blocks are handed out before one is refused
 * (-1: none is). */
static long refuse_after = -1;

void pk_arena_refuse_after(long count)
{
    refuse_after = count;
}

static bool refused(void)
{
    if (refuse_after < 0)
        return false;
    if (refuse_after-- > 0)
        return false;
    return true;
}
#else
static inline bool refused(void)
{
    return false;
}
#endif

void *pk_arena_alloc(size_t size)
{
    if (refused())
        return NULL;
    if (size > LARGE_MAX) {
        size_t bytes = run_bytes(size);
        uintptr_t run = bytes != 0 ? alloc_run(bytes) : 0;
        if (run != 0)
            in_use += bytes;
        return (void *)run;
    }
    unsigned int class = class_of(size);
    if (free_blocks[class] == NULL && !refill(class))
        return NULL;
    struct free_block *block = free_blocks[class];
    free_blocks[class] = block->next;
    block->next = NULL;
    in_use += class_size(class);
    return block;
}

void pk_arena_free(void *block, size_t size)
{
    if (block == NULL)
        return;
    if (size > LARGE_MAX) {
        size_t bytes = run_bytes(size);
        in_use -= bytes;
        free_run((uintptr_t)block, bytes);
        return;
    }
    unsigned int class = class_of(size);
    struct free_block *free = block;
    free->next = free_blocks[class];
    free_blocks[class] = free;
    in_use -= class_size(class);
}

const struct pk_arena_chunk *pk_arena_chunks(void)
{
    return chunks;
}

const unsigned int *pk_arena_chunk_count(void)
{
    return &chunk_count;
}

void pk_arena_usage(struct pk_arena_usage *usage)
{
    bool locked = pk_table_lock() == 0;
    *usage = (struct pk_arena_usage){.in_use = in_use, .chunks = chunk_count};
    for (unsigned int i = 0; i < chunk_count; i++) {
        usage->committed += chunks[i].committed - chunks[i].base;
        usage->reserved += chunks[i].end - chunks[i].base;
    }
    if (locked)
        pk_table_unlock();
}
