// SPDX-License-Identifier: Apache-2.0
/* docs/semantics.md, vm_purgable_control, and docs/design.md: purge detection
 * against the real kernel (MADV_PAGEOUT), not a mock. */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>


#define SELF mach_task_self()

static uintptr_t purgeable(size_t size)
{
    return allocate_or_die(size, PK_ALLOC_PURGEABLE);
}

static int set_state(uintptr_t address, int state)
{
    int value = state;
    kern_return_t kr = vm_purgable_control(SELF, address, VM_PURGABLE_SET_STATE, &value);
    return kr == KERN_SUCCESS ? value : -1000 - kr;
}

static int get_state(uintptr_t address)
{
    int value = -1;
    kern_return_t kr = vm_purgable_control(SELF, address, VM_PURGABLE_GET_STATE, &value);
    return kr == KERN_SUCCESS ? value : -1000 - kr;
}

#define NEEDS_RECLAIM()                                                                                  \
    do {                                                                                                 \
        if ((pk_features() & (PK_FEATURE_MADV_FREE | PK_FEATURE_MADV_PAGEOUT)) !=                       \
            (PK_FEATURE_MADV_FREE | PK_FEATURE_MADV_PAGEOUT))                                            \
            SKIP("this kernel lacks MADV_FREE or MADV_PAGEOUT, so it cannot be made to drop pages; "    \
                 "purgeable_without_reclaim_keeps_contents covers the fallback");                        \
    } while (0)

TEST(purgeable_rule1_bad_control_and_purge_all)
{
    int state = 0;
    CHECK_KR(vm_purgable_control(SELF, 0, 3, &state), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_purgable_control(SELF, 0, -1, &state), KERN_INVALID_ARGUMENT, EINVAL);
    /* PURGE_ALL succeeds whatever the address, even with no state. */
    CHECK_KR(vm_purgable_control(SELF, 0, VM_PURGABLE_PURGE_ALL, &state), KERN_SUCCESS, 0);
    CHECK_KR(vm_purgable_control(SELF, (vm_address_t)-1, VM_PURGABLE_PURGE_ALL, NULL), KERN_SUCCESS, 0);
}

TEST(purgeable_rule1_purge_all_empties_volatile_objects_only)
{
    uintptr_t volatile_one = purgeable(2 * PAGE), kept = purgeable(2 * PAGE);
    fill_pattern(volatile_one, 2 * PAGE, 1);
    fill_pattern(kept, 2 * PAGE, 2);
    CHECK_INT(set_state(volatile_one, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_KR(vm_purgable_control(SELF, 0, VM_PURGABLE_PURGE_ALL, NULL), KERN_SUCCESS, 0);
    CHECK_INT(get_state(volatile_one), VM_PURGABLE_EMPTY);
    CHECK_INT(get_state(kept), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(set_state(volatile_one, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_EMPTY);
    CHECK(is_zero(volatile_one, 2 * PAGE));
    CHECK(has_pattern(kept, 2 * PAGE, 2));
    CHECK_ERRNO(pk_deallocate(volatile_one, 2 * PAGE), 0);
    CHECK_ERRNO(pk_deallocate(kept, 2 * PAGE), 0);
}

TEST(purgeable_rule2_unknown_state_bits)
{
    uintptr_t object = purgeable(PAGE);
    fill_pattern(object, PAGE, 20);
    struct snapshot before;
    snapshot_take(object, object + PAGE, &before);
    int state = VM_PURGABLE_VOLATILE | 0x4;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_INVALID_ARGUMENT, EINVAL);
    state = VM_PURGABLE_VOLATILE | 0x80000;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_UNCHANGED(object, object + PAGE, &before);
    CHECK_INT(get_state(object), VM_PURGABLE_NONVOLATILE);
    /* Every accepted bit is fine: the state field sets the state, the
     * others choose the volatile queue and group (or ask for DEBUG_EMPTY,
     * which empties the object at once). */
    state = VM_PURGABLE_VOLATILE | (0x13773 & ~VM_PURGABLE_STATE_MASK);
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
    CHECK_INT(state, VM_PURGABLE_NONVOLATILE);
    CHECK_INT(get_state(object) == VM_PURGABLE_VOLATILE || get_state(object) == VM_PURGABLE_EMPTY, 1);
    CHECK_ERRNO(pk_deallocate(object, PAGE), 0);
}

TEST(purgeable_rule3_unmapped_and_not_purgeable)
{
    uintptr_t hole = free_range(PAGE);
    struct snapshot before;
    snapshot_take_all(&before);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, hole, VM_PURGABLE_SET_STATE, &state), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(vm_purgable_control(SELF, hole, VM_PURGABLE_GET_STATE, &state), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_NOTHING_CHANGED(&before);
    uintptr_t plain = allocate_or_die(PAGE, 0);
    CHECK_KR(vm_purgable_control(SELF, plain, VM_PURGABLE_GET_STATE, &state), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(vm_purgable_control(SELF, plain, VM_PURGABLE_SET_STATE, &state), KERN_INVALID_ARGUMENT, EINVAL);
    uintptr_t foreign = foreign_map(PAGE, PROT_READ | PROT_WRITE);
    CHECK_KR(vm_purgable_control(SELF, foreign, VM_PURGABLE_GET_STATE, &state), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_INT(state, VM_PURGABLE_VOLATILE);
    CHECK_ERRNO(pk_purgeable_control(plain, PK_PURGEABLE_GET_STATE, NULL), -EINVAL);
    munmap((void *)foreign, PAGE);
    CHECK_ERRNO(pk_deallocate(plain, PAGE), 0);
}

TEST(purgeable_rule4_set_state_needs_write)
{
    uintptr_t object = purgeable(2 * PAGE);
    fill_pattern(object, 2 * PAGE, 3);
    CHECK_ERRNO(pk_protect(object + PAGE, PAGE, false, PK_PROT_READ), 0);
    struct snapshot before;
    snapshot_take(object, object + 2 * PAGE, &before);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_INT(state, VM_PURGABLE_VOLATILE);
    CHECK_UNCHANGED(object, object + 2 * PAGE, &before);
    /* GET_STATE works on read-only memory. */
    CHECK_INT(get_state(object + PAGE), VM_PURGABLE_NONVOLATILE);
    CHECK_ERRNO(pk_deallocate(object, 2 * PAGE), 0);
}

TEST(purgeable_rule5_deny_and_old_state)
{
    uintptr_t object = purgeable(PAGE);
    fill_pattern(object, PAGE, 21);
    struct snapshot before;
    snapshot_take(object, object + PAGE, &before);
    int state = VM_PURGABLE_DENY;
    CHECK_KR(vm_purgable_control(SELF, object, VM_PURGABLE_SET_STATE, &state), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_UNCHANGED(object, object + PAGE, &before);
    CHECK_INT(get_state(object), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_VOLATILE);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_ERRNO(pk_deallocate(object, PAGE), 0);
}

TEST(purgeable_rule6_whole_allocation_is_one_unit)
{
    uintptr_t object = purgeable(4 * PAGE);
    CHECK_ERRNO(pk_protect(object + PAGE, PAGE, false, PK_PROT_ALL), 0); /* split the entry */
    CHECK_INT(set_state(object + 3 * PAGE, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(get_state(object), VM_PURGABLE_VOLATILE);
    CHECK_INT(get_state(object + PAGE), VM_PURGABLE_VOLATILE);
    CHECK_INT(set_state(object + PAGE, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_VOLATILE);
    CHECK_INT(get_state(object + 3 * PAGE), VM_PURGABLE_NONVOLATILE);
    CHECK_ERRNO(pk_deallocate(object, 4 * PAGE), 0);
}

TEST(purgeable_rule6_empty_purges_now_and_volatile_stays_empty)
{
    uintptr_t object = purgeable(3 * PAGE);
    fill_pattern(object, 3 * PAGE, 4);
    CHECK_INT(set_state(object, VM_PURGABLE_EMPTY), VM_PURGABLE_NONVOLATILE);
    CHECK(is_zero(object, 3 * PAGE));
    CHECK_INT(get_state(object), VM_PURGABLE_EMPTY);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_EMPTY);
    CHECK_INT(get_state(object), VM_PURGABLE_EMPTY);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_EMPTY);
    CHECK_INT(get_state(object), VM_PURGABLE_NONVOLATILE);
    CHECK(is_zero(object, 3 * PAGE));
    CHECK_ERRNO(pk_deallocate(object, 3 * PAGE), 0);
}

TEST(purgeable_rule6_unpurged_object_keeps_every_byte)
{
    uintptr_t object = purgeable(64 * PAGE);
    fill_pattern(object, 64 * PAGE, 5);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(get_state(object), VM_PURGABLE_VOLATILE);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_VOLATILE);
    CHECK(has_pattern(object, 64 * PAGE, 5));
    CHECK_ERRNO(pk_deallocate(object, 64 * PAGE), 0);
}

TEST(purgeable_rule6_reclaimed_pages_make_the_object_empty)
{
    NEEDS_RECLAIM();
    uintptr_t object = purgeable(16 * PAGE);
    fill_pattern(object, 16 * PAGE, 6);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    /* The kernel drops three pages only; the whole object must go. */
    CHECK_ERRNO(pk_purge_now(object + 2 * PAGE, PAGE), 0);
    CHECK_ERRNO(pk_purge_now(object + 9 * PAGE, 2 * PAGE), 0);
    size_t resident = 99;
    CHECK_ERRNO(pk_resident_pages(object, 16 * PAGE, &resident), 0);
    CHECK_INT(resident, 13);
    CHECK_INT(get_state(object), VM_PURGABLE_EMPTY);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_EMPTY);
    CHECK(is_zero(object, 16 * PAGE)); /* never a mix of old and zero pages */
    CHECK_INT(get_state(object), VM_PURGABLE_NONVOLATILE);
    CHECK_ERRNO(pk_deallocate(object, 16 * PAGE), 0);
}

TEST(purgeable_rule6_reclaim_detected_by_set_nonvolatile_directly)
{
    NEEDS_RECLAIM();
    uintptr_t object = purgeable(8 * PAGE);
    fill_pattern(object, 8 * PAGE, 7);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_ERRNO(pk_purge_now(object + 7 * PAGE, PAGE), 0);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_EMPTY);
    CHECK(is_zero(object, 8 * PAGE));
    CHECK_ERRNO(pk_deallocate(object, 8 * PAGE), 0);
}

TEST(purgeable_nonvolatile_pages_survive_pageout)
{
    NEEDS_RECLAIM();
    uintptr_t object = purgeable(4 * PAGE);
    fill_pattern(object, 4 * PAGE, 8);
    /* Nonvolatile memory is dirty: reclaim may swap it, never drop it. */
    CHECK_ERRNO(pk_purge_now(object, 4 * PAGE), 0);
    CHECK_INT(get_state(object), VM_PURGABLE_NONVOLATILE);
    CHECK(has_pattern(object, 4 * PAGE, 8));
    CHECK_ERRNO(pk_deallocate(object, 4 * PAGE), 0);
}

TEST(purgeable_reclaim_detected_without_read_access)
{
    NEEDS_RECLAIM();
    uintptr_t object = purgeable(4 * PAGE);
    fill_pattern(object, 4 * PAGE, 9);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_ERRNO(pk_protect(object, 4 * PAGE, false, PK_PROT_NONE), 0);
    CHECK_INT(get_state(object), VM_PURGABLE_VOLATILE);
    CHECK_ERRNO(pk_purge_now(object + PAGE, PAGE), 0);
    CHECK_INT(get_state(object), VM_PURGABLE_EMPTY);
    CHECK_ERRNO(pk_protect(object, 4 * PAGE, false, PK_PROT_DEFAULT), 0);
    CHECK(is_zero(object, 4 * PAGE));
    CHECK_ERRNO(pk_deallocate(object, 4 * PAGE), 0);
}

TEST(purgeable_without_madv_free_is_never_dropped)
{
    /* The fallback for kernels without MADV_FREE, on any kernel: volatile
     * objects are then simply never dropped. */
    pk_features_hide(PK_FEATURE_MADV_FREE);
    uintptr_t object = purgeable(4 * PAGE);
    fill_pattern(object, 4 * PAGE, 10);
    unsigned long advice_before = pk_sys_calls(PK_SYS_MADVISE);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(pk_sys_calls(PK_SYS_MADVISE), advice_before);
    if (pk_features() & PK_FEATURE_MADV_PAGEOUT)
        CHECK_ERRNO(pk_purge_now(object, 4 * PAGE), 0);
    CHECK_INT(get_state(object), VM_PURGABLE_VOLATILE);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_VOLATILE);
    CHECK(has_pattern(object, 4 * PAGE, 10));
    CHECK_ERRNO(pk_deallocate(object, 4 * PAGE), 0);
}

TEST(purge_now_without_madv_pageout)
{
    pk_features_hide(PK_FEATURE_MADV_PAGEOUT);
    uintptr_t object = purgeable(PAGE);
    CHECK_KR(pk_kern_return(PK_OP_PURGEABLE_CONTROL, pk_purge_now(object, PAGE)), KERN_NOT_SUPPORTED, 0);
    CHECK_ERRNO(pk_purge_now(object, PAGE), -EOPNOTSUPP);
    CHECK_ERRNO(pk_purge_now(object, (size_t)-1), -EINVAL);
    CHECK_ERRNO(pk_deallocate(object, PAGE), 0);
}

TEST(purgeable_partial_deallocation_keeps_the_rest)
{
    uintptr_t object = purgeable(4 * PAGE);
    for (unsigned char page = 0; page < 4; page++)
        fill_pattern(object + page * PAGE, PAGE, (unsigned char)(11 + page));
    CHECK_ERRNO(pk_deallocate(object, PAGE), 0);
    CHECK_INT(set_state(object + PAGE, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(set_state(object + 3 * PAGE, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_VOLATILE);
    for (unsigned char page = 1; page < 4; page++)
        CHECK(has_pattern(object + page * PAGE, PAGE, (unsigned char)(11 + page)));
    CHECK_INT(get_state(object), -1000 - KERN_INVALID_ADDRESS);
    CHECK_ERRNO(pk_deallocate(object, 4 * PAGE), 0);
}

/* Purges from the kernel racing with lock and unlock from two threads:
 * every unlock reports either intact contents or EMPTY with all zeros. */
struct stress {
    uintptr_t object;
    size_t size;
    atomic_bool stop;
    atomic_int mixed;
    atomic_int empties;
    atomic_int intact;
    atomic_long purges;
};

static void *purger(void *argument)
{
    struct stress *stress = argument;
    unsigned int page = 0;
    while (!atomic_load(&stress->stop)) {
        if (pk_purge_now(stress->object + (page++ % (stress->size / PAGE)) * PAGE, PAGE) != 0)
            break;
        atomic_fetch_add(&stress->purges, 1);
    }
    return NULL;
}

/* Every third round waits until the purger has run while the object was
 * volatile, so that some rounds surely lose their contents; the others race
 * freely with it. */
static void wait_for_purges(struct stress *stress)
{
    long seen = atomic_load(&stress->purges);
    for (int spins = 0; atomic_load(&stress->purges) < seen + 2 && spins < 1000000; spins++)
        sched_yield();
}

static void *locker(void *argument)
{
    struct stress *stress = argument;
    for (int round = 0; round < 300; round++) {
        if (set_state(stress->object, VM_PURGABLE_VOLATILE) < 0)
            break;
        if (round % 3 == 0)
            wait_for_purges(stress);
        int old = set_state(stress->object, VM_PURGABLE_NONVOLATILE);
        if (old == VM_PURGABLE_EMPTY) {
            atomic_fetch_add(&stress->empties, 1);
            if (!is_zero(stress->object, stress->size))
                atomic_fetch_add(&stress->mixed, 1);
            fill_pattern(stress->object, stress->size, 13);
        } else {
            atomic_fetch_add(&stress->intact, 1);
            if (!has_pattern(stress->object, stress->size, 13))
                atomic_fetch_add(&stress->mixed, 1);
        }
    }
    return NULL;
}

TEST(purgeable_stress_purges_against_lock_and_unlock)
{
    NEEDS_RECLAIM();
    struct stress stress = {.size = 32 * PAGE};
    stress.object = purgeable(stress.size);
    fill_pattern(stress.object, stress.size, 13);
    pthread_t purge_thread, lock_thread;
    pthread_create(&purge_thread, NULL, purger, &stress);
    pthread_create(&lock_thread, NULL, locker, &stress);
    pthread_join(lock_thread, NULL);
    atomic_store(&stress.stop, true);
    pthread_join(purge_thread, NULL);
    CHECK_INT(atomic_load(&stress.mixed), 0);
    CHECK_INT(atomic_load(&stress.empties) + atomic_load(&stress.intact), 300);
    CHECK(atomic_load(&stress.empties) > 0);
    CHECK_ERRNO(pk_deallocate(stress.object, stress.size), 0);
}

/* Execute-only memory cannot be read where the CPU has protection keys:
 * purge detection must not read it (it asks mincore instead). */
TEST(purgeable_state_of_execute_only_memory)
{
    uintptr_t object = purgeable(4 * PAGE);
    fill_pattern(object, 4 * PAGE, 14);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_ERRNO(pk_protect(object, 4 * PAGE, false, PK_PROT_EXECUTE), 0);
    CHECK_INT(get_state(object), VM_PURGABLE_VOLATILE);
    if (pk_features() & PK_FEATURE_MADV_PAGEOUT) {
        CHECK_ERRNO(pk_purge_now(object + 2 * PAGE, PAGE), 0);
        CHECK_INT(get_state(object), VM_PURGABLE_EMPTY);
    }
    CHECK_ERRNO(pk_deallocate(object, 4 * PAGE), 0);
}

/* The queue and group a volatile object waits in on XNU: recorded from
 * SET_STATE's word and counted by task_purgable_info (count and resident
 * bytes), never returned by GET_STATE. Counted as differences, so that
 * objects other tests keep do not matter. */
static task_purgable_info_t purgeable_counts(void)
{
    task_purgable_info_t info;
    memset(&info, 0xA5, sizeof info);
    CHECK_KR(task_purgable_info(SELF, &info), KERN_SUCCESS, 0);
    return info;
}

#define CHECK_STAT(after, before, field, count_, size_)                                  \
    do {                                                                                 \
        CHECK_INT((after).field.count - (before).field.count, (count_));                 \
        CHECK_INT((after).field.size - (before).field.size, (size_));                    \
    } while (0)

TEST(purgeable_queues_and_groups_are_recorded_and_counted)
{
    task_purgable_info_t before = purgeable_counts();
    uintptr_t fifo = purgeable(4 * PAGE), lifo = purgeable(2 * PAGE), obsolete = purgeable(PAGE);
    fill_pattern(fifo, 4 * PAGE, 1);
    fill_pattern(lifo, 2 * PAGE, 2);
    fill_pattern(obsolete, PAGE, 3);
    task_purgable_info_t info = purgeable_counts();
    CHECK(memcmp(&info, &before, sizeof info) == 0);

    CHECK_INT(set_state(fifo, VM_PURGABLE_VOLATILE | VM_VOLATILE_GROUP_3), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(set_state(lifo, VM_PURGABLE_VOLATILE | VM_PURGABLE_BEHAVIOR_LIFO | VM_VOLATILE_GROUP_5),
              VM_PURGABLE_NONVOLATILE);
    /* The obsolete ordering wins over the behaviour; its queue has group 0. */
    CHECK_INT(set_state(obsolete, VM_PURGABLE_VOLATILE | VM_PURGABLE_ORDERING_OBSOLETE | VM_PURGABLE_BEHAVIOR_LIFO |
                                      VM_VOLATILE_GROUP_7),
              VM_PURGABLE_NONVOLATILE);
    if (get_state(fifo) != VM_PURGABLE_VOLATILE || get_state(lifo) != VM_PURGABLE_VOLATILE ||
        get_state(obsolete) != VM_PURGABLE_VOLATILE) {
        pk_deallocate(fifo, 4 * PAGE), pk_deallocate(lifo, 2 * PAGE), pk_deallocate(obsolete, PAGE);
        SKIP("the kernel reclaimed volatile pages under memory pressure; the counts cannot be known");
    }
    info = purgeable_counts();
    CHECK_STAT(info, before, fifo_data[3], 1, 4 * PAGE);
    CHECK_STAT(info, before, lifo_data[5], 1, 2 * PAGE);
    CHECK_STAT(info, before, obsolete_data, 1, PAGE);
    CHECK_STAT(info, before, fifo_data[0], 0, 0);
    CHECK_STAT(info, before, lifo_data[7], 0, 0);

    /* Volatile again with another queue and group: it moves, and the old
     * state is VOLATILE. */
    CHECK_INT(set_state(fifo, VM_PURGABLE_VOLATILE | VM_PURGABLE_BEHAVIOR_LIFO | VM_VOLATILE_GROUP_1),
              VM_PURGABLE_VOLATILE);
    info = purgeable_counts();
    CHECK_STAT(info, before, fifo_data[3], 0, 0);
    CHECK_STAT(info, before, lifo_data[1], 1, 4 * PAGE);

    /* Purged objects leave their queue; nonvolatile ones are not on one. */
    CHECK_INT(set_state(lifo, VM_PURGABLE_EMPTY), VM_PURGABLE_VOLATILE);
    CHECK_INT(set_state(obsolete, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_VOLATILE);
    info = purgeable_counts();
    CHECK_STAT(info, before, lifo_data[5], 0, 0);
    CHECK_STAT(info, before, obsolete_data, 0, 0);
    CHECK_STAT(info, before, lifo_data[1], 1, 4 * PAGE);
    CHECK(has_pattern(obsolete, PAGE, 3));

    CHECK_KR(task_purgable_info(MACH_PORT_NULL, &info), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(task_purgable_info(SELF, NULL), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_ERRNO(pk_deallocate(fifo, 4 * PAGE), 0);
    CHECK_ERRNO(pk_deallocate(lifo, 2 * PAGE), 0);
    CHECK_ERRNO(pk_deallocate(obsolete, PAGE), 0);
    info = purgeable_counts();
    CHECK(memcmp(&info, &before, sizeof info) == 0);
}

/* XNU's debugging bit: once asked for, every volatile request empties the
 * object at once. */
TEST(purgeable_debug_empty_makes_volatile_empty)
{
    uintptr_t object = purgeable(2 * PAGE);
    fill_pattern(object, 2 * PAGE, 9);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE | VM_PURGABLE_DEBUG_EMPTY), VM_PURGABLE_NONVOLATILE);
    CHECK(has_pattern(object, 2 * PAGE, 9));
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(get_state(object), VM_PURGABLE_EMPTY);
    CHECK_INT(set_state(object, VM_PURGABLE_NONVOLATILE), VM_PURGABLE_EMPTY);
    CHECK(is_zero(object, 2 * PAGE));
    fill_pattern(object, 2 * PAGE, 10);
    CHECK_INT(set_state(object, VM_PURGABLE_VOLATILE), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(get_state(object), VM_PURGABLE_EMPTY);
    CHECK_ERRNO(pk_deallocate(object, 2 * PAGE), 0);
}

/* Counting reads each volatile object's pages: what was unmapped behind
 * PageKit's back, and a stranger's file mapped there, are dropped from the
 * table first, never read or emptied. */
TEST(purgeable_counts_leave_memory_unmapped_behind_pagekits_back)
{
    task_purgable_info_t before = purgeable_counts();
    uintptr_t gone = purgeable(2 * PAGE), replaced = purgeable(PAGE);
    fill_pattern(gone, 2 * PAGE, 4);
    fill_pattern(replaced, PAGE, 5);
    CHECK_INT(set_state(gone, VM_PURGABLE_VOLATILE | VM_VOLATILE_GROUP_2), VM_PURGABLE_NONVOLATILE);
    CHECK_INT(set_state(replaced, VM_PURGABLE_VOLATILE | VM_VOLATILE_GROUP_2), VM_PURGABLE_NONVOLATILE);
    CHECK(munmap((void *)gone, 2 * PAGE) == 0);
    int fd = memfd_create("pagekit-test-stranger", MFD_CLOEXEC);
    CHECK(fd >= 0 && write(fd, "stranger", 8) == 8);
    CHECK(mmap((void *)replaced, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) != MAP_FAILED);
    task_purgable_info_t info = purgeable_counts();
    CHECK_STAT(info, before, fifo_data[2], 0, 0);
    CHECK(memcmp((void *)replaced, "stranger", 8) == 0);
    struct pk_task_vm_info vm_info;
    CHECK_ERRNO(pk_task_vm_info(&vm_info), 0);
    CHECK(memcmp((void *)replaced, "stranger", 8) == 0);
    munmap((void *)replaced, PAGE);
    close(fd);
    CHECK_INT(table_kernel_mismatches(), 0);
}
