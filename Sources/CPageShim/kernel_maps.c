// SPDX-License-Identifier: Apache-2.0
/*
 * kernel_maps.c - the kernel's own view of this process's mappings, for the
 * memory PageKit did not map: the PROCMAP_QUERY ioctl (Linux 6.11+) where
 * there is one, else a read of /proc/self/maps.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef PROCMAP_QUERY
struct procmap_query {
    uint64_t size;
    uint64_t query_flags;
    uint64_t query_addr;
    uint64_t vma_start;
    uint64_t vma_end;
    uint64_t vma_flags;
    uint64_t vma_page_size;
    uint64_t vma_offset;
    uint64_t inode;
    uint32_t dev_major;
    uint32_t dev_minor;
    uint32_t vma_name_size;
    uint32_t build_id_size;
    uint64_t vma_name_addr;
    uint64_t build_id_addr;
};
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#define PROCMAP_QUERY_VMA_READABLE 0x01
#define PROCMAP_QUERY_VMA_WRITABLE 0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_VMA_SHARED 0x08
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#endif

/* The open /proc/self/maps, or -1. It names the process that opened it, so
 * a forked child must open its own. */
static _Atomic int maps_fd = -1;
static atomic_bool query_unsupported;

void pk_kernel_maps_reset(void)
{
    int fd = atomic_exchange(&maps_fd, -1);
    if (fd >= 0)
        close(fd);
}

static int open_maps(void)
{
    int fd = atomic_load(&maps_fd);
    if (fd >= 0)
        return fd;
    fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    fd = pk_descriptor_keep(fd, false);
    int expected = -1;
    if (!atomic_compare_exchange_strong(&maps_fd, &expected, fd)) {
        close(fd);
        fd = expected;
    }
    return fd;
}

static unsigned int query_protection(uint64_t flags)
{
    return ((flags & PROCMAP_QUERY_VMA_READABLE) ? PK_PROT_READ : 0) |
           ((flags & PROCMAP_QUERY_VMA_WRITABLE) ? PK_PROT_WRITE : 0) |
           ((flags & PROCMAP_QUERY_VMA_EXECUTABLE) ? PK_PROT_EXECUTE : 0);
}

/* Private memory with no file behind it, not the heap or a stack: what
 * PageKit maps, and what an anonymous mmap looks like. */
static bool anonymous(bool shared, uint64_t inode, const char *name)
{
    return !shared && inode == 0 && (name[0] == '\0' || strncmp(name, "[anon:", 6) == 0);
}

static int query(int fd, uintptr_t address, struct pk_kernel_mapping *mapping)
{
    struct procmap_query request = {
        .size = sizeof request,
        .query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA,
        .query_addr = address,
        .vma_name_size = sizeof mapping->name,
        .vma_name_addr = (uintptr_t)mapping->name,
    };
    mapping->name[0] = '\0';
    int result = ioctl(fd, PROCMAP_QUERY, &request);
    /* A name longer than the buffer: the mapping without it. */
    if (result != 0 && errno == ENAMETOOLONG) {
        request.vma_name_size = 0;
        request.vma_name_addr = 0;
        result = ioctl(fd, PROCMAP_QUERY, &request);
    }
    if (result != 0)
        return errno == ENOENT ? -ENOMEM : -errno;
    mapping->start = request.vma_start;
    mapping->end = request.vma_end;
    mapping->protection = query_protection(request.vma_flags);
    mapping->shared = (request.vma_flags & PROCMAP_QUERY_VMA_SHARED) != 0;
    mapping->anonymous = anonymous(mapping->shared, request.inode, mapping->name);
    mapping->file = request.inode != 0;
    return 0;
}

/* Parses one line of /proc/PID/maps (or a mapping's first line in smaps):
 * "start-end perms offset dev inode name". */
bool pk_kernel_maps_parse_line(const char *line, struct pk_kernel_mapping *mapping)
{
    uintptr_t start, end;
    char perms[5];
    unsigned long inode = 0;
    int name_at = 0;
    if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s %*s %*s %lu %n", &start, &end, perms, &inode, &name_at) < 4)
        return false;
    mapping->start = start;
    mapping->end = end;
    mapping->protection = (perms[0] == 'r' ? PK_PROT_READ : 0) | (perms[1] == 'w' ? PK_PROT_WRITE : 0) |
                          (perms[2] == 'x' ? PK_PROT_EXECUTE : 0);
    mapping->shared = perms[3] == 's';
    const char *name = name_at > 0 ? line + name_at : "";
    size_t length = strcspn(name, "\n");
    if (length >= sizeof mapping->name)
        length = sizeof mapping->name - 1;
    memcpy(mapping->name, name, length);
    mapping->name[length] = '\0';
    mapping->anonymous = anonymous(mapping->shared, inode, mapping->name);
    mapping->file = inode != 0;
    return true;
}

/* The mapping containing or above address, from a maps file read from
 * its start; closes the file. */
static int scan_file(FILE *file, uintptr_t address, struct pk_kernel_mapping *mapping)
{
    char line[512];
    int error = -ENOMEM;
    while (fgets(line, sizeof line, file) != NULL) {
        size_t length = strlen(line);
        bool whole = length > 0 && line[length - 1] == '\n';
        /* The vsyscall page lies above the user address space, and so
         * outside the task's map as Mach sees it; PROCMAP_QUERY skips it
         * too. */
        if (pk_kernel_maps_parse_line(line, mapping) && mapping->end > address && mapping->start < pk_max_address()) {
            error = 0;
            break;
        }
        while (!whole && fgets(line, sizeof line, file) != NULL) {
            length = strlen(line);
            whole = length > 0 && line[length - 1] == '\n';
        }
    }
    fclose(file);
    return error;
}

static int scan(uintptr_t address, struct pk_kernel_mapping *mapping)
{
    FILE *file = fopen("/proc/self/maps", "re");
    return file != NULL ? scan_file(file, address, mapping) : -errno;
}

int pk_kernel_mapping_in(int maps, uintptr_t address, struct pk_kernel_mapping *mapping)
{
    if (!atomic_load_explicit(&query_unsupported, memory_order_relaxed)) {
        int error = query(maps, address, mapping);
        if (error != -ENOTTY && error != -EINVAL)
            return error;
    }
    /* Without PROCMAP_QUERY: the whole file, read from its start through
     * an open of its own, which another thread's scan cannot move. */
    FILE *file = pk_descriptor_reopen(maps);
    return file != NULL ? scan_file(file, address, mapping) : -EIO;
}

void pk_kernel_maps_force_scan(bool force)
{
    atomic_store(&query_unsupported, force);
}

int pk_procmap_query(uintptr_t address, struct pk_kernel_mapping *mapping)
{
    int fd = open_maps();
    return fd < 0 ? fd : query(fd, address, mapping);
}

/* The last mapping this thread was told of, while an operation that
 * changes no mapping remembers them: a second question about the same
 * mapping gets the same answer without the kernel. */
static _Thread_local struct {
    bool remembering, known;
    struct pk_kernel_mapping mapping;
} last;

void pk_kernel_maps_remember(bool remember)
{
    last.remembering = remember;
    last.known = false;
}

static int ask(uintptr_t address, struct pk_kernel_mapping *mapping)
{
    if (!atomic_load_explicit(&query_unsupported, memory_order_relaxed)) {
        int error = pk_procmap_query(address, mapping);
        if (error != -ENOTTY && error != -EINVAL)
            return error;
        atomic_store(&query_unsupported, true);
    }
    return scan(address, mapping);
}

int pk_kernel_mapping(uintptr_t address, struct pk_kernel_mapping *mapping)
{
    if (last.known && address >= last.mapping.start && address < last.mapping.end) {
        *mapping = last.mapping;
        return 0;
    }
    int error = ask(address, mapping);
    if (error == 0 && last.remembering) {
        last.mapping = *mapping;
        last.known = true;
    }
    return error;
}
