// SPDX-License-Identifier: Apache-2.0
/* docs/semantics.md, vm_protect: one test per rule; protections proven
 * with real faults. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>


#define SELF mach_task_self()

static struct pk_region_info region_at(uintptr_t address)
{
    struct pk_region_info info = {0};
    if (pk_region(&address, &info) != 0)
        info.size = 0;
    return info;
}

TEST(protect_rule1_size_zero_succeeds_before_any_check)
{
    CHECK_KR(vm_protect(SELF, 0, 0, FALSE, 0x7F), KERN_SUCCESS, 0);
    CHECK_KR(vm_protect(SELF, (vm_address_t)-1, 0, TRUE, VM_PROT_ALL), KERN_SUCCESS, 0);
}

TEST(protect_rule2_unknown_bits_and_overflow_are_invalid)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    struct snapshot before;
    snapshot_take(region, region + PAGE, &before);
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, 0x8), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_protect(SELF, region, PAGE, TRUE, 0x20 | VM_PROT_READ), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_protect(SELF, region, (vm_size_t)-1, FALSE, VM_PROT_READ), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_protect(SELF, (vm_address_t)0 - PAGE, PAGE - 1, FALSE, VM_PROT_READ), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_UNCHANGED(region, region + PAGE, &before);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(protect_rule3_hole_is_invalid_address_and_changes_nothing)
{
    uintptr_t range = free_range(3 * PAGE);
    vm_address_t first = range, last = range + 2 * PAGE;
    CHECK_KR(vm_allocate(SELF, &first, PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    CHECK_KR(vm_allocate(SELF, &last, PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    fill_pattern(range, PAGE, 2);
    struct snapshot before;
    snapshot_take(range, range + 3 * PAGE, &before);
    CHECK_KR(vm_protect(SELF, range, 3 * PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(vm_protect(SELF, range, 3 * PAGE, TRUE, VM_PROT_NONE), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_UNCHANGED(range, range + 3 * PAGE, &before);
    CHECK(can_write(range) && can_write(range + 2 * PAGE));
    /* Entirely unmapped, and outside the address space. */
    CHECK_KR(vm_protect(SELF, range + PAGE, PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(vm_protect(SELF, (vm_address_t)pk_max_address(), PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(vm_protect(SELF, 0, PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_ERRNO(pk_deallocate(range, 3 * PAGE), 0);
}

TEST(protect_rule4_above_maximum_fails_for_both_flags)
{
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    fill_pattern(region, 3 * PAGE, 6);
    CHECK_KR(vm_protect(SELF, region + PAGE, PAGE, TRUE, VM_PROT_READ), KERN_SUCCESS, 0);
    struct snapshot before;
    snapshot_take(region, region + 3 * PAGE, &before);
    CHECK_KR(vm_protect(SELF, region, 3 * PAGE, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(vm_protect(SELF, region, 3 * PAGE, TRUE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(vm_protect(SELF, region + PAGE, PAGE, TRUE, VM_PROT_ALL), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(vm_protect(SELF, region + PAGE, PAGE, FALSE, VM_PROT_EXECUTE), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_UNCHANGED(region, region + 3 * PAGE, &before);
    CHECK(can_write(region) && !can_write(region + PAGE) && can_write(region + 2 * PAGE));
    /* Lowering further is fine; raising back never is. */
    CHECK_KR(vm_protect(SELF, region + PAGE, PAGE, TRUE, VM_PROT_NONE), KERN_SUCCESS, 0);
    CHECK_KR(vm_protect(SELF, region + PAGE, PAGE, TRUE, VM_PROT_READ), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_ERRNO(pk_deallocate(region, 3 * PAGE), 0);
}

TEST(protect_rule4_first_problem_in_address_order)
{
    uintptr_t range = free_range(3 * PAGE);
    vm_address_t first = range;
    CHECK_KR(vm_allocate(SELF, &first, PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    CHECK_KR(vm_protect(SELF, range, PAGE, TRUE, VM_PROT_READ), KERN_SUCCESS, 0);
    /* Entry above its maximum, then a hole: the maximum is met first. */
    CHECK_KR(vm_protect(SELF, range, 2 * PAGE, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_ERRNO(pk_deallocate(range, PAGE), 0);
}

TEST(protect_rule5_current_and_maximum)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, VM_PROT_READ), KERN_SUCCESS, 0);
    struct pk_region_info info = region_at(region);
    CHECK_INT(info.protection, PK_PROT_READ);
    CHECK_INT(info.max_protection, PK_PROT_ALL);
    /* set_maximum: maximum = prot, current = current ∩ prot. */
    CHECK_KR(vm_protect(SELF, region, PAGE, TRUE, VM_PROT_READ | VM_PROT_EXECUTE), KERN_SUCCESS, 0);
    info = region_at(region);
    CHECK_INT(info.protection, PK_PROT_READ);
    CHECK_INT(info.max_protection, PK_PROT_READ | PK_PROT_EXECUTE);
    CHECK_KR(vm_protect(SELF, region, PAGE, TRUE, VM_PROT_EXECUTE), KERN_SUCCESS, 0);
    info = region_at(region);
    CHECK_INT(info.protection, PK_PROT_NONE);
    CHECK_INT(info.max_protection, PK_PROT_EXECUTE);
    CHECK(!can_read(region));
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(protect_rule6_foreign_memory_has_maximum_all)
{
    uintptr_t foreign = foreign_map(2 * PAGE, PROT_NONE);
    CHECK_KR(vm_protect(SELF, foreign, 2 * PAGE, FALSE, VM_PROT_ALL), KERN_SUCCESS, 0);
    CHECK(can_write(foreign + PAGE));
    struct pk_region_info info = region_at(foreign);
    CHECK_INT(info.protection, PK_PROT_ALL);
    CHECK_INT(info.max_protection, PK_PROT_ALL);
    CHECK(!(info.flags & PK_REGION_OWNED));
    munmap((void *)foreign, 2 * PAGE);
}

TEST(protect_rule6_kernel_refusal_is_protection_failure)
{
    char path[] = "/tmp/pagekit-readonly-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, (off_t)PAGE) == 0);
    close(fd);
    fd = open(path, O_RDONLY);
    unlink(path);
    void *mapped = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    CHECK(mapped != MAP_FAILED);
    uintptr_t file = (uintptr_t)mapped;
    struct snapshot before;
    snapshot_take(file, file + PAGE, &before);
    CHECK_KR(vm_protect(SELF, file, PAGE, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_UNCHANGED(file, file + PAGE, &before);
    CHECK(region_at(file).flags & PK_REGION_SHARED);
    munmap(mapped, PAGE);
}

TEST(protect_rule7_copy_adds_write_to_the_maximum)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    CHECK_KR(vm_protect(SELF, region, PAGE, TRUE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, VM_PROT_DEFAULT | VM_PROT_COPY), KERN_SUCCESS, 0);
    struct pk_region_info info = region_at(region);
    CHECK_INT(info.protection, PK_PROT_DEFAULT);
    CHECK_INT(info.max_protection, PK_PROT_DEFAULT);
    CHECK(can_write(region));
    /* COPY adds WRITE only: EXECUTE stays above the maximum. */
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, VM_PROT_ALL | VM_PROT_COPY), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

/* Every protection, with real faults: read, write and execute are allowed
 * exactly when the table says so. Write-only memory is readable on Linux,
 * and execute-only memory is too unless the CPU has protection keys. */
TEST(protect_faults_match_the_table_for_every_protection)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    for (unsigned int prot = 0; prot <= PK_PROT_ALL; prot++) {
        CHECK_ERRNO(pk_protect(region, PAGE, false, PK_PROT_DEFAULT), 0);
        *(volatile unsigned char *)region = 0xC3; /* x86-64 `ret` */
        __builtin___clear_cache((char *)region, (char *)region + 1);
        CHECK_ERRNO(pk_protect(region, PAGE, false, prot), 0);
        struct pk_region_info info = region_at(region);
        CHECK_INT(info.protection, prot);
        bool readable = (prot & (PK_PROT_READ | PK_PROT_WRITE)) != 0;
        if (prot != PK_PROT_EXECUTE && can_read(region) != readable)
            harness_fail(__FILE__, __LINE__, "read with protection %u: %s", prot, readable ? "faulted" : "allowed");
        if (can_write(region) != ((prot & PK_PROT_WRITE) != 0))
            harness_fail(__FILE__, __LINE__, "write with protection %u wrong", prot);
#if defined(__x86_64__)
        if (can_execute(region) != ((prot & PK_PROT_EXECUTE) != 0))
            harness_fail(__FILE__, __LINE__, "execute with protection %u wrong", prot);
#endif
    }
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(protect_sub_range_splits_and_merges)
{
    unsigned long entries = pk_table_count();
    uintptr_t region = allocate_or_die(1 << 20, 0);
    CHECK_ERRNO(pk_protect(region + 5 * PAGE, PAGE, false, PK_PROT_READ), 0);
    CHECK_INT(pk_table_count(), entries + 3);
    CHECK(can_write(region + 4 * PAGE) && !can_write(region + 5 * PAGE) && can_write(region + 6 * PAGE));
    CHECK_ERRNO(pk_protect(region + 5 * PAGE, PAGE, false, PK_PROT_DEFAULT), 0);
    CHECK_INT(pk_table_count(), entries + 1);
    CHECK_INT(region_at(region).size, 1 << 20);
    CHECK_ERRNO(pk_deallocate(region, 1 << 20), 0);
}

TEST(protect_one_entry_makes_one_system_call)
{
    uintptr_t region = allocate_or_die(4 * PAGE, 0);
    unsigned long before = pk_sys_calls(PK_SYS_MPROTECT);
    CHECK_ERRNO(pk_protect(region + PAGE, PAGE, false, PK_PROT_READ), 0);
    CHECK_INT(pk_sys_calls(PK_SYS_MPROTECT) - before, 1);
    CHECK_ERRNO(pk_deallocate(region, 4 * PAGE), 0);
}

/* A late failure is rolled back: the second of three mprotect calls fails
 * (ENOMEM, as when the mapping-count limit is hit, which PageKit reports as
 * a resource shortage since the range has no hole). */
TEST(protect_rollback_after_second_of_three_calls_fails)
{
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    CHECK_ERRNO(pk_protect(region, PAGE, false, PK_PROT_READ), 0);
    CHECK_ERRNO(pk_protect(region + PAGE, PAGE, false, PK_PROT_NONE), 0);
    fill_pattern(region + 2 * PAGE, PAGE, 12);
    struct snapshot before;
    snapshot_take(region, region + 3 * PAGE, &before);
    /* set_maximum with READ: each entry ends up different, so one call each. */
    CHECK_ERRNO(pk_protect(region, 3 * PAGE, true, PK_PROT_READ | PK_PROT_WRITE), 0);
    snapshot_take(region, region + 3 * PAGE, &before);
    pk_sys_inject(PK_SYS_MPROTECT, ENOMEM, 1, 1);
    CHECK_KR(vm_protect(SELF, region, 3 * PAGE, TRUE, VM_PROT_WRITE), KERN_RESOURCE_SHORTAGE, EAGAIN);
    pk_sys_inject_clear();
    CHECK_UNCHANGED(region, region + 3 * PAGE, &before);
    CHECK(can_read(region) && !can_write(region));
    CHECK(!can_read(region + PAGE));
    CHECK(can_write(region + 2 * PAGE));
    CHECK_ERRNO(pk_deallocate(region, 3 * PAGE), 0);
}

TEST(protect_rollback_when_the_single_call_fails)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    struct snapshot before;
    snapshot_take(region, region + 2 * PAGE, &before);
    pk_sys_inject(PK_SYS_MPROTECT, EAGAIN, 0, 1);
    CHECK_KR(vm_protect(SELF, region, 2 * PAGE, FALSE, VM_PROT_READ), KERN_RESOURCE_SHORTAGE, EAGAIN);
    CHECK_UNCHANGED(region, region + 2 * PAGE, &before);
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(protect_across_pagekit_and_foreign_memory)
{
    uintptr_t range = free_range(2 * PAGE);
    vm_address_t mine = range;
    CHECK_KR(vm_allocate(SELF, &mine, PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    void *foreign = mmap((void *)(range + PAGE), PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(foreign != MAP_FAILED);
    CHECK_KR(vm_protect(SELF, range, 2 * PAGE, FALSE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK(!can_write(range) && !can_write(range + PAGE));
    CHECK(can_read(range + PAGE));
    CHECK_INT(region_at(range).protection, PK_PROT_READ);
    CHECK_KR(vm_deallocate(SELF, range, 2 * PAGE), KERN_SUCCESS, 0);
}

TEST(freeze_makes_read_only_for_good)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    fill_pattern(region, 2 * PAGE, 21);
    CHECK_ERRNO(pk_protect(region, PAGE, false, PK_PROT_NONE), 0);
    CHECK_ERRNO(pk_freeze(region, 2 * PAGE, 0), 0);
    struct pk_region_info info = region_at(region);
    CHECK_INT(info.protection, PK_PROT_READ);
    CHECK_INT(info.max_protection, PK_PROT_READ);
    CHECK_INT(info.size, 2 * PAGE);
    CHECK(can_read(region) && !can_write(region) && !can_write(region + PAGE));
    CHECK(has_pattern(region, 2 * PAGE, 21));
    CHECK_KR(vm_protect(SELF, region, 2 * PAGE, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(vm_protect(SELF, region, 2 * PAGE, FALSE, VM_PROT_DEFAULT | VM_PROT_COPY), KERN_SUCCESS, 0);
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(freeze_refuses_foreign_memory_and_bad_input)
{
    uintptr_t foreign = foreign_map(PAGE, PROT_READ | PROT_WRITE);
    CHECK_ERRNO(pk_freeze(foreign, PAGE, 0), -ENOMEM);
    CHECK(can_write(foreign));
    CHECK_ERRNO(pk_freeze(foreign, PAGE, 0x2), -EINVAL);
    CHECK_ERRNO(pk_freeze(foreign, (size_t)-1, 0), -EINVAL);
    CHECK_ERRNO(pk_freeze(foreign, 0, 0), -EINVAL);
    munmap((void *)foreign, PAGE);
}

TEST(freeze_sealed_blocks_raw_system_calls)
{
    if (!(pk_features() & PK_FEATURE_MSEAL))
        SKIP("this kernel has no mseal (Linux 6.10+); freeze_sealed_without_mseal covers the fallback");
    uintptr_t region = allocate_or_die(PAGE, 0);
    fill_pattern(region, PAGE, 30);
    CHECK_ERRNO(pk_freeze(region, PAGE, PK_FREEZE_SEALED), 0);
    CHECK(region_at(region).flags & PK_REGION_SEALED);
    CHECK(mprotect((void *)region, PAGE, PROT_READ | PROT_WRITE) == -1 && errno == EPERM);
    CHECK(munmap((void *)region, PAGE) == -1 && errno == EPERM);
    CHECK(mmap((void *)region, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
              MAP_FAILED &&
          errno == EPERM);
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, VM_PROT_NONE), KERN_PROTECTION_FAILURE, EPERM);
    vm_address_t over = region;
    CHECK_KR(vm_allocate(SELF, &over, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_PROTECTION_FAILURE, EPERM);
    CHECK(has_pattern(region, PAGE, 30));
}

TEST(freeze_sealed_without_mseal)
{
    /* The fallback: where mseal is missing, sealing fails with EOPNOTSUPP and
     * leaves the region as it was. Forced through the seam on kernels that
     * have it. */
    uintptr_t region = allocate_or_die(PAGE, 0);
    struct snapshot before;
    snapshot_take(region, region + PAGE, &before);
    if (pk_features() & PK_FEATURE_MSEAL) {
        pk_sys_inject(PK_SYS_MSEAL, ENOSYS, 0, 1);
        CHECK_ERRNO(pk_freeze(region, PAGE, PK_FREEZE_SEALED), -EOPNOTSUPP);
        pk_sys_inject_clear();
    } else {
        CHECK_ERRNO(pk_freeze(region, PAGE, PK_FREEZE_SEALED), -EOPNOTSUPP);
    }
    CHECK_UNCHANGED(region, region + PAGE, &before);
    CHECK(can_write(region));
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}
