// SPDX-License-Identifier: Apache-2.0
/*
 * share.c - moving private PageKit memory onto shared pages, in place.
 *
 * The first time Mach code shares memory that vm_allocate made (a memory
 * entry naming it, a remap without copy, VM_INHERIT_SHARE), its pages must
 * become a backing's: PageKit copies them into a new memfd and maps that
 * over the same addresses, entry by entry with the same protections. A
 * thread writing to the range meanwhile must not lose its write: where the
 * kernel can write-protect unpopulated anonymous memory with userfaultfd
 * (Linux 6.4), writers wait in the kernel from before the copy until the
 * shared pages are in place, and then write there. Elsewhere there is no
 * such window, and a write racing the move can be lost (README.md).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "segments.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif

/* Write-protects [start, end) so that writers wait: the userfaultfd, or
 * -1 where the kernel cannot. */
static int hold_writers(uintptr_t start, uintptr_t end)
{
    if (!pk_has(PK_FEATURE_UFFD_WP))
        return -1;
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (fd < 0)
        return -1;
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_UNPOPULATED};
    struct uffdio_register range = {.range = {start, end - start}, .mode = UFFDIO_REGISTER_MODE_WP};
    struct uffdio_writeprotect protect = {.range = {start, end - start}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    if (ioctl(fd, UFFDIO_API, &api) != 0 || ioctl(fd, UFFDIO_REGISTER, &range) != 0 ||
        ioctl(fd, UFFDIO_WRITEPROTECT, &protect) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Closing the userfaultfd wakes every waiting writer; each retries its
 * fault, now on the shared pages. */
static void release_writers(int fd)
{
    if (fd >= 0)
        close(fd);
}

#define PAGE_PRESENT (1ull << 63)
#define PAGE_SWAPPED (1ull << 62)

/* /proc/self/pagemap's entries for [start, end), or NULL. */
static uint64_t *read_pagemap(uintptr_t start, uintptr_t end)
{
    size_t pages = (end - start) / pk_page();
    uint64_t *entries = malloc(pages * sizeof *entries);
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    off_t offset = (off_t)(start / pk_page() * sizeof *entries);
    if (entries != NULL &&
        (fd < 0 || pread(fd, entries, pages * sizeof *entries, offset) != (ssize_t)(pages * sizeof *entries))) {
        free(entries);
        entries = NULL;
    }
    if (fd >= 0)
        close(fd);
    return entries;
}

/* Whether page i holds anything. After a userfaultfd write protection,
 * an unpopulated page reads as swapped (a marker), so a page counts as
 * swapped only if it was before too. */
static bool holds_data(const uint64_t *now, const uint64_t *before, size_t i)
{
    if (now == NULL)
        return true;
    if (now[i] & PAGE_PRESENT)
        return true;
    return (now[i] & PAGE_SWAPPED) && (before == NULL || (before[i] & (PAGE_PRESENT | PAGE_SWAPPED)));
}

/* Where a copy goes: memory (address) or a file (fd, at offset). */
struct sink {
    int fd;
    uintptr_t address;
    uint64_t offset;
};

static int put(const struct sink *sink, uint64_t at, const void *bytes, size_t length)
{
    if (sink->fd < 0) {
        memcpy((void *)(sink->address + at), bytes, length);
        return 0;
    }
    return pk_sys_pwrite_all(sink->fd, bytes, length, sink->offset + at);
}

/* Copies [from, to) to the sink at at: straight from the pages where they
 * are readable, and through /proc/self/mem, as a debugger reads, where
 * they are not. */
static int copy_run(uintptr_t from, uintptr_t to, const struct sink *sink, uint64_t at, bool readable, int *mem)
{
    if (readable)
        return put(sink, at, (const void *)from, to - from);
    if (*mem < 0 && (*mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC)) < 0)
        return -errno;
    unsigned char bounce[16384];
    for (uintptr_t done = from; done < to;) {
        size_t length = to - done < sizeof bounce ? to - done : sizeof bounce;
        if (pk_sys_pread_all(*mem, bounce, length, done) != 0)
            return -EIO;
        int error = put(sink, at + (done - from), bounce, length);
        if (error)
            return error;
        done += length;
    }
    return 0;
}

/* A volatile object's pages hold PageKit's marker in their first word; the
 * copy gets the user's word back. (An object the kernel purged was found
 * EMPTY and zeroed before the copy, so it copies as zeros.) */
static int unmark(const struct pk_entry *entry, uintptr_t from, uintptr_t to, const struct sink *sink,
                  uintptr_t start)
{
    for (uintptr_t page = from; page < to; page += pk_page()) {
        uintptr_t word = 0;
        if (sink->fd < 0)
            memcpy(&word, (const void *)(sink->address + (page - start)), sizeof word);
        else if (pread(sink->fd, &word, sizeof word, (off_t)(sink->offset + (page - start))) != (ssize_t)sizeof word)
            return -EIO;
        /* A page without the marker was dropped after the state was read:
         * it copies as the zeros it is, and the next page may still hold
         * the marker. */
        if (!pk_object_saved_word(entry->object, page, &word))
            continue;
        int error = put(sink, page - start, &word, sizeof word);
        if (error)
            return error;
    }
    return 0;
}

void pk_objects_prepare_read(uintptr_t start, uintptr_t end)
{
    /* A purgeable object's state reads all its pages, within the range or
     * not, so they must all still be PageKit's; verifying changes the
     * table, so the walk starts over when it did. */
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;) {
        if (entry->object != NULL && pk_table_verify(entry->object->start, entry->object->end)) {
            entry = pk_table_ceiling(start);
            continue;
        }
        entry = pk_table_next(entry);
    }
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry))
        if (entry->object != NULL)
            pk_object_state(entry->object);
}

void pk_objects_unmark_copy(uintptr_t start, uintptr_t end, uintptr_t copy)
{
    struct sink sink = {.fd = -1, .address = copy};
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry))
        if (entry->object != NULL)
            unmark(entry, entry->start > start ? entry->start : start, entry->end < end ? entry->end : end, &sink,
                   start);
}

static int copy_pages(uintptr_t start, uintptr_t end, const struct sink *sink, const uint64_t *before)
{
    size_t page = pk_page();
    pk_objects_prepare_read(start, end);
    uint64_t *now = read_pagemap(start, end);
    struct pk_segments segments;
    int error = pk_segments_collect(start, end, &segments), mem = -1;
    for (size_t s = 0; error == 0 && s < segments.count; s++) {
        const struct pk_segment *segment = &segments.items[s];
        /* Write-only memory is readable on Linux; execute-only memory is
         * not, where the CPU has protection keys. */
        bool readable = (segment->protection & (PK_PROT_READ | PK_PROT_WRITE)) != 0;
        for (uintptr_t at = segment->start; error == 0 && at < segment->end;) {
            bool has = holds_data(now, before, (at - start) / page);
            uintptr_t run = at + page;
            while (run < segment->end && holds_data(now, before, (run - start) / page) == has)
                run += page;
            if (has)
                error = copy_run(at, run, sink, at - start, readable, &mem);
            at = run;
        }
        if (error == 0 && segment->entry != NULL && segment->entry->object != NULL)
            error = unmark(segment->entry, segment->start, segment->end, sink, start);
    }
    pk_segments_free(&segments);
    if (mem >= 0)
        close(mem);
    free(now);
    return error;
}

int pk_copy_pages(uintptr_t start, uintptr_t end, uintptr_t copy)
{
    struct sink sink = {.fd = -1, .address = copy};
    return copy_pages(start, end, &sink, NULL);
}

int pk_copy_pages_to_file(uintptr_t start, uintptr_t end, int fd, uint64_t offset)
{
    struct sink sink = {.fd = fd, .offset = offset};
    return copy_pages(start, end, &sink, NULL);
}

/* Maps the backing over each entry of [start, end), with its protection;
 * a new mapping is not locked, so wired pages are locked again. On
 * failure, puts private copies back over the entries already replaced
 * (the backing holds their contents), wired ones locked again too. */
static int replace(uintptr_t start, uintptr_t end, const struct pk_backing *backing)
{
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        intptr_t mapped = pk_sys_mmap_file(entry->start, entry->end - entry->start, entry->protection,
                                           MAP_SHARED | MAP_FIXED, backing->fd, entry->start - start);
        int error = mapped < 0 ? (int)mapped : 0;
        if (error == 0 && entry->wired > 0)
            error = pk_sys_mlock(entry->start, entry->end - entry->start);
        if (error == 0)
            continue;
        struct pk_entry *stop = mapped >= 0 ? pk_table_next(entry) : entry;
        for (struct pk_entry *undo = pk_table_ceiling(start); undo != stop; undo = pk_table_next(undo)) {
            size_t length = undo->end - undo->start;
            pk_sys_mmap(undo->start, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
            if (pk_sys_pread_all(backing->fd, (void *)undo->start, length, undo->start - start) != 0)
                memset((void *)undo->start, 0, length);
            pk_sys_mprotect(undo->start, length, undo->protection);
            if (undo->wired > 0)
                pk_sys_mlock(undo->start, length);
        }
        return error;
    }
    return 0;
}

int pk_share_range(uintptr_t start, uintptr_t end, struct pk_spares *spares, struct pk_backing **shared)
{
    int error = 0;
    struct pk_backing *backing = pk_backing_create(end - start, &error);
    if (backing == NULL)
        return error;
    pk_table_clip(start, end, spares);
    /* What holds data before writers are held: afterwards the kernel shows
     * every page it protects as swapped. */
    uint64_t *before = read_pagemap(start, end);
    int writers = hold_writers(start, end);
    struct sink sink = {.fd = backing->fd};
    error = copy_pages(start, end, &sink, writers >= 0 ? before : NULL);
    free(before);
    if (error == 0)
        error = replace(start, end, backing);
    release_writers(writers);
    if (error) {
        pk_table_coalesce(start, end);
        pk_backing_close(backing);
        return error;
    }
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        entry->backing = backing;
        entry->backing_page = (uint32_t)((entry->start - start) / pk_page());
        pk_backing_retain(backing);
        pk_fork_advice(entry);
    }
    pk_table_coalesce(start, end);
    *shared = backing;
    return 0;
}
