// SPDX-License-Identifier: Apache-2.0
/* Hostile layouts: holes the user leaves, PageKit's own memory within reach
 * of the user's calls, raw munmap and mmap behind PageKit's back, signals in
 * the middle of calls, and the kernel's mapping-count limit. Each sequence
 * ends with the whole address space compared against the table. */
#include "harness.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"

#define SELF mach_task_self()

static bool is_mapped(uintptr_t address)
{
    return pk_sys_mapped(address, PAGE) == 0;
}

/* The first writable region of PageKit's own memory: its arena, not the
 * read-only marker page that points other processes to it. */
static bool find_internal(struct pk_region_info *info)
{
    uintptr_t at = 0;
    while (pk_region(&at, info) == 0) {
        if ((info->flags & PK_REGION_INTERNAL) && (info->protection & PK_PROT_WRITE))
            return true;
        at = info->start + info->size;
    }
    return false;
}

/* The audit's sequence: a hole in the user's range, then a purgeable
 * allocation. Its bookkeeping must not land in the hole, and the user's
 * calls over the range must see a hole and touch nothing of PageKit's. */
TEST(hostile_purgeable_bookkeeping_never_fills_a_user_hole)
{
    uintptr_t reservation = remote_reservation(8 * PAGE);
    CHECK_ERRNO(pk_deallocate(reservation, 8 * PAGE), 0);
    uintptr_t user = reservation + PAGE;
    CHECK_ERRNO(pk_allocate(&user, 3 * PAGE, PK_ALLOC_FIXED, NULL), 0);
    CHECK_ERRNO(pk_deallocate(user + PAGE, PAGE), 0);
    uintptr_t purgeable[64];
    for (int i = 0; i < 64; i++) {
        purgeable[i] = 0;
        CHECK_ERRNO(pk_allocate(&purgeable[i], PAGE, PK_ALLOC_ANYWHERE | PK_ALLOC_PURGEABLE, NULL), 0);
        /* The kernel may put the user's own new page in the hole; PageKit
         * must never put its bookkeeping there. */
        if (purgeable[i] != user + PAGE)
            CHECK(!is_mapped(user + PAGE));
    }
    bool hole = !is_mapped(user + PAGE);
    struct snapshot before;
    snapshot_take(user, user + 3 * PAGE, &before);
    if (hole) {
        CHECK_KR(vm_protect(SELF, user, 3 * PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
        CHECK_UNCHANGED(user, user + 3 * PAGE, &before);
    }
    CHECK_KR(vm_deallocate(SELF, user, 3 * PAGE), KERN_SUCCESS, 0);
    uintptr_t over = user;
    CHECK_KR(vm_allocate(SELF, &over, 3 * PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_SUCCESS, 0);
    /* Every object is intact: state round trips, and nothing crashed. */
    for (int i = 0; i < 64; i++) {
        if (purgeable[i] >= user && purgeable[i] < user + 3 * PAGE)
            continue;
        int state = VM_PURGABLE_VOLATILE;
        CHECK_KR(vm_purgable_control(SELF, purgeable[i], VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
        CHECK_INT(state, VM_PURGABLE_NONVOLATILE);
        CHECK_KR(vm_purgable_control(SELF, purgeable[i], VM_PURGABLE_GET_STATE, &state), KERN_SUCCESS, 0);
        CHECK(state == VM_PURGABLE_VOLATILE || state == VM_PURGABLE_EMPTY);
        CHECK_ERRNO(pk_deallocate(purgeable[i], PAGE), 0);
    }
    CHECK_ERRNO(pk_deallocate(user, 3 * PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* No call changes PageKit's own memory; to them it is a hole that never
 * fills. */
TEST(hostile_pagekit_memory_is_out_of_the_callers_reach)
{
    uintptr_t warm = allocate_or_die(PAGE, PK_ALLOC_PURGEABLE);
    struct pk_region_info internal;
    CHECK(find_internal(&internal));
    CHECK_INT(internal.flags & ~PK_REGION_NAME_IN_KERNEL, PK_REGION_INTERNAL);
    CHECK(strcmp(internal.name, "pagekit") == 0);
    CHECK_INT(internal.purgeable_state, -1);
    CHECK_INT(internal.max_protection, internal.protection);
    uintptr_t target = internal.start;
    char line_before[512], line_after[512];
    maps_line(target, line_before, sizeof line_before);

    CHECK_KR(vm_protect(SELF, target, PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(vm_protect(SELF, target, PAGE, TRUE, VM_PROT_NONE), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(vm_protect(SELF, target, PAGE, FALSE, VM_PROT_COPY | VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    vm_address_t address = target;
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED), KERN_NO_SPACE, EEXIST);
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_NO_SPACE, EEXIST);
    CHECK_KR(vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE | VM_FLAGS_PURGABLE),
             KERN_NO_SPACE, EEXIST);
    CHECK_INT(address, target);
    int state = 0;
    CHECK_KR(vm_purgable_control(SELF, target, VM_PURGABLE_GET_STATE, &state), KERN_INVALID_ADDRESS, ENOMEM);
    state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, target, VM_PURGABLE_SET_STATE, &state), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_ERRNO(pk_name(target, PAGE, "mine"), -ENOMEM);
    CHECK_ERRNO(pk_freeze(target, PAGE, 0), -ENOMEM);
    CHECK_ERRNO(pk_populate(target, PAGE), -ENOMEM);
    unsigned int current, maximum;
    CHECK_ERRNO(pk_protection(target, PAGE, &current, &maximum), -ENOMEM);
    /* Deallocating is fine with holes, and leaves this one as it is. */
    CHECK_KR(vm_deallocate(SELF, target, internal.size), KERN_SUCCESS, 0);

    struct pk_region_info after;
    CHECK(find_internal(&after));
    CHECK_INT(after.start, internal.start);
    CHECK_INT(after.protection, internal.protection);
    maps_line(target, line_after, sizeof line_after);
    CHECK(strcmp(line_before, line_after) == 0 || after.size != internal.size);
    CHECK(can_write(target));
    /* And the bookkeeping still works. */
    int volatile_state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, warm, VM_PURGABLE_SET_STATE, &volatile_state), KERN_SUCCESS, 0);
    CHECK_ERRNO(pk_deallocate(warm, PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* A user page right beside PageKit's memory (below it, or above where
 * something else lies below): calls over both act on the user's page only,
 * or see the hole. */
TEST(hostile_calls_around_pagekit_memory)
{
    uintptr_t warm = allocate_or_die(PAGE, 0);
    struct pk_region_info internal;
    CHECK(find_internal(&internal));
    uintptr_t low = internal.start, high = internal.start + internal.size;
    /* The chunk's other part lies above; take in every internal region. */
    struct pk_region_info next;
    uintptr_t at = high;
    while (pk_region(&at, &next) == 0 && next.start == high && (next.flags & PK_REGION_INTERNAL)) {
        high = next.start + next.size;
        at = high;
    }
    uintptr_t user;
    if (!is_mapped(low - PAGE))
        user = low - PAGE;
    else if (!is_mapped(high))
        user = high;
    else
        SKIP("other mappings lie right below and right above PageKit's arena in this process");
    CHECK_ERRNO(pk_allocate(&user, PAGE, PK_ALLOC_FIXED, NULL), 0);
    fill_pattern(user, PAGE, 9);
    uintptr_t from = user < low ? user : low, to = user < low ? high : user + PAGE;

    struct snapshot before;
    snapshot_take(user, user + PAGE, &before);
    CHECK_KR(vm_protect(SELF, from, to - from, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_UNCHANGED(user, user + PAGE, &before);
    vm_address_t over = from;
    CHECK_KR(vm_allocate(SELF, &over, to - from, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_NO_SPACE, EEXIST);
    CHECK_INT(over, from);
    CHECK_UNCHANGED(user, user + PAGE, &before);

    CHECK_KR(vm_deallocate(SELF, from, to - from), KERN_SUCCESS, 0);
    CHECK(!is_mapped(user));
    CHECK(is_mapped(internal.start));
    CHECK(can_write(internal.start));
    CHECK_ERRNO(pk_deallocate(warm, PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* XNU carries out VM_PROT_COPY as an overwriting copy-on-write remap, which
 * permanent memory survives only as inaccessible pages: KERN_NO_SPACE. */
TEST(hostile_copy_protect_over_permanent_memory_is_no_space)
{
    uintptr_t area = remote_reservation(3 * PAGE);
    CHECK_ERRNO(pk_deallocate(area, 3 * PAGE), 0);
    uintptr_t low = area, middle = area + PAGE, high = area + 2 * PAGE;
    CHECK_ERRNO(pk_allocate(&low, PAGE, PK_ALLOC_FIXED, NULL), 0);
    CHECK_ERRNO(pk_allocate(&middle, PAGE, PK_ALLOC_FIXED | PK_ALLOC_PERMANENT, NULL), 0);
    CHECK_ERRNO(pk_allocate(&high, PAGE, PK_ALLOC_FIXED, NULL), 0);
    fill_pattern(area, 3 * PAGE, 31);
    /* The usual checks come first: above the maximum is refused. */
    CHECK_ERRNO(pk_protect(middle, PAGE, true, PK_PROT_READ), 0);
    struct snapshot before;
    snapshot_take(area, area + 3 * PAGE, &before);
    CHECK_KR(vm_protect(SELF, area, 3 * PAGE, FALSE, VM_PROT_COPY | VM_PROT_EXECUTE), KERN_PROTECTION_FAILURE,
             EACCES);
    CHECK_UNCHANGED(area, area + 3 * PAGE, &before);

    CHECK_KR(vm_protect(SELF, area, 3 * PAGE, FALSE, VM_PROT_COPY | VM_PROT_READ | VM_PROT_WRITE), KERN_NO_SPACE,
             EEXIST);
    struct pk_region_info info;
    uintptr_t at = middle;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.start, middle);
    CHECK_INT(info.size, PAGE);
    CHECK_INT(info.protection, VM_PROT_NONE);
    CHECK_INT(info.max_protection, VM_PROT_NONE);
    CHECK(info.flags & PK_REGION_PERMANENT);
    CHECK(!can_read(middle));
    /* The ordinary pages around it are as they were. */
    CHECK(has_pattern(low, PAGE, 31));
    CHECK(can_write(low) && can_write(high));
    CHECK_KR(vm_protect(SELF, middle, PAGE, FALSE, VM_PROT_COPY | VM_PROT_READ), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(vm_protect(SELF, middle, PAGE, FALSE, VM_PROT_COPY), KERN_NO_SPACE, EEXIST);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* The kernel's own limit on the number of mappings, reached for real:
 * ENOMEM from mprotect over a range with no hole is a resource shortage. */
TEST(hostile_mapping_count_limit_is_resource_shortage)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    SKIP("a sanitizer's runtime needs new mappings of its own while the process sits at the limit");
#endif
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    fill_pattern(region, 3 * PAGE, 5);
    struct snapshot before;
    snapshot_take(region, region + 3 * PAGE, &before);
    /* Alternate protections in a reservation until the kernel refuses
     * another mapping. */
    size_t pages = 140000;
    uintptr_t filler = (uintptr_t)mmap(NULL, pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(filler != (uintptr_t)MAP_FAILED);
    size_t page = 1;
    while (page < pages && mprotect((void *)(filler + page * PAGE), PAGE, PROT_READ) == 0)
        page += 2;
    bool limit = page < pages && errno == ENOMEM;
    kern_return_t kr = limit ? vm_protect(SELF, region + PAGE, PAGE, FALSE, VM_PROT_READ) : KERN_FAILURE;
    int seen = errno;
    munmap((void *)filler, pages * PAGE);
    if (!limit)
        SKIP("the mapping-count limit is higher than this test reaches");
    CHECK_INT(kr, KERN_RESOURCE_SHORTAGE);
    CHECK_INT(seen, EAGAIN);
    CHECK_UNCHANGED(region, region + 3 * PAGE, &before);
    CHECK(can_write(region + PAGE));
    CHECK_ERRNO(pk_deallocate(region, 3 * PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* Shared memory: something the kernel tells apart from the private
 * anonymous memory PageKit maps (it needs no file system, so the tiny test
 * kernel has it too). */
static uintptr_t map_stranger(uintptr_t address, size_t size, unsigned char fill)
{
    void *mapped = mmap((void *)address, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                        -1, 0);
    if (mapped != (void *)address)
        abort();
    memset(mapped, fill, size);
    return address;
}

/* Memory freed with a raw munmap, as ported macOS code does, and something
 * else mapped there: never reported or treated as PageKit's. */
TEST(hostile_raw_munmap_then_a_stranger_is_never_pagekits)
{
    uintptr_t region = allocate_or_die(2 * PAGE, PK_ALLOC_TAG(242) | PK_ALLOC_PERMANENT);
    CHECK_ERRNO(pk_name(region, 2 * PAGE, "old"), 0);
    CHECK_ERRNO(pk_protect(region, 2 * PAGE, true, PK_PROT_READ), 0);
    CHECK_INT(syscall(SYS_munmap, region, 2 * PAGE), 0);
    map_stranger(region, 2 * PAGE, 0x5A);

    struct pk_region_info info;
    uintptr_t at = region;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(at, region);
    CHECK_INT(info.flags & (PK_REGION_OWNED | PK_REGION_PERMANENT), 0);
    CHECK_INT(info.max_protection, VM_PROT_ALL);
    CHECK_INT(info.tag, 0);
    CHECK(info.flags & PK_REGION_SHARED);
    /* The old maximum no longer refuses anything. */
    CHECK_KR(vm_protect(SELF, region, 2 * PAGE, FALSE, VM_PROT_READ | VM_PROT_WRITE), KERN_SUCCESS, 0);
    int state = 0;
    CHECK_KR(vm_purgable_control(SELF, region, VM_PURGABLE_GET_STATE, &state), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_ERRNO(pk_name(region, PAGE, "mine"), -EINVAL);
    CHECK_ERRNO(pk_freeze(region, PAGE, 0), -ENOMEM);
    CHECK_INT(*(volatile unsigned char *)(region + PAGE), 0x5A);
    /* Deallocating it is what deallocating anyone's memory does. */
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
    CHECK(!is_mapped(region));
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* A volatile object freed behind PageKit's back, a stranger's data there:
 * purging everything must not destroy it, nor a later state query read it. */
TEST(hostile_purge_all_spares_a_strangers_pages)
{
    uintptr_t region = allocate_or_die(2 * PAGE, PK_ALLOC_PURGEABLE);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, region, VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
    CHECK_INT(syscall(SYS_munmap, region, 2 * PAGE), 0);
    map_stranger(region, 2 * PAGE, 0x77);
    CHECK_KR(vm_purgable_control(SELF, 0, VM_PURGABLE_PURGE_ALL, &state), KERN_SUCCESS, 0);
    for (uintptr_t byte = region; byte < region + 2 * PAGE; byte += 64)
        if (*(volatile unsigned char *)byte != 0x77) {
            CHECK(!"purge reached a stranger's page");
            break;
        }
    CHECK_KR(vm_purgable_control(SELF, region, VM_PURGABLE_GET_STATE, &state), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_INT(munmap((void *)region, 2 * PAGE), 0);
    /* And with nothing mapped there: a hole. */
    CHECK_KR(vm_purgable_control(SELF, region, VM_PURGABLE_GET_STATE, &state), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* A raw munmap of half a region and a file over that half: the other half
 * stays PageKit's, with its maximum. */
TEST(hostile_half_unmapped_region_keeps_its_other_half)
{
    uintptr_t region = allocate_or_die(4 * PAGE, 0);
    CHECK_ERRNO(pk_protect(region, 4 * PAGE, true, PK_PROT_READ), 0);
    CHECK_INT(syscall(SYS_munmap, region + 2 * PAGE, 2 * PAGE), 0);
    map_stranger(region + 2 * PAGE, 2 * PAGE, 1);
    CHECK_KR(vm_protect(SELF, region, 4 * PAGE, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE, EACCES);
    struct pk_region_info info;
    uintptr_t at = region;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.size, 2 * PAGE);
    CHECK(info.flags & PK_REGION_OWNED);
    CHECK_INT(info.max_protection, VM_PROT_READ);
    at = region + 2 * PAGE;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.flags & PK_REGION_OWNED, 0);
    CHECK_KR(vm_protect(SELF, region + 2 * PAGE, 2 * PAGE, FALSE, VM_PROT_DEFAULT), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region, 4 * PAGE), KERN_SUCCESS, 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* Signals in the middle of calls: a handler that calls PageKit while its
 * thread is inside PageKit gets KERN_ABORTED (EDEADLK) at once, never a
 * hang, and the interrupted call completes. */
static kern_return_t handler_results[6];
static int handler_errnos[6];

static void call_from_handler(int signal)
{
    (void)signal;
    int saved = errno;
    vm_address_t address = 0;
    handler_results[0] = vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE);
    handler_errnos[0] = errno;
    handler_results[1] = vm_deallocate(SELF, 0x10000, PAGE);
    handler_errnos[1] = errno;
    handler_results[2] = vm_protect(SELF, 0x10000, PAGE, FALSE, VM_PROT_READ);
    handler_errnos[2] = errno;
    int state = 0;
    handler_results[3] = vm_purgable_control(SELF, 0x10000, VM_PURGABLE_GET_STATE, &state);
    handler_errnos[3] = errno;
    struct pk_region_info info;
    uintptr_t at = 0;
    handler_results[4] = pk_kern_return(PK_OP_REGION, pk_region(&at, &info));
    handler_results[5] = pk_kern_return(PK_OP_NAME, pk_name(0x10000, PAGE, "x"));
    errno = saved;
}

static void raise_usr1(void)
{
    raise(SIGUSR1);
}

TEST(hostile_signal_handler_reentering_pagekit_is_aborted)
{
    struct sigaction action = {.sa_handler = call_from_handler}, old;
    sigaction(SIGUSR1, &action, &old);
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    size_t entries = pk_table_count();
    pk_sys_hook(PK_SYS_MPROTECT, raise_usr1);
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, VM_PROT_READ), KERN_SUCCESS, 0);
    pk_sys_hook(PK_SYS_MPROTECT, NULL);
    pk_sys_record(false);
    sigaction(SIGUSR1, &old, NULL);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(handler_results[i], KERN_ABORTED);
        CHECK_INT(handler_errnos[i], EDEADLK);
    }
    CHECK_INT(handler_results[4], KERN_ABORTED);
    CHECK_INT(handler_results[5], KERN_ABORTED);
    CHECK_INT(pk_table_count(), entries + 1);
    CHECK(can_read(region) && !can_write(region));
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* fork() from a signal handler that interrupted a PageKit call: the fork
 * handlers cannot take the lock the thread holds, so they go ahead
 * without it instead of hanging; the child runs and the call completes. */
static volatile pid_t handler_child = -1;

static void fork_from_handler(int signal)
{
    (void)signal;
    int saved = errno;
    pid_t child = fork();
    if (child == 0)
        _exit(42);
    handler_child = child;
    errno = saved;
}

static void raise_usr2(void)
{
    raise(SIGUSR2);
}

TEST(hostile_fork_from_a_signal_handler_mid_call_does_not_hang)
{
#if defined(__SANITIZE_THREAD__)
    SKIP("ThreadSanitizer's own fork() allocates, which it reports as signal-unsafe inside a handler");
#endif
    struct sigaction action = {.sa_handler = fork_from_handler}, old;
    sigaction(SIGUSR2, &action, &old);
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    pk_sys_hook(PK_SYS_MPROTECT, raise_usr2);
    CHECK_KR(vm_protect(SELF, region, PAGE, FALSE, VM_PROT_READ), KERN_SUCCESS, 0);
    pk_sys_hook(PK_SYS_MPROTECT, NULL);
    sigaction(SIGUSR2, &old, NULL);
    CHECK(handler_child > 0);
    int status = 0;
    CHECK_INT(waitpid(handler_child, &status, 0), handler_child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
    /* And a fork after it takes the lock as usual. */
    pid_t child = fork();
    if (child == 0)
        _exit(pk_table_count() > 0 ? 0 : 1);
    CHECK_INT(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(can_read(region) && !can_write(region));
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* Real timing: SIGALRM lands wherever it lands while the thread allocates
 * and frees; its handler allocates and frees too. Nothing hangs, and every
 * handler call either works or is aborted. */
static atomic_int alarm_calls, alarm_aborted, alarm_unexpected;

static void allocate_from_alarm(int signal)
{
    (void)signal;
    int saved = errno;
    vm_address_t address = 0;
    kern_return_t kr = vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE);
    atomic_fetch_add(&alarm_calls, 1);
    if (kr == KERN_ABORTED)
        atomic_fetch_add(&alarm_aborted, 1);
    else if (kr != KERN_SUCCESS || vm_deallocate(SELF, address, PAGE) != KERN_SUCCESS)
        atomic_fetch_add(&alarm_unexpected, 1);
    errno = saved;
}

TEST(hostile_alarm_during_calls_never_hangs)
{
    struct sigaction action = {.sa_handler = allocate_from_alarm, .sa_flags = SA_RESTART}, old;
    sigaction(SIGALRM, &action, &old);
    /* Every millisecond: often enough to land inside calls hundreds of
     * times, and slow enough that a handler under qemu or a sanitizer
     * finishes before the next signal, so the loop below always advances. */
    struct itimerval timer = {{0, 1000}, {0, 1000}}, stopped = {{0, 0}, {0, 0}};
    if (setitimer(ITIMER_REAL, &timer, NULL) != 0) {
        sigaction(SIGALRM, &old, NULL);
        SKIP("no interval timers in this kernel (CONFIG_POSIX_TIMERS); "
             "hostile_signal_handler_reentering_pagekit_is_aborted raises the signal itself");
    }
    struct timespec begin, now;
    clock_gettime(CLOCK_MONOTONIC, &begin);
    long rounds = 0;
    do {
        vm_address_t address = 0;
        if (vm_allocate(SELF, &address, 3 * PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_PURGABLE) != KERN_SUCCESS ||
            vm_protect(SELF, address + PAGE, PAGE, FALSE, VM_PROT_READ) != KERN_SUCCESS ||
            vm_deallocate(SELF, address, 3 * PAGE) != KERN_SUCCESS)
            atomic_fetch_add(&alarm_unexpected, 1);
        rounds++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - begin.tv_sec) * 1000000000L + (now.tv_nsec - begin.tv_nsec) < 500000000L);
    setitimer(ITIMER_REAL, &stopped, NULL);
    sigaction(SIGALRM, &old, NULL);
    CHECK(atomic_load(&alarm_calls) > 0);
    CHECK_INT(atomic_load(&alarm_unexpected), 0);
    printf("    %ld rounds, %d handler calls, %d aborted\n", rounds, atomic_load(&alarm_calls),
           atomic_load(&alarm_aborted));
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* A SIGSEGV handler that opens up memory with vm_protect, for a fault
 * outside PageKit: works as before. */
static uintptr_t guarded_page;
static atomic_int segv_fixes;

static void open_on_fault(int signal, siginfo_t *info, void *context)
{
    (void)signal;
    (void)context;
    uintptr_t page = pk_trunc((uintptr_t)info->si_addr);
    if (page != guarded_page || vm_protect(SELF, page, PAGE, FALSE, VM_PROT_DEFAULT) != KERN_SUCCESS)
        abort();
    atomic_fetch_add(&segv_fixes, 1);
}

TEST(hostile_segv_handler_calling_vm_protect_still_works)
{
    guarded_page = allocate_or_die(PAGE, 0);
    CHECK_ERRNO(pk_protect(guarded_page, PAGE, false, PK_PROT_NONE), 0);
    struct sigaction action = {.sa_sigaction = open_on_fault, .sa_flags = SA_SIGINFO}, old;
    sigaction(SIGSEGV, &action, &old);
    *(volatile int *)guarded_page = 7;
    sigaction(SIGSEGV, &old, NULL);
    CHECK_INT(atomic_load(&segv_fixes), 1);
    CHECK_INT(*(volatile int *)guarded_page, 7);
    CHECK_ERRNO(pk_deallocate(guarded_page, PAGE), 0);
}

/* PageKit's bookkeeping for a region fits in 128 bytes, purgeable ones
 * included (the side array's word per page aside), and a purgeable region
 * adds no mapping of its own. */
TEST(hostile_bookkeeping_costs_at_most_128_bytes_and_no_mapping)
{
    enum { REGIONS = 4000 };
    static uintptr_t regions[REGIONS];
    uintptr_t area = remote_reservation((size_t)REGIONS * PAGE);
    CHECK_ERRNO(pk_deallocate(area, (size_t)REGIONS * PAGE), 0);
    /* Warm the arena, so that growing it is not counted. */
    uintptr_t warm = allocate_or_die(PAGE, PK_ALLOC_PURGEABLE);
    CHECK_ERRNO(pk_deallocate(warm, PAGE), 0);
    struct pk_arena_usage before, after;
    pk_arena_usage(&before);
    for (int i = 0; i < REGIONS; i++) {
        regions[i] = area + (uintptr_t)i * PAGE;
        CHECK_ERRNO(pk_allocate(&regions[i], PAGE, PK_ALLOC_FIXED | PK_ALLOC_PURGEABLE, NULL), 0);
        /* Neighbours with different protections cannot merge. */
        if (i % 2)
            CHECK_ERRNO(pk_protect(regions[i], PAGE, false, PK_PROT_READ), 0);
    }
    pk_arena_usage(&after);
    size_t per_region = (after.in_use - before.in_use) / REGIONS;
    printf("    %zu bytes of bookkeeping per one-page purgeable region (8 of them its side array)\n", per_region);
    CHECK(per_region <= 128 + sizeof(uintptr_t));
    int kernel_mappings = 0;
    char line[512];
    FILE *maps = fopen("/proc/self/maps", "re");
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        uintptr_t low = strtoul(line, NULL, 16);
        kernel_mappings += low >= area && low < area + (uintptr_t)REGIONS * PAGE;
    }
    if (maps != NULL)
        fclose(maps);
    CHECK_INT(kernel_mappings, REGIONS);
    CHECK_ERRNO(pk_deallocate(area, (size_t)REGIONS * PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* A stranger mapped exactly where PageKit's pages were, private anonymous
 * but inaccessible: PageKit cannot tell it from its own pages, but takes
 * the kernel's protection for it, so it never reads or writes it (the
 * purge detection used to fault here). */
TEST(hostile_inaccessible_stranger_in_a_purgeable_object)
{
    uintptr_t region = allocate_or_die(3 * PAGE, PK_ALLOC_PURGEABLE);
    fill_pattern(region, 3 * PAGE, 4);
    int state = VM_PURGABLE_VOLATILE;
    CHECK_KR(vm_purgable_control(SELF, region, VM_PURGABLE_SET_STATE, &state), KERN_SUCCESS, 0);
    CHECK_INT(syscall(SYS_munmap, region + PAGE, PAGE), 0);
    void *stranger = mmap((void *)(region + PAGE), PAGE, PROT_NONE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(stranger == (void *)(region + PAGE));
    CHECK_KR(vm_purgable_control(SELF, region, VM_PURGABLE_GET_STATE, &state), KERN_SUCCESS, 0);
    struct pk_region_info info;
    uintptr_t at = region + PAGE;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK_INT(info.protection, VM_PROT_NONE);
    state = VM_PURGABLE_NONVOLATILE;
    CHECK_KR(vm_purgable_control(SELF, region, VM_PURGABLE_SET_STATE, &state), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(vm_deallocate(SELF, region, 3 * PAGE), KERN_SUCCESS, 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

/* The marker that leads other processes to the table lies in PageKit's
 * own reservation, right after its arena, never in a hole of the caller's. */
TEST(hostile_publication_marker_lies_in_pagekits_reservation)
{
    uintptr_t warm = allocate_or_die(PAGE, 0);
    uintptr_t marker = 0;
    char line[512];
    FILE *maps = fopen("/proc/self/maps", "re");
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        if (strstr(line, "/memfd:pagekit@") != NULL)
            marker = strtoul(line, NULL, 16);
    }
    if (maps != NULL)
        fclose(maps);
    CHECK(marker != 0);
    /* The table holds the marker as PageKit's own page, and the page
     * before it is the end of the arena's reservation. */
    struct pk_region_info info;
    uintptr_t at = marker;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK(info.start == marker && info.size == PAGE);
    CHECK(info.flags & PK_REGION_INTERNAL);
    at = marker - PAGE;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK(info.start + info.size == marker);
    CHECK(info.flags & PK_REGION_INTERNAL);
    /* To the caller it is a hole: deallocating it does nothing. */
    CHECK_KR(vm_deallocate(SELF, marker, PAGE), KERN_SUCCESS, 0);
    at = marker;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK(info.start == marker && (info.flags & PK_REGION_INTERNAL));
    CHECK_INT(table_kernel_mismatches(), 0);
    CHECK_ERRNO(pk_deallocate(warm, PAGE), 0);
}
