// SPDX-License-Identifier: Apache-2.0
/*
 * page_query.c - pk_page_info and pk_page_range_query (mach_vm_page_info,
 * mach_vm_page_query, mach_vm_page_range_query): what each page is, in
 * Mach's VM_PAGE_QUERY_* bits, from /proc/self/pagemap and the kernel's
 * mappings.
 *
 *   PRESENT | REF   the page is in memory (Linux does not show a user the
 *                   referenced bit: a present page counts as referenced)
 *   DIRTY           written: a private anonymous page of this process's own
 *                   (not the shared zero page), or a shared anonymous page
 *                   (memfd, which has nowhere else to be)
 *   PAGED_OUT       in swap
 *   EXTERNAL        backed by a file
 *
 * Unmapped pages, and PageKit's own memory, are 0, as XNU answers for
 * addresses outside the task's map.
 */
#include "internal.h"

#include <pagekit/pagekit.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault_guard.h"

#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_SWAPPED (1ull << 62)
#define PAGEMAP_EXCLUSIVE (1ull << 56)

/* Pages looked at a time: few calls for a large range. The buffers (208
 * KiB) are the library's own, used with the table lock held, so that a
 * query does not fault fresh memory in each time. */
#define CHUNK 16384

struct buffers {
    uint64_t entries[CHUNK];
    unsigned char cached[CHUNK];
    int dispositions[CHUNK];
};

static struct buffers shared_buffers;

/* Shared memory with no file of its own behind it. */
static bool anonymous_file(const char *name)
{
    return strncmp(name, "/memfd:", 7) == 0 || strncmp(name, "/dev/zero", 9) == 0 || strncmp(name, "/SYSV", 5) == 0;
}

static int pagemap_open(void)
{
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

/* A private anonymous page's disposition by its pagemap entry's bits 63
 * (present), 62 (swapped) and 56 (exclusively mapped), as index bits 1, 0
 * and 2: present, written (this process's own page, not the shared zero
 * page), or swapped. */
#define RESIDENT (PK_PAGE_PRESENT | PK_PAGE_REF)
static const int anonymous_disposition[8] = {
    0, PK_PAGE_PAGED_OUT, RESIDENT, RESIDENT, 0, PK_PAGE_PAGED_OUT, RESIDENT | PK_PAGE_DIRTY, RESIDENT | PK_PAGE_DIRTY,
};

/* The dispositions of pages [first, first + count) of one kind of mapping.
 * Private anonymous memory is in memory where this process's page tables
 * say; a file's or shared pages where the page cache has them (mincore),
 * mapped here yet or not, as they are in their object on XNU. */
static int describe(int pagemap, bool remote, uintptr_t first, size_t count, const struct pk_kernel_mapping *mapping,
                    int *dispositions, struct buffers *buffers)
{
    uint64_t *entries = buffers->entries;
    unsigned char *cached = buffers->cached;
    bool shmem = mapping->shared && (mapping->name[0] != '/' || anonymous_file(mapping->name));
    bool file = mapping->name[0] == '/' && !anonymous_file(mapping->name);
    bool object_pages = mapping->shared || file;
    for (size_t done = 0; done < count;) {
        size_t pages = count - done < CHUNK ? count - done : CHUNK;
        uintptr_t at = first + done * pk_page();
        off_t offset = (off_t)(at / pk_page() * sizeof entries[0]);
        if (pread(pagemap, entries, pages * sizeof entries[0], offset) != (ssize_t)(pages * sizeof entries[0]))
            return -EIO;
        /* Another process's page cache residency cannot be asked for:
         * there, a page counts where it is mapped. */
        if (object_pages && (remote || pk_sys_mincore(at, pages * pk_page(), cached) != 0))
            memset(cached, 0, pages);
        if (!object_pages) {
            /* Private anonymous memory, the common case, without a branch
             * a page. */
            for (size_t i = 0; i < pages; i++)
                dispositions[done + i] = anonymous_disposition[(entries[i] >> 62) | ((entries[i] >> 54) & 4)];
            done += pages;
            continue;
        }
        for (size_t i = 0; i < pages; i++) {
            uint64_t entry = entries[i];
            /* A private page of this process's own was written (a read
             * maps the file's page). */
            bool written = !mapping->shared && (entry & PAGEMAP_EXCLUSIVE) && (entry & PAGEMAP_PRESENT);
            bool present = (entry & PAGEMAP_PRESENT) || (cached[i] & 1);
            int disposition = 0;
            if (present) {
                disposition = PK_PAGE_PRESENT | PK_PAGE_REF;
                if (shmem || written)
                    disposition |= PK_PAGE_DIRTY;
                if (file && !written)
                    disposition |= PK_PAGE_EXTERNAL;
            } else if (entry & PAGEMAP_SWAPPED) {
                disposition = PK_PAGE_PAGED_OUT;
            }
            dispositions[done + i] = disposition;
        }
        done += pages;
    }
    return 0;
}

/* Dispositions of count pages from first, into dispositions: this
 * process's (maps -1; PageKit's own memory reads as nothing), or the one
 * whose /proc/PID/maps descriptor maps is. */
static int dispositions_of(int pagemap, int maps, uintptr_t first, size_t count, int *dispositions,
                           struct buffers *buffers)
{
    uintptr_t end = first + count * pk_page();
    for (uintptr_t at = first; at < end;) {
        struct pk_kernel_mapping mapping;
        int error = maps < 0 ? pk_kernel_mapping(at, &mapping) : pk_kernel_mapping_in(maps, at, &mapping);
        /* Nothing mapped at or above is an answer; anything else (a
         * process that is gone) is not. */
        if (error != 0 && error != -ENOMEM)
            return error;
        uintptr_t from = error == 0 && mapping.start > at ? mapping.start : at;
        uintptr_t to = error != 0 ? end : mapping.end < end ? mapping.end : end;
        if (error != 0 || mapping.start >= end)
            from = to = end;
        for (uintptr_t gap = at; gap < from; gap += pk_page())
            dispositions[(gap - first) / pk_page()] = 0;
        if (from >= to)
            break;
        /* PageKit's own memory reads as nothing, wherever it lies in the
         * mapping (the kernel may merge it with a neighbour's). */
        struct pk_entry *entry = maps < 0 ? pk_table_ceiling(from) : NULL;
        while (entry != NULL && entry->end <= from)
            entry = pk_table_next(entry);
        for (; entry != NULL && entry->start < to && !(entry->flags & PK_ENTRY_INTERNAL); entry = pk_table_next(entry))
            ;
        if (entry != NULL && entry->start < to) {
            if (entry->start > from) {
                to = entry->start;
            } else {
                uintptr_t internal_end = entry->end < to ? entry->end : to;
                for (uintptr_t page = from; page < internal_end; page += pk_page())
                    dispositions[(page - first) / pk_page()] = 0;
                at = internal_end;
                continue;
            }
        }
        if ((error = describe(pagemap, maps >= 0, from, (to - from) / pk_page(), &mapping,
                              dispositions + (from - first) / pk_page(), buffers)) != 0)
            return error;
        at = to;
    }
    return 0;
}

int pk_page_info(uintptr_t address, struct pk_page_info *info)
{
    if (info == NULL)
        return -EINVAL;
    uintptr_t page = pk_trunc(address);
    if (page > UINTPTR_MAX - pk_page())
        return -EFAULT;
    int pagemap = pagemap_open();
    if (pagemap < 0)
        return pagemap;
    int error = pk_table_lock(), disposition = 0;
    if (error == 0) {
        error = dispositions_of(pagemap, -1, page, 1, &disposition, &shared_buffers);
        *info = (struct pk_page_info){.disposition = disposition, .offset = address - page};
        /* XNU's count of the page's object's references, as near as
         * PageKit knows it: the views and entries of shared pages. */
        const struct pk_entry *entry = pk_table_lookup(page);
        if (error == 0 && disposition != 0)
            info->ref_count = entry != NULL && entry->backing != NULL ? (int)entry->backing->references : 1;
        if (entry != NULL && entry->backing != NULL)
            info->offset += (uint64_t)entry->backing_page * pk_page() + (page - entry->start);
        pk_table_unlock();
    }
    close(pagemap);
    return error;
}

/* Ranges above this many pages are counted from smaps, which the kernel
 * sums while it skips what is not mapped, rather than page by page. */
#define SMAPS_ABOVE ((size_t)1 << 18)

/* Adds the counts of [start, end) to counts from /proc/PID/smaps (pid 0:
 * this process), each mapping's share of them by its overlap. */
static int count_from_smaps(int pid, uintptr_t start, uintptr_t end, struct pk_page_counts *counts)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/smaps");
    else
        snprintf(path, sizeof path, "/proc/%d/smaps", pid);
    FILE *smaps = fopen(path, "re");
    if (smaps == NULL)
        return errno == ENOENT ? -ESRCH : -errno;
    char line[512];
    double share = 0;
    unsigned long long kib;
    while (fgets(line, sizeof line, smaps) != NULL) {
        /* A mapping's first line starts its figures; the others are
         * "Name: value" lines. */
        struct pk_kernel_mapping mapping;
        if (pk_kernel_maps_parse_line(line, &mapping)) {
            uintptr_t from = mapping.start > start ? mapping.start : start;
            uintptr_t to = mapping.end < end ? mapping.end : end;
            share = to > from ? (double)(to - from) / (double)(mapping.end - mapping.start) : 0;
            continue;
        }
        if (share == 0)
            continue;
        if (sscanf(line, "Rss: %llu kB", &kib) == 1)
            counts->resident += (size_t)(share * (double)kib * 1024 / (double)pk_page());
        else if (sscanf(line, "Swap: %llu kB", &kib) == 1)
            counts->swapped += (size_t)(share * (double)kib * 1024 / (double)pk_page());
        else if (sscanf(line, "Private_Dirty: %llu kB", &kib) == 1 || sscanf(line, "Shared_Dirty: %llu kB", &kib) == 1)
            counts->dirty += (size_t)(share * (double)kib * 1024 / (double)pk_page());
    }
    fclose(smaps);
    return 0;
}

/* Adds the counts of [start, end) to counts, a chunk at a time, each with
 * the table lock held. */
static int count_pages(int pagemap, int maps, uintptr_t start, uintptr_t end, struct pk_page_counts *counts)
{
    int error = 0;
    for (uintptr_t at = start; error == 0 && at < end;) {
        size_t n = (end - at) / pk_page() < CHUNK ? (end - at) / pk_page() : CHUNK;
        if ((error = pk_table_lock()) != 0)
            break;
        error = dispositions_of(pagemap, maps, at, n, shared_buffers.dispositions, &shared_buffers);
        for (size_t i = 0; error == 0 && i < n; i++) {
            int disposition = shared_buffers.dispositions[i];
            counts->resident += (disposition & PK_PAGE_PRESENT) != 0;
            counts->dirty += (disposition & PK_PAGE_DIRTY) != 0;
            counts->swapped += (disposition & PK_PAGE_PAGED_OUT) != 0;
        }
        pk_table_unlock();
        at += n * pk_page();
    }
    return error;
}

/* Copies size bytes from PageKit's buffer to the caller's: 0 or -EFAULT. */
static int copy_out(uintptr_t destination, const void *buffer, size_t size)
{
    int error = pk_fault_guard_move(destination, (uintptr_t)buffer, size, NULL);
    if (error == -ENOTSUP)
        error = pk_sys_read_process(getpid(), (uintptr_t)buffer, (void *)destination, size);
    return error == 0 ? 0 : -EFAULT;
}

/* The range query over a pagemap descriptor, of this process (maps -1)
 * or another. */
static int range_query(int pagemap, int maps, uintptr_t address, size_t size, int *dispositions, size_t *count)
{
    if (count == NULL)
        return -EINVAL;
    if (*count > SIZE_MAX / sizeof(int) || (uintptr_t)dispositions > UINTPTR_MAX - *count * sizeof(int))
        return -EINVAL;
    if (address > UINTPTR_MAX - size)
        return -EINVAL;
    uintptr_t start = pk_trunc(address), end;
    if (!pk_round(address + size, &end))
        return -EINVAL;
    if (size == 0 || *count == 0)
        return 0;
    size_t pages = (end - start) / pk_page(), wanted = pages < *count ? pages : *count;
    struct buffers *buffers = &shared_buffers;
    int error = 0;
    size_t written = 0;
    while (error == 0 && written < wanted) {
        size_t n = wanted - written < CHUNK ? wanted - written : CHUNK;
        if ((error = pk_table_lock()) != 0)
            break;
        error = dispositions_of(pagemap, maps, start + written * pk_page(), n, buffers->dispositions, buffers);
        /* Into the caller's buffer under the fault guard (else through
         * the kernel): a bad buffer is an error, not a signal, and counts
         * as written, as on XNU. */
        if (error == 0)
            error = copy_out((uintptr_t)(dispositions + written), buffers->dispositions, n * sizeof(int));
        pk_table_unlock();
        if (error == 0 || error == -EFAULT)
            written += n;
    }
    if (error == 0 || error == -EFAULT)
        *count = written;
    return error;
}

int pk_page_range_query(uintptr_t address, size_t size, int *dispositions, size_t *count)
{
    int pagemap = pagemap_open();
    if (pagemap < 0)
        return pagemap;
    int error = range_query(pagemap, -1, address, size, dispositions, count);
    close(pagemap);
    return error;
}

int pk_page_range_query_in(int pagemap, int maps, uintptr_t address, size_t size, int *dispositions,
                           size_t *count)
{
    return range_query(pagemap, maps, address, size, dispositions, count);
}

int pk_page_counts_in(int pid, int pagemap, int maps, uintptr_t address, size_t size, struct pk_page_counts *counts)
{
    *counts = (struct pk_page_counts){0};
    uintptr_t start = pk_trunc(address), end;
    if (address > UINTPTR_MAX - size || !pk_round(address + size, &end))
        return -EINVAL;
    if ((end - start) / pk_page() > SMAPS_ABOVE)
        return count_from_smaps(pid, start, end, counts);
    return count_pages(pagemap, maps, start, end, counts);
}

int pk_page_counts(uintptr_t address, size_t size, struct pk_page_counts *counts)
{
    if (counts == NULL)
        return -EINVAL;
    int pagemap = pagemap_open();
    if (pagemap < 0)
        return pagemap;
    int error = pk_page_counts_in(0, pagemap, -1, address, size, counts);
    close(pagemap);
    return error;
}

int pk_volatile_resident(uint64_t *bytes)
{
    *bytes = 0;
    /* The objects' ranges first, then their pages, without the lock held
     * all along. */
    int error = pk_table_lock();
    if (error)
        return error;
    size_t count = 0;
    pk_objects_verify_volatile();
    for (struct pk_object *object = pk_objects_first(); object != NULL; object = pk_objects_next(object))
        count += pk_object_state(object) == PK_PURGEABLE_VOLATILE;
    uintptr_t(*ranges)[2] = count > 0 ? malloc(count * sizeof *ranges) : NULL;
    size_t filled = 0;
    for (struct pk_object *object = pk_objects_first(); ranges != NULL && object != NULL;
         object = pk_objects_next(object)) {
        if (pk_object_state(object) == PK_PURGEABLE_VOLATILE) {
            ranges[filled][0] = object->start;
            ranges[filled++][1] = object->end;
        }
    }
    pk_table_unlock();
    if (count > 0 && ranges == NULL)
        return -ENOMEM;
    for (size_t i = 0; error == 0 && i < filled; i++) {
        struct pk_page_counts counts;
        if ((error = pk_page_counts(ranges[i][0], ranges[i][1] - ranges[i][0], &counts)) == 0)
            *bytes += counts.resident * pk_page();
    }
    free(ranges);
    return error;
}
