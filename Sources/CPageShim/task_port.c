// SPDX-License-Identifier: Apache-2.0
/*
 * task_port.c - other processes as Mach tasks: pk_task_for_pid
 * (task_for_pid, task_read_for_pid) and the calls that read, write and
 * describe another process's memory.
 *
 * A task port holds the process's /proc/PID/mem and /proc/PID/maps open.
 * Opening them is Linux's ptrace access check (PTRACE_MODE_ATTACH for mem,
 * as a debugger), made once, when the port is made; and the descriptors
 * stay bound to that process's memory, so a PID used again by another
 * process is never read by mistake. When the process is gone, its port is
 * dead: calls give ESRCH (MACH_SEND_INVALID_DEST), as messages to a dead
 * port do.
 *
 * Each call checks the remote ranges as the local ones are checked
 * (transfer.c): a hole KERN_INVALID_ADDRESS; a page without the access,
 * in a transfer of at most 16 KiB (32 KiB off x86-64) KERN_INVALID_ADDRESS,
 * else KERN_PROTECTION_FAILURE, the first in address order; and only then
 * moves bytes, through the mem descriptor. /proc/PID/mem reads and writes
 * as a debugger does, whatever the protection, which is why the check
 * comes first.
 */
#include "internal.h"

#include <pagekit/pagekit.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "segments.h"

#define PORTS 64
/* Task names: 0x7 in the top nibble, the slot, and a generation, so that
 * a released name is not soon taken for a new port. */
#define NAME_TAG 0x70000000u
#define NAME_MASK 0xF0000000u


struct port {
    int pid, mem, maps, pagemap, status;
    bool used, writable;
    uint8_t generation;
};

static struct port ports[PORTS];

static pk_task_t name_of(size_t slot)
{
    return NAME_TAG | (uint32_t)slot << 8 | ports[slot].generation;
}

/* The port a name names, with the table lock held; NULL if none. */
static struct port *lookup(pk_task_t task)
{
    if ((task & NAME_MASK) != NAME_TAG)
        return NULL;
    size_t slot = (task >> 8) & 0xFFFFF;
    if (slot >= PORTS || !ports[slot].used || name_of(slot) != task)
        return NULL;
    return &ports[slot];
}

bool pk_task_valid(pk_task_t task)
{
    if (pk_table_lock() != 0)
        return false;
    bool valid = lookup(task) != NULL;
    pk_table_unlock();
    return valid;
}

static int open_proc(int pid, const char *file, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ESRCH : errno == EACCES || errno == EPERM ? -EACCES : -errno;
    return pk_descriptor_keep(fd, false);
}

int pk_task_for_pid(int pid, bool read_only, pk_task_t *task)
{
    if (task == NULL)
        return -EINVAL;
    *task = 0;
    if (pid <= 0)
        return -ESRCH;
    int mem = open_proc(pid, "mem", read_only ? O_RDONLY : O_RDWR);
    if (mem < 0)
        return mem;
    int maps = open_proc(pid, "maps", O_RDONLY), pagemap = maps < 0 ? maps : open_proc(pid, "pagemap", O_RDONLY);
    int status = pagemap < 0 ? pagemap : open_proc(pid, "status", O_RDONLY);
    if (maps < 0 || pagemap < 0 || status < 0) {
        close(mem);
        if (maps >= 0)
            close(maps);
        if (pagemap >= 0)
            close(pagemap);
        return maps < 0 ? maps : pagemap < 0 ? pagemap : status;
    }
    int error = pk_table_lock();
    size_t slot = 0;
    while (error == 0 && slot < PORTS && ports[slot].used)
        slot++;
    if (error == 0 && slot == PORTS)
        error = -EMFILE;
    if (error == 0) {
        ports[slot] = (struct port){.pid = pid, .mem = mem, .maps = maps, .pagemap = pagemap, .status = status,
                                    .used = true, .writable = !read_only,
                                    .generation = (uint8_t)(ports[slot].generation + 1)};
        *task = name_of(slot);
    }
    pk_table_unlock();
    if (error) {
        close(mem);
        close(maps);
        close(pagemap);
        close(status);
    }
    return error;
}

/* The port a name stands for, with the table locked: the lock is kept
 * on success only, and absent is the caller's errno for an unknown name. */
static int lock_port(pk_task_t task, int absent, struct port **port)
{
    int error = pk_table_lock();
    if (error)
        return error;
    if ((*port = lookup(task)) == NULL) {
        pk_table_unlock();
        return absent;
    }
    return 0;
}

int pk_task_release(pk_task_t task)
{
    struct port *port;
    int error = lock_port(task, -EBADF, &port);
    if (error)
        return error;
    close(port->mem);
    close(port->maps);
    close(port->pagemap);
    close(port->status);
    port->used = false;
    pk_table_unlock();
    return 0;
}

/* A port's descriptors, duplicated under the table lock so that a call can
 * use them without it (reading another process can wait on that process)
 * and a release on another thread cannot close them underneath. */
struct held {
    int pid, mem, maps, pagemap, status;
    bool writable;
};

static void let_go(struct held *held)
{
    int fds[] = {held->mem, held->maps, held->pagemap, held->status};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static int hold(pk_task_t task, struct held *held)
{
    *held = (struct held){.mem = -1, .maps = -1, .pagemap = -1, .status = -1};
    struct port *port;
    int error = lock_port(task, -ESRCH, &port);
    if (error)
        return error;
    held->pid = port->pid;
    held->writable = port->writable;
    held->mem = fcntl(port->mem, F_DUPFD_CLOEXEC, 0);
    held->maps = fcntl(port->maps, F_DUPFD_CLOEXEC, 0);
    held->pagemap = fcntl(port->pagemap, F_DUPFD_CLOEXEC, 0);
    held->status = fcntl(port->status, F_DUPFD_CLOEXEC, 0);
    pk_table_unlock();
    if (held->mem < 0 || held->maps < 0 || held->pagemap < 0 || held->status < 0) {
        let_go(held);
        return -EMFILE;
    }
    return 0;
}

/* Whether the process behind a port still runs: its maps say nothing
 * once it has exited. */
static bool alive(int maps)
{
    char byte;
    return pread(maps, &byte, 1, 0) == 1;
}

/* [address, address + size) of the remote process allows access, as XNU
 * checks it (see transfer.c): 0, -EFAULT or -EACCES, -ESRCH when it is
 * gone. */
static int check_remote(int maps, uintptr_t address, size_t size, unsigned int access)
{
    uintptr_t start, end;
    if (pk_page_range(address, size, &start, &end) != 0 || end > pk_max_address())
        return -EFAULT;
    bool small = size <= PK_SMALL_TRANSFER;
    for (uintptr_t at = start; at < end;) {
        struct pk_kernel_mapping mapping;
        int error = pk_kernel_mapping_in(maps, at, &mapping);
        if (error == -ENOMEM || (error == 0 && mapping.start > at))
            return alive(maps) ? -EFAULT : -ESRCH;
        if (error)
            return alive(maps) ? error : -ESRCH;
        if ((mapping.protection & access) != access)
            return small ? -EFAULT : -EACCES;
        at = mapping.end;
    }
    return 0;
}

/* Local memory for the other end of a transfer: checked as pk_copy checks
 * it; *volatile_pages when it holds volatile purgeable pages. */
static int check_local(uintptr_t address, size_t size, unsigned int access, bool *volatile_pages)
{
    uintptr_t start, end;
    if (pk_page_range(address, size, &start, &end) != 0 || end > pk_max_address())
        return -EFAULT;
    int error = pk_table_lock();
    if (error)
        return error;
    pk_table_verify(start, end);
    struct pk_segments segments;
    int collected = pk_segments_collect(start, end, &segments);
    for (size_t i = 0; i < segments.count && error == 0; i++) {
        const struct pk_segment *segment = &segments.items[i];
        if (segment->entry != NULL && (segment->entry->flags & PK_ENTRY_INTERNAL))
            error = -EFAULT;
        else if (!(segment->protection & access))
            error = size <= PK_SMALL_TRANSFER ? -EFAULT : -EACCES;
        else if (segment->entry != NULL && segment->entry->object != NULL &&
                 segment->entry->object->state == PK_PURGEABLE_VOLATILE)
            *volatile_pages = true;
    }
    pk_segments_free(&segments);
    pk_table_unlock();
    return error != 0 ? error : collected != 0 ? -EFAULT : 0;
}

/* A read or write of the whole through the mem descriptor. */
static int move(int mem, void *buffer, size_t size, uintptr_t address, bool write)
{
    for (size_t done = 0; done < size;) {
        ssize_t moved = write ? pwrite(mem, (const char *)buffer + done, size - done, (off_t)(address + done))
                              : pread(mem, (char *)buffer + done, size - done, (off_t)(address + done));
        if (moved < 0 && errno == EINTR)
            continue;
        if (moved <= 0)
            return moved == 0 || errno == ESRCH ? -ESRCH : -EFAULT;
        done += (size_t)moved;
    }
    return 0;
}

int pk_task_read(pk_task_t task, uintptr_t address, size_t size, void *buffer)
{
    if (size == 0)
        return 0;
    if (address > UINTPTR_MAX - size || (uintptr_t)buffer > UINTPTR_MAX - size)
        return -EFAULT;
    struct held held;
    int error = hold(task, &held);
    if (error)
        return error;
    bool unused = false;
    error = check_remote(held.maps, address, size, PK_PROT_READ);
    if (error == 0)
        error = check_local((uintptr_t)buffer, size, PK_PROT_WRITE, &unused);
    if (error == 0)
        error = move(held.mem, buffer, size, address, false);
    let_go(&held);
    return error;
}

int pk_task_write(pk_task_t task, uintptr_t address, const void *data, size_t size)
{
    if (size == 0)
        return 0;
    if ((uintptr_t)data > UINTPTR_MAX - size)
        return -EBADMSG;
    if (address > UINTPTR_MAX - size)
        return -EFAULT;
    struct held held;
    int error = hold(task, &held);
    if (error)
        return error;
    bool volatile_pages = false;
    if (!held.writable)
        error = -EBADF;
    if (error == 0 && check_local((uintptr_t)data, size, PK_PROT_READ, &volatile_pages) != 0)
        error = -EBADMSG;
    if (error == 0)
        error = check_remote(held.maps, address, size, PK_PROT_WRITE);
    /* Volatile pages hold PageKit's markers in their first words: the
     * user's bytes come from a copy with the words put back. */
    uintptr_t from = (uintptr_t)data, start = pk_trunc(from), end = 0, snapshot = 0;
    if (error == 0 && volatile_pages) {
        intptr_t copy = pk_round(from + size, &end)
                            ? pk_sys_mmap(0, end - start, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
                            : -EFAULT;
        if (copy < 0)
            error = copy == -EFAULT ? -EBADMSG : -EAGAIN;
        else
            snapshot = (uintptr_t)copy;
        if (error == 0 && (error = pk_table_lock()) == 0) {
            error = pk_snapshot_pages(start, end, snapshot);
            pk_table_unlock();
            if (error == -ENODATA || error == -EFAULT)
                error = -EBADMSG;
            from = snapshot + (from - start);
        }
    }
    if (error == 0)
        error = move(held.mem, (void *)from, size, address, true);
    if (snapshot != 0)
        pk_sys_munmap(snapshot, end - start);
    let_go(&held);
    return error;
}

int pk_task_region(pk_task_t task, uintptr_t *address, struct pk_region_info *info)
{
    if (address == NULL || info == NULL)
        return -EINVAL;
    struct held held;
    int error = hold(task, &held);
    if (error)
        return error;
    struct pk_kernel_mapping mapping;
    error = pk_kernel_mapping_in(held.maps, *address, &mapping);
    if (error != 0 && !alive(held.maps))
        error = -ESRCH;
    if (error == 0) {
        *info = (struct pk_region_info){
            .start = mapping.start,
            .size = mapping.end - mapping.start,
            .protection = mapping.protection,
            .max_protection = PK_PROT_ALL,
            .inheritance = mapping.shared ? PK_INHERIT_SHARE : PK_INHERIT_COPY,
            .purgeable_state = -1,
            .flags = mapping.shared ? PK_REGION_SHARED : 0,
        };
        snprintf(info->name, sizeof info->name, "%s", mapping.name);
        *address = mapping.start;
    }
    let_go(&held);
    return error;
}

int pk_task_page_range_query(pk_task_t task, uintptr_t address, size_t size, int *dispositions, size_t *count)
{
    struct held held;
    int error = hold(task, &held);
    if (error)
        return error;
    error = pk_page_range_query_in(held.pagemap, held.maps, address, size, dispositions, count);
    if (error != 0 && error != -EFAULT && !alive(held.maps))
        error = -ESRCH;
    let_go(&held);
    return error;
}

int pk_task_page_counts(pk_task_t task, uintptr_t address, size_t size, struct pk_page_counts *counts)
{
    if (counts == NULL)
        return -EINVAL;
    struct held held;
    int error = hold(task, &held);
    if (error)
        return error;
    error = pk_page_counts_in(held.pid, held.pagemap, held.maps, address, size, counts);
    /* A large range is counted from /proc/PID/smaps, opened by number: the
     * process still alive after it was read means the number was still
     * its own when it was opened. */
    if (!alive(held.maps))
        error = -ESRCH;
    let_go(&held);
    return error;
}

static int check_in_task(void *task, uintptr_t address, size_t size)
{
    struct held held;
    int error = hold(*(pk_task_t *)task, &held);
    if (error)
        return error;
    error = check_remote(held.maps, address, size, PK_PROT_READ);
    let_go(&held);
    return error;
}

static int copy_from_task(void *task, uintptr_t address, size_t size, uintptr_t destination)
{
    return pk_task_read(*(pk_task_t *)task, address, size, (void *)destination);
}

int pk_task_read_new(pk_task_t task, uintptr_t address, size_t size, uintptr_t *data)
{
    const struct pk_reader reader = {check_in_task, copy_from_task, &task};
    int error = pk_read_into_new(address, size, data, &reader);
    /* No room here for the copy: KERN_NO_SPACE, as for this task. */
    return error == -ENOMEM ? -ENOSPC : error;
}

int pk_task_pid(pk_task_t task, int *pid)
{
    struct port *port;
    int error = lock_port(task, -ESRCH, &port);
    if (error)
        return error;
    if (pid != NULL)
        *pid = port->pid;
    pk_table_unlock();
    return 0;
}

int pk_task_vm_info_of(pk_task_t task, struct pk_task_vm_info *info)
{
    if (info == NULL)
        return -EINVAL;
    struct held held;
    int error = hold(task, &held);
    if (error)
        return error;
    /* Read from their starts through opens of their own: the held
     * descriptors share their positions with the port's, which another
     * thread's call may be moving. */
    FILE *status = pk_descriptor_reopen(held.status), *maps = status != NULL ? pk_descriptor_reopen(held.maps) : NULL;
    if (status == NULL || maps == NULL)
        error = alive(held.maps) ? -EMFILE : -ESRCH;
    else
        error = pk_vm_info_from(status, maps, info);
    if (status != NULL)
        fclose(status);
    if (maps != NULL)
        fclose(maps);
    let_go(&held);
    return error;
}
