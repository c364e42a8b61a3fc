// SPDX-License-Identifier: Apache-2.0
/* docs/semantics.md, vm_allocate: one test per rule. */
#include "harness.h"

#include "arena.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define SELF mach_task_self()

static const unsigned int unaccepted_flags[] = {0x20, 0x40, 0x100, 0x200, 0x800, 0x2000, 0x8000,
                                                0x80000, 0x100000, 0x800000};

TEST(allocate_rule1_flags_outside_accepted_set_checked_first)
{
    struct snapshot before;
    snapshot_take_all(&before);
    for (size_t i = 0; i < sizeof unaccepted_flags / sizeof unaccepted_flags[0]; i++) {
        vm_address_t address = 0x1234;
        /* Checked before anything else: even before the size-0 shortcut. */
        CHECK_KR(vm_allocate(SELF, &address, 0, (int)(VM_FLAGS_ANYWHERE | unaccepted_flags[i])),
                 KERN_INVALID_ARGUMENT, EINVAL);
        CHECK_KR(vm_allocate(SELF, &address, PAGE, (int)(VM_FLAGS_ANYWHERE | unaccepted_flags[i])),
                 KERN_INVALID_ARGUMENT, EINVAL);
        CHECK_INT(address, 0x1234);
        uintptr_t native = 0x1234;
        CHECK_ERRNO(pk_allocate(&native, PAGE, PK_ALLOC_ANYWHERE | unaccepted_flags[i], NULL), -EINVAL);
        CHECK_INT(native, 0x1234);
    }
    CHECK_NOTHING_CHANGED(&before);
}

TEST(allocate_rule1_accepted_set_is_xnu_user_allocate)
{
    CHECK_INT(VM_FLAGS_USER_ALLOCATE, 0xFF07509F);
    CHECK_INT(VM_MAKE_TAG(255), 0xFF000000u);
    CHECK_INT(VM_MAKE_TAG(VM_MEMORY_APPLICATION_SPECIFIC_1), 0xF0000000u);
    CHECK_INT(VM_MEMORY_APPLICATION_SPECIFIC_16, 255);
}

TEST(allocate_rule2_size_zero_succeeds_with_address_zero)
{
    vm_address_t address = 0x5000;
    CHECK_KR(vm_allocate(SELF, &address, 0, VM_FLAGS_ANYWHERE), KERN_SUCCESS, 0);
    CHECK_INT(address, 0);
    address = 0x7000;
    unsigned long entries = pk_table_count();
    CHECK_KR(vm_allocate(SELF, &address, 0, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    CHECK_INT(address, 0);
    CHECK_INT(pk_table_count(), entries);
}

TEST(allocate_rule3_anywhere_ignores_the_address)
{
    uintptr_t taken = allocate_or_die(PAGE, 0);
    vm_address_t address = taken; /* occupied: ANYWHERE must not care */
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE), KERN_SUCCESS, 0);
    CHECK(address != taken && address % PAGE == 0);
    CHECK_KR(vm_deallocate(SELF, address, PAGE), KERN_SUCCESS, 0);
    CHECK_ERRNO(pk_deallocate(taken, PAGE), 0);
}

TEST(allocate_rule3_anywhere_size_that_rounds_to_zero)
{
    struct snapshot before;
    snapshot_take_all(&before);
    vm_address_t address = 0x4000;
    CHECK_KR(vm_allocate(SELF, &address, (vm_size_t)-1, VM_FLAGS_ANYWHERE), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_allocate(SELF, &address, (vm_size_t)0 - PAGE + 1, VM_FLAGS_ANYWHERE), KERN_INVALID_ARGUMENT,
             EINVAL);
    CHECK_INT(address, 0x4000);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(allocate_rule3_anywhere_no_room)
{
    struct snapshot before;
    snapshot_take_all(&before);
    vm_address_t address = 0x4000;
    unsigned long entries = pk_table_count();
    CHECK_KR(vm_allocate(SELF, &address, (vm_size_t)1 << 62, VM_FLAGS_ANYWHERE), KERN_NO_SPACE, ENOMEM);
    CHECK_KR(vm_allocate(SELF, &address, (vm_size_t)0 - 2 * PAGE, VM_FLAGS_ANYWHERE), KERN_NO_SPACE, ENOMEM);
    CHECK_INT(address, 0x4000);
    CHECK_INT(pk_table_count(), entries);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(allocate_rule4_fixed_maps_truncated_address)
{
    uintptr_t range = free_range(4 * PAGE);
    vm_address_t address = range + PAGE + 123;
    CHECK_KR(vm_allocate(SELF, &address, PAGE + 1, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    CHECK_INT(address, range + PAGE);
    uintptr_t where = address;
    struct pk_region_info info = {0};
    CHECK_ERRNO(pk_region(&where, &info), 0);
    CHECK_INT(info.start, range + PAGE);
    CHECK_INT(info.size, 2 * PAGE);
    CHECK(can_write(range + PAGE) && can_write(range + 2 * PAGE));
    CHECK_KR(vm_deallocate(SELF, address, 2 * PAGE), KERN_SUCCESS, 0);
}

TEST(allocate_rule4_fixed_overflow_is_invalid_address)
{
    struct snapshot before;
    snapshot_take_all(&before);
    vm_address_t address = (vm_address_t)0 - PAGE;
    CHECK_KR(vm_allocate(SELF, &address, 2 * PAGE, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_INT(address, (vm_address_t)0 - PAGE);
    /* ...but a size that itself rounds to 0 is an invalid argument. */
    address = 0x10000;
    CHECK_KR(vm_allocate(SELF, &address, (vm_size_t)-1, VM_FLAGS_FIXED), KERN_INVALID_ARGUMENT, EINVAL);
    address = (vm_address_t)0 - PAGE;
    CHECK_KR(vm_allocate(SELF, &address, (vm_size_t)-1, VM_FLAGS_FIXED), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_INT(address, (vm_address_t)0 - PAGE);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(allocate_rule4_fixed_outside_usable_range)
{
    struct snapshot before;
    snapshot_take_all(&before);
    vm_address_t address = 0;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS, ENOMEM);
    address = PAGE - 1; /* page 0 */
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS, ENOMEM);
    address = (vm_address_t)pk_max_address();
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS, ENOMEM);
    address = ((vm_address_t)pk_max_address()) - PAGE; /* straddles the top */
    CHECK_KR(vm_allocate(SELF, &address, 2 * PAGE, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_INT(address, ((vm_address_t)pk_max_address()) - PAGE);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(allocate_rule4_fixed_never_clobbers_a_foreign_mapping)
{
    /* Three foreign pages between two inaccessible foreign guard pages, so
     * the snapshot sees nothing but memory this test owns. */
    uintptr_t guard = foreign_map(5 * PAGE, PROT_NONE), foreign = guard + PAGE;
    CHECK(mprotect((void *)foreign, 3 * PAGE, PROT_READ | PROT_WRITE) == 0);
    fill_pattern(foreign, 3 * PAGE, 11);
    struct snapshot before;
    snapshot_take(guard, guard + 5 * PAGE, &before);
    vm_address_t address = foreign - PAGE; /* the guard and the first page */
    CHECK_KR(vm_allocate(SELF, &address, 2 * PAGE, VM_FLAGS_FIXED), KERN_NO_SPACE, EEXIST);
    CHECK_INT(address, foreign - PAGE);
    address = foreign + PAGE;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED | VM_MAKE_TAG(250)), KERN_NO_SPACE, EEXIST);
    CHECK(has_pattern(foreign, 3 * PAGE, 11));
    CHECK_UNCHANGED(guard, guard + 5 * PAGE, &before);
    munmap((void *)guard, 5 * PAGE);
}

TEST(allocate_rule4_fixed_never_clobbers_pagekit_memory)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    fill_pattern(region, 2 * PAGE, 3);
    struct snapshot before;
    snapshot_take(region, region + 2 * PAGE, &before);
    vm_address_t address = region + PAGE;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED | VM_FLAGS_PURGABLE), KERN_NO_SPACE, EEXIST);
    CHECK_UNCHANGED(region, region + 2 * PAGE, &before);
    CHECK(has_pattern(region, 2 * PAGE, 3));
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(allocate_rule5_fixed_overwrite_replaces_in_one_step)
{
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    fill_pattern(region, 3 * PAGE, 5);
    CHECK_ERRNO(pk_protect(region, 3 * PAGE, true, PK_PROT_READ), 0);
    vm_address_t address = region + PAGE;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE | VM_MAKE_TAG(241)),
             KERN_SUCCESS, 0);
    CHECK_INT(address, region + PAGE);
    CHECK(is_zero(region + PAGE, PAGE));
    CHECK(can_write(region + PAGE));
    CHECK(has_pattern(region, PAGE, 5));
    uintptr_t at = region + PAGE;
    struct pk_region_info info = {0};
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.start, region + PAGE);
    CHECK_INT(info.size, PAGE);
    CHECK_INT(info.protection, PK_PROT_DEFAULT);
    CHECK_INT(info.max_protection, PK_PROT_ALL);
    CHECK_INT(info.tag, 241);
    at = region;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.size, PAGE);
    CHECK_INT(info.max_protection, PK_PROT_READ);
    CHECK_ERRNO(pk_deallocate(region, 3 * PAGE), 0);
}

TEST(allocate_rule5_overwrite_of_foreign_memory)
{
    uintptr_t foreign = foreign_map(PAGE, PROT_READ);
    vm_address_t address = foreign;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_SUCCESS, 0);
    CHECK(can_write(foreign));
    CHECK_KR(vm_deallocate(SELF, foreign, PAGE), KERN_SUCCESS, 0);
}

TEST(allocate_rule5_overwrite_with_anywhere_is_invalid)
{
    struct snapshot before;
    snapshot_take_all(&before);
    vm_address_t address = 0x10000;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_OVERWRITE), KERN_INVALID_ARGUMENT,
             EINVAL);
    CHECK_INT(address, 0x10000);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(allocate_rule6_new_memory_zero_rw_max_all_copy)
{
    mach_vm_address_t address = 0;
    CHECK_KR(mach_vm_allocate(SELF, &address, 5 * PAGE, VM_FLAGS_ANYWHERE), KERN_SUCCESS, 0);
    CHECK(is_zero(address, 5 * PAGE));
    vm_region_basic_info_data_64_t info = {0};
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    mach_vm_size_t size = 0;
    mach_port_t object = 99;
    mach_vm_address_t at = address;
    CHECK_KR(mach_vm_region(SELF, &at, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count, &object),
             KERN_SUCCESS, 0);
    CHECK_INT(at, address);
    CHECK_INT(size, 5 * PAGE);
    CHECK_INT(info.protection, VM_PROT_DEFAULT);
    CHECK_INT(info.max_protection, VM_PROT_ALL);
    CHECK_INT(info.inheritance, VM_INHERIT_COPY);
    CHECK_INT(info.shared, 0);
    CHECK_INT(info.reserved, 0);
    CHECK_INT(info.offset, 0);
    CHECK_INT(info.behavior, 0);
    CHECK_INT(info.user_wired_count, 0);
    CHECK_INT(object, MACH_PORT_NULL);
    CHECK_KR(mach_vm_deallocate(SELF, address, 5 * PAGE), KERN_SUCCESS, 0);
}

TEST(allocate_rule6_purgeable_is_one_nonvolatile_object)
{
    vm_address_t address = 0;
    CHECK_KR(vm_allocate(SELF, &address, 4 * PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_PURGABLE), KERN_SUCCESS, 0);
    int state = -1;
    CHECK_KR(vm_purgable_control(SELF, address + 3 * PAGE, VM_PURGABLE_GET_STATE, &state), KERN_SUCCESS, 0);
    CHECK_INT(state, VM_PURGABLE_NONVOLATILE);
    struct pk_region_info info = {0};
    uintptr_t at = address;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.size, 4 * PAGE);
    CHECK(info.flags & PK_REGION_PURGEABLE);
    CHECK_KR(vm_deallocate(SELF, address, 4 * PAGE), KERN_SUCCESS, 0);
}

TEST(allocate_rule6_purgeable_with_superpage_is_invalid)
{
    struct snapshot before;
    snapshot_take_all(&before);
    vm_address_t address = 0x8000;
    unsigned long entries = pk_table_count();
    CHECK_KR(vm_allocate(SELF, &address, 2 << 20, VM_FLAGS_ANYWHERE | VM_FLAGS_PURGABLE | VM_FLAGS_SUPERPAGE_SIZE_2MB),
             KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_PURGABLE | VM_FLAGS_SUPERPAGE_SIZE_ANY),
             KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_INT(address, 0x8000);
    CHECK_INT(pk_table_count(), entries);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(allocate_superpages)
{
    vm_address_t address = 0;
    CHECK_KR(vm_allocate(SELF, &address, 2 << 20, VM_FLAGS_ANYWHERE | VM_FLAGS_SUPERPAGE_SIZE_2MB), KERN_SUCCESS, 0);
    CHECK_INT(address % (2 << 20), 0);
    struct pk_region_info info = {0};
    uintptr_t at = address;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.size, 2 << 20);
    CHECK(info.flags & PK_REGION_SUPERPAGE);
    CHECK_KR(vm_deallocate(SELF, address, 2 << 20), KERN_SUCCESS, 0);
    /* 2 MiB superpages need a size that is a multiple of 2 MiB. */
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_SUPERPAGE_SIZE_2MB),
             KERN_INVALID_ARGUMENT, EINVAL);
    /* Superpage sizes 3 to 7 do not exist. */
    CHECK_KR(vm_allocate(SELF, &address, 2 << 20, VM_FLAGS_ANYWHERE | 0x30000), KERN_INVALID_ARGUMENT, EINVAL);
    address = 0;
    CHECK_KR(vm_allocate(SELF, &address, 3 * PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_SUPERPAGE_SIZE_ANY), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, address, 3 * PAGE), KERN_SUCCESS, 0);
}

TEST(allocate_tpro_is_invalid)
{
    struct snapshot before;
    snapshot_take_all(&before);
    vm_address_t address = 0x9000;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_TPRO), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_INT(address, 0x9000);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(allocate_recorded_flags)
{
    vm_address_t address = 0;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_4GB_CHUNK | VM_FLAGS_NO_CACHE),
             KERN_SUCCESS, 0);
    struct pk_region_info info = {0};
    uintptr_t at = address;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK(info.flags & PK_REGION_4GB_CHUNK);
    CHECK(info.flags & PK_REGION_NO_CACHE);
    CHECK_KR(vm_deallocate(SELF, address, PAGE), KERN_SUCCESS, 0);
}

TEST(allocate_random_address)
{
#if defined(__SANITIZE_THREAD__)
    SKIP("ThreadSanitizer refuses mappings outside its application ranges, where random addresses land");
#endif
    vm_address_t first = 0, second = 0;
    CHECK_KR(vm_allocate(SELF, &first, PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_RANDOM_ADDR), KERN_SUCCESS, 0);
    CHECK_KR(vm_allocate(SELF, &second, PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_RANDOM_ADDR), KERN_SUCCESS, 0);
    CHECK(first != second);
    CHECK(can_write(first) && can_write(second));
    CHECK_KR(vm_deallocate(SELF, first, PAGE), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, second, PAGE), KERN_SUCCESS, 0);
}

TEST(allocate_rule7_tag_is_stored)
{
    vm_address_t address = 0;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE | VM_MAKE_TAG(VM_MEMORY_APPLICATION_SPECIFIC_16)),
             KERN_SUCCESS, 0);
    vm_region_extended_info_data_t info = {0};
    mach_msg_type_number_t count = VM_REGION_EXTENDED_INFO_COUNT;
    vm_size_t size;
    vm_address_t at = address;
    CHECK_KR(vm_region_64(SELF, &at, &size, VM_REGION_EXTENDED_INFO, (vm_region_info_t)&info, &count, NULL),
             KERN_SUCCESS, 0);
    CHECK_INT(info.user_tag, 255);
    CHECK_KR(vm_deallocate(SELF, address, PAGE), KERN_SUCCESS, 0);
}

TEST(allocate_rule8_failures_leave_address_unchanged)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    vm_address_t address = region;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED), KERN_NO_SPACE, EEXIST);
    CHECK_INT(address, region);
    CHECK_KR(vm_allocate(SELF, &address, PAGE, 0x20), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_INT(address, region);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

/* On macOS each call is a message to the task's port: a null or dead port
 * fails to send, before any argument is looked at. */
TEST(allocate_other_task_is_a_dead_port)
{
    const mach_port_t tasks[] = {MACH_PORT_NULL, SELF + 1, 0xFFFFFFFFu};
    vm_address_t region = allocate_or_die(PAGE, 0);
    struct snapshot before;
    snapshot_take_all(&before);
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++) {
        vm_address_t address = 0;
        CHECK_KR(vm_allocate(tasks[i], &address, PAGE, VM_FLAGS_ANYWHERE), MACH_SEND_INVALID_DEST, ESRCH);
        CHECK_INT(address, 0);
        mach_vm_address_t wide = region;
        CHECK_KR(mach_vm_allocate(tasks[i], &wide, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), MACH_SEND_INVALID_DEST,
                 ESRCH);
        CHECK_INT(wide, region);
        CHECK_KR(vm_allocate(tasks[i], NULL, PAGE, 0x40), MACH_SEND_INVALID_DEST, ESRCH);
        CHECK_KR(vm_deallocate(tasks[i], region, PAGE), MACH_SEND_INVALID_DEST, ESRCH);
        CHECK_KR(mach_vm_deallocate(tasks[i], region, PAGE), MACH_SEND_INVALID_DEST, ESRCH);
        CHECK_KR(vm_protect(tasks[i], region, PAGE, FALSE, VM_PROT_READ), MACH_SEND_INVALID_DEST, ESRCH);
        CHECK_KR(mach_vm_protect(tasks[i], region, PAGE, TRUE, 0x100), MACH_SEND_INVALID_DEST, ESRCH);
        int state = VM_PURGABLE_VOLATILE;
        CHECK_KR(vm_purgable_control(tasks[i], region, VM_PURGABLE_SET_STATE, &state), MACH_SEND_INVALID_DEST, ESRCH);
        CHECK_KR(mach_vm_purgable_control(tasks[i], region, 99, NULL), MACH_SEND_INVALID_DEST, ESRCH);
        vm_region_basic_info_data_64_t info;
        mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
        mach_vm_address_t where = region;
        mach_vm_size_t size = 0;
        CHECK_KR(mach_vm_region(tasks[i], &where, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count, NULL),
                 MACH_SEND_INVALID_DEST, ESRCH);
        vm_address_t narrow = region;
        vm_size_t narrow_size = 0;
        CHECK_KR(vm_region_64(tasks[i], &narrow, &narrow_size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count,
                              NULL),
                 MACH_SEND_INVALID_DEST, ESRCH);
        CHECK_INT(where, region);
    }
    CHECK_NOTHING_CHANGED(&before);
    CHECK(strcmp(mach_error_string(MACH_SEND_INVALID_DEST), "(ipc/send) invalid destination port") == 0);
    CHECK_INT(MACH_SEND_INVALID_DEST, 0x10000003);
    CHECK_KR(vm_allocate(SELF, NULL, PAGE, VM_FLAGS_ANYWHERE), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(allocate_native_name_is_checked_first)
{
    uintptr_t address = 0x6000;
    CHECK_ERRNO(pk_allocate(&address, PAGE, PK_ALLOC_ANYWHERE, "bad$name"), -EINVAL);
    CHECK_INT(address, 0x6000);
    CHECK_ERRNO(pk_allocate(&address, PAGE, PK_ALLOC_ANYWHERE, "cache"), 0);
    struct pk_region_info info = {0};
    uintptr_t at = address;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK(strcmp(info.name, "cache") == 0);
    CHECK_ERRNO(pk_deallocate(address, PAGE), 0);
}

TEST(allocate_permanent_survives_deallocate_and_overwrite)
{
    vm_address_t address = 0;
    CHECK_KR(vm_allocate(SELF, &address, 3 * PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_PERMANENT), KERN_SUCCESS, 0);
    fill_pattern(address, 3 * PAGE, 9);
    vm_address_t over = address;
    CHECK_KR(vm_allocate(SELF, &over, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_NO_SPACE, EEXIST);
    CHECK(!can_read(address));
    CHECK(can_read(address + PAGE));
    CHECK_KR(vm_deallocate(SELF, address + PAGE, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK(!can_read(address + PAGE) && !can_read(address + 2 * PAGE));
    uintptr_t at = address;
    struct pk_region_info info = {0};
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.start, address);
    CHECK_INT(info.size, 3 * PAGE);
    CHECK_INT(info.protection, PK_PROT_NONE);
    CHECK_INT(info.max_protection, PK_PROT_NONE);
    CHECK(info.flags & PK_REGION_PERMANENT);
    char line[512];
    maps_line(address, line, sizeof line);
    CHECK(line[0] != '\0'); /* still mapped */
    CHECK_KR(vm_protect(SELF, address, PAGE, FALSE, VM_PROT_READ), KERN_PROTECTION_FAILURE, EACCES);
}

TEST(allocate_recovers_entries_unmapped_behind_its_back)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    munmap((void *)region, 2 * PAGE);
    vm_address_t address = region;
    CHECK_KR(vm_allocate(SELF, &address, 2 * PAGE, VM_FLAGS_FIXED | VM_MAKE_TAG(7)), KERN_SUCCESS, 0);
    struct pk_region_info info = {0};
    uintptr_t at = region;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.tag, 7);
    CHECK_INT(info.size, 2 * PAGE);
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

/* An allocation anywhere that the kernel places where the table still
 * records memory unmapped behind PageKit's back: the stale record goes,
 * the new region is what the table reports. */
static uintptr_t stale_record(unsigned int tag)
{
    uintptr_t region = allocate_or_die(2 * PAGE, PK_ALLOC_TAG(tag));
    CHECK(munmap((void *)region, 2 * PAGE) == 0);
    return region;
}

TEST(allocate_anywhere_over_a_stale_record_replaces_it)
{
    uintptr_t stale = stale_record(9);
    unsigned long entries = pk_table_count();
    vm_address_t address = 0;
    CHECK_KR(vm_allocate(SELF, &address, 2 * PAGE, VM_FLAGS_ANYWHERE), KERN_SUCCESS, 0);
    if (address != stale) {
        CHECK_ERRNO(pk_deallocate(address, 2 * PAGE), 0);
        SKIP("the kernel placed the new pages elsewhere than the hole just left");
    }
    CHECK_INT(pk_table_count(), entries);
    struct pk_region_info info = {0};
    uintptr_t at = stale;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.start, stale);
    CHECK_INT(info.size, 2 * PAGE);
    CHECK_INT(info.tag, 0);
    CHECK(can_write(stale) && can_write(stale + PAGE));
    CHECK_ERRNO(pk_deallocate(stale, 2 * PAGE), 0);
}

/* The same with no memory left to take the stale record apart: the new
 * pages are unmapped again, the call fails with KERN_NO_SPACE (ENOMEM, as
 * for any shortage of room), address is left alone, and the table keeps
 * exactly what it had. */
TEST(allocate_anywhere_over_a_stale_record_without_memory_changes_nothing)
{
    uintptr_t stale = stale_record(9);
    unsigned long entries = pk_table_count();
    vm_address_t address = 0x1234;
    /* One entry for the new pages, then none for taking the record apart. */
    pk_arena_refuse_after(1);
    kern_return_t kr = vm_allocate(SELF, &address, 2 * PAGE, VM_FLAGS_ANYWHERE);
    int error = errno;
    pk_arena_refuse_after(-1);
    if (kr == KERN_SUCCESS) {
        CHECK(address != stale);
        CHECK_ERRNO(pk_deallocate(address, 2 * PAGE), 0);
        SKIP("the kernel placed the new pages elsewhere than the hole just left");
    }
    CHECK_INT(kr, KERN_NO_SPACE);
    CHECK_INT(error, ENOMEM);
    CHECK_INT(address, 0x1234);
    CHECK_INT(pk_table_count(), entries);
    char line[512];
    maps_line(stale, line, sizeof line);
    CHECK(line[0] == '\0'); /* nothing left mapped */
    /* The record is still there for the next call to find and drop. */
    CHECK_KR(vm_allocate(SELF, &address, 2 * PAGE, VM_FLAGS_ANYWHERE), KERN_SUCCESS, 0);
    CHECK_ERRNO(pk_deallocate(address, 2 * PAGE), 0);
}
