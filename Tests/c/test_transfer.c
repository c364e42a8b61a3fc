// SPDX-License-Identifier: Apache-2.0
/* Moving bytes: mach_vm_read, mach_vm_read_list, mach_vm_read_overwrite,
 * mach_vm_write and mach_vm_copy, with XNU's codes. XNU's tests
 * (tests/vm/vm_allocation.c, its read, write and copy suites) are the
 * reference: up to 16 KiB (32 KiB off x86-64) any fault is
 * KERN_INVALID_ADDRESS; above it a page without the access, met before any
 * hole, is KERN_PROTECTION_FAILURE. Every failure writes nothing. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SELF mach_task_self()

#if defined(__x86_64__)
#define SMALL ((size_t)16 << 10)
#else
#define SMALL ((size_t)32 << 10)
#endif

/* More pages than the small path takes. */
static size_t large_pages(void)
{
    return SMALL / PAGE + 2;
}

static const unsigned char *bytes(uintptr_t address)
{
    return (const unsigned char *)address;
}

TEST(transfer_copy_moves_bytes_and_overlap_is_memmove)
{
    size_t size = 4 * PAGE;
    uintptr_t region = allocate_or_die(size, 0);
    unsigned char *expected = malloc(size);
    CHECK(expected != NULL);
    for (int shift = -1; shift <= 1; shift += 2) {
        fill_pattern(region, size, 9);
        memcpy(expected, (void *)region, size);
        uintptr_t source = region + PAGE, destination = source + (uintptr_t)(shift * 100);
        memmove(expected + (destination - region), expected + PAGE, 2 * PAGE + 1);
        CHECK_KR(mach_vm_copy(SELF, source, 2 * PAGE + 1, destination), KERN_SUCCESS, 0);
        CHECK(memcmp(expected, (void *)region, size) == 0);
    }
    /* Unaligned, within one page, and across pages into another region. */
    uintptr_t other = allocate_or_die(size, 0);
    fill_pattern(region, size, 3);
    mach_vm_size_t outsize = 0;
    CHECK_KR(mach_vm_read_overwrite(SELF, region + 5, 3 * PAGE - 7, other + 11, &outsize), KERN_SUCCESS, 0);
    CHECK_INT(outsize, 3 * PAGE - 7);
    CHECK(memcmp((void *)(other + 11), (void *)(region + 5), 3 * PAGE - 7) == 0);
    CHECK_INT(bytes(other)[10], 0);
    CHECK_INT(bytes(other + 11 + 3 * PAGE - 7)[0], 0);
    free(expected);
    CHECK_KR(vm_deallocate(SELF, region, size), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, other, size), KERN_SUCCESS, 0);
}

TEST(transfer_read_gives_fresh_memory_where_xnu_puts_it)
{
    size_t large = large_pages() * PAGE;
    uintptr_t region = allocate_or_die(large + PAGE, 0);
    fill_pattern(region, large + PAGE, 21);
    /* Small: at the start of fresh pages, whatever the source's offset. */
    vm_offset_t data = 0;
    mach_msg_type_number_t count = 0;
    CHECK_KR(mach_vm_read(SELF, region + 10, 100, &data, &count), KERN_SUCCESS, 0);
    CHECK_INT(count, 100);
    CHECK_INT(data % PAGE, 0);
    CHECK(memcmp((void *)data, (void *)(region + 10), 100) == 0);
    CHECK(is_zero(data + 100, PAGE - 100));
    struct pk_region_info info;
    uintptr_t where = data;
    CHECK_ERRNO(pk_region(&where, &info), 0);
    CHECK_INT(info.protection, VM_PROT_DEFAULT);
    CHECK_INT(info.max_protection, VM_PROT_ALL);
    CHECK_KR(mach_vm_deallocate(SELF, data, count), KERN_SUCCESS, 0);
    /* Large: at the source's offset in its page, zeros around. */
    CHECK_KR(vm_read(SELF, region + 10, large, &data, &count), KERN_SUCCESS, 0);
    CHECK_INT(count, large);
    CHECK_INT(data % PAGE, 10);
    CHECK(memcmp((void *)data, (void *)(region + 10), large) == 0);
    CHECK(is_zero(data - 10, 10));
    CHECK_KR(vm_deallocate(SELF, data, count), KERN_SUCCESS, 0);
    /* Size 0 reads nothing, wherever; more than a 32-bit count is refused
     * before anything else. */
    data = 1;
    count = 1;
    CHECK_KR(mach_vm_read(SELF, (mach_vm_address_t)-1, 0, &data, &count), KERN_SUCCESS, 0);
    CHECK_INT(data, 0);
    CHECK_INT(count, 0);
    CHECK_KR(mach_vm_read(SELF, 0, (mach_vm_size_t)UINT32_MAX + 1, &data, &count), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_deallocate(SELF, region, large + PAGE), KERN_SUCCESS, 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* A range with a hole at page 2 and an inaccessible page at page 4, of
 * eight pages in all, or larger for the large path. */
struct layout {
    uintptr_t start;
    size_t pages;
};

static struct layout make_layout(size_t pages)
{
    struct layout layout = {remote_reservation(pages * PAGE), pages};
    uintptr_t start = layout.start;
    CHECK_KR(vm_allocate(SELF, &start, pages * PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_SUCCESS, 0);
    fill_pattern(layout.start, pages * PAGE, 17);
    CHECK_KR(vm_deallocate(SELF, layout.start + 2 * PAGE, PAGE), KERN_SUCCESS, 0);
    CHECK_KR(vm_protect(SELF, layout.start + 4 * PAGE, PAGE, FALSE, VM_PROT_NONE), KERN_SUCCESS, 0);
    return layout;
}

static void drop_layout(struct layout layout)
{
    CHECK_KR(vm_deallocate(SELF, layout.start, layout.pages * PAGE), KERN_SUCCESS, 0);
}

TEST(transfer_sources_that_cannot_be_read)
{
    size_t pages = large_pages() + 6;
    struct layout layout = make_layout(pages);
    uintptr_t start = layout.start;
    uintptr_t target = allocate_or_die(pages * PAGE, 0);
    struct snapshot before;
    snapshot_take_all(&before);
    vm_offset_t data = 7;
    mach_msg_type_number_t count = 7;
    mach_vm_size_t outsize = 7;
    /* Small: the hole and the inaccessible page are both bad addresses. */
    CHECK_KR(mach_vm_read(SELF, start + 2 * PAGE, 100, &data, &count), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_read(SELF, start + 4 * PAGE, 100, &data, &count), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_read_overwrite(SELF, start + 3 * PAGE, 2 * PAGE, target, &outsize), KERN_INVALID_ADDRESS,
             EFAULT);
    /* Large: the first problem in address order decides. */
    CHECK_KR(mach_vm_read(SELF, start + 3 * PAGE, (pages - 3) * PAGE, &data, &count), KERN_PROTECTION_FAILURE,
             EACCES);
    CHECK_KR(mach_vm_copy(SELF, start, pages * PAGE, target), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_read_overwrite(SELF, start + 3 * PAGE, (pages - 3) * PAGE, target, &outsize),
             KERN_PROTECTION_FAILURE, EACCES);
    /* Wrapping, beyond the address space, PageKit's own memory. */
    CHECK_KR(mach_vm_read(SELF, (mach_vm_address_t)-PAGE, 2 * PAGE, &data, &count), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_copy(SELF, (mach_vm_address_t)1 << 56, PAGE, target), KERN_INVALID_ADDRESS, EFAULT);
    uintptr_t own = 0;
    for (uintptr_t at = 0; own == 0;) {
        struct pk_region_info info;
        if (pk_region(&at, &info) != 0)
            break;
        if ((info.flags & PK_REGION_INTERNAL) && (info.protection & PK_PROT_READ))
            own = info.start;
        at = info.start + info.size;
    }
    CHECK(own != 0);
    CHECK_KR(mach_vm_read_overwrite(SELF, own, 64, target, &outsize), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_INT(data, 7);
    CHECK_INT(count, 7);
    CHECK_INT(outsize, 7);
    CHECK_NOTHING_CHANGED(&before);
    drop_layout(layout);
    CHECK_KR(vm_deallocate(SELF, target, pages * PAGE), KERN_SUCCESS, 0);
}

TEST(transfer_destinations_that_cannot_be_written)
{
    size_t pages = large_pages() + 6;
    struct layout layout = make_layout(pages);
    uintptr_t start = layout.start;
    CHECK_KR(vm_protect(SELF, start + 5 * PAGE, PAGE, FALSE, VM_PROT_READ), KERN_SUCCESS, 0);
    uintptr_t source = allocate_or_die(pages * PAGE, 0);
    fill_pattern(source, pages * PAGE, 99);
    struct snapshot before;
    snapshot_take_all(&before);
    mach_vm_size_t outsize = 7;
    /* Small: read-only, inaccessible and unmapped are all bad addresses. */
    CHECK_KR(mach_vm_read_overwrite(SELF, source, 100, start + 5 * PAGE, &outsize), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_copy(SELF, source, PAGE, start + 4 * PAGE), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_write(SELF, start + PAGE, source, (mach_msg_type_number_t)(2 * PAGE)), KERN_INVALID_ADDRESS,
             EFAULT);
    /* Large: address order; nothing is written before the bad page. */
    CHECK_KR(mach_vm_copy(SELF, source, (pages - 5) * PAGE, start + 5 * PAGE), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(mach_vm_copy(SELF, source, (pages - 3) * PAGE, start + 3 * PAGE), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(mach_vm_write(SELF, start, source, (mach_msg_type_number_t)(pages * PAGE)), KERN_INVALID_ADDRESS,
             EFAULT);
    CHECK_KR(mach_vm_read_overwrite(SELF, source, PAGE, (mach_vm_address_t)-PAGE, &outsize), KERN_INVALID_ADDRESS,
             EFAULT);
    CHECK_INT(outsize, 7);
    CHECK_NOTHING_CHANGED(&before);
    /* Size 0 looks at nothing. */
    CHECK_KR(mach_vm_read_overwrite(SELF, 0, 0, 0, &outsize), KERN_SUCCESS, 0);
    CHECK_INT(outsize, 0);
    CHECK_KR(mach_vm_copy(SELF, (mach_vm_address_t)-1, 0, 1), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_write(SELF, 0, 0, 0), KERN_SUCCESS, 0);
    drop_layout(layout);
    CHECK_KR(vm_deallocate(SELF, source, pages * PAGE), KERN_SUCCESS, 0);
}

/* mach_vm_write's data travels in a message: data that cannot be read
 * fails the send, before the destination is looked at. */
TEST(transfer_write_of_unreadable_data_is_invalid_memory)
{
    uintptr_t data = allocate_or_die(2 * PAGE, 0), destination = allocate_or_die(2 * PAGE, 0);
    fill_pattern(data, 2 * PAGE, 5);
    CHECK_KR(vm_protect(SELF, data + PAGE, PAGE, FALSE, VM_PROT_NONE), KERN_SUCCESS, 0);
    struct snapshot before;
    snapshot_take_all(&before);
    CHECK_KR(mach_vm_write(SELF, destination, data, (mach_msg_type_number_t)(2 * PAGE)), MACH_SEND_INVALID_MEMORY,
             EBADMSG);
    CHECK_KR(mach_vm_write(SELF, 0, data + PAGE, 10), MACH_SEND_INVALID_MEMORY, EBADMSG);
    CHECK_KR(vm_write(SELF, destination, (vm_offset_t)-PAGE, (mach_msg_type_number_t)(2 * PAGE)),
             MACH_SEND_INVALID_MEMORY, EBADMSG);
    CHECK_NOTHING_CHANGED(&before);
    /* No alignment is asked of anything. */
    CHECK_KR(mach_vm_write(SELF, destination + 3, data + 7, (mach_msg_type_number_t)(PAGE - 9)), KERN_SUCCESS, 0);
    CHECK(memcmp((void *)(destination + 3), (void *)(data + 7), PAGE - 9) == 0);
    CHECK_INT(bytes(destination)[2], 0);
    CHECK_KR(vm_deallocate(SELF, data, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, destination, 2 * PAGE), KERN_SUCCESS, 0);
}

TEST(transfer_read_list_reads_every_entry)
{
    /* Far from where mmap places things: the copies cannot fill its hole. */
    uintptr_t region = remote_reservation(3 * PAGE);
    CHECK_KR(vm_allocate(SELF, &region, 3 * PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_SUCCESS, 0);
    fill_pattern(region, 3 * PAGE, 77);
    CHECK_KR(vm_deallocate(SELF, region + 2 * PAGE, PAGE), KERN_SUCCESS, 0);
    mach_vm_read_entry_t list;
    memset(list, 0, sizeof list);
    list[0] = (struct mach_vm_read_entry){region + 2 * PAGE, 10}; /* a hole */
    list[1] = (struct mach_vm_read_entry){region + 1, 20};
    list[2] = (struct mach_vm_read_entry){region, 0};
    CHECK_KR(mach_vm_read_list(SELF, list, 3), KERN_SUCCESS, 0);
    CHECK_INT(list[0].address, 0);
    CHECK_INT(list[0].size, 0);
    CHECK_INT(list[1].size, 20);
    CHECK(list[1].address != 0 && memcmp((void *)(uintptr_t)list[1].address, (void *)(region + 1), 20) == 0);
    CHECK_INT(list[2].address, 0);
    CHECK_INT(list[2].size, 0);
    CHECK_KR(mach_vm_deallocate(SELF, list[1].address, 20), KERN_SUCCESS, 0);
    /* The result is the last read's. */
    list[0] = (struct mach_vm_read_entry){region, 30};
    list[1] = (struct mach_vm_read_entry){region + 2 * PAGE, 10};
    CHECK_KR(mach_vm_read_list(SELF, list, 2), KERN_INVALID_ADDRESS, EFAULT);
    CHECK(list[0].address != 0 && memcmp((void *)(uintptr_t)list[0].address, (void *)region, 30) == 0);
    CHECK_INT(list[1].address, 0);
    CHECK_KR(mach_vm_deallocate(SELF, list[0].address, 30), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_read_list(SELF, list, VM_MAP_ENTRY_MAX + 1), KERN_INVALID_ARGUMENT, EINVAL);
    vm_read_entry_t short_list;
    memset(short_list, 0, sizeof short_list);
    short_list[0] = (struct vm_read_entry){region + PAGE, 40};
    CHECK_KR(vm_read_list(SELF, short_list, 1), KERN_SUCCESS, 0);
    CHECK(memcmp((void *)short_list[0].address, (void *)(region + PAGE), 40) == 0);
    CHECK_KR(vm_deallocate(SELF, short_list[0].address, 40), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* A volatile object keeps its first words aside, with markers in their
 * place; a read hands over the user's bytes. */
TEST(transfer_read_of_volatile_memory_carries_the_users_bytes)
{
    uintptr_t object = allocate_or_die(2 * PAGE, PK_ALLOC_PURGEABLE);
    fill_pattern(object, 2 * PAGE, 45);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
    vm_offset_t data = 0;
    mach_msg_type_number_t count = 0;
    CHECK_KR(mach_vm_read(SELF, object, 2 * PAGE, &data, &count), KERN_SUCCESS, 0);
    state = VM_PURGABLE_NONVOLATILE;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
    /* Unless the kernel took the pages meanwhile, they are the user's. */
    if (state != VM_PURGABLE_EMPTY)
        CHECK(has_pattern(data, 2 * PAGE, 45));
    CHECK_KR(vm_deallocate(SELF, data, count), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, object, 2 * PAGE), KERN_SUCCESS, 0);
}

/* Into shared pages: every view sees the bytes. Out of memory unmapped
 * behind PageKit's back: a bad address, not a fault. */
TEST(transfer_shared_views_and_memory_unmapped_behind_pagekits_back)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    mach_vm_address_t view = 0;
    vm_prot_t cur, max;
    CHECK_KR(mach_vm_remap(SELF, &view, PAGE, 0, VM_FLAGS_ANYWHERE, SELF, region, FALSE, &cur, &max,
                           VM_INHERIT_DEFAULT),
             KERN_SUCCESS, 0);
    static const char text[] = "through one view, seen through the other";
    CHECK_KR(mach_vm_write(SELF, region + 8, (vm_offset_t)text, sizeof text), KERN_SUCCESS, 0);
    CHECK(memcmp((void *)(uintptr_t)(view + 8), text, sizeof text) == 0);
    uintptr_t gone = allocate_or_die(PAGE, 0);
    CHECK(munmap((void *)gone, PAGE) == 0);
    mach_vm_size_t outsize = 0;
    CHECK_KR(mach_vm_read_overwrite(SELF, gone, 16, region, &outsize), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_copy(SELF, region, 16, gone), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(vm_deallocate(SELF, region, PAGE), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_deallocate(SELF, view, PAGE), KERN_SUCCESS, 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

TEST(transfer_other_tasks_are_dead_ports)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    vm_offset_t data = 0;
    mach_msg_type_number_t count = 0;
    mach_vm_size_t outsize = 0;
    CHECK_KR(mach_vm_read(MACH_PORT_NULL, region, 8, &data, &count), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(mach_vm_read_overwrite(SELF + 1, region, 8, region + 8, &outsize), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(mach_vm_write(SELF + 1, region, region, 8), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(mach_vm_copy(SELF + 1, region, 8, region + 8), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(vm_deallocate(SELF, region, PAGE), KERN_SUCCESS, 0);
}

/* One process_vm_readv moves at most about 2 GiB: a larger copy goes on
 * until it is done, rather than failing half-way. */
TEST(transfer_beyond_two_gibibytes)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    SKIP("2 GiB of copying is too slow under a sanitizer; the plain build runs it");
#else
    FILE *meminfo = fopen("/proc/meminfo", "re");
    char line[128];
    unsigned long long available_kib = 0;
    while (meminfo != NULL && fgets(line, sizeof line, meminfo) != NULL)
        sscanf(line, "MemAvailable: %llu kB", &available_kib);
    if (meminfo != NULL)
        fclose(meminfo);
    if (available_kib < (4ULL << 20))
        SKIP("less than 4 GiB of memory available for a 2 GiB copy (a small virtual machine)");
    size_t size = ((size_t)2 << 30) + 2 * PAGE;
    uintptr_t source = allocate_or_die(size, 0), destination = allocate_or_die(size, 0);
    ((volatile unsigned char *)source)[size - 1] = 0x5A;
    ((volatile unsigned char *)source)[0] = 0xA5;
    CHECK_KR(mach_vm_copy(SELF, source, size, destination), KERN_SUCCESS, 0);
    CHECK_INT(((volatile unsigned char *)destination)[size - 1], 0x5A);
    CHECK_INT(((volatile unsigned char *)destination)[0], 0xA5);
    CHECK_KR(vm_deallocate(SELF, source, size), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, destination, size), KERN_SUCCESS, 0);
#endif
}
