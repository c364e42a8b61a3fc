// SPDX-License-Identifier: Apache-2.0
/*
 * transfer.c - pk_copy, pk_read and pk_write: mach_vm_copy,
 * mach_vm_read_overwrite, mach_vm_read and mach_vm_write, signal-free.
 *
 * XNU carries each out as a copy of the source taken first and an
 * overwrite of the destination after, and checks them in that order. Its
 * codes depend on the size: up to msg_ool_size_small bytes (16 KiB on
 * x86-64, 32 KiB on arm64) the copy goes through a kernel buffer, and any
 * fault, a hole or a page without the access, is KERN_INVALID_ADDRESS;
 * above it the map is walked in address order, and the first problem
 * decides: a hole KERN_INVALID_ADDRESS, a page without the access
 * KERN_PROTECTION_FAILURE. PageKit checks both ranges the same way before
 * it moves a byte, so a call the checks refuse writes nothing. The checks
 * take the region table at its word; the kernel's maps are consulted only
 * when the table refuses or a page faults (ownership.c), and then decide
 * the code.
 *
 * The bytes move in this thread under the fault guard (fault_guard.c),
 * which turns a page taken away meanwhile into an error, never a signal;
 * where the guard cannot catch a fault, in the kernel (process_vm_readv on
 * this process, else /proc/self/mem), which does the same at about four
 * times the cost. A copy that faults part-way has moved some of the bytes,
 * which ones depending on memmove's order; XNU, which reads the whole
 * source first, writes nothing when the source fails. That takes memory
 * changed behind PageKit's back or by another thread during the copy.
 *
 * The source is read as a snapshot when it holds volatile purgeable pages
 * (whose first words PageKit keeps aside): its pages are copied whole, the
 * user's words put back. Overlapping ranges move as memmove moves them.
 */
#include "internal.h"

#include <pagekit/pagekit.h>

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault_guard.h"
#include "segments.h"


/* Whether [address, address + size) may be read (access READ) or written
 * (WRITE), as XNU checks it: 0; -EFAULT for a range outside the address
 * space, a hole (PageKit's own memory is one), or in a small transfer any
 * page without the access; -EACCES for the first page without it, before
 * any hole, in a large one. *volatile_pages is set when the range holds
 * volatile purgeable pages. With verify, PageKit's entries are first
 * compared with the kernel's mappings (ownership.c); without, the table is
 * taken at its word. */
static int check(uintptr_t address, size_t size, unsigned int access, bool small, bool verify, bool *volatile_pages)
{
    uintptr_t start, end;
    if (pk_page_range(address, size, &start, &end) != 0 || end > pk_max_address())
        return -EFAULT;
    if (verify)
        pk_table_verify(start, end);
    struct pk_segments segments;
    int collected = pk_segments_collect(start, end, &segments), error = 0;
    for (size_t i = 0; i < segments.count && error == 0; i++) {
        const struct pk_segment *segment = &segments.items[i];
        const struct pk_entry *entry = segment->entry;
        if (entry != NULL && (entry->flags & PK_ENTRY_INTERNAL)) {
            error = -EFAULT;
            break;
        }
        unsigned int maximum = entry != NULL ? entry->max_protection : PK_PROT_ALL;
        if (!(segment->protection & access) || !(maximum & access))
            error = small ? -EFAULT : -EACCES;
        if (entry != NULL && entry->object != NULL && entry->object->state == PK_PURGEABLE_VOLATILE)
            *volatile_pages = true;
    }
    pk_segments_free(&segments);
    return error != 0 ? error : collected != 0 ? -EFAULT : 0;
}

static bool overlap(uintptr_t a, uintptr_t b, size_t size)
{
    return a < b + size && b < a + size;
}

/* Whether the kernel can read a byte of every page of [start, start +
 * size): a failure's path, one system call a page. */
static bool readable_in_kernel(uintptr_t start, size_t size)
{
    char byte;
    for (uintptr_t page = pk_trunc(start); page < start + size; page += pk_page())
        if (pk_sys_read_process(getpid(), page > start ? page : start, &byte, 1) != 0)
            return false;
    return true;
}

/* Copies non-overlapping ranges in the kernel: 0, -ENODATA (the source
 * could not be read) or -EFAULT (the destination could not be written). */
static int kernel_copy(uintptr_t source, size_t size, uintptr_t destination)
{
    if (pk_sys_read_process(getpid(), source, (void *)destination, size) == 0)
        return 0;
    return readable_in_kernel(source, size) ? -EFAULT : -ENODATA;
}

/* Moves size bytes as memmove does: under the fault guard, else in the
 * kernel (through a bounce when the ranges overlap). 0; -ENODATA when a
 * page of the source faulted meanwhile, -EFAULT when one of the
 * destination did (or the kernel's copy failed); -EAGAIN when PageKit
 * could not map its bounce (KERN_RESOURCE_SHORTAGE). */
static int move_bytes(uintptr_t source, size_t size, uintptr_t destination)
{
    int error = pk_fault_guard_move(destination, source, size, NULL);
    if (error != -ENOTSUP)
        return error;
    if (!overlap(source, destination, size))
        return kernel_copy(source, size, destination);
    uintptr_t length;
    if (!pk_round(size, &length))
        return -EFAULT;
    intptr_t bounce = pk_sys_mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (bounce < 0)
        return -EAGAIN;
    error = kernel_copy(source, size, (uintptr_t)bounce);
    if (error == 0 && kernel_copy((uintptr_t)bounce, size, destination) != 0)
        error = -EFAULT;
    pk_sys_munmap((uintptr_t)bounce, length);
    return error;
}

/* Up to PK_SMALL_TRANSFER bytes XNU copies through a buffer in the
 * kernel, so a source that faults leaves the destination untouched. PageKit
 * moves them through a buffer of its own, which the table lock, held by
 * every transfer, keeps to one call at a time. */
static unsigned char small_buffer[PK_SMALL_TRANSFER];

static int move_transfer(uintptr_t source, size_t size, uintptr_t destination)
{
    if (size > PK_SMALL_TRANSFER)
        return move_bytes(source, size, destination);
    int error = pk_fault_guard_move(destination, source, size, small_buffer);
    if (error != -ENOTSUP)
        return error;
    error = move_bytes(source, size, (uintptr_t)small_buffer);
    return error != 0 ? error : move_bytes((uintptr_t)small_buffer, size, destination);
}

int pk_snapshot_pages(uintptr_t start, uintptr_t end, uintptr_t copy)
{
    pk_objects_prepare_read(start, end);
    int error = move_bytes(start, end - start, copy);
    if (error == 0)
        pk_objects_unmark_copy(start, end, copy);
    return error;
}

/* Volatile purgeable pages hold PageKit's markers in their first words:
 * the source's pages are copied aside whole, the user's words put back,
 * and the bytes moved from there. */
static int move_through_snapshot(uintptr_t source, size_t size, uintptr_t destination)
{
    uintptr_t start = pk_trunc(source), end;
    if (!pk_round(source + size, &end))
        return -EFAULT;
    intptr_t snapshot = pk_sys_mmap(0, end - start, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (snapshot < 0)
        return -EAGAIN;
    int error = pk_snapshot_pages(start, end, (uintptr_t)snapshot);
    if (error == 0)
        error = move_bytes((uintptr_t)snapshot + (source - start), size, destination);
    pk_sys_munmap((uintptr_t)snapshot, end - start);
    return error;
}

/* Checks the source, then the destination, as XNU does: 0 or the code.
 * source_error: what a source that cannot be read gives (mach_vm_write's
 * data travels in a message: EBADMSG); 0 keeps XNU's codes. */
static int check_both(uintptr_t source, size_t size, uintptr_t destination, int source_error, bool verify,
                      bool *volatile_pages)
{
    bool small = size <= PK_SMALL_TRANSFER, unused = false;
    *volatile_pages = false;
    /* Source and destination often lie in one kernel mapping: it is asked
     * for once. */
    pk_kernel_maps_remember(true);
    int error = check(source, size, PK_PROT_READ, small, verify, volatile_pages);
    if (error != 0 && source_error != 0)
        error = source_error;
    if (error == 0)
        error = check(destination, size, PK_PROT_WRITE, small, verify, &unused);
    pk_kernel_maps_remember(false);
    return error;
}

static int transfer(uintptr_t source, size_t size, uintptr_t destination, int source_error)
{
    if (size == 0)
        return 0;
    if (source > UINTPTR_MAX - size)
        return source_error != 0 ? source_error : -EFAULT;
    if (destination > UINTPTR_MAX - size)
        return -EFAULT;
    int error = pk_table_lock();
    if (error)
        return error;
    /* The table's word first: where it allows the transfer and the bytes
     * then move without a fault, the kernel agreed, and asking it first
     * (a PROCMAP_QUERY, as long as a tenth of copying a MiB) would have
     * changed nothing. */
    bool volatile_pages = false;
    int refused = check_both(source, size, destination, source_error, false, &volatile_pages), fault = 0;
    if (refused == 0 && !volatile_pages) {
        error = move_transfer(source, size, destination);
        fault = error == -ENODATA || error == -EFAULT ? error : 0;
    }
    /* A refusal, a fault, or volatile pages (whose first words PageKit
     * keeps aside, so that they must still be PageKit's): the kernel's
     * word on PageKit's entries, then the table's again. A fault is not
     * repeated: the code is that of the first problem the kernel's maps
     * show now, else of the fault (a page that came back meanwhile). */
    if (refused != 0 || fault != 0 || volatile_pages) {
        int checked = check_both(source, size, destination, source_error, true, &volatile_pages);
        if (checked != 0)
            error = checked;
        else if (fault != 0)
            error = fault;
        else
            error = volatile_pages ? move_through_snapshot(source, size, destination)
                                   : move_transfer(source, size, destination);
    }
    /* A source that faulted is one that cannot be read. */
    if (error == -ENODATA)
        error = source_error != 0 ? source_error : -EFAULT;
    pk_table_unlock();
    return error;
}

int pk_copy(uintptr_t source, size_t size, uintptr_t destination)
{
    return transfer(source, size, destination, 0);
}

int pk_write(uintptr_t address, const void *data, size_t size)
{
    return transfer((uintptr_t)data, size, address, -EBADMSG);
}

int pk_read_into_new(uintptr_t address, size_t size, uintptr_t *data, const struct pk_reader *reader)
{
    if (data == NULL)
        return -EINVAL;
    if (size == 0) {
        *data = 0;
        return 0;
    }
    if (address > UINTPTR_MAX - size)
        return -EFAULT;
    /* The source first: the copy's pages could otherwise land in a hole of
     * it, and be read as if they were the source. */
    int error = reader->check(reader->context, address, size);
    if (error)
        return error;
    /* XNU hands a small copy over at the start of fresh pages, and a large
     * one at the source's offset in its page, zeros around it. */
    uintptr_t offset = size <= PK_SMALL_TRANSFER ? 0 : address - pk_trunc(address), length, fresh = 0;
    if (!pk_round(offset + size, &length))
        return -EFAULT;
    if ((error = pk_allocate(&fresh, length, PK_ALLOC_ANYWHERE, NULL)) != 0)
        return error;
    if ((error = reader->copy(reader->context, address, size, fresh + offset)) != 0) {
        pk_deallocate(fresh, length);
        return error;
    }
    *data = fresh + offset;
    return 0;
}

static int check_here(void *unused, uintptr_t address, size_t size)
{
    (void)unused;
    int error = pk_table_lock();
    if (error)
        return error;
    bool volatile_pages = false;
    error = check(address, size, PK_PROT_READ, size <= PK_SMALL_TRANSFER, true, &volatile_pages);
    pk_table_unlock();
    return error;
}

static int copy_here(void *unused, uintptr_t address, size_t size, uintptr_t destination)
{
    (void)unused;
    /* The fresh pages were mapped after the source was checked: if they
     * lie among its pages, another thread unmapped them meanwhile, and the
     * source is not there to read. */
    uintptr_t start = pk_trunc(address), end;
    if (!pk_round(address + size, &end) || (destination < end && start < destination + size))
        return -EFAULT;
    return pk_copy(address, size, destination);
}

int pk_read(uintptr_t address, size_t size, uintptr_t *data)
{
    return pk_read_into_new(address, size, data, &(const struct pk_reader){check_here, copy_here, NULL});
}
