// SPDX-License-Identifier: Apache-2.0
/* The region table under threads and fork(): one lock, consistent answers,
 * and a child that inherits a usable table. */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define SELF mach_task_self()

TEST(concurrency_table_matches_kernel_after_single_thread_work)
{
    uintptr_t region = allocate_or_die(16 * PAGE, PK_ALLOC_TAG(243));
    CHECK_ERRNO(pk_protect(region + 2 * PAGE, 3 * PAGE, false, PK_PROT_READ), 0);
    CHECK_ERRNO(pk_protect(region + 8 * PAGE, PAGE, true, PK_PROT_NONE), 0);
    CHECK_ERRNO(pk_deallocate(region + 12 * PAGE, PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
    CHECK_ERRNO(pk_deallocate(region, 16 * PAGE), 0);
}

/* Threads mixing every operation on overlapping ranges of one shared area. */
struct mixer {
    uintptr_t area;
    size_t pages;
    atomic_int unexpected;
    unsigned int seed;
    pthread_barrier_t start;
};

static double seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Each thread runs until 3000 operations or 1.5 s, whichever comes first. */
static void *mix_operations(void *argument)
{
    struct mixer *mixer = argument;
    unsigned int seed = __atomic_add_fetch(&mixer->seed, 7919, __ATOMIC_RELAXED);
    pthread_barrier_wait(&mixer->start);
    double deadline = seconds() + 1.5;
    for (int round = 0; round < 3000 && seconds() < deadline; round++) {
        size_t first = (size_t)rand_r(&seed) % mixer->pages;
        size_t count = 1 + (size_t)rand_r(&seed) % (mixer->pages - first);
        uintptr_t address = mixer->area + first * PAGE;
        size_t size = count * PAGE;
        int result = 0, state = PK_PURGEABLE_VOLATILE;
        uintptr_t where = address;
        struct pk_region_info info;
        switch (rand_r(&seed) % 7) {
        case 0:
            result = pk_allocate(&where, size, PK_ALLOC_FIXED | PK_ALLOC_PURGEABLE, NULL);
            if (result == -EEXIST)
                result = 0;
            break;
        case 1:
            result = pk_allocate(&where, size, PK_ALLOC_FIXED | PK_ALLOC_OVERWRITE | PK_ALLOC_TAG(246), NULL);
            break;
        case 2:
            result = pk_deallocate(address, size);
            break;
        case 3:
            result = pk_protect(address, size, rand_r(&seed) % 2, (unsigned int)rand_r(&seed) % 8);
            if (result == -ENOMEM || result == -EACCES)
                result = 0;
            break;
        case 4:
            result = pk_purgeable_control(address, PK_PURGEABLE_SET_STATE, &state);
            if (result == -EINVAL || result == -ENOMEM || result == -EACCES)
                result = 0;
            break;
        case 5:
            result = pk_region(&where, &info);
            if (result == -ENOMEM)
                result = 0;
            break;
        default:
            result = pk_name(address, size, "mixed");
            if (result == -ENOMEM || result == -EINVAL)
                result = 0;
            break;
        }
        if (result != 0)
            atomic_fetch_add(&mixer->unexpected, 1);
    }
    return NULL;
}

#define MIXING_THREADS 8

TEST(concurrency_threads_mixing_operations_keep_the_table_consistent)
{
    struct mixer mixer = {.pages = 64, .seed = 1};
    /* Far from where mmap puts things, with inaccessible guards around it,
     * so no other mapping lands in the holes the threads make. */
    uintptr_t guarded = remote_reservation((mixer.pages + 2) * PAGE);
    mixer.area = guarded + PAGE;
    pthread_barrier_init(&mixer.start, NULL, MIXING_THREADS);
    pthread_t threads[MIXING_THREADS];
    for (int i = 0; i < MIXING_THREADS; i++)
        pthread_create(&threads[i], NULL, mix_operations, &mixer);
    for (int i = 0; i < MIXING_THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&mixer.start);
    CHECK_INT(atomic_load(&mixer.unexpected), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
    CHECK_ERRNO(pk_deallocate(guarded, (mixer.pages + 2) * PAGE), 0);
}

/* The audit's crash: threads allocate regions of 2 to 8 pages (some of
 * them purgeable), free a middle page, then protect or free the original
 * range while the others' allocations, and PageKit's own, may fill that
 * hole. Every result is one the rules allow, nothing crashes (under ASan
 * and TSan too), and the table matches the kernel afterwards. */
struct holes {
    pthread_barrier_t start;
    atomic_int unexpected;
    unsigned int seed;
};

static bool allowed(kern_return_t kr, kern_return_t also)
{
    return kr == KERN_SUCCESS || kr == also;
}

static void *punch_holes(void *argument)
{
    struct holes *holes = argument;
    unsigned int seed = __atomic_fetch_add(&holes->seed, 7919, __ATOMIC_RELAXED);
    pthread_barrier_wait(&holes->start);
    for (int round = 0; round < 400; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t pages = 2 + (seed >> 16) % 7;
        int flags = VM_FLAGS_ANYWHERE | ((seed >> 8) % 3 == 0 ? VM_FLAGS_PURGABLE : 0);
        vm_address_t address = 0;
        if (vm_allocate(SELF, &address, pages * PAGE, flags) != KERN_SUCCESS) {
            atomic_fetch_add(&holes->unexpected, 1);
            continue;
        }
        size_t middle = 1 + (seed >> 4) % (pages - 1);
        if (middle == pages - 1 && pages > 2)
            middle--;
        bool ok = vm_deallocate(SELF, address + middle * PAGE, PAGE) == KERN_SUCCESS;
        int state = VM_PURGABLE_VOLATILE;
        /* Another thread may have filled the hole, so the protect may work;
         * a purgeable call on a part that is gone may find anything. */
        ok &= allowed(vm_protect(SELF, address, pages * PAGE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS);
        if (flags & VM_FLAGS_PURGABLE)
            vm_purgable_control(SELF, address, VM_PURGABLE_SET_STATE, &state);
        ok &= allowed(vm_protect(SELF, address, pages * PAGE, TRUE, VM_PROT_ALL), KERN_INVALID_ADDRESS);
        ok &= vm_deallocate(SELF, address, pages * PAGE) == KERN_SUCCESS;
        if (!ok)
            atomic_fetch_add(&holes->unexpected, 1);
    }
    return NULL;
}

TEST(concurrency_threads_punching_holes_others_fill)
{
    struct holes holes = {.seed = 3};
    pthread_barrier_init(&holes.start, NULL, MIXING_THREADS);
    pthread_t threads[MIXING_THREADS];
    for (int i = 0; i < MIXING_THREADS; i++)
        pthread_create(&threads[i], NULL, punch_holes, &holes);
    for (int i = 0; i < MIXING_THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&holes.start);
    CHECK_INT(atomic_load(&holes.unexpected), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

struct churn {
    atomic_bool stop;
    atomic_long operations;
    atomic_int failures;
};

static void *churn_table(void *argument)
{
    struct churn *churn = argument;
    while (!atomic_load(&churn->stop)) {
        uintptr_t address = 0;
        if (pk_allocate(&address, 2 * PAGE, PK_ALLOC_ANYWHERE, NULL) != 0 ||
            pk_protect(address, PAGE, false, PK_PROT_READ) != 0 || pk_deallocate(address, 2 * PAGE) != 0)
            atomic_fetch_add(&churn->failures, 1);
        atomic_fetch_add(&churn->operations, 1);
    }
    return NULL;
}

/* fork() while other threads hold and release the table lock: the child
 * must neither deadlock nor see a half-changed table. */
TEST(concurrency_fork_while_other_threads_use_the_table)
{
    struct churn churn = {0};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, churn_table, &churn);
    int failures = 0;
    for (int child_round = 0; child_round < 20; child_round++) {
        pid_t child = fork();
        if (child == 0) {
            alarm(10); /* a deadlock ends the child rather than the suite */
            uintptr_t address = 0;
            if (pk_allocate(&address, 4 * PAGE, PK_ALLOC_ANYWHERE, NULL) != 0)
                _exit(1);
            if (pk_protect(address + PAGE, PAGE, true, PK_PROT_READ) != 0)
                _exit(2);
            if (pk_protect(address + PAGE, PAGE, false, PK_PROT_DEFAULT) != -EACCES)
                _exit(3);
            if (table_kernel_mismatches() != 0)
                _exit(4);
            _exit(pk_deallocate(address, 4 * PAGE) == 0 ? 0 : 5);
        }
        int status = 0;
        if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("    child %d: %s %d\n", child_round, WIFEXITED(status) ? "exit" : "signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            failures++;
        }
    }
    atomic_store(&churn.stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    CHECK_INT(failures, 0);
    CHECK_INT(atomic_load(&churn.failures), 0);
    CHECK(atomic_load(&churn.operations) > 0);
}

TEST(concurrency_child_sees_its_own_mappings)
{
    /* The /proc/self/maps descriptor kept for PROCMAP_QUERY must be the
     * child's own after fork, not the parent's. */
    struct pk_region_info info;
    uintptr_t at = (uintptr_t)&info;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    pid_t child = fork();
    if (child == 0) {
        void *mine = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        uintptr_t where = (uintptr_t)mine;
        struct pk_region_info child_info;
        int ok = mine != MAP_FAILED && pk_region(&where, &child_info) == 0 && child_info.start <= (uintptr_t)mine &&
                 (uintptr_t)mine < child_info.start + child_info.size;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A child killed in the middle of PageKit calls (its table lock possibly
 * held) leaves the parent's memory and table as they were. */
TEST(concurrency_child_killed_mid_operation_leaves_parent_alone)
{
    uintptr_t region = allocate_or_die(4 * PAGE, PK_ALLOC_PURGEABLE | PK_ALLOC_TAG(249));
    fill_pattern(region, 4 * PAGE, 77);
    CHECK_ERRNO(pk_protect(region + PAGE, PAGE, false, PK_PROT_READ), 0);
    struct snapshot before, after;
    snapshot_take(region, region + 4 * PAGE, &before);
    for (int round = 0; round < 5; round++) {
        pid_t child = fork();
        if (child == 0) {
            for (;;) {
                uintptr_t address = 0;
                int state = PK_PURGEABLE_VOLATILE;
                if (pk_allocate(&address, 8 * PAGE, PK_ALLOC_ANYWHERE | PK_ALLOC_PURGEABLE, NULL) == 0) {
                    (void)!pk_protect(address + PAGE, 2 * PAGE, true, PK_PROT_READ);
                    (void)!pk_purgeable_control(address, PK_PURGEABLE_SET_STATE, &state);
                    (void)!pk_protect(region, PAGE, false, PK_PROT_NONE); /* the child's copy only */
                    (void)!pk_deallocate(address, 8 * PAGE);
                }
            }
        }
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
        kill(child, SIGKILL);
        int status = 0;
        CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status));
    }
    snapshot_take(region, region + 4 * PAGE, &after);
    CHECK(snapshot_equal(&before, &after));
    CHECK(has_pattern(region, PAGE, 77));
    uintptr_t address = 0;
    CHECK_ERRNO(pk_allocate(&address, PAGE, PK_ALLOC_ANYWHERE, NULL), 0); /* the lock is free */
    CHECK_ERRNO(pk_deallocate(address, PAGE), 0);
    CHECK_INT(table_kernel_mismatches(), 0);
    CHECK_ERRNO(pk_deallocate(region, 4 * PAGE), 0);
}

/* The table's lock (lock.h) under contention: every thread's increments of
 * a plain counter made under it survive, and threads that had to sleep for
 * it are all woken. Three threads on this machine's two cores keep it
 * contended, so the futex path runs. */
struct lock_counter {
    unsigned long value;
    pthread_barrier_t start;
};

enum { LOCK_THREADS = 3, LOCK_ROUNDS = 50000 };

static void *lock_and_count(void *argument)
{
    struct lock_counter *counter = argument;
    pthread_barrier_wait(&counter->start);
    for (int i = 0; i < LOCK_ROUNDS; i++) {
        if (pk_table_lock() != 0)
            abort();
        counter->value++;
        /* Now and then hold the lock long enough for the others to sleep. */
        if (i % 1024 == 0)
            sched_yield();
        pk_table_unlock();
    }
    return NULL;
}

TEST(concurrency_the_table_lock_loses_no_update)
{
    static struct lock_counter counter;
    counter.value = 0;
    pthread_barrier_init(&counter.start, NULL, LOCK_THREADS);
    pthread_t threads[LOCK_THREADS];
    for (int i = 0; i < LOCK_THREADS; i++)
        CHECK(pthread_create(&threads[i], NULL, lock_and_count, &counter) == 0);
    for (int i = 0; i < LOCK_THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&counter.start);
    CHECK_INT(counter.value, (unsigned long)LOCK_THREADS * LOCK_ROUNDS);
    /* Free again, and usable. */
    uintptr_t region = allocate_or_die(PAGE, 0);
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}
