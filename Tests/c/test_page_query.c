// SPDX-License-Identifier: Apache-2.0
/* What pages are: mach_vm_page_info, mach_vm_page_query and
 * mach_vm_page_range_query, checked against pages made untouched, read,
 * written, shared, file-backed and swapped for real; XNU's codes for the
 * arguments. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SELF mach_task_self()

static int disposition_of(uintptr_t address, int *ref_count)
{
    integer_t disposition = -1, references = -1;
    if (mach_vm_page_query(SELF, address, &disposition, &references) != KERN_SUCCESS)
        return -1;
    if (ref_count != NULL)
        *ref_count = references;
    return disposition;
}

#define WRITTEN (VM_PAGE_QUERY_PAGE_PRESENT | VM_PAGE_QUERY_PAGE_REF | VM_PAGE_QUERY_PAGE_DIRTY)
#define READ_ONLY (VM_PAGE_QUERY_PAGE_PRESENT | VM_PAGE_QUERY_PAGE_REF)

TEST(page_query_tells_each_kind_of_page)
{
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    ((volatile char *)region)[0] = 1;
    CHECK_INT(((volatile char *)region)[PAGE], 0);
    int references = -1;
    CHECK_INT(disposition_of(region, &references), WRITTEN);
    CHECK_INT(references, 1);
    CHECK_INT(disposition_of(region + PAGE, NULL), READ_ONLY);
    CHECK_INT(disposition_of(region + 2 * PAGE, &references), 0);
    CHECK_INT(references, 0);
    /* Shared pages: written by nature, one reference for each view. */
    mach_vm_address_t view = 0;
    vm_prot_t cur, max;
    CHECK_KR(mach_vm_remap(SELF, &view, PAGE, 0, VM_FLAGS_ANYWHERE, SELF, region, FALSE, &cur, &max,
                           VM_INHERIT_DEFAULT),
             KERN_SUCCESS, 0);
    CHECK_INT(disposition_of(view, &references), WRITTEN);
    CHECK_INT(references, 2);
    /* A file's page, read. */
    char path[] = "/tmp/pagekit-page-query-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && ftruncate(fd, PAGE) == 0);
    unlink(path);
    void *file = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(file != MAP_FAILED);
    CHECK_INT(((volatile char *)file)[0], 0);
    CHECK_INT(disposition_of((uintptr_t)file, NULL), READ_ONLY | VM_PAGE_QUERY_PAGE_EXTERNAL);
    munmap(file, PAGE);
    close(fd);
    /* Nothing mapped, and PageKit's own memory: zeros, as outside the map. */
    uintptr_t free_page = free_range(PAGE);
    CHECK_INT(disposition_of(free_page, &references), 0);
    CHECK_INT(references, 0);
    uintptr_t own = 0;
    for (uintptr_t at = 0; own == 0;) {
        struct pk_region_info info;
        if (pk_region(&at, &info) != 0)
            break;
        if ((info.flags & PK_REGION_INTERNAL) && (info.protection & PK_PROT_WRITE))
            own = info.start;
        at = info.start + info.size;
    }
    CHECK(own != 0);
    CHECK_INT(disposition_of(own, NULL), 0);
    CHECK_KR(vm_deallocate(SELF, region, 3 * PAGE), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_deallocate(SELF, view, PAGE), KERN_SUCCESS, 0);
}

TEST(page_query_page_info_checks_its_arguments)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    ((volatile char *)region)[5] = 1;
    vm_page_info_basic_data_t info;
    memset(&info, 0x55, sizeof info);
    mach_msg_type_number_t count = VM_PAGE_INFO_BASIC_COUNT;
    CHECK_KR(mach_vm_page_info(SELF, region + 5, VM_PAGE_INFO_BASIC, (vm_page_info_t)&info, &count), KERN_SUCCESS,
             0);
    CHECK_INT(info.disposition, WRITTEN);
    CHECK_INT(info.ref_count, 1);
    CHECK_INT(info.offset, 5);
    CHECK_INT(info.depth, 0);
    CHECK_INT(count, VM_PAGE_INFO_BASIC_COUNT);
    count = VM_PAGE_INFO_BASIC_COUNT - 1;
    CHECK_KR(mach_vm_page_info(SELF, region, VM_PAGE_INFO_BASIC, (vm_page_info_t)&info, &count), KERN_SUCCESS, 0);
    count = VM_PAGE_INFO_BASIC_COUNT - 2;
    CHECK_KR(mach_vm_page_info(SELF, region, VM_PAGE_INFO_BASIC, (vm_page_info_t)&info, &count),
             KERN_INVALID_ARGUMENT, EINVAL);
    count = VM_PAGE_INFO_BASIC_COUNT;
    CHECK_KR(mach_vm_page_info(SELF, region, VM_PAGE_INFO_BASIC + 1, (vm_page_info_t)&info, &count),
             KERN_INVALID_ARGUMENT, EINVAL);
    /* Only the last page of the address space is no address at all. */
    CHECK_KR(mach_vm_page_info(SELF, (mach_vm_address_t)-1, VM_PAGE_INFO_BASIC, (vm_page_info_t)&info, &count),
             KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_page_info(SELF, (mach_vm_address_t)1 << 60, VM_PAGE_INFO_BASIC, (vm_page_info_t)&info,
                               &count),
             KERN_SUCCESS, 0);
    CHECK_INT(info.disposition, 0);
    CHECK_KR(mach_vm_page_info(SELF + 1, region, VM_PAGE_INFO_BASIC, (vm_page_info_t)&info, &count),
             MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(vm_deallocate(SELF, region, PAGE), KERN_SUCCESS, 0);
}

TEST(page_query_range_fills_what_it_was_given)
{
    uintptr_t area = remote_reservation(8 * PAGE), region = area;
    CHECK_KR(vm_allocate(SELF, &region, 8 * PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_SUCCESS, 0);
    for (int page = 0; page < 4; page++)
        ((volatile char *)region)[page * PAGE] = 1;
    CHECK_INT(((volatile char *)region)[4 * PAGE], 0);
    CHECK_KR(vm_deallocate(SELF, region + 6 * PAGE, PAGE), KERN_SUCCESS, 0);
    int dispositions[10];
    for (int i = 0; i < 10; i++)
        dispositions[i] = -1;
    mach_vm_size_t count = 10;
    /* Unaligned: the pages the range touches. */
    CHECK_KR(mach_vm_page_range_query(SELF, region + 10, 8 * PAGE - 20, (mach_vm_address_t)dispositions, &count),
             KERN_SUCCESS, 0);
    CHECK_INT(count, 8);
    static const int expected[10] = {WRITTEN, WRITTEN, WRITTEN, WRITTEN, READ_ONLY, 0, 0, 0, -1, -1};
    for (int i = 0; i < 10; i++)
        if (dispositions[i] != expected[i])
            harness_fail(__FILE__, __LINE__, "page %d: %#x, expected %#x", i, dispositions[i], expected[i]);
    /* A short buffer takes what fits. */
    count = 3;
    dispositions[3] = -1;
    CHECK_KR(mach_vm_page_range_query(SELF, region, 8 * PAGE, (mach_vm_address_t)dispositions, &count),
             KERN_SUCCESS, 0);
    CHECK_INT(count, 3);
    CHECK_INT(dispositions[3], -1);
    /* Size 0 or no room: success, the count untouched. */
    count = 7;
    CHECK_KR(mach_vm_page_range_query(SELF, region, 0, (mach_vm_address_t)dispositions, &count), KERN_SUCCESS, 0);
    CHECK_INT(count, 7);
    count = 0;
    CHECK_KR(mach_vm_page_range_query(SELF, region, PAGE, (mach_vm_address_t)dispositions, &count), KERN_SUCCESS,
             0);
    CHECK_INT(count, 0);
    /* Wrapping ranges and buffers. */
    count = 4;
    CHECK_KR(mach_vm_page_range_query(SELF, (mach_vm_address_t)-PAGE, 2 * PAGE, (mach_vm_address_t)dispositions,
                                      &count),
             KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(mach_vm_page_range_query(SELF, region, PAGE, (mach_vm_address_t)-8, &count), KERN_INVALID_ARGUMENT,
             EINVAL);
    CHECK_INT(count, 4);
    /* A buffer that cannot be written: XNU's copyout errno, 14, as it is. */
    uintptr_t read_only = allocate_or_die(PAGE, 0);
    CHECK_KR(vm_protect(SELF, read_only, PAGE, FALSE, VM_PROT_READ), KERN_SUCCESS, 0);
    count = 8;
    CHECK_KR(mach_vm_page_range_query(SELF, region, 8 * PAGE, read_only, &count), EFAULT, EFAULT);
    CHECK_INT(count, 8);
    CHECK_INT(EFAULT, KERN_ABORTED);
    CHECK_KR(vm_deallocate(SELF, read_only, PAGE), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region, 8 * PAGE), KERN_SUCCESS, 0);
}

/* Swapped pages, for real, where the machine has swap. */
TEST(page_query_paged_out)
{
    FILE *swaps = fopen("/proc/swaps", "re");
    char line[256];
    int lines = 0;
    while (swaps != NULL && fgets(line, sizeof line, swaps) != NULL)
        lines++;
    if (swaps != NULL)
        fclose(swaps);
    if (lines < 2)
        SKIP("no swap on this machine (/proc/swaps lists none): MADV_PAGEOUT cannot page anonymous memory out; "
             "page_query_tells_each_kind_of_page covers the pages that stay");
    if (!(pk_features() & PK_FEATURE_MADV_PAGEOUT))
        SKIP("no MADV_PAGEOUT in this kernel (5.4+)");
    uintptr_t region = allocate_or_die(PAGE, 0);
    fill_pattern(region, PAGE, 8);
    CHECK_KR(mach_vm_behavior_set(SELF, region, PAGE, VM_BEHAVIOR_PAGEOUT), KERN_SUCCESS, 0);
    CHECK_INT(disposition_of(region, NULL), VM_PAGE_QUERY_PAGE_PAGED_OUT);
    CHECK(has_pattern(region, PAGE, 8));
    CHECK_KR(vm_deallocate(SELF, region, PAGE), KERN_SUCCESS, 0);
}

/* Above 2^18 pages the counts come from smaps, which
 * the kernel sums per mapping: they must still be the pages written. */
TEST(page_query_counts_of_a_large_range)
{
    size_t pages = ((size_t)1 << 18) + 64;
    uintptr_t area = remote_reservation(pages * PAGE), region = area;
    kern_return_t kr = vm_allocate(SELF, &region, pages * PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE);
    /* ENOMEM from the kernel (KERN_INVALID_ADDRESS for a fixed request):
     * its overcommit check refuses more than the machine's memory. */
    if (kr == KERN_NO_SPACE || kr == KERN_INVALID_ADDRESS) {
        pk_deallocate(area, pages * PAGE);
        SKIP("the kernel will not map 2^18 pages at once here (less memory than that)");
    }
    CHECK_INT(kr, KERN_SUCCESS);
    for (size_t page = 0; page < pages; page += 256)
        ((volatile char *)region)[page * PAGE] = 1;
    size_t written = (pages + 255) / 256;
    struct pk_page_counts counts = {0};
    CHECK_ERRNO(pk_page_counts(region, pages * PAGE, &counts), 0);
    CHECK_INT(counts.resident, written);
    CHECK_INT(counts.dirty, written);
    CHECK_INT(counts.swapped, 0);
    /* Half the range: its share of the mapping's pages. */
    CHECK_ERRNO(pk_page_counts(region, pages / 2 * PAGE, &counts), 0);
    CHECK(counts.resident >= written / 2 - 1 && counts.resident <= written / 2 + 1);
    CHECK_KR(vm_deallocate(SELF, region, pages * PAGE), KERN_SUCCESS, 0);
}
