// SPDX-License-Identifier: Apache-2.0
/* docs/semantics.md, mach_vm_region: one test per rule. */
#include "harness.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define SELF mach_task_self()

static kern_return_t basic(mach_vm_address_t *address, mach_vm_size_t *size, vm_region_basic_info_data_64_t *info)
{
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    mach_port_t object = 1;
    kern_return_t kr = mach_vm_region(SELF, address, size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)info, &count,
                                      &object);
    if (kr == KERN_SUCCESS && (count != 9 || object != MACH_PORT_NULL))
        return -1;
    return kr;
}

TEST(region_rule1_containing_entry)
{
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    mach_vm_address_t address = region + PAGE + 17;
    mach_vm_size_t size = 0;
    vm_region_basic_info_data_64_t info = {0};
    CHECK_KR(basic(&address, &size, &info), KERN_SUCCESS, 0);
    CHECK_INT(address, region);
    CHECK_INT(size, 3 * PAGE);
    CHECK_ERRNO(pk_deallocate(region, 3 * PAGE), 0);
}

TEST(region_rule1_next_entry_above_moves_the_address)
{
    uintptr_t range = free_range(3 * PAGE);
    vm_address_t above = range + 2 * PAGE;
    CHECK_KR(vm_allocate(SELF, &above, PAGE, VM_FLAGS_FIXED | VM_MAKE_TAG(244)), KERN_SUCCESS, 0);
    mach_vm_address_t address = range;
    mach_vm_size_t size = 0;
    vm_region_basic_info_data_64_t info = {0};
    CHECK_KR(basic(&address, &size, &info), KERN_SUCCESS, 0);
    CHECK_INT(address, range + 2 * PAGE);
    CHECK_INT(size, PAGE);
    CHECK_ERRNO(pk_deallocate(above, PAGE), 0);
}

TEST(region_rule1_nothing_above_is_invalid_address)
{
    /* Both ways of reading the kernel's view: the vsyscall page, above the
     * user address space, is not part of the map. */
    for (int scan = 0; scan < 2; scan++) {
        pk_kernel_maps_force_scan(scan == 1);
        mach_vm_address_t address = (mach_vm_address_t)pk_max_address();
        mach_vm_size_t size = 77;
        vm_region_basic_info_data_64_t info = {0};
        CHECK_KR(basic(&address, &size, &info), KERN_INVALID_ADDRESS, ENOMEM);
        CHECK_INT(address, (mach_vm_address_t)pk_max_address());
        CHECK_INT(size, 77);
        address = (mach_vm_address_t)-PAGE;
        CHECK_KR(basic(&address, &size, &info), KERN_INVALID_ADDRESS, ENOMEM);
    }
}

TEST(region_rule2_basic_info_of_a_fresh_allocation)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    mach_vm_address_t address = region;
    mach_vm_size_t size = 0;
    vm_region_basic_info_data_64_t info;
    memset(&info, 0xAB, sizeof info);
    CHECK_KR(basic(&address, &size, &info), KERN_SUCCESS, 0);
    CHECK_INT(info.protection, 3);
    CHECK_INT(info.max_protection, 7);
    CHECK_INT(info.inheritance, 1);
    CHECK_INT(info.shared, 0);
    CHECK_INT(info.reserved, 0);
    CHECK_INT(info.offset, 0);
    CHECK_INT(info.behavior, 0);
    CHECK_INT(info.user_wired_count, 0);
    CHECK_INT(VM_REGION_BASIC_INFO_COUNT_64, 9);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(region_rule2_extended_info_reports_tag_and_resident_pages)
{
    uintptr_t region = allocate_or_die(8 * PAGE, PK_ALLOC_TAG((VM_MEMORY_APPLICATION_SPECIFIC_1 + 2)));
    vm_region_extended_info_data_t info = {0};
    mach_msg_type_number_t count = VM_REGION_EXTENDED_INFO_COUNT;
    mach_vm_address_t address = region;
    mach_vm_size_t size = 0;
    CHECK_KR(mach_vm_region(SELF, &address, &size, VM_REGION_EXTENDED_INFO, (vm_region_info_t)&info, &count, NULL),
             KERN_SUCCESS, 0);
    CHECK_INT(info.user_tag, 242);
    CHECK_INT(info.pages_resident, 0);
    CHECK_INT(info.share_mode, SM_EMPTY);
    CHECK_INT(count, VM_REGION_EXTENDED_INFO_COUNT);
    for (int page = 0; page < 3; page++)
        *(volatile char *)(region + (uintptr_t)page * PAGE) = 1;
    CHECK_KR(mach_vm_region(SELF, &address, &size, VM_REGION_EXTENDED_INFO, (vm_region_info_t)&info, &count, NULL),
             KERN_SUCCESS, 0);
    CHECK_INT(info.pages_resident, 3);
    CHECK_INT(info.share_mode, SM_PRIVATE);
    CHECK_INT(info.protection, VM_PROT_DEFAULT);
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
}

TEST(region_rule2_count_too_small_or_unknown_flavor)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    vm_region_basic_info_data_64_t info = {0};
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64 - 1;
    mach_vm_address_t address = region;
    mach_vm_size_t size = 0;
    CHECK_KR(mach_vm_region(SELF, &address, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count, NULL),
             KERN_INVALID_ARGUMENT, EINVAL);
    count = 64;
    CHECK_KR(mach_vm_region(SELF, &address, &size, 4242, (vm_region_info_t)&info, &count, NULL), KERN_INVALID_ARGUMENT,
             EINVAL);
    CHECK_KR(mach_vm_region(SELF, &address, &size, VM_REGION_BASIC_INFO_64, NULL, &count, NULL),
             KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(mach_vm_region(SELF + 1, &address, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count, NULL),
             MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_INT(address, region);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

static void check_foreign_report(void)
{
    uintptr_t foreign = foreign_map(4 * PAGE, PROT_READ | PROT_EXEC);
    mach_vm_address_t address = foreign + PAGE;
    mach_vm_size_t size = 0;
    vm_region_basic_info_data_64_t info = {0};
    CHECK_KR(basic(&address, &size, &info), KERN_SUCCESS, 0);
    CHECK_INT(address, foreign);
    CHECK_INT(size, 4 * PAGE);
    CHECK_INT(info.protection, VM_PROT_READ | VM_PROT_EXECUTE);
    CHECK_INT(info.max_protection, VM_PROT_ALL);
    struct pk_region_info native = {0};
    uintptr_t at = foreign;
    CHECK_ERRNO(pk_region(&at, &native), 0);
    CHECK(!(native.flags & PK_REGION_OWNED));
    munmap((void *)foreign, 4 * PAGE);

    /* A known named mapping: the stack. */
    int local = 0;
    at = (uintptr_t)&local;
    CHECK_ERRNO(pk_region(&at, &native), 0);
    CHECK(strcmp(native.name, "[stack]") == 0);
}

TEST(region_rule3_foreign_mappings_through_procmap_query)
{
    if (!(pk_features() & PK_FEATURE_PROCMAP_QUERY))
        SKIP("this kernel has no PROCMAP_QUERY (Linux 6.11+); region_rule3_foreign_mappings_through_proc_maps "
             "covers the fallback");
    check_foreign_report();
}

TEST(region_rule3_foreign_mappings_through_proc_maps)
{
    pk_kernel_maps_force_scan(true);
    check_foreign_report();
}

TEST(region_foreign_memory_beside_pagekit_memory_is_clipped)
{
    /* PROT_NONE guards keep the kernel from merging in unrelated neighbours. */
    uintptr_t guard = free_range(5 * PAGE), range = guard + PAGE;
    CHECK(mmap((void *)guard, 5 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
          MAP_FAILED);
    CHECK(mprotect((void *)range, 3 * PAGE, PROT_READ | PROT_WRITE) == 0);
    vm_address_t middle = range + PAGE;
    CHECK_KR(vm_allocate(SELF, &middle, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_SUCCESS, 0);
    for (int scan = 0; scan < 2; scan++) {
        pk_kernel_maps_force_scan(scan == 1);
        struct pk_region_info info = {0};
        uintptr_t at = range;
        CHECK_ERRNO(pk_region(&at, &info), 0);
        CHECK_INT(info.start, range);
        CHECK_INT(info.size, PAGE);
        CHECK(!(info.flags & PK_REGION_OWNED));
        at = info.start + info.size;
        CHECK_ERRNO(pk_region(&at, &info), 0);
        CHECK_INT(info.start, range + PAGE);
        CHECK(info.flags & PK_REGION_OWNED);
        at = info.start + info.size;
        CHECK_ERRNO(pk_region(&at, &info), 0);
        CHECK_INT(info.start, range + 2 * PAGE);
        CHECK_INT(info.size, PAGE);
        CHECK_INT(info.protection, PK_PROT_DEFAULT);
        CHECK(!(info.flags & PK_REGION_OWNED));
        at = info.start + info.size;
        CHECK_ERRNO(pk_region(&at, &info), 0);
        CHECK_INT(info.start, range + 3 * PAGE);
        CHECK_INT(info.protection, PK_PROT_NONE);
    }
    CHECK_KR(vm_deallocate(SELF, guard, 5 * PAGE), KERN_SUCCESS, 0);
}

TEST(region_walk_covers_the_whole_address_space)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    uintptr_t at = 0;
    struct pk_region_info info = {0};
    int regions = 0;
    bool found = false;
    uintptr_t last_end = 0;
    while (pk_region(&at, &info) == 0 && regions < 100000) {
        CHECK(info.start >= last_end);
        found |= info.start == region;
        last_end = info.start + info.size;
        at = last_end;
        regions++;
    }
    CHECK(found);
    CHECK(regions > 3);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(region_native_bad_arguments)
{
    struct pk_region_info info;
    uintptr_t at = 0;
    CHECK_ERRNO(pk_region(NULL, &info), -EINVAL);
    CHECK_ERRNO(pk_region(&at, NULL), -EINVAL);
    size_t count = 0;
    CHECK_ERRNO(pk_resident_pages(PAGE + 1, PAGE, &count), -EINVAL);
    CHECK_ERRNO(pk_resident_pages(PAGE, (size_t)-1, &count), -EINVAL);
    CHECK_ERRNO(pk_resident_pages(free_range(PAGE), PAGE, &count), -ENOMEM);
}

TEST(protection_query_intersects_entries)
{
    uintptr_t region = free_range(5 * PAGE); /* the fifth page stays a hole */
    vm_address_t fixed = region;
    CHECK_KR(vm_allocate(mach_task_self(), &fixed, 4 * PAGE, VM_FLAGS_FIXED), KERN_SUCCESS, 0);
    unsigned int current = 99, maximum = 99;
    CHECK_ERRNO(pk_protection(region, 4 * PAGE, &current, &maximum), 0);
    CHECK_INT(current, PK_PROT_DEFAULT);
    CHECK_INT(maximum, PK_PROT_ALL);
    CHECK_ERRNO(pk_protect(region + PAGE, PAGE, true, PK_PROT_READ | PK_PROT_EXECUTE), 0);
    CHECK_ERRNO(pk_protection(region, 4 * PAGE, &current, &maximum), 0);
    CHECK_INT(current, PK_PROT_READ);
    CHECK_INT(maximum, PK_PROT_READ | PK_PROT_EXECUTE);
    CHECK_ERRNO(pk_protection(region + 2 * PAGE, PAGE, &current, &maximum), 0);
    CHECK_INT(current, PK_PROT_DEFAULT);
    CHECK_ERRNO(pk_protection(region, 5 * PAGE, &current, &maximum), -ENOMEM);
    CHECK_ERRNO(pk_protection(region, 0, &current, &maximum), -EINVAL);
    CHECK_ERRNO(pk_protection(region, (size_t)-1, &current, &maximum), -EINVAL);
    uintptr_t foreign = foreign_map(PAGE, PROT_READ);
    CHECK_ERRNO(pk_protection(foreign, PAGE, &current, &maximum), -ENOMEM);
    munmap((void *)foreign, PAGE);
    CHECK_ERRNO(pk_deallocate(region, 4 * PAGE), 0);
}

TEST(populate_faults_pages_in)
{
    for (int fallback = 0; fallback < 2; fallback++) {
        pk_features_hide(fallback ? PK_FEATURE_MADV_POPULATE : 0);
        uintptr_t region = allocate_or_die(8 * PAGE, 0);
        size_t resident = 99;
        CHECK_ERRNO(pk_resident_pages(region, 8 * PAGE, &resident), 0);
        CHECK_INT(resident, 0);
        CHECK_ERRNO(pk_populate(region, 8 * PAGE), 0);
        CHECK_ERRNO(pk_resident_pages(region, 8 * PAGE, &resident), 0);
        CHECK_INT(resident, 8);
        CHECK(is_zero(region, 8 * PAGE));
        CHECK_ERRNO(pk_protect(region, PAGE, false, PK_PROT_READ), 0);
        CHECK_ERRNO(pk_populate(region, PAGE), -EACCES);
        CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
        CHECK_ERRNO(pk_populate(region, PAGE), -ENOMEM);
    }
}

/* mach_vm_region_recurse: Linux has no submaps, so every region is at
 * depth 0; the count picks the structure, as on XNU, and the figures are
 * the pages' own. */
TEST(region_recurse_with_real_figures)
{
    uintptr_t region = allocate_or_die(4 * PAGE, PK_ALLOC_TAG(VM_MEMORY_FOUNDATION));
    ((volatile char *)region)[0] = 1;
    ((volatile char *)region)[PAGE] = 1;
    CHECK_INT(((volatile char *)region)[2 * PAGE], 0);
    CHECK_KR(mach_vm_wire(mach_host_self(), mach_task_self(), region, PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    mach_vm_address_t address = region;
    mach_vm_size_t size = 0;
    natural_t depth = 5;
    vm_region_submap_info_data_64_t info;
    memset(&info, 0, sizeof info);
    mach_msg_type_number_t count = VM_REGION_SUBMAP_INFO_COUNT_64;
    CHECK_KR(mach_vm_region_recurse(mach_task_self(), &address, &size, &depth, (vm_region_recurse_info_t)&info,
                                    &count),
             KERN_SUCCESS, 0);
    CHECK_INT(address, region);
    CHECK_INT(size, PAGE); /* the wired page is an entry of its own */
    CHECK_INT(depth, 0);
    CHECK_INT(count, VM_REGION_SUBMAP_INFO_COUNT_64);
    CHECK_INT(info.user_tag, VM_MEMORY_FOUNDATION);
    CHECK_INT(info.pages_resident, 1);
    CHECK_INT(info.pages_dirtied, 1);
    CHECK_INT(info.pages_swapped_out, 0);
    CHECK_INT(info.ref_count, 1);
    CHECK_INT(info.share_mode, SM_PRIVATE);
    CHECK_INT(info.is_submap, 0);
    CHECK_INT(info.user_wired_count, 1);
    CHECK_INT(info.protection, VM_PROT_DEFAULT);
    CHECK_INT(info.max_protection, VM_PROT_ALL);
    /* The rest: one page written, one read (the zero page), one untouched. */
    address = region + PAGE;
    count = VM_REGION_SUBMAP_INFO_V1_COUNT_64;
    CHECK_KR(mach_vm_region_recurse(mach_task_self(), &address, &size, &depth, (vm_region_recurse_info_t)&info,
                                    &count),
             KERN_SUCCESS, 0);
    CHECK_INT(count, VM_REGION_SUBMAP_INFO_V1_COUNT_64);
    CHECK_INT(size, 3 * PAGE);
    CHECK_INT(info.pages_resident, 2);
    CHECK_INT(info.pages_dirtied, 1);
    /* The short form, and counts too small for either. */
    vm_region_submap_short_info_data_64_t brief;
    memset(&brief, 0, sizeof brief);
    count = VM_REGION_SUBMAP_SHORT_INFO_COUNT_64;
    vm_address_t short_address = region;
    vm_size_t short_size = 0;
    CHECK_KR(vm_region_recurse_64(mach_task_self(), &short_address, &short_size, &depth,
                                  (vm_region_recurse_info_t)&brief, &count),
             KERN_SUCCESS, 0);
    CHECK_INT(count, VM_REGION_SUBMAP_SHORT_INFO_COUNT_64);
    CHECK_INT(brief.user_tag, VM_MEMORY_FOUNDATION);
    CHECK_INT(brief.user_wired_count, 1);
    count = VM_REGION_SUBMAP_SHORT_INFO_COUNT_64 - 1;
    CHECK_KR(mach_vm_region_recurse(mach_task_self(), &address, &size, &depth, (vm_region_recurse_info_t)&info,
                                    &count),
             KERN_INVALID_ARGUMENT, EINVAL);
    /* Nothing at or above: no region. */
    address = (mach_vm_address_t)1 << 56;
    count = VM_REGION_SUBMAP_INFO_COUNT_64;
    CHECK_KR(mach_vm_region_recurse(mach_task_self(), &address, &size, &depth, (vm_region_recurse_info_t)&info,
                                    &count),
             KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(vm_deallocate(mach_task_self(), region, 4 * PAGE), KERN_SUCCESS, 0);
}

/* The extended and top flavors of mach_vm_region count real pages. */
TEST(region_extended_and_top_info_count_pages)
{
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    ((volatile char *)region)[0] = 1;
    mach_vm_address_t address = region;
    mach_vm_size_t size = 0;
    vm_region_extended_info_data_t extended;
    memset(&extended, 0, sizeof extended);
    mach_msg_type_number_t count = VM_REGION_EXTENDED_INFO_COUNT;
    CHECK_KR(mach_vm_region(mach_task_self(), &address, &size, VM_REGION_EXTENDED_INFO,
                            (vm_region_info_t)&extended, &count, NULL),
             KERN_SUCCESS, 0);
    CHECK_INT(extended.pages_resident, 1);
    CHECK_INT(extended.pages_dirtied, 1);
    CHECK_INT(extended.share_mode, SM_PRIVATE);
    vm_region_top_info_data_t top;
    memset(&top, 0, sizeof top);
    count = VM_REGION_TOP_INFO_COUNT;
    CHECK_KR(mach_vm_region(mach_task_self(), &address, &size, VM_REGION_TOP_INFO, (vm_region_info_t)&top, &count,
                            NULL),
             KERN_SUCCESS, 0);
    CHECK_INT(count, VM_REGION_TOP_INFO_COUNT);
    CHECK_INT(top.private_pages_resident, 1);
    CHECK_INT(top.shared_pages_resident, 0);
    CHECK_INT(top.share_mode, SM_PRIVATE);
    CHECK_KR(vm_deallocate(mach_task_self(), region, 3 * PAGE), KERN_SUCCESS, 0);
}

/* task_info(TASK_VM_INFO): the kernel's own counts, the revision the
 * count asks for. */
TEST(region_task_vm_info)
{
    task_vm_info_data_t info;
    memset(&info, 0x5A, sizeof info);
    mach_msg_type_number_t count = TASK_VM_INFO_COUNT;
    CHECK_KR(task_info(mach_task_self(), TASK_VM_INFO, (task_info_t)&info, &count), KERN_SUCCESS, 0);
    CHECK_INT(count, TASK_VM_INFO_COUNT);
    CHECK_INT(info.page_size, PAGE);
    CHECK(info.virtual_size > 0 && info.resident_size > 0 && info.resident_size <= info.resident_size_peak);
    CHECK(info.region_count > 0);
    CHECK(info.phys_footprint > 0 && info.min_address < info.max_address);
    /* A volatile purgeable object counts, and leaves the footprint. */
    uintptr_t object = allocate_or_die(16 * PAGE, PK_ALLOC_PURGEABLE);
    fill_pattern(object, 16 * PAGE, 3);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(mach_task_self(), object, VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
    count = TASK_VM_INFO_COUNT;
    CHECK_KR(task_info(mach_task_self(), TASK_VM_INFO, (task_info_t)&info, &count), KERN_SUCCESS, 0);
    CHECK(info.purgeable_volatile_virtual >= 16 * PAGE);
    CHECK(info.purgeable_volatile_resident <= info.purgeable_volatile_virtual);
    /* An older caller's count: its revision, nothing past it. */
    memset(&info, 0x5A, sizeof info);
    count = TASK_VM_INFO_REV1_COUNT + 1;
    CHECK_KR(task_info(mach_task_self(), TASK_VM_INFO, (task_info_t)&info, &count), KERN_SUCCESS, 0);
    CHECK_INT(count, TASK_VM_INFO_REV1_COUNT);
    CHECK(info.min_address == 0x5A5A5A5A5A5A5A5AULL);
    count = TASK_VM_INFO_REV0_COUNT - 1;
    CHECK_KR(task_info(mach_task_self(), TASK_VM_INFO, (task_info_t)&info, &count), KERN_INVALID_ARGUMENT, EINVAL);
    count = TASK_VM_INFO_COUNT;
    CHECK_KR(task_info(mach_task_self(), TASK_VM_INFO + 100, (task_info_t)&info, &count), KERN_INVALID_ARGUMENT,
             EINVAL);
    CHECK_KR(task_info(MACH_PORT_NULL, TASK_VM_INFO, (task_info_t)&info, &count), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(vm_deallocate(mach_task_self(), object, 16 * PAGE), KERN_SUCCESS, 0);
}
