// SPDX-License-Identifier: Apache-2.0
/* Bad input through every door of the C API: NULL out-pointers, sizes 0 and
 * near 2^64, unaligned and wrapping addresses, bad names, memory PageKit did
 * not map and sealed memory. Each gets a clear errno and changes nothing. */
#include "harness.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static struct snapshot before;

#define HUGE ((size_t)-1)
#define NEAR_TOP ((uintptr_t)0 - PAGE)

TEST(bad_input_null_out_pointers)
{
    snapshot_take_all(&before);
    unsigned int current, maximum;
    struct pk_region_info info;
    uintptr_t address = 0;
    CHECK_ERRNO(pk_allocate(NULL, PAGE, PK_ALLOC_ANYWHERE, NULL), -EINVAL);
    CHECK_ERRNO(pk_region(NULL, &info), -EINVAL);
    CHECK_ERRNO(pk_region(&address, NULL), -EINVAL);
    CHECK_ERRNO(pk_purgeable_control(PAGE, PK_PURGEABLE_GET_STATE, NULL), -EINVAL);
    CHECK_ERRNO(pk_purgeable_control(PAGE, PK_PURGEABLE_SET_STATE, NULL), -EINVAL);
    CHECK_ERRNO(pk_resident_pages(PAGE, PAGE, NULL), -EINVAL);
    CHECK_ERRNO(pk_protection(PAGE, PAGE, NULL, &maximum), -EINVAL);
    CHECK_ERRNO(pk_protection(PAGE, PAGE, &current, NULL), -EINVAL);
    CHECK_ERRNO(pk_name_check(NULL), -EINVAL);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(bad_input_sizes_near_two_to_the_64)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    fill_pattern(region, 2 * PAGE, 60);
    snapshot_take_all(&before);
    uintptr_t address = region;
    size_t count;
    unsigned int current, maximum;
    CHECK_ERRNO(pk_allocate(&address, HUGE, PK_ALLOC_FIXED, NULL), -EINVAL);
    CHECK_ERRNO(pk_allocate(&address, HUGE - PAGE, PK_ALLOC_FIXED, NULL), -ENOMEM);
    CHECK_INT(address, region);
    CHECK_ERRNO(pk_deallocate(region, HUGE), -EINVAL);
    CHECK_ERRNO(pk_protect(region, HUGE, false, PK_PROT_READ), -EINVAL);
    CHECK_ERRNO(pk_name(region, HUGE, "x"), -EINVAL);
    CHECK_ERRNO(pk_freeze(region, HUGE, 0), -EINVAL);
    CHECK_ERRNO(pk_purge_now(region, HUGE), -EINVAL);
    CHECK_ERRNO(pk_resident_pages(region, HUGE, &count), -EINVAL);
    CHECK_ERRNO(pk_protection(region, HUGE, &current, &maximum), -EINVAL);
    CHECK_ERRNO(pk_populate(region, HUGE), -EINVAL);
    CHECK_NOTHING_CHANGED(&before);
    CHECK(has_pattern(region, 2 * PAGE, 60));
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(bad_input_size_zero_does_nothing)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    snapshot_take_all(&before);
    uintptr_t address = region;
    CHECK_ERRNO(pk_allocate(&address, 0, PK_ALLOC_FIXED, NULL), 0);
    CHECK_INT(address, 0);
    CHECK_ERRNO(pk_deallocate(region, 0), 0);
    CHECK_ERRNO(pk_protect(region, 0, true, PK_PROT_NONE), 0);
    CHECK_ERRNO(pk_name(region, 0, "zero"), 0);
    CHECK_ERRNO(pk_purge_now(region, 0), 0);
    CHECK_ERRNO(pk_populate(region, 0), 0);
    CHECK_ERRNO(pk_freeze(region, 0, 0), -EINVAL);
    unsigned int current, maximum;
    CHECK_ERRNO(pk_protection(region, 0, &current, &maximum), -EINVAL);
    CHECK_NOTHING_CHANGED(&before);
    CHECK(can_write(region));
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(bad_input_wrapping_and_unaligned_addresses)
{
    snapshot_take_all(&before);
    uintptr_t address = NEAR_TOP + 1;
    CHECK_ERRNO(pk_allocate(&address, 2 * PAGE, PK_ALLOC_FIXED, NULL), -ENOMEM);
    CHECK_INT(address, NEAR_TOP + 1);
    CHECK_ERRNO(pk_deallocate(NEAR_TOP + 1, PAGE - 2), -EINVAL);
    CHECK_ERRNO(pk_protect(NEAR_TOP + 1, PAGE - 2, false, PK_PROT_READ), -EINVAL);
    CHECK_ERRNO(pk_name(NEAR_TOP + 1, PAGE - 2, "x"), -EINVAL);
    size_t count;
    CHECK_ERRNO(pk_resident_pages(PAGE + 1, PAGE, &count), -EINVAL);
    CHECK_NOTHING_CHANGED(&before);
}

TEST(bad_input_names)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    snapshot_take_all(&before);
    char long_name[200];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    uintptr_t address = 0x7000;
    CHECK_ERRNO(pk_allocate(&address, PAGE, PK_ALLOC_ANYWHERE, long_name), -EINVAL);
    CHECK_ERRNO(pk_allocate(&address, PAGE, PK_ALLOC_ANYWHERE, "tab\there"), -EINVAL);
    CHECK_ERRNO(pk_name(region, PAGE, long_name), -EINVAL);
    CHECK_ERRNO(pk_name(region, PAGE, "$HOME"), -EINVAL);
    CHECK_ERRNO(pk_tag_name(245, "[x]"), -EINVAL);
    CHECK_ERRNO(pk_tag_name(1000, "x"), -EINVAL);
    CHECK_INT(address, 0x7000);
    CHECK_NOTHING_CHANGED(&before);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}

TEST(bad_input_memory_pagekit_did_not_map)
{
    uintptr_t foreign = foreign_map(2 * PAGE, PROT_READ | PROT_WRITE);
    fill_pattern(foreign, 2 * PAGE, 61);
    snapshot_take_all(&before);
    int state = PK_PURGEABLE_VOLATILE;
    unsigned int current, maximum;
    CHECK_ERRNO(pk_purgeable_control(foreign, PK_PURGEABLE_SET_STATE, &state), -EINVAL);
    CHECK_ERRNO(pk_name(foreign, PAGE, "theirs"), -EINVAL);
    CHECK_ERRNO(pk_freeze(foreign, PAGE, 0), -ENOMEM);
    CHECK_ERRNO(pk_protection(foreign, PAGE, &current, &maximum), -ENOMEM);
    CHECK_ERRNO(pk_populate(foreign, PAGE), -ENOMEM);
    CHECK_NOTHING_CHANGED(&before);
    CHECK(has_pattern(foreign, 2 * PAGE, 61));
    munmap((void *)foreign, 2 * PAGE);
}

TEST(bad_input_sealed_memory)
{
    if (!(pk_features() & PK_FEATURE_MSEAL))
        SKIP("this kernel has no mseal; freeze_sealed_without_mseal covers the fallback");
    uintptr_t region = allocate_or_die(PAGE, 0);
    fill_pattern(region, PAGE, 62);
    CHECK_ERRNO(pk_freeze(region, PAGE, PK_FREEZE_SEALED), 0);
    snapshot_take_all(&before);
    uintptr_t address = region;
    CHECK_ERRNO(pk_allocate(&address, PAGE, PK_ALLOC_FIXED | PK_ALLOC_OVERWRITE, NULL), -EPERM);
    CHECK_ERRNO(pk_allocate(&address, PAGE, PK_ALLOC_FIXED, NULL), -EEXIST);
    CHECK_ERRNO(pk_deallocate(region, PAGE), -EPERM);
    CHECK_ERRNO(pk_protect(region, PAGE, false, PK_PROT_READ), -EPERM);
    CHECK_ERRNO(pk_protect(region, PAGE, true, PK_PROT_NONE), -EPERM);
    CHECK_ERRNO(pk_freeze(region, PAGE, PK_FREEZE_SEALED), -EPERM);
    CHECK_NOTHING_CHANGED(&before);
    CHECK(has_pattern(region, PAGE, 62));
}
