// SPDX-License-Identifier: Apache-2.0
/*
 * lock.c - the contended halves of the table's lock (lock.h).
 */
#include "internal.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lock.h"

/* Marks the lock as having sleepers and sleeps until it is free; whoever
 * finds it free takes it, still marked, so its release wakes the next
 * sleeper. A futex wait that returns early (a signal, a value already
 * changed) only sends the loop round again. */
void pk_lock_wait(struct pk_lock *lock)
{
    while (__atomic_exchange_n(&lock->word, 2, __ATOMIC_ACQUIRE) != 0)
        syscall(SYS_futex, &lock->word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

void pk_lock_wake(struct pk_lock *lock)
{
    syscall(SYS_futex, &lock->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
