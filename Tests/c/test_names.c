// SPDX-License-Identifier: Apache-2.0
/* docs/semantics.md, tags and names, in /proc/self/maps where the kernel
 * can name anonymous memory, in the region table always. */
#include "harness.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>


#define SELF mach_task_self()

static bool kernel_names(void)
{
    return (pk_features() & PK_FEATURE_ANON_VMA_NAME) != 0;
}

static struct pk_region_info region_at(uintptr_t address)
{
    struct pk_region_info info = {0};
    CHECK_ERRNO(pk_region(&address, &info), 0);
    return info;
}

static bool maps_shows(uintptr_t address, const char *name)
{
    char line[512], expected[128];
    maps_line(address, line, sizeof line);
    snprintf(expected, sizeof expected, "[anon:%s]", name);
    return strstr(line, expected) != NULL;
}

TEST(names_valid_and_invalid)
{
    char longest[PK_NAME_MAX + 1], too_long[PK_NAME_MAX + 2];
    memset(longest, 'a', PK_NAME_MAX);
    longest[PK_NAME_MAX] = '\0';
    memset(too_long, 'b', PK_NAME_MAX + 1);
    too_long[PK_NAME_MAX + 1] = '\0';
    CHECK_ERRNO(pk_name_check(longest), 0);
    CHECK_ERRNO(pk_name_check("jit code: stage 2 (hot)"), 0);
    CHECK_ERRNO(pk_name_check(too_long), -EINVAL);
    CHECK_ERRNO(pk_name_check(""), -EINVAL);
    const char *forbidden[] = {"a\\b", "a`b", "a$b", "a[b", "a]b", "tab\there", "new\nline", "caf\xc3\xa9", "\x7f"};
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        CHECK_ERRNO(pk_name_check(forbidden[i]), -EINVAL);
}

TEST(names_invalid_name_changes_nothing)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    CHECK_ERRNO(pk_name(region, 2 * PAGE, "first"), 0);
    struct snapshot before;
    snapshot_take(region, region + 2 * PAGE, &before);
    char too_long[PK_NAME_MAX + 2];
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    CHECK_ERRNO(pk_name(region, PAGE, too_long), -EINVAL);
    CHECK_ERRNO(pk_name(region, PAGE, "no[brackets]"), -EINVAL);
    CHECK_ERRNO(pk_name(region, (size_t)-1, "fine"), -EINVAL);
    CHECK_UNCHANGED(region, region + 2 * PAGE, &before);
    CHECK(strcmp(region_at(region).name, "first") == 0);
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(names_fallback_keeps_names_in_the_table)
{
    /* Runs on every kernel: with naming hidden it is the fallback path. */
    pk_features_hide(PK_FEATURE_ANON_VMA_NAME);
    unsigned long prctl_before = pk_sys_calls(PK_SYS_PRCTL);
    uintptr_t region = allocate_or_die(3 * PAGE, PK_ALLOC_TAG(245));
    CHECK(strcmp(region_at(region).name, "pagekit-tag-245") == 0);
    CHECK_ERRNO(pk_name(region + PAGE, PAGE, "lookup table"), 0);
    struct pk_region_info info = region_at(region + PAGE);
    CHECK_INT(info.start, region + PAGE);
    CHECK_INT(info.size, PAGE);
    CHECK_INT(info.tag, 245);
    CHECK(strcmp(info.name, "lookup table") == 0);
    CHECK(!(info.flags & PK_REGION_NAME_IN_KERNEL));
    CHECK_INT(pk_sys_calls(PK_SYS_PRCTL), prctl_before);
    CHECK_INT(pk_feature_status(PK_FEATURE_ANON_VMA_NAME) == 0 || !kernel_names(), 1);
    /* Removing the name merges the entries back. */
    CHECK_ERRNO(pk_name(region + PAGE, PAGE, NULL), 0);
    CHECK_INT(region_at(region).size, 3 * PAGE);
    CHECK_ERRNO(pk_deallocate(region, 3 * PAGE), 0);
}

TEST(names_missing_kernel_support_is_reported_not_fatal)
{
    if (kernel_names())
        SKIP("this kernel names anonymous memory; names_shown_in_proc_maps covers it");
    CHECK_ERRNO(pk_feature_status(PK_FEATURE_ANON_VMA_NAME), -EOPNOTSUPP);
    CHECK(!(pk_features() & PK_FEATURE_ANON_VMA_NAME));
    uintptr_t address = 0;
    CHECK_ERRNO(pk_allocate(&address, PAGE, PK_ALLOC_ANYWHERE | PK_ALLOC_TAG(240), "never fails"), 0);
    CHECK(strcmp(region_at(address).name, "never fails") == 0);
    CHECK(!maps_shows(address, "never fails"));
    CHECK_ERRNO(pk_deallocate(address, PAGE), 0);
}

TEST(names_shown_in_proc_maps)
{
    if (!kernel_names())
        SKIP("this kernel lacks CONFIG_ANON_VMA_NAME (PR_SET_VMA_ANON_NAME gives EINVAL); "
             "names_fallback_keeps_names_in_the_table and names_missing_kernel_support_is_reported_not_fatal "
             "cover the fallback");
    uintptr_t region = allocate_or_die(2 * PAGE, PK_ALLOC_TAG(250));
    CHECK(maps_shows(region, "pagekit-tag-250"));
    CHECK_ERRNO(pk_name(region, PAGE, "hot cache"), 0);
    CHECK(maps_shows(region, "hot cache"));
    CHECK(maps_shows(region + PAGE, "pagekit-tag-250"));
    CHECK(region_at(region).flags & PK_REGION_NAME_IN_KERNEL);
    CHECK_ERRNO(pk_tag_name(250, "renamed-tag"), 0);
    CHECK(maps_shows(region + PAGE, "renamed-tag"));
    CHECK_ERRNO(pk_tag_name(250, NULL), 0);
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(names_tag_names)
{
    uintptr_t region = allocate_or_die(PAGE, PK_ALLOC_TAG(251));
    CHECK_ERRNO(pk_tag_name(251, "session store"), 0);
    CHECK(strcmp(region_at(region).name, "session store") == 0);
    CHECK_ERRNO(pk_tag_name(251, NULL), 0);
    CHECK(strcmp(region_at(region).name, "pagekit-tag-251") == 0);
    CHECK_ERRNO(pk_tag_name(0, "x"), -EINVAL);
    CHECK_ERRNO(pk_tag_name(256, "x"), -EINVAL);
    CHECK_ERRNO(pk_tag_name(251, "bad$"), -EINVAL);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
    uintptr_t untagged = allocate_or_die(PAGE, 0);
    CHECK(strcmp(region_at(untagged).name, "") == 0);
    CHECK_ERRNO(pk_deallocate(untagged, PAGE), 0);
}

TEST(names_only_for_pagekit_memory)
{
    uintptr_t foreign = foreign_map(PAGE, PROT_READ | PROT_WRITE);
    CHECK_KR(pk_kern_return(PK_OP_NAME, pk_name(foreign, PAGE, "theirs")), KERN_INVALID_ARGUMENT, 0);
    CHECK_ERRNO(pk_name(foreign, PAGE, "theirs"), -EINVAL);
    munmap((void *)foreign, PAGE);
    CHECK_ERRNO(pk_name(free_range(PAGE), PAGE, "nothing"), -ENOMEM);
    CHECK_ERRNO(pk_name(foreign, 0, "empty range"), 0);
}
