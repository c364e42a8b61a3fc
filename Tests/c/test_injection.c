// SPDX-License-Identifier: Apache-2.0
/* Errnos the kernel cannot be made to produce on demand, forced through the
 * system-call seam: the exact kern_return_t comes back and nothing changes. */
#include "harness.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>


#define SELF mach_task_self()

TEST(injection_allocate_anywhere_out_of_mappings)
{
    unsigned long entries = pk_table_count();
    vm_address_t address = 0x1000;
    pk_sys_inject(PK_SYS_MMAP, ENOMEM, 0, 1);
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE), KERN_NO_SPACE, ENOMEM);
    pk_sys_inject(PK_SYS_MMAP, EAGAIN, 0, 1);
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE), KERN_RESOURCE_SHORTAGE, EAGAIN);
    CHECK_INT(address, 0x1000);
    CHECK_INT(pk_table_count(), entries);
}

TEST(injection_overwrite_failure_keeps_the_old_memory)
{
    uintptr_t region = allocate_or_die(2 * PAGE, PK_ALLOC_TAG(247));
    fill_pattern(region, 2 * PAGE, 40);
    struct snapshot before;
    snapshot_take(region, region + 2 * PAGE, &before);
    pk_sys_inject(PK_SYS_MMAP, ENOMEM, 0, 1);
    vm_address_t address = region;
    CHECK_KR(vm_allocate(SELF, &address, 2 * PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_INVALID_ADDRESS,
             ENOMEM);
    CHECK_UNCHANGED(region, region + 2 * PAGE, &before);
    CHECK(has_pattern(region, 2 * PAGE, 40));
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(injection_deallocate_failure_keeps_everything)
{
    uintptr_t region = allocate_or_die(4 * PAGE, 0);
    CHECK_ERRNO(pk_protect(region + PAGE, PAGE, false, PK_PROT_READ), 0);
    fill_pattern(region, PAGE, 41);
    struct snapshot before;
    snapshot_take(region, region + 4 * PAGE, &before);
    pk_sys_inject(PK_SYS_MUNMAP, ENOMEM, 0, 1);
    CHECK_KR(vm_deallocate(SELF, region, 3 * PAGE), KERN_RESOURCE_SHORTAGE, ENOMEM);
    CHECK_UNCHANGED(region, region + 4 * PAGE, &before);
    CHECK(has_pattern(region, PAGE, 41));
    CHECK_ERRNO(pk_deallocate(region, 4 * PAGE), 0);
}

TEST(injection_permanent_deallocate_rolls_back_protections)
{
    uintptr_t range = free_range(3 * PAGE);
    vm_address_t permanent = range, plain = range + PAGE;
    CHECK_KR(vm_allocate(SELF, &permanent, PAGE, VM_FLAGS_FIXED | VM_FLAGS_PERMANENT), KERN_SUCCESS, 0);
    CHECK_KR(vm_allocate(SELF, &plain, 2 * PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    fill_pattern(range, 3 * PAGE, 42);
    struct snapshot before;
    snapshot_take(range, range + 3 * PAGE, &before);
    pk_sys_inject(PK_SYS_MUNMAP, ENOMEM, 0, 1);
    CHECK_KR(vm_deallocate(SELF, range, 3 * PAGE), KERN_RESOURCE_SHORTAGE, ENOMEM);
    CHECK_UNCHANGED(range, range + 3 * PAGE, &before);
    CHECK(can_write(range));
    CHECK_KR(vm_deallocate(SELF, range, 3 * PAGE), KERN_SUCCESS, 0);
    CHECK(!can_read(range) && !can_read(range + PAGE));
}

TEST(injection_make_volatile_failure_restores_contents)
{
    uintptr_t object = allocate_or_die(4 * PAGE, PK_ALLOC_PURGEABLE);
    fill_pattern(object, 4 * PAGE, 43);
    pk_sys_inject(PK_SYS_MADVISE, EAGAIN, 0, 1);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_RESOURCE_SHORTAGE, EAGAIN);
    CHECK_INT(state, VM_PURGABLE_VOLATILE);
    CHECK(has_pattern(object, 4 * PAGE, 43));
    state = -1;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_GET_STATE, &state), KERN_SUCCESS, 0);
    CHECK_INT(state, VM_PURGABLE_NONVOLATILE);
    CHECK_ERRNO(pk_deallocate(object, 4 * PAGE), 0);
}

TEST(injection_freeze_seal_failure_restores_protection)
{
    if (!(pk_features() & PK_FEATURE_MSEAL))
        SKIP("this kernel has no mseal; freeze_sealed_without_mseal covers the fallback");
    uintptr_t region = allocate_or_die(PAGE, 0);
    struct snapshot before;
    snapshot_take(region, region + PAGE, &before);
    pk_sys_inject(PK_SYS_MSEAL, ENOMEM, 0, 1);
    CHECK_ERRNO(pk_freeze(region, PAGE, PK_FREEZE_SEALED), -ENOMEM);
    CHECK_UNCHANGED(region, region + PAGE, &before);
    CHECK(can_write(region));
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

static void at_region(uintptr_t address, struct pk_region_info *info)
{
    if (pk_region(&address, info) != 0)
        memset(info, 0, sizeof *info);
}

/* The second of two unmaps around a permanent page fails: the first piece
 * stays removed (an unmap cannot be undone) and the table says so; the
 * permanent page gets its protection back, and the rest is untouched. */
TEST(injection_late_unmap_failure_around_permanent_memory)
{
    uintptr_t range = free_range(3 * PAGE);
    vm_address_t first = range, permanent = range + PAGE, last = range + 2 * PAGE;
    CHECK_KR(vm_allocate(SELF, &first, PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    CHECK_KR(vm_allocate(SELF, &permanent, PAGE, VM_FLAGS_FIXED | VM_FLAGS_PERMANENT), KERN_SUCCESS, 0);
    CHECK_KR(vm_allocate(SELF, &last, PAGE, VM_FLAGS_FIXED | VM_MAKE_TAG(248)), KERN_SUCCESS, 0);
    fill_pattern(last, PAGE, 43);
    struct pk_region_info last_before = {0}, last_after = {0};
    at_region(last, &last_before);
    pk_sys_inject(PK_SYS_MUNMAP, ENOMEM, 1, 1);
    CHECK_KR(vm_deallocate(SELF, range, 3 * PAGE), KERN_RESOURCE_SHORTAGE, ENOMEM);
    pk_sys_inject_clear();
    struct pk_region_info info = {0};
    uintptr_t at = range;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK(info.start > range); /* gone from the table and the kernel */
    CHECK(!can_read(range));
    at = range + PAGE;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.start, range + PAGE);
    CHECK_INT(info.protection, PK_PROT_DEFAULT);
    CHECK_INT(info.max_protection, PK_PROT_ALL);
    CHECK(can_write(range + PAGE));
    at_region(last, &last_after);
    CHECK(memcmp(&last_before, &last_after, sizeof last_before) == 0);
    CHECK(can_write(last) && has_pattern(last, PAGE, 43));
    CHECK_KR(vm_deallocate(SELF, range, 3 * PAGE), KERN_SUCCESS, 0);
    CHECK(!can_read(last));
}
