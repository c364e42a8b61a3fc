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
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

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

int pk_copy_pages(uintptr_t start, uintptr_t end, uintptr_t copy)
{
    int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    int map = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    int error = mem < 0 ? -errno : 0;
    size_t page = pk_page();
    uint64_t entries[512];
    for (uintptr_t at = start; error == 0 && at < end;) {
        size_t batch = (end - at) / page < 512 ? (end - at) / page : 512;
        bool known = map >= 0 && pread(map, entries, batch * sizeof entries[0], (off_t)(at / page * 8)) ==
                                     (ssize_t)(batch * sizeof entries[0]);
        for (size_t i = 0; i < batch && error == 0;) {
            bool has = !known || ((entries[i] >> 62) & 3) != 0;
            size_t run = i + 1;
            while (run < batch && (!known || ((entries[run] >> 62) & 3) != 0) == has)
                run++;
            size_t length = (run - i) * page;
            if (has && pread(mem, (void *)(copy + (at - start) + i * page), length, (off_t)(at + i * page)) !=
                           (ssize_t)length)
                error = errno ? -errno : -EIO;
            i = run;
        }
        at += batch * page;
    }
    if (mem >= 0)
        close(mem);
    if (map >= 0)
        close(map);
    for (struct pk_entry *entry = pk_table_ceiling(start); error == 0 && entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        uintptr_t from = entry->start > start ? entry->start : start, to = entry->end < end ? entry->end : end;
        if (entry->object != NULL)
            pk_object_unmark_copy(entry->object, from, to, copy + (from - start));
    }
    return error;
}

/* Maps the backing over each entry of [start, end), with its protection.
 * On failure, puts private copies back over the entries already replaced. */
static int replace(uintptr_t start, uintptr_t end, const struct pk_backing *backing, uintptr_t copy)
{
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        intptr_t mapped = pk_sys_mmap_file(entry->start, entry->end - entry->start, entry->protection,
                                           MAP_SHARED | MAP_FIXED, backing->fd, entry->start - start);
        if (mapped >= 0)
            continue;
        for (struct pk_entry *undo = pk_table_ceiling(start); undo != entry; undo = pk_table_next(undo)) {
            size_t length = undo->end - undo->start;
            pk_sys_mmap(undo->start, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
            memcpy((void *)undo->start, (const void *)(copy + (undo->start - start)), length);
            pk_sys_mprotect(undo->start, length, undo->protection);
        }
        return (int)mapped;
    }
    return 0;
}

int pk_share_range(uintptr_t start, uintptr_t end, struct pk_spares *spares, struct pk_backing **shared)
{
    int error = 0;
    struct pk_backing *backing = pk_backing_create(end - start, &error);
    if (backing == NULL)
        return error;
    intptr_t copy = pk_sys_mmap_file(0, end - start, PROT_READ | PROT_WRITE, MAP_SHARED, backing->fd, 0);
    if (copy < 0) {
        pk_backing_close(backing);
        return (int)copy;
    }
    pk_table_clip(start, end, spares);
    int writers = hold_writers(start, end);
    error = pk_copy_pages(start, end, (uintptr_t)copy);
    if (error == 0)
        error = replace(start, end, backing, (uintptr_t)copy);
    release_writers(writers);
    pk_sys_munmap((uintptr_t)copy, end - start);
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
