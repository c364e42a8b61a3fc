// SPDX-License-Identifier: Apache-2.0
/* Advice, write-back and caches: mach_vm_behavior_set with Mach's
 * meanings (DONTNEED keeps the data, ZERO zeros it), mach_vm_msync's flags
 * and holes, mach_vm_machine_attribute as XNU answers it; XNU's checks in
 * XNU's order, and a refusal changes nothing. */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SELF mach_task_self()

static vm_behavior_t behavior_at(uintptr_t address)
{
    mach_vm_address_t at = address;
    mach_vm_size_t size = 0;
    vm_region_basic_info_data_64_t info = {0};
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    if (mach_vm_region(SELF, &at, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count, NULL) !=
            KERN_SUCCESS ||
        at > address)
        return -1;
    return info.behavior;
}

/* Far from mmap's reach, with a hole at page 2 and a read-only page 1. */
static uintptr_t holed_region(size_t pages)
{
    uintptr_t region = remote_reservation(pages * PAGE);
    CHECK_KR(vm_allocate(SELF, &region, pages * PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_SUCCESS, 0);
    fill_pattern(region, pages * PAGE, 61);
    CHECK_KR(vm_protect(SELF, region + PAGE, PAGE, FALSE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region + 2 * PAGE, PAGE), KERN_SUCCESS, 0);
    return region;
}

TEST(advice_behavior_checks_in_xnus_order)
{
    uintptr_t region = holed_region(4);
    struct snapshot before;
    snapshot_take_all(&before);
    /* The value first, even for size 0. */
    CHECK_KR(mach_vm_behavior_set(SELF, region, 0, VM_BEHAVIOR_LAST_VALID + 1), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(mach_vm_behavior_set(SELF, region, PAGE, -1), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(mach_vm_behavior_set(SELF, 0, 0, VM_BEHAVIOR_RANDOM), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, (mach_vm_address_t)-PAGE, 2 * PAGE, VM_BEHAVIOR_RANDOM),
             KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(mach_vm_behavior_set(SELF, 0, PAGE, VM_BEHAVIOR_RANDOM), KERN_NO_SPACE, ENOSPC);
    CHECK_KR(mach_vm_behavior_set(SELF, (mach_vm_address_t)1 << 56, PAGE, VM_BEHAVIOR_RANDOM), KERN_NO_SPACE,
             ENOSPC);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 4 * PAGE, VM_BEHAVIOR_RANDOM), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 4 * PAGE, VM_BEHAVIOR_ZERO), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(mach_vm_behavior_set(SELF, region + PAGE, PAGE, VM_BEHAVIOR_ZERO_WIRED_PAGES),
             KERN_PROTECTION_FAILURE, EACCES);
    CHECK_INT(behavior_at(region), VM_BEHAVIOR_DEFAULT);
    CHECK_NOTHING_CHANGED(&before);
    CHECK_KR(vm_deallocate(SELF, region, 4 * PAGE), KERN_SUCCESS, 0);
}

TEST(advice_access_patterns_are_recorded)
{
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region + PAGE, PAGE, VM_BEHAVIOR_SEQUENTIAL), KERN_SUCCESS, 0);
    CHECK_INT(behavior_at(region), VM_BEHAVIOR_DEFAULT);
    CHECK_INT(behavior_at(region + PAGE), VM_BEHAVIOR_SEQUENTIAL);
    CHECK_KR(vm_behavior_set(SELF, region, 3 * PAGE, VM_BEHAVIOR_RSEQNTL), KERN_SUCCESS, 0);
    CHECK_INT(behavior_at(region + 2 * PAGE), VM_BEHAVIOR_RSEQNTL);
    /* Back to the default, the entries merge again. */
    CHECK_KR(mach_vm_behavior_set(SELF, region, 3 * PAGE, VM_BEHAVIOR_DEFAULT), KERN_SUCCESS, 0);
    mach_vm_address_t at = region;
    mach_vm_size_t size = 0;
    vm_region_basic_info_data_64_t info;
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    CHECK_KR(mach_vm_region(SELF, &at, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count, NULL),
             KERN_SUCCESS, 0);
    CHECK_INT(size, 3 * PAGE);
    CHECK_KR(vm_deallocate(SELF, region, 3 * PAGE), KERN_SUCCESS, 0);
}

/* Mach's DONTNEED keeps the data; Linux's MADV_DONTNEED would not. */
TEST(advice_dontneed_keeps_the_data_and_zero_zeros_it)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    fill_pattern(region, 2 * PAGE, 33);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_DONTNEED), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_WILLNEED), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_PAGEOUT), KERN_SUCCESS, 0);
    CHECK(has_pattern(region, 2 * PAGE, 33));
    CHECK_KR(mach_vm_behavior_set(SELF, region + PAGE, PAGE, VM_BEHAVIOR_ZERO), KERN_SUCCESS, 0);
    CHECK(has_pattern(region, PAGE, 33));
    CHECK(is_zero(region + PAGE, PAGE));
    /* Shared pages: every view reads zeros. */
    mach_vm_address_t view = 0;
    vm_prot_t cur, max;
    CHECK_KR(mach_vm_remap(SELF, &view, 2 * PAGE, 0, VM_FLAGS_ANYWHERE, SELF, region, FALSE, &cur, &max,
                           VM_INHERIT_DEFAULT),
             KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, view, PAGE, VM_BEHAVIOR_ZERO), KERN_SUCCESS, 0);
    CHECK(is_zero(region, 2 * PAGE));
    /* Wired pages cannot be dropped: they are written over. */
    fill_pattern(region, 2 * PAGE, 34);
    CHECK_KR(mach_vm_wire(mach_host_self(), SELF, region, 2 * PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_ZERO), KERN_SUCCESS, 0);
    CHECK(is_zero(region, 2 * PAGE));
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_deallocate(SELF, view, 2 * PAGE), KERN_SUCCESS, 0);
}

/* FREE and REUSABLE let the kernel take pages: each then reads as it was
 * or as zeros, never anything else. */
TEST(advice_free_and_reusable)
{
    uintptr_t region = allocate_or_die(4 * PAGE, 0);
    fill_pattern(region, 4 * PAGE, 12);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_FREE), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region + 2 * PAGE, 2 * PAGE, VM_BEHAVIOR_REUSABLE), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region + 2 * PAGE, 2 * PAGE, VM_BEHAVIOR_REUSE), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 4 * PAGE, VM_BEHAVIOR_CAN_REUSE), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 4 * PAGE, VM_BEHAVIOR_ZERO_WIRED_PAGES), KERN_SUCCESS, 0);
    unsigned char *expected = malloc(4 * PAGE);
    CHECK(expected != NULL);
    fill_pattern((uintptr_t)expected, 4 * PAGE, 12);
    for (size_t page = 0; page < 4; page++) {
        uintptr_t at = region + page * PAGE;
        CHECK(is_zero(at, PAGE) || memcmp((void *)at, expected + page * PAGE, PAGE) == 0);
    }
    free(expected);
    CHECK_KR(vm_deallocate(SELF, region, 4 * PAGE), KERN_SUCCESS, 0);
}

TEST(advice_msync_flags_and_holes)
{
    uintptr_t region = holed_region(5);
    struct snapshot before;
    snapshot_take_all(&before);
    CHECK_KR(mach_vm_msync(SELF, region, 0, VM_SYNC_SYNCHRONOUS | VM_SYNC_ASYNCHRONOUS), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_msync(SELF, region, PAGE, VM_SYNC_SYNCHRONOUS | VM_SYNC_ASYNCHRONOUS), KERN_INVALID_ARGUMENT,
             EINVAL);
    CHECK_KR(mach_vm_msync(SELF, (mach_vm_address_t)-PAGE, 2 * PAGE, VM_SYNC_SYNCHRONOUS), KERN_INVALID_ADDRESS,
             EFAULT);
    /* CONTIGUOUS asks for no hole, and then nothing is done. */
    CHECK_KR(mach_vm_msync(SELF, region, 5 * PAGE, VM_SYNC_KILLPAGES | VM_SYNC_CONTIGUOUS), KERN_INVALID_ADDRESS,
             ENOMEM);
    CHECK_NOTHING_CHANGED(&before);
    CHECK_KR(mach_vm_msync(SELF, region, 5 * PAGE, VM_SYNC_SYNCHRONOUS | VM_SYNC_INVALIDATE), KERN_SUCCESS, 0);
    CHECK_KR(vm_msync(SELF, region, 5 * PAGE, VM_SYNC_ASYNCHRONOUS | VM_SYNC_DEACTIVATE), KERN_SUCCESS, 0);
    CHECK_NOTHING_CHANGED(&before);
    /* KILLPAGES discards, and stops at the first hole. */
    CHECK_KR(mach_vm_protect(SELF, region + PAGE, PAGE, FALSE, VM_PROT_DEFAULT), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_msync(SELF, region, 5 * PAGE, VM_SYNC_KILLPAGES), KERN_SUCCESS, 0);
    CHECK(is_zero(region, 2 * PAGE));
    CHECK(!is_zero(region + 3 * PAGE, 2 * PAGE));
    CHECK_KR(vm_deallocate(SELF, region, 5 * PAGE), KERN_SUCCESS, 0);
}

TEST(advice_machine_attribute_as_xnu_answers)
{
    uintptr_t region = holed_region(4);
    vm_machine_attribute_val_t value = MATTR_VAL_CACHE_FLUSH;
    CHECK_KR(mach_vm_machine_attribute(SELF, region, 0, MATTR_MIGRATE, &value), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_machine_attribute(SELF, (mach_vm_address_t)-PAGE, 2 * PAGE, MATTR_CACHE, &value),
             KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(mach_vm_machine_attribute(SELF, region, PAGE, MATTR_MIGRATE, &value), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_machine_attribute(SELF, region, PAGE, MATTR_REPLICATE, &value), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_machine_attribute(SELF, region, 4 * PAGE, MATTR_CACHE, &value), KERN_FAILURE, ENXIO);
    uintptr_t untouched = allocate_or_die(2 * PAGE, 0);
#if defined(__x86_64__)
    /* XNU has no cache operation for an x86 page: a resident one fails. */
    CHECK_KR(mach_vm_machine_attribute(SELF, region, PAGE, MATTR_CACHE, &value), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_machine_attribute(SELF, untouched, 2 * PAGE, MATTR_CACHE, &value), KERN_SUCCESS, 0);
#else
    CHECK_KR(mach_vm_machine_attribute(SELF, region, PAGE, MATTR_CACHE, &value), KERN_SUCCESS, 0);
#endif
    CHECK_INT(value, MATTR_VAL_CACHE_FLUSH);
    CHECK_KR(vm_deallocate(SELF, untouched, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region, 4 * PAGE), KERN_SUCCESS, 0);
}

/* A kernel without madvise (CONFIG_ADVISE_SYSCALLS off): hints are
 * dropped, as each allows, and ZERO still zeros, by writing. */
TEST(advice_without_madvise)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    fill_pattern(region, 2 * PAGE, 19);
    pk_sys_inject(PK_SYS_MADVISE, EBADF, 0, 1); /* WILLNEED on anonymous memory without swap */
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_WILLNEED), KERN_SUCCESS, 0);
    pk_sys_inject(PK_SYS_MADVISE, ENOSYS, 0, 100);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_WILLNEED), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_DONTNEED), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_behavior_set(SELF, region, 2 * PAGE, VM_BEHAVIOR_RANDOM), KERN_SUCCESS, 0);
    CHECK(has_pattern(region, 2 * PAGE, 19));
    CHECK_KR(mach_vm_behavior_set(SELF, region, PAGE, VM_BEHAVIOR_ZERO), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_msync(SELF, region + PAGE, PAGE, VM_SYNC_KILLPAGES), KERN_SUCCESS, 0);
    pk_sys_inject_clear();
    CHECK(is_zero(region, 2 * PAGE));
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
}

/* KILLPAGES discards private pages only: shared pages keep their data, as
 * on XNU. ZERO refuses a file's pages, which it would write through to. */
TEST(advice_killpages_and_zero_spare_shared_and_file_pages)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    fill_pattern(region, PAGE, 23);
    mach_vm_address_t view = 0;
    vm_prot_t cur, max;
    CHECK_KR(mach_vm_remap(SELF, &view, PAGE, 0, VM_FLAGS_ANYWHERE, SELF, region, FALSE, &cur, &max,
                           VM_INHERIT_DEFAULT),
             KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_msync(SELF, region, PAGE, VM_SYNC_KILLPAGES), KERN_SUCCESS, 0);
    CHECK(has_pattern((uintptr_t)view, PAGE, 23));
    char path[] = "/tmp/pagekit-zero-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && ftruncate(fd, PAGE) == 0);
    unlink(path);
    void *file = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(file != MAP_FAILED);
    memset(file, 0x66, PAGE);
    CHECK_KR(mach_vm_behavior_set(SELF, (uintptr_t)file, PAGE, VM_BEHAVIOR_ZERO), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(mach_vm_msync(SELF, (uintptr_t)file, PAGE, VM_SYNC_KILLPAGES), KERN_SUCCESS, 0);
    CHECK_INT(((unsigned char *)file)[0], 0x66);
    munmap(file, PAGE);
    close(fd);
    CHECK_KR(vm_deallocate(SELF, region, PAGE), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_deallocate(SELF, view, PAGE), KERN_SUCCESS, 0);
}

/* The heap is anonymous memory, whatever its name in /proc/self/maps:
 * ZERO zeros it and KILLPAGES discards it, as XNU does for any object
 * without a file behind it. */
TEST(advice_zero_and_killpages_reach_the_heap)
{
    void *block = NULL;
    /* Small enough for malloc to carve it out of the brk heap. */
    CHECK(posix_memalign(&block, PAGE, 4 * PAGE) == 0);
    uintptr_t heap = (uintptr_t)block;
    char line[512];
    maps_line(heap, line, sizeof line);
    if (strstr(line, "[heap]") == NULL) {
        free(block);
        SKIP("malloc placed the block outside [heap] here");
    }
    memset(block, 0x5a, 4 * PAGE);
    CHECK_KR(mach_vm_behavior_set(SELF, heap + PAGE, PAGE, VM_BEHAVIOR_ZERO), KERN_SUCCESS, 0);
    CHECK_INT(((volatile unsigned char *)heap)[PAGE], 0);
    CHECK_INT(((volatile unsigned char *)heap)[2 * PAGE], 0x5a);
    CHECK_KR(mach_vm_msync(SELF, heap + 2 * PAGE, PAGE, VM_SYNC_KILLPAGES), KERN_SUCCESS, 0);
    CHECK_INT(((volatile unsigned char *)heap)[2 * PAGE], 0);
    CHECK_INT(((volatile unsigned char *)heap)[3 * PAGE], 0x5a);
    free(block);
}
