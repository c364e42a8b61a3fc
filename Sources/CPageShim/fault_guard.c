// SPDX-License-Identifier: Apache-2.0
/*
 * fault_guard.c - memmove that turns a fault into -EFAULT.
 *
 * mach_vm_copy and friends check both ranges before they move a byte, but
 * another thread can still unmap or protect a page (or truncate the file
 * behind it) between the check and the copy. XNU copies in the kernel and
 * returns an error then; a plain memmove here would take SIGSEGV or SIGBUS.
 * Copying in the kernel (process_vm_readv) avoids that, at 3.5 to 4 times
 * the cost of memcpy, because it pins every page. So the copy runs in this
 * thread under a guard instead: a handler for SIGSEGV and SIGBUS, put in
 * place the first time a guard is needed, that jumps back to the copy when
 * the fault is the guarded copy's own, and passes every other signal on to
 * the handler that was there before, exactly as the kernel would have
 * delivered it.
 *
 * The handler is the process's only while nobody replaces it. Each copy
 * asks the kernel whether it still is (an rt_sigaction call, a few hundred
 * nanoseconds; two when memory PageKit did not map, which can be a file's,
 * may raise SIGBUS), and when it is not, the caller copies in the kernel:
 * PageKit never fights over the handler, and never leaves a copy unguarded.
 */
#include "internal.h"

#include "fault_guard.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

/* The copy a thread is making: where to return to, and the two ranges a
 * fault of which is the copy's own. */
struct guard {
    sigjmp_buf resume;
    uintptr_t source, destination;
    size_t size;
};

static _Thread_local struct guard *volatile current;

enum { SEGV, BUS, KINDS };
static const int signals[KINDS] = {SIGSEGV, SIGBUS};
static struct sigaction earlier[KINDS];
static bool installed;
static pthread_mutex_t installing = PTHREAD_MUTEX_INITIALIZER;

static bool within(uintptr_t address, uintptr_t start, size_t size)
{
    return address - start < size;
}

/* Hands a signal that is not the guard's to the action that was in place
 * before, as the kernel would have: with its mask, and its SA_RESETHAND.
 * A default or ignored action is put back, so that the fault recurs on
 * return and is delivered without PageKit (a signal sent by kill() is sent
 * again). */
static void pass_on(int number, siginfo_t *info, void *context)
{
    const struct sigaction *action = &earlier[number == SIGBUS ? BUS : SEGV];
    if (!(action->sa_flags & SA_SIGINFO) && (action->sa_handler == SIG_DFL || action->sa_handler == SIG_IGN)) {
        sigaction(number, action, NULL);
        if (info->si_code <= 0)
            raise(number);
        return;
    }
    sigset_t mask = action->sa_mask, saved;
    if (!(action->sa_flags & SA_NODEFER))
        sigaddset(&mask, number);
    pthread_sigmask(SIG_BLOCK, &mask, &saved);
    if (action->sa_flags & SA_RESETHAND)
        sigaction(number, &(struct sigaction){.sa_handler = SIG_DFL}, NULL);
    if (action->sa_flags & SA_SIGINFO)
        action->sa_sigaction(number, info, context);
    else
        action->sa_handler(number);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

static void on_fault(int number, siginfo_t *info, void *context)
{
    struct guard *guard = current;
    uintptr_t address = (uintptr_t)info->si_addr;
    if (guard != NULL && info->si_code > 0 &&
        (within(address, guard->source, guard->size) || within(address, guard->destination, guard->size))) {
        current = NULL;
        siglongjmp(guard->resume, 1);
    }
    pass_on(number, info, context);
}

/* SA_ONSTACK: a stack overflow elsewhere must still reach a handler that
 * runs on the alternate stack. SA_NODEFER: the jump back leaves the mask
 * as it was without saving it on every copy. */
static const struct sigaction guard_action = {
    .sa_sigaction = on_fault,
    .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER,
};

static bool is_guard(const struct sigaction *action)
{
    return (action->sa_flags & SA_SIGINFO) && action->sa_sigaction == on_fault;
}

/* ThreadSanitizer's memmove cannot be left by a jump from a signal
 * handler: the process dies of the fault. In a process it watches, the
 * guard stands aside and copies go to the kernel. */
extern void __tsan_init(void) __attribute__((weak));

/* Puts the handler in place, once. */
static void install(void)
{
    if (__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&installing);
    for (int kind = 0; kind < KINDS && !installed && __tsan_init == NULL; kind++) {
        /* What was there is known before the handler can run; the
         * handler itself is never taken for an earlier one. */
        struct sigaction before, replaced;
        if (sigaction(signals[kind], NULL, &before) != 0 || is_guard(&before))
            continue;
        earlier[kind] = before;
        if (sigaction(signals[kind], &guard_action, &replaced) == 0 && !is_guard(&replaced))
            earlier[kind] = replaced;
    }
    __atomic_store_n(&installed, true, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&installing);
}

#ifdef PK_TEST_SEAM
void pk_fault_guard_forget(void)
{
    __atomic_store_n(&installed, false, __ATOMIC_RELEASE);
}
#endif

/* Whether the guard is the process's handler for SIGSEGV now, and with
 * files for SIGBUS too. PageKit's own pages never raise SIGBUS: its
 * shared pages' files never shrink. */
static bool guarding(bool files)
{
    install();
    for (int kind = 0; kind < (files ? KINDS : BUS); kind++) {
        struct sigaction now;
        if (sigaction(signals[kind], NULL, &now) != 0 || !is_guard(&now))
            return false;
    }
    return true;
}

int pk_fault_guard_move(uintptr_t destination, uintptr_t source, size_t size, bool files)
{
    if (!guarding(files))
        return -ENOTSUP;
    struct guard guard = {.source = source, .destination = destination, .size = size};
    if (sigsetjmp(guard.resume, 0) != 0)
        return -EFAULT;
    current = &guard;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    memmove((void *)destination, (const void *)source, size);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    current = NULL;
    return 0;
}
