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
 * it moves a byte, so a failed call writes nothing. The bytes move in the
 * kernel (process_vm_readv on this process, else /proc/self/mem), which
 * reports a page taken away meanwhile as an error, never a signal.
 *
 * The source is read as a snapshot when it overlaps the destination, or
 * holds volatile purgeable pages (whose first words PageKit keeps aside):
 * its pages are copied first, the user's words put back.
 */
#include "internal.h"

#include <pagekit/pagekit.h>

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "segments.h"


/* Whether [address, address + size) may be read (access READ) or written
 * (WRITE), as XNU checks it: 0; -EFAULT for a range outside the address
 * space, a hole (PageKit's own memory is one), or in a small transfer any
 * page without the access; -EACCES for the first page without it, before
 * any hole, in a large one. *volatile_pages is set when the range holds
 * volatile purgeable pages. */
static int check(uintptr_t address, size_t size, unsigned int access, bool small, bool *volatile_pages)
{
    uintptr_t start, end;
    if (pk_page_range(address, size, &start, &end) != 0 || end > pk_max_address())
        return -EFAULT;
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

/* Moves size bytes from source to destination in the kernel: 0, or
 * -EFAULT when a page went away or changed its protection meanwhile. */
static int move_bytes(uintptr_t source, size_t size, uintptr_t destination)
{
    int error = pk_sys_read_process(getpid(), source, (void *)destination, size);
    return error == 0 ? 0 : -EFAULT;
}

/* Copies the source's pages aside (the user's words in volatile pages),
 * then moves the bytes from there. */
static int move_through_snapshot(uintptr_t source, size_t size, uintptr_t destination)
{
    uintptr_t start = pk_trunc(source), end;
    if (!pk_round(source + size, &end))
        return -EFAULT;
    intptr_t snapshot = pk_sys_mmap(0, end - start, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (snapshot < 0)
        return -ENOMEM;
    int error = pk_copy_pages(start, end, (uintptr_t)snapshot);
    if (error == 0)
        error = move_bytes((uintptr_t)snapshot + (source - start), size, destination);
    pk_sys_munmap((uintptr_t)snapshot, end - start);
    return error != 0 ? -EFAULT : 0;
}

static bool overlap(uintptr_t a, uintptr_t b, size_t size)
{
    return a < b + size && b < a + size;
}

/* source_error: what a source that cannot be read gives (mach_vm_write's
 * data travels in a message: EBADMSG); 0 keeps XNU's codes. */
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
    bool small = size <= PK_SMALL_TRANSFER, volatile_pages = false, unused = false;
    error = check(source, size, PK_PROT_READ, small, &volatile_pages);
    if (error != 0 && source_error != 0)
        error = source_error;
    if (error == 0)
        error = check(destination, size, PK_PROT_WRITE, small, &unused);
    if (error == 0)
        error = volatile_pages || overlap(source, destination, size)
                    ? move_through_snapshot(source, size, destination)
                    : move_bytes(source, size, destination);
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

int pk_read_into_new(uintptr_t address, size_t size, uintptr_t *data, pk_copier copy, void *context)
{
    /* XNU hands a small copy over at the start of fresh pages, and a large
     * one at the source's offset in its page, zeros around it. */
    uintptr_t offset = size <= PK_SMALL_TRANSFER ? 0 : address - pk_trunc(address), length, fresh = 0;
    if (!pk_round(offset + size, &length))
        return -EFAULT;
    int error = pk_allocate(&fresh, length, PK_ALLOC_ANYWHERE, NULL);
    if (error)
        return error;
    if ((error = copy(context, address, size, fresh + offset)) != 0) {
        pk_deallocate(fresh, length);
        return error;
    }
    *data = fresh + offset;
    return 0;
}

static int copy_here(void *unused, uintptr_t address, size_t size, uintptr_t destination)
{
    (void)unused;
    return pk_copy(address, size, destination);
}

int pk_read(uintptr_t address, size_t size, uintptr_t *data)
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
    int error = pk_table_lock();
    if (error)
        return error;
    bool unused = false;
    error = check(address, size, PK_PROT_READ, size <= PK_SMALL_TRANSFER, &unused);
    pk_table_unlock();
    return error ? error : pk_read_into_new(address, size, data, copy_here, NULL);
}
