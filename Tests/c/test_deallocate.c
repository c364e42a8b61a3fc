// SPDX-License-Identifier: Apache-2.0
/* docs/semantics.md, vm_deallocate: one test per rule. */
#include "harness.h"

#include <errno.h>
#include <sys/mman.h>

#define SELF mach_task_self()

TEST(deallocate_rule1_size_zero_succeeds_without_checks)
{
    CHECK_KR(vm_deallocate(SELF, (vm_address_t)-1, 0), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, 0, 0), KERN_SUCCESS, 0);
    uintptr_t region = allocate_or_die(PAGE, 0);
    CHECK_KR(vm_deallocate(SELF, region, 0), KERN_SUCCESS, 0);
    CHECK(can_write(region));
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(deallocate_rule2_overflow_is_invalid_argument)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    struct snapshot before;
    snapshot_take(region, region + PAGE, &before);
    CHECK_KR(vm_deallocate(SELF, region, (vm_size_t)-1), KERN_INVALID_ARGUMENT, EINVAL);
    /* address + size fits, but rounding it up wraps to 0. */
    CHECK_KR(vm_deallocate(SELF, (vm_address_t)0 - PAGE, PAGE - 1), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_deallocate(SELF, (vm_address_t)0 - PAGE + 1, PAGE - 2), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_UNCHANGED(region, region + PAGE, &before);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(deallocate_rule3_removes_rounded_range_and_splits)
{
    uintptr_t region = allocate_or_die(4 * PAGE, PK_ALLOC_TAG(242));
    fill_pattern(region, 4 * PAGE, 1);
    /* Unaligned: removes [trunc(addr), round(addr + size)) = pages 1 and 2. */
    CHECK_KR(vm_deallocate(SELF, region + PAGE + 10, PAGE), KERN_SUCCESS, 0);
    CHECK(can_read(region) && can_read(region + 3 * PAGE));
    CHECK(!can_read(region + PAGE) && !can_read(region + 2 * PAGE));
    CHECK(has_pattern(region, PAGE, 1));
    uintptr_t at = region;
    struct pk_region_info info = {0};
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.size, PAGE);
    CHECK_INT(info.tag, 242);
    at = region + PAGE;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.start, region + 3 * PAGE);
    CHECK_INT(info.size, PAGE);
    CHECK_ERRNO(pk_deallocate(region, 4 * PAGE), 0);
}

TEST(deallocate_rule3_holes_and_foreign_memory_are_removed_too)
{
    uintptr_t range = free_range(5 * PAGE);
    vm_address_t first = range, second = range + 3 * PAGE;
    CHECK_KR(vm_allocate(SELF, &first, PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    CHECK_KR(vm_allocate(SELF, &second, PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    void *foreign = mmap((void *)(range + 4 * PAGE), PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(foreign != MAP_FAILED);
    unsigned long entries = pk_table_count();
    CHECK_KR(vm_deallocate(SELF, range, 5 * PAGE), KERN_SUCCESS, 0);
    CHECK_INT(pk_table_count(), entries - 2);
    char line[512];
    for (int page = 0; page < 5; page++) {
        maps_line(range + (uintptr_t)page * PAGE, line, sizeof line);
        CHECK(line[0] == '\0');
    }
}

TEST(deallocate_rule3_outside_usable_range_removes_nothing)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    fill_pattern(region, PAGE, 4);
    struct snapshot before;
    snapshot_take(region, region + PAGE, &before);
    /* [0, region + PAGE) starts below the minimum address. */
    CHECK_KR(vm_deallocate(SELF, 0, region + PAGE), KERN_SUCCESS, 0);
    /* [region, top + PAGE) reaches above the maximum. */
    CHECK_KR(vm_deallocate(SELF, region, pk_max_address() - region + PAGE), KERN_SUCCESS, 0);
    CHECK_UNCHANGED(region, region + PAGE, &before);
    CHECK(has_pattern(region, PAGE, 4));
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(deallocate_rule4_twice_succeeds_both_times)
{
    uintptr_t region = allocate_or_die(2 * PAGE, PK_ALLOC_PURGEABLE);
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK(!can_read(region));
}

TEST(deallocate_then_regions_are_gone_from_the_table)
{
    unsigned long entries = pk_table_count();
    uintptr_t region = allocate_or_die(8 * PAGE, 0);
    CHECK_ERRNO(pk_protect(region + 2 * PAGE, PAGE, false, PK_PROT_READ), 0);
    CHECK_INT(pk_table_count(), entries + 3);
    CHECK_ERRNO(pk_protect(region + 2 * PAGE, PAGE, false, PK_PROT_DEFAULT), 0);
    CHECK_INT(pk_table_count(), entries + 1); /* merged back */
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
    CHECK_INT(pk_table_count(), entries);
}

TEST(deallocate_sealed_memory_is_refused_and_kept)
{
    if (!(pk_features() & PK_FEATURE_MSEAL))
        SKIP("this kernel has no mseal (Linux 6.10+); the fallback is tested in freeze_sealed_without_mseal");
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    fill_pattern(region, 2 * PAGE, 8);
    CHECK_ERRNO(pk_freeze(region, PAGE, PK_FREEZE_SEALED), 0);
    struct snapshot before;
    snapshot_take(region, region + 2 * PAGE, &before);
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_PROTECTION_FAILURE, EPERM);
    CHECK_UNCHANGED(region, region + 2 * PAGE, &before);
    CHECK(has_pattern(region, 2 * PAGE, 8));
    CHECK_ERRNO(pk_deallocate(region + PAGE, PAGE), 0);
}
