// SPDX-License-Identifier: Apache-2.0
/* Moving bytes: mach_vm_read, mach_vm_read_list, mach_vm_read_overwrite,
 * mach_vm_write and mach_vm_copy, with XNU's codes. XNU's tests
 * (tests/vm/vm_allocation.c, its read, write and copy suites) are the
 * reference: up to 16 KiB (32 KiB off x86-64) any fault is
 * KERN_INVALID_ADDRESS; above it a page without the access, met before any
 * hole, is KERN_PROTECTION_FAILURE. Every failure writes nothing. */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault_guard.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

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

static int get_volatile_state(uintptr_t address)
{
    int state = -1;
    return vm_purgable_control(SELF, address, VM_PURGABLE_GET_STATE, &state) == KERN_SUCCESS ? state : -1;
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
    CHECK_KR(mach_vm_read_overwrite(SELF, start + 4 * PAGE - 8, 16, target, &outsize), KERN_INVALID_ADDRESS, EFAULT);
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
    CHECK_KR(mach_vm_copy(SELF, source, 100, start + 4 * PAGE), KERN_INVALID_ADDRESS, EFAULT);
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

/* The copy aside that volatile pages need cannot be mapped: a resource
 * shortage, and the destination untouched. */
TEST(transfer_from_volatile_memory_without_room_for_the_copy_aside)
{
    uintptr_t object = allocate_or_die(2 * PAGE, PK_ALLOC_PURGEABLE);
    uintptr_t destination = allocate_or_die(2 * PAGE, 0);
    fill_pattern(object, 2 * PAGE, 45);
    fill_pattern(destination, 2 * PAGE, 46);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
    pk_sys_inject(PK_SYS_MMAP, ENOMEM, 0, 1);
    CHECK_KR(mach_vm_copy(SELF, object, 2 * PAGE, destination), KERN_RESOURCE_SHORTAGE, EAGAIN);
    pk_sys_inject_clear();
    CHECK(has_pattern(destination, 2 * PAGE, 46));
    CHECK_KR(mach_vm_copy(SELF, object, 2 * PAGE, destination), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, destination, 2 * PAGE), KERN_SUCCESS, 0);
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

/* Pages that fault although the kernel's maps show them readable: a
 * shared file page past the file's end (SIGBUS) and a guard page
 * (SIGSEGV). They stand for a page another thread takes away between
 * PageKit's check and its copy; the copy must give XNU's error, not the
 * signal. stranger_pages() maps two such pages after a good one. */
struct stranger_pages {
    uintptr_t start;
    int fd;
};

static struct stranger_pages truncated_file_pages(void)
{
    struct stranger_pages pages = {0, memfd_create("pagekit-test-truncated", MFD_CLOEXEC)};
    CHECK(pages.fd >= 0 && ftruncate(pages.fd, (off_t)(3 * PAGE)) == 0);
    void *mapped = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, pages.fd, 0);
    CHECK(mapped != MAP_FAILED);
    pages.start = (uintptr_t)mapped;
    fill_pattern(pages.start, 3 * PAGE, 21);
    CHECK(ftruncate(pages.fd, (off_t)PAGE) == 0);
    return pages;
}

static void drop_stranger_pages(struct stranger_pages pages)
{
    munmap((void *)pages.start, 3 * PAGE);
    if (pages.fd >= 0)
        close(pages.fd);
}

static void check_faulting_pages(uintptr_t start, const char *what)
{
    printf("    %s\n", what);
    uintptr_t region = allocate_or_die(4 * PAGE, 0);
    fill_pattern(region, 4 * PAGE, 5);
    mach_vm_size_t outsize = 0;
    /* From them: the copy stops at the fault, and the call says so. Up to
     * XNU's small-transfer size nothing reaches the destination, which
     * XNU fills from a buffer of its own only once the source was read. */
    CHECK_KR(mach_vm_read_overwrite(SELF, start, 3 * PAGE, region, &outsize), KERN_INVALID_ADDRESS, EFAULT);
    if (3 * PAGE <= PK_SMALL_TRANSFER)
        CHECK(has_pattern(region, 4 * PAGE, 5));
    /* (A larger transfer may have moved part of the bytes.) */
    fill_pattern(region, 4 * PAGE, 5);
    CHECK_KR(mach_vm_copy(SELF, start + PAGE - 8, 16, region), KERN_INVALID_ADDRESS, EFAULT);
    CHECK(has_pattern(region, 4 * PAGE, 5));
    /* Into them. */
    CHECK_KR(mach_vm_copy(SELF, region, 3 * PAGE, start), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_write(SELF, start + PAGE, (vm_offset_t)region, 8), KERN_INVALID_ADDRESS, EFAULT);
    /* mach_vm_read: no data, and no memory left behind for it. */
    vm_offset_t data = 7;
    mach_msg_type_number_t count = 7;
    unsigned long entries = pk_table_count();
    CHECK_KR(mach_vm_read(SELF, start, 3 * PAGE, &data, &count), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_INT(data, 7);
    CHECK_INT(count, 7);
    CHECK_INT(pk_table_count(), entries);
    /* Data that faults is data the message could not carry. */
    CHECK_KR(mach_vm_write(SELF, region, (vm_offset_t)(start + PAGE), 8), MACH_SEND_INVALID_MEMORY, EBADMSG);
    /* The good page still copies. */
    CHECK_KR(mach_vm_copy(SELF, start, PAGE, region), KERN_SUCCESS, 0);
    CHECK(memcmp((void *)region, (void *)start, PAGE) == 0);
    CHECK_KR(vm_deallocate(SELF, region, 4 * PAGE), KERN_SUCCESS, 0);
}

/* The same beyond XNU's small-transfer size, where a page the kernel's
 * maps allow but that faults gives the fault's own code: a file's pages
 * past its end, in the source, in the destination, and as mach_vm_write's
 * data. */
TEST(transfer_large_faults_after_the_check)
{
    size_t pages = PK_SMALL_TRANSFER / PAGE + 3;
    int fd = memfd_create("pagekit-test-truncated-large", MFD_CLOEXEC);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)(pages * PAGE)) == 0);
    void *mapped = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(mapped != MAP_FAILED);
    uintptr_t file = (uintptr_t)mapped;
    CHECK(ftruncate(fd, (off_t)PAGE) == 0);
    uintptr_t region = allocate_or_die(pages * PAGE, 0);
    CHECK_KR(mach_vm_copy(SELF, file, pages * PAGE, region), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_copy(SELF, region, pages * PAGE, file), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_write(SELF, region, (vm_offset_t)file, (mach_msg_type_number_t)(pages * PAGE)),
             MACH_SEND_INVALID_MEMORY, EBADMSG);
    CHECK_KR(vm_deallocate(SELF, region, pages * PAGE), KERN_SUCCESS, 0);
    munmap(mapped, pages * PAGE);
    close(fd);
}

TEST(transfer_a_page_that_faults_after_the_check_is_an_error_not_a_signal)
{
    struct stranger_pages file = truncated_file_pages();
    check_faulting_pages(file.start, "a shared file's pages past its end (SIGBUS)");
    drop_stranger_pages(file);

    uintptr_t guarded = foreign_map(3 * PAGE, PROT_READ | PROT_WRITE);
    if (madvise((void *)(guarded + PAGE), 2 * PAGE, MADV_GUARD_INSTALL) != 0) {
        int error = errno;
        munmap((void *)guarded, 3 * PAGE);
        CHECK_INT(error, EINVAL);
        SKIP("guard pages (MADV_GUARD_INSTALL) need Linux 6.13; the file pages past their end were checked");
    }
    check_faulting_pages(guarded, "guard pages (SIGSEGV)");
    munmap((void *)guarded, 3 * PAGE);
}

/* Under ThreadSanitizer the guard never installs: copies go to the
 * kernel, and the tests of the handler itself have nothing to test. */
#if defined(__SANITIZE_THREAD__)
#define SKIP_WHERE_THE_GUARD_STANDS_ASIDE()                                                        \
    SKIP("under ThreadSanitizer the guard stands aside (its memmove cannot be left by a jump); "   \
         "copies go to the kernel")
#else
#define SKIP_WHERE_THE_GUARD_STANDS_ASIDE() ((void)0)
#endif

/* The guard is PageKit's handler for SIGSEGV and SIGBUS; every fault that
 * is not a guarded copy's own reaches the handler that was there before,
 * as the kernel would have delivered it. Each case runs in a child that
 * makes its own handler the earlier one. */
static sigjmp_buf earlier_resume;
static volatile uintptr_t earlier_address;
static volatile int earlier_calls;

static void earlier_handler(int number, siginfo_t *info, void *context)
{
    (void)number;
    (void)context;
    earlier_address = (uintptr_t)info->si_addr;
    earlier_calls++;
    siglongjmp(earlier_resume, 1);
}

static void copy_once(void)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    CHECK_KR(mach_vm_copy(SELF, region, PAGE, region + PAGE), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
}

/* A program's handler for SIGSEGV, put in place before PageKit's first
 * copy, which then installs the guard over it (the order matters: the
 * guard takes the handler in place when it installs itself); then a
 * fault outside any copy, on a page of nobody's, which must reach the
 * program's handler. The page. */
static uintptr_t fault_outside_a_copy(void (*handler)(int, siginfo_t *, void *))
{
    struct sigaction mine = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO};
    CHECK(sigaction(SIGSEGV, &mine, NULL) == 0);
    pk_fault_guard_forget();
    copy_once();
    uintptr_t inaccessible = foreign_map(PAGE, PROT_NONE);
    if (sigsetjmp(earlier_resume, 1) == 0)
        *(volatile char *)(inaccessible + 5) = 1;
    return inaccessible;
}

static void guard_passes_other_faults_on(void)
{
    uintptr_t inaccessible = fault_outside_a_copy(earlier_handler);
    /* The guard took the handler's place, and still the fault reached it. */
    struct sigaction now;
    CHECK(sigaction(SIGSEGV, NULL, &now) == 0 && now.sa_sigaction != earlier_handler);
    CHECK_INT(earlier_calls, 1);
    CHECK(earlier_address == inaccessible + 5);
    /* A guarded copy's own fault never reaches it. */
    struct stranger_pages file = truncated_file_pages();
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    CHECK_KR(mach_vm_copy(SELF, file.start, 3 * PAGE, region), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_INT(earlier_calls, 1);
    drop_stranger_pages(file);
}

/* A handler installed after the guard takes its place; PageKit leaves it
 * there and copies in the kernel, still without a signal. */
static void guard_yields_to_a_later_handler(void)
{
    copy_once();
    struct sigaction mine = {.sa_sigaction = earlier_handler, .sa_flags = SA_SIGINFO};
    CHECK(sigaction(SIGBUS, &mine, NULL) == 0);
    struct stranger_pages file = truncated_file_pages();
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    CHECK_KR(mach_vm_copy(SELF, file.start, 3 * PAGE, region), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_copy(SELF, region, 2 * PAGE, region + 7), KERN_SUCCESS, 0);
    CHECK_INT(earlier_calls, 0);
    struct sigaction now;
    CHECK(sigaction(SIGBUS, NULL, &now) == 0 && now.sa_sigaction == earlier_handler);
    drop_stranger_pages(file);
}

/* With the default action earlier, a fault elsewhere kills the process
 * with its own signal, and so does a signal sent with kill(). */
static int death_signal(int number, bool by_kill)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(number, SIG_DFL);
        pk_fault_guard_forget();
        copy_once();
        if (by_kill)
            kill(getpid(), number);
        else if (number == SIGSEGV)
            *(volatile char *)foreign_map(PAGE, PROT_READ) = 1;
        else
            *(volatile char *)(truncated_file_pages().start + 2 * PAGE) = 1;
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
}

TEST(transfer_guard_leaves_every_other_fault_to_the_earlier_handler)
{
    SKIP_WHERE_THE_GUARD_STANDS_ASIDE();
    CHECK_INT(run_in_child(guard_passes_other_faults_on), 0);
    CHECK_INT(run_in_child(guard_yields_to_a_later_handler), 0);
    CHECK_INT(death_signal(SIGSEGV, false), SIGSEGV);
    CHECK_INT(death_signal(SIGBUS, false), SIGBUS);
    CHECK_INT(death_signal(SIGSEGV, true), SIGSEGV);
}

/* Another thread protects and unmaps the source again and again while
 * copies run: each gives success or XNU's error, never a signal. */
struct flipping {
    uintptr_t page;
    bool stop; /* atomic */
};

static void *flip(void *argument)
{
    struct flipping *flipping = argument;
    while (!__atomic_load_n(&flipping->stop, __ATOMIC_RELAXED)) {
        mprotect((void *)flipping->page, PAGE, PROT_NONE);
        mprotect((void *)flipping->page, PAGE, PROT_READ | PROT_WRITE);
    }
    return NULL;
}

TEST(transfer_races_with_raw_mprotect_never_signal)
{
    size_t size = 8 * PAGE;
    uintptr_t source = foreign_map(size, PROT_READ | PROT_WRITE);
    uintptr_t destination = allocate_or_die(size, 0);
    fill_pattern(source, size, 4);
    unsigned char *expected = malloc(size);
    CHECK(expected != NULL);
    memcpy(expected, (void *)source, size);
    struct flipping flipping = {source + 5 * PAGE, false};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, flip, &flipping) == 0);
    int outcomes[3] = {0, 0, 0}, wrong = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        memset((void *)destination, 0, size);
        mach_vm_size_t outsize = 0;
        kern_return_t kr = mach_vm_read_overwrite(SELF, source, size, destination, &outsize);
        CHECK(kr == KERN_SUCCESS || kr == KERN_INVALID_ADDRESS || kr == KERN_PROTECTION_FAILURE);
        outcomes[kr == KERN_SUCCESS ? 0 : kr == KERN_INVALID_ADDRESS ? 1 : 2]++;
        /* A copy that succeeded carries every byte. */
        wrong += kr == KERN_SUCCESS && memcmp((void *)destination, expected, size) != 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 300000000L);
    __atomic_store_n(&flipping.stop, true, __ATOMIC_RELAXED);
    pthread_join(thread, NULL);
    printf("    %d succeeded, %d KERN_INVALID_ADDRESS, %d KERN_PROTECTION_FAILURE\n", outcomes[0], outcomes[1],
           outcomes[2]);
    CHECK(outcomes[0] > 0);
    CHECK_INT(wrong, 0);
    free(expected);
    munmap((void *)source, size);
    CHECK_KR(vm_deallocate(SELF, destination, size), KERN_SUCCESS, 0);
}

/* PageKit's own memory reprotected with a raw mprotect: the table is out
 * of date, the copy finds out by faulting, and the code is XNU's for what
 * the kernel now maps, with the table brought up to date. Bytes before the
 * fault may have moved (the one place a failed transfer writes: memory
 * changed behind PageKit's back); bytes after it never do. */
TEST(transfer_into_memory_reprotected_behind_pagekits_back)
{
    size_t pages = large_pages() + 2, size = pages * PAGE;
    uintptr_t source = allocate_or_die(size, 0), destination = allocate_or_die(size, 0);
    fill_pattern(source, size, 12);
    fill_pattern(destination, size, 13);
    uintptr_t stale = destination + (pages - 3) * PAGE;
    unsigned char *kept = malloc(PAGE);
    CHECK(kept != NULL);
    memcpy(kept, (void *)stale, PAGE);
    CHECK(mprotect((void *)stale, PAGE, PROT_READ) == 0);
    CHECK_KR(mach_vm_copy(SELF, source, size, destination), KERN_PROTECTION_FAILURE, EACCES);
    CHECK(memcmp((void *)stale, kept, PAGE) == 0);
    free(kept);
    mach_vm_address_t address = stale;
    mach_vm_size_t region_size = 0;
    vm_region_basic_info_data_64_t info = {0};
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    mach_port_t object = MACH_PORT_NULL;
    CHECK_KR(mach_vm_region(SELF, &address, &region_size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count,
                            &object),
             KERN_SUCCESS, 0);
    CHECK(address == stale && info.protection == VM_PROT_READ);
    /* Small: any fault is a bad address. */
    CHECK_KR(mach_vm_copy(SELF, source, 16, stale + 8), KERN_INVALID_ADDRESS, EFAULT);
    /* A source page taken away. */
    CHECK(mprotect((void *)(source + PAGE), PAGE, PROT_NONE) == 0);
    mach_vm_size_t outsize = 0;
    CHECK_KR(mach_vm_read_overwrite(SELF, source + 2 * PAGE - 8, 16, destination, &outsize), KERN_INVALID_ADDRESS,
             EFAULT);
    CHECK_KR(mach_vm_read_overwrite(SELF, source, size, destination, &outsize), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_INT(table_kernel_mismatches(), 0);
    CHECK_KR(vm_deallocate(SELF, source, size), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, destination, size), KERN_SUCCESS, 0);
}

/* A fault the guard could not catch, because the thread blocks the
 * signal (a thread that leaves signals to another, a crash handler using
 * vm_read_overwrite as its safe read): the copy goes to the kernel and
 * still gives the error. */
static void *copy_with_signals_blocked(void *argument)
{
    uintptr_t start = *(uintptr_t *)argument;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    mach_vm_size_t outsize = 0;
    fill_pattern(region, 3 * PAGE, 6);
    CHECK_KR(mach_vm_read_overwrite(SELF, start, 3 * PAGE, region, &outsize), KERN_INVALID_ADDRESS, EFAULT);
    if (3 * PAGE <= PK_SMALL_TRANSFER)
        CHECK(has_pattern(region, 3 * PAGE, 6));
    CHECK_KR(mach_vm_copy(SELF, region, 2 * PAGE, region + 8), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region, 3 * PAGE), KERN_SUCCESS, 0);
    return NULL;
}

static uintptr_t crash_handler_source;
static kern_return_t crash_handler_result = -1;

static void crash_handler(int number, siginfo_t *info, void *context)
{
    (void)number, (void)info, (void)context;
    unsigned char buffer[16];
    mach_vm_size_t outsize = 0;
    crash_handler_result = mach_vm_read_overwrite(SELF, crash_handler_source + PAGE, sizeof buffer,
                                                  (mach_vm_address_t)(uintptr_t)buffer, &outsize);
    siglongjmp(earlier_resume, 1);
}

static void guard_stands_aside_in_a_crash_handler(void)
{
    struct stranger_pages file = truncated_file_pages();
    crash_handler_source = file.start;
    fault_outside_a_copy(crash_handler);
    CHECK_INT(crash_handler_result, KERN_INVALID_ADDRESS);
    drop_stranger_pages(file);
}

TEST(transfer_with_fault_signals_blocked_goes_to_the_kernel)
{
    struct stranger_pages file = truncated_file_pages();
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, copy_with_signals_blocked, &file.start) == 0);
    pthread_join(thread, NULL);
    drop_stranger_pages(file);
    CHECK_INT(run_in_child(guard_stands_aside_in_a_crash_handler), 0);
}

/* The other actions' own ways survive the guard: a handler without
 * SA_ONSTACK runs on the thread's stack, not the alternate one; one
 * registered {SA_SIGINFO, SIG_IGN} still ignores; an alternate stack
 * with SS_AUTODISARM is armed again after a guarded fault. */
static volatile uintptr_t handler_stack;

static void where_am_i(int number, siginfo_t *info, void *context)
{
    (void)number, (void)info, (void)context;
    int local;
    handler_stack = (uintptr_t)&local;
    siglongjmp(earlier_resume, 1);
}

static void guard_keeps_the_earlier_stack(void)
{
    size_t size = 64 << 10;
    void *alternate = malloc(size);
    stack_t stack = {.ss_sp = alternate, .ss_size = size, .ss_flags = 0};
    CHECK(sigaltstack(&stack, NULL) == 0);
    fault_outside_a_copy(where_am_i);
    CHECK(handler_stack != 0);
    CHECK(!(handler_stack >= (uintptr_t)alternate && handler_stack < (uintptr_t)alternate + size));
}

static void guard_rearms_an_autodisarmed_stack(void)
{
    size_t size = 64 << 10;
    stack_t stack = {.ss_sp = malloc(size), .ss_size = size, .ss_flags = (int)SS_AUTODISARM}, now;
    if (sigaltstack(&stack, NULL) != 0) {
        printf("    no SS_AUTODISARM here (Linux 4.7 or later has it)\n");
        return;
    }
    struct sigaction mine = {.sa_sigaction = where_am_i, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    CHECK(sigaction(SIGSEGV, &mine, NULL) == 0);
    CHECK(sigaction(SIGBUS, &mine, NULL) == 0);
    pk_fault_guard_forget();
    struct stranger_pages file = truncated_file_pages();
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    CHECK_KR(mach_vm_copy(SELF, file.start, 3 * PAGE, region), KERN_INVALID_ADDRESS, EFAULT);
    CHECK(sigaltstack(NULL, &now) == 0);
    CHECK(!(now.ss_flags & SS_DISABLE) && now.ss_sp == stack.ss_sp);
    drop_stranger_pages(file);
}

static void guard_keeps_an_ignoring_siginfo_action(void)
{
    struct sigaction ignore = {.sa_handler = SIG_IGN, .sa_flags = SA_SIGINFO};
    CHECK(sigaction(SIGSEGV, &ignore, NULL) == 0);
    pk_fault_guard_forget();
    copy_once();
    kill(getpid(), SIGSEGV);
}

TEST(transfer_guard_keeps_the_earlier_actions_ways)
{
    SKIP_WHERE_THE_GUARD_STANDS_ASIDE();
    CHECK_INT(run_in_child(guard_keeps_the_earlier_stack), 0);
    CHECK_INT(run_in_child(guard_rearms_an_autodisarmed_stack), 0);
    CHECK_INT(run_in_child(guard_keeps_an_ignoring_siginfo_action), 0);
}

/* Bytes that come through a snapshot (a volatile purgeable source) carry
 * what every page holds, a file's pages never touched included; so do
 * overlapping copies that go to the kernel. */
static int file_with_bytes(size_t size, unsigned char seed)
{
    int fd = memfd_create("pagekit-test-bytes", MFD_CLOEXEC);
    unsigned char *bytes = malloc(size);
    CHECK(fd >= 0 && bytes != NULL);
    for (size_t i = 0; i < size; i++)
        bytes[i] = (unsigned char)(seed + i * 3);
    CHECK(write(fd, bytes, size) == (ssize_t)size);
    free(bytes);
    return fd;
}

static void overlap_in_a_file_without_the_guard(void)
{
    struct sigaction mine = {.sa_sigaction = where_am_i, .sa_flags = SA_SIGINFO};
    copy_once();
    CHECK(sigaction(SIGSEGV, &mine, NULL) == 0);
    int fd = file_with_bytes(4 * PAGE, 7);
    unsigned char *mapped = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(mapped != MAP_FAILED);
    unsigned char *expected = malloc(4 * PAGE);
    for (size_t i = 0; i < 4 * PAGE; i++)
        expected[i] = (unsigned char)(7 + i * 3);
    memmove(expected + 100, expected, 3 * PAGE);
    CHECK_KR(mach_vm_copy(SELF, (uintptr_t)mapped, 3 * PAGE, (uintptr_t)mapped + 100), KERN_SUCCESS, 0);
    CHECK(memcmp(mapped, expected, 4 * PAGE) == 0);
    free(expected);
    munmap(mapped, 4 * PAGE);
    close(fd);
}

TEST(transfer_snapshots_carry_file_pages)
{
    /* A volatile object's first page, then a file's page mapped over its
     * second behind PageKit's back. */
    uintptr_t object = allocate_or_die(2 * PAGE, PK_ALLOC_PURGEABLE);
    fill_pattern(object, PAGE, 31);
    int fd = file_with_bytes(PAGE, 50);
    CHECK(mmap((void *)(object + PAGE), PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) !=
          MAP_FAILED);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
    uintptr_t destination = allocate_or_die(2 * PAGE, 0);
    mach_vm_size_t outsize = 0;
    CHECK_KR(mach_vm_read_overwrite(SELF, object, 2 * PAGE, destination, &outsize), KERN_SUCCESS, 0);
    if (get_volatile_state(object) == VM_PURGABLE_VOLATILE)
        CHECK(has_pattern(destination, PAGE, 31));
    for (size_t i = 0; i < PAGE; i++)
        if (((unsigned char *)destination)[PAGE + i] != (unsigned char)(50 + i * 3)) {
            CHECK(!"the file's page copied as it is");
            break;
        }
    munmap((void *)(object + PAGE), PAGE);
    close(fd);
    pk_deallocate(object, PAGE);
    CHECK_KR(vm_deallocate(SELF, destination, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK_INT(run_in_child(overlap_in_a_file_without_the_guard), 0);
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
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/* Copies with both fault signals blocked, so that the bytes move in the
 * kernel, where one process_vm_readv moves at most about 2 GiB. */
struct blocked_copy {
    uintptr_t source, destination;
    size_t size;
    kern_return_t result;
};

static void *copy_with_faults_blocked(void *argument)
{
    struct blocked_copy *copy = argument;
    sigset_t faults;
    sigemptyset(&faults);
    sigaddset(&faults, SIGSEGV);
    sigaddset(&faults, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &faults, NULL);
    copy->result = mach_vm_copy(SELF, copy->source, copy->size, copy->destination);
    return NULL;
}
#endif

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
    /* Again in the kernel, past its limit for one call. */
    ((volatile unsigned char *)source)[size - 1] = 0x5B;
    struct blocked_copy copy = {source, destination, size, -1};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, copy_with_faults_blocked, &copy) == 0);
    pthread_join(thread, NULL);
    CHECK_INT(copy.result, KERN_SUCCESS);
    CHECK_INT(((volatile unsigned char *)destination)[size - 1], 0x5B);
    CHECK_KR(vm_deallocate(SELF, source, size), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, destination, size), KERN_SUCCESS, 0);
#endif
}
