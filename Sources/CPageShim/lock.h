// SPDX-License-Identifier: Apache-2.0
/*
 * lock.h - the region table's lock: one futex word, the three-state mutex
 * of Ulrich Drepper's "Futexes Are Tricky" (0 free, 1 held, 2 held with
 * sleepers).
 *
 * Every PageKit call takes the lock once, with the table's work and one
 * system call inside, so its uncontended path is on every hot path: here a
 * compare-and-exchange to take it and an exchange to give it back, both
 * inline. glibc's mutex does the same work behind two calls into libc and
 * a type dispatch, about 50 instructions more a call; measured, that was
 * about 0.5% of a one-page mprotect and of an allocate+deallocate
 * (BENCHMARKS.md). Only contention
 * leaves the inline path: a waiter marks the word 2 and sleeps in the
 * kernel, and a release that finds a 2 wakes one.
 *
 * It is not recursive and knows no owner: the table keeps its own
 * per-thread flag for a signal handler that calls in while its thread
 * holds the lock (region_table.c).
 */
#ifndef PAGEKIT_LOCK_H
#define PAGEKIT_LOCK_H

#include <stdbool.h>

struct pk_lock {
    int word;
};
#define PK_LOCK_INITIALIZER {0}

/* The contended halves (lock.c). */
void pk_lock_wait(struct pk_lock *lock);
void pk_lock_wake(struct pk_lock *lock);

static inline void pk_lock_acquire(struct pk_lock *lock)
{
    int unlocked = 0;
    if (!__atomic_compare_exchange_n(&lock->word, &unlocked, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        pk_lock_wait(lock);
}

static inline void pk_lock_release(struct pk_lock *lock)
{
    if (__atomic_exchange_n(&lock->word, 0, __ATOMIC_RELEASE) == 2)
        pk_lock_wake(lock);
}

/* In a child after fork(): its only thread is the one that forked. */
static inline void pk_lock_reset(struct pk_lock *lock)
{
    __atomic_store_n(&lock->word, 0, __ATOMIC_RELAXED);
}

#endif
