// SPDX-License-Identifier: Apache-2.0
/* Protection runs (Sources/CPageShim/protection_runs.c): vm_protect of pages
 * strictly inside one region is noted beside its entry instead of splitting
 * it. Every other call must see exactly the table the split would have
 * made; a failed call must leave the run, the memory and the table as they
 * were. */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscalls.h"

static struct pk_region_info region_at(uintptr_t address)
{
    struct pk_region_info info = {0};
    uintptr_t at = address;
    if (pk_region(&at, &info) != 0 || at != address)
        info.size = 0;
    return info;
}

static void check_region(uintptr_t address, size_t size, unsigned int protection, unsigned int max_protection)
{
    struct pk_region_info info = region_at(address);
    CHECK_INT(info.size, size);
    CHECK_INT(info.protection, protection);
    CHECK_INT(info.max_protection, max_protection);
}

TEST(runs_every_other_call_sees_the_split)
{
    uintptr_t region = allocate_or_die(16 * PAGE, 0);
    unsigned long entries = pk_table_count();
    CHECK_ERRNO(pk_protect(region + 5 * PAGE, 2 * PAGE, false, PK_PROT_READ), 0);
    /* The region query, the entry count and the faults all see three. */
    check_region(region, 5 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    check_region(region + 5 * PAGE, 2 * PAGE, PK_PROT_READ, PK_PROT_ALL);
    check_region(region + 7 * PAGE, 9 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK_INT(pk_table_count(), entries + 2);
    CHECK(can_write(region + 4 * PAGE) && !can_write(region + 5 * PAGE) && !can_write(region + 6 * PAGE) &&
          can_read(region + 6 * PAGE) && can_write(region + 7 * PAGE));
    CHECK_ERRNO(pk_protect(region + 5 * PAGE, 2 * PAGE, false, PK_PROT_DEFAULT), 0);
    check_region(region, 16 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK_INT(pk_table_count(), entries);
    CHECK_ERRNO(pk_deallocate(region, 16 * PAGE), 0);
}

TEST(runs_change_and_come_back_without_a_split)
{
    uintptr_t region = allocate_or_die(8 * PAGE, 0);
    /* The run is changed in place twice, then dropped: the region is one
     * entry again, and each step's protection was the kernel's. */
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_READ), 0);
    CHECK(!can_write(region + 3 * PAGE) && can_read(region + 3 * PAGE));
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_NONE), 0);
    CHECK(!can_read(region + 3 * PAGE));
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_READ), 0);
    CHECK(can_read(region + 3 * PAGE) && !can_write(region + 3 * PAGE));
    check_region(region + 3 * PAGE, PAGE, PK_PROT_READ, PK_PROT_ALL);
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_DEFAULT), 0);
    check_region(region, 8 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK(can_write(region + 3 * PAGE));
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
}

TEST(runs_a_different_range_settles_the_first)
{
    uintptr_t region = allocate_or_die(8 * PAGE, 0);
    CHECK_ERRNO(pk_protect(region + 2 * PAGE, PAGE, false, PK_PROT_READ), 0);
    /* Overlapping the run, then another run in the same entry. */
    CHECK_ERRNO(pk_protect(region + 2 * PAGE, 2 * PAGE, false, PK_PROT_NONE), 0);
    CHECK_ERRNO(pk_protect(region + 6 * PAGE, PAGE, false, PK_PROT_READ), 0);
    check_region(region, 2 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    check_region(region + 2 * PAGE, 2 * PAGE, PK_PROT_NONE, PK_PROT_ALL);
    check_region(region + 4 * PAGE, 2 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    check_region(region + 6 * PAGE, PAGE, PK_PROT_READ, PK_PROT_ALL);
    check_region(region + 7 * PAGE, PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK(!can_read(region + 3 * PAGE) && can_write(region + 5 * PAGE) && !can_write(region + 6 * PAGE));
    CHECK_ERRNO(pk_protect(region, 8 * PAGE, false, PK_PROT_DEFAULT), 0);
    check_region(region, 8 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
}

TEST(runs_the_maximum_still_rules)
{
    uintptr_t region = allocate_or_die(8 * PAGE, 0);
    CHECK_ERRNO(pk_protect(region, 8 * PAGE, true, PK_PROT_DEFAULT), 0);
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_READ), 0);
    struct snapshot before;
    snapshot_take(region, region + 8 * PAGE, &before);
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_ALL), -EACCES);
    CHECK_ERRNO(pk_protect(region + 5 * PAGE, PAGE, false, PK_PROT_READ | PK_PROT_EXECUTE), -EACCES);
    CHECK_UNCHANGED(region, region + 8 * PAGE, &before);
    check_region(region + 3 * PAGE, PAGE, PK_PROT_READ, PK_PROT_DEFAULT);
    /* A new maximum over part of the run is the ordinary path's. */
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, true, PK_PROT_NONE), 0);
    check_region(region + 3 * PAGE, PAGE, PK_PROT_NONE, PK_PROT_NONE);
    CHECK(!can_read(region + 3 * PAGE));
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
}

/* mprotect fails: ENOMEM over a range that is mapped is the kernel's limit
 * on mappings (KERN_RESOURCE_SHORTAGE), and nothing changed. */
TEST(runs_a_failed_call_changes_nothing)
{
    uintptr_t region = allocate_or_die(8 * PAGE, 0);
    unsigned long entries = pk_table_count();
    struct snapshot before;
    snapshot_take(region, region + 8 * PAGE, &before);
    pk_sys_inject(PK_SYS_MPROTECT, ENOMEM, 0, 1);
    CHECK_KR(vm_protect(mach_task_self(), region + 3 * PAGE, PAGE, FALSE, VM_PROT_READ), KERN_RESOURCE_SHORTAGE,
             EAGAIN);
    pk_sys_inject_clear();
    CHECK_UNCHANGED(region, region + 8 * PAGE, &before);
    CHECK_INT(pk_table_count(), entries);
    check_region(region, 8 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);

    /* The same with a run pending: it keeps its protection. */
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_READ), 0);
    snapshot_take(region, region + 8 * PAGE, &before);
    pk_sys_inject(PK_SYS_MPROTECT, ENOMEM, 0, 1);
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_DEFAULT), -EAGAIN);
    pk_sys_inject(PK_SYS_MPROTECT, EACCES, 0, 1);
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_NONE), -EACCES);
    pk_sys_inject_clear();
    CHECK_UNCHANGED(region, region + 8 * PAGE, &before);
    check_region(region + 3 * PAGE, PAGE, PK_PROT_READ, PK_PROT_ALL);
    CHECK(can_read(region + 3 * PAGE) && !can_write(region + 3 * PAGE));
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
}

/* More runs than slots: the rest take the ordinary path, and every region
 * still reads right. */
TEST(runs_beyond_the_slots_split_as_before)
{
    enum { REGIONS = 150 };
    static uintptr_t regions[REGIONS];
    for (int i = 0; i < REGIONS; i++) {
        regions[i] = allocate_or_die(4 * PAGE, 0);
        CHECK_ERRNO(pk_protect(regions[i] + PAGE, PAGE, false, i % 2 ? PK_PROT_READ : PK_PROT_NONE), 0);
    }
    for (int i = 0; i < REGIONS; i++) {
        CHECK(can_write(regions[i]) && can_read(regions[i] + PAGE) == (i % 2 == 1) && !can_write(regions[i] + PAGE) &&
              can_write(regions[i] + 2 * PAGE));
        check_region(regions[i] + PAGE, PAGE, i % 2 ? PK_PROT_READ : PK_PROT_NONE, PK_PROT_ALL);
    }
    for (int i = 0; i < REGIONS; i++) {
        CHECK_ERRNO(pk_protect(regions[i] + PAGE, PAGE, false, PK_PROT_DEFAULT), 0);
        check_region(regions[i], 4 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
        CHECK_ERRNO(pk_deallocate(regions[i], 4 * PAGE), 0);
    }
}

/* Another library unmaps the run's page behind PageKit's back: the next
 * vm_protect of it finds the hole (KERN_INVALID_ADDRESS), the table learns
 * it, and the rest of the region is untouched. */
TEST(runs_a_page_unmapped_behind_the_tables_back)
{
    uintptr_t region = allocate_or_die(8 * PAGE, 0);
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, PAGE, false, PK_PROT_READ), 0);
    CHECK(munmap((void *)(region + 3 * PAGE), PAGE) == 0);
    CHECK_KR(vm_protect(mach_task_self(), region + 3 * PAGE, PAGE, FALSE, VM_PROT_DEFAULT), KERN_INVALID_ADDRESS,
             ENOMEM);
    check_region(region, 3 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    check_region(region + 4 * PAGE, 4 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK_INT(region_at(region + 3 * PAGE).size, 0);
    CHECK(can_write(region + 2 * PAGE) && can_write(region + 4 * PAGE));

    /* The same for a page of an entry without a run. */
    CHECK(munmap((void *)(region + 5 * PAGE), PAGE) == 0);
    CHECK_KR(vm_protect(mach_task_self(), region + 5 * PAGE, PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS,
             ENOMEM);
    check_region(region + 4 * PAGE, PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK_INT(region_at(region + 5 * PAGE).size, 0);
    CHECK(can_write(region + 6 * PAGE));
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
}

/* Deallocating through a run, and a fork with one pending: both act on the
 * table the split would have made. */
TEST(runs_deallocate_and_fork_see_the_split)
{
    uintptr_t region = allocate_or_die(8 * PAGE, 0);
    CHECK_ERRNO(pk_protect(region + 3 * PAGE, 2 * PAGE, false, PK_PROT_READ), 0);
    CHECK_ERRNO(pk_deallocate(region + 4 * PAGE, 2 * PAGE), 0);
    check_region(region, 3 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    check_region(region + 3 * PAGE, PAGE, PK_PROT_READ, PK_PROT_ALL);
    check_region(region + 6 * PAGE, 2 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK_ERRNO(pk_protect(region + 7 * PAGE, PAGE, false, PK_PROT_READ), 0);
    CHECK_ERRNO(pk_protect(region + PAGE, PAGE, false, PK_PROT_NONE), 0);
    pid_t child = fork();
    if (child == 0) {
        struct pk_region_info info = region_at(region + PAGE);
        bool right = info.size == PAGE && info.protection == PK_PROT_NONE && !can_read(region + PAGE) &&
                     can_write(region) && can_write(region + 2 * PAGE) &&
                     region_at(region + 7 * PAGE).protection == PK_PROT_READ;
        _exit(right ? 0 : 1);
    }
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
}

/* A hole the table does not know of after the first page of the range:
 * the kernel changes the first page before it finds the hole, and the
 * fast path must put it back. KERN_INVALID_ADDRESS (ENOMEM), the first
 * page as it was, and the table learns the hole. */
TEST(runs_a_hole_inside_the_range_leaves_the_pages_before_it_alone)
{
    uintptr_t region = allocate_or_die(8 * PAGE, 0);
    CHECK(munmap((void *)(region + 4 * PAGE), PAGE) == 0);
    CHECK_KR(vm_protect(mach_task_self(), region + 3 * PAGE, 2 * PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS,
             ENOMEM);
    CHECK(can_write(region + 3 * PAGE));
    char line[512];
    maps_line(region + 3 * PAGE, line, sizeof line);
    CHECK(strstr(line, " rw-p ") != NULL);
    check_region(region, 4 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);
    CHECK_INT(region_at(region + 4 * PAGE).size, 0);
    check_region(region + 5 * PAGE, 3 * PAGE, PK_PROT_DEFAULT, PK_PROT_ALL);

    /* The same over a pending run: the run keeps its protection. */
    CHECK_ERRNO(pk_protect(region + PAGE, 2 * PAGE, false, PK_PROT_READ), 0);
    CHECK(munmap((void *)(region + 2 * PAGE), PAGE) == 0);
    CHECK_KR(vm_protect(mach_task_self(), region + PAGE, 2 * PAGE, FALSE, VM_PROT_NONE), KERN_INVALID_ADDRESS,
             ENOMEM);
    CHECK(can_read(region + PAGE) && !can_write(region + PAGE));
    check_region(region + PAGE, PAGE, PK_PROT_READ, PK_PROT_ALL);
    CHECK_INT(region_at(region + 2 * PAGE).size, 0);
    CHECK_ERRNO(pk_deallocate(region, 8 * PAGE), 0);
}
