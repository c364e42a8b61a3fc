// SPDX-License-Identifier: Apache-2.0
/*
 * fault_guard.c - memmove that turns a fault into an error.
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
 * the action that was there before, as the kernel would have delivered it.
 *
 * The handler is the process's only while nobody replaces it, and it only
 * runs where the signals are not blocked. So each copy first asks the
 * kernel for the thread's signal mask and both actions (three system calls,
 * about 0.6 microseconds), and when either signal is blocked (a thread that
 * leaves signals to another, a crash handler reading memory) or a handler
 * installed later has taken the guard's place, the caller copies in the
 * kernel: PageKit never fights over the handler. (A handler installed by
 * another thread during a copy is not seen until the next one.)
 *
 * One case is beyond it: an asynchronous signal's handler that interrupts
 * the copy and itself faults inside the ranges being copied is taken for
 * the copy, which then returns -EFAULT with that handler's mask left in
 * place.
 */
#include "internal.h"

#include "fault_guard.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#ifndef BUS_MCEERR_AO
#define BUS_MCEERR_AO 5
#endif
#ifndef SEGV_MTEAERR
#define SEGV_MTEAERR 8
#endif

/* The copy a thread is making: where to return to, the two ranges a fault
 * of which is the copy's own, and what the fault left to undo. */
struct guard {
    sigjmp_buf resume;
    uintptr_t source, destination;
    size_t size;
    /* Set by the handler and read after the jump back, so volatile
     * (C11 7.13.2.1). */
    volatile bool source_faulted;
    volatile stack_t disarmed; /* an alternate stack the fault's delivery disarmed */
};

/* Initial-exec: the handler sees every fault of the process, and must not
 * allocate a thread's block on first touch (it may run inside malloc). */
static _Thread_local __attribute__((tls_model("initial-exec"))) struct guard *volatile current;

enum { SEGV, BUS, KINDS };
static const int signals[KINDS] = {SIGSEGV, SIGBUS};
static struct sigaction earlier[KINDS];
static struct sigaction guard_actions[KINDS];
static bool installed;
static pthread_mutex_t installing = PTHREAD_MUTEX_INITIALIZER;

static bool within(uintptr_t address, uintptr_t start, size_t size)
{
    return address - start < size;
}

/* A signal the kernel sends once, which returning from the handler does
 * not raise again: one sent by kill() and the like, a report of memory
 * found broken in the background, or arm64's asynchronous tag-check
 * fault, reported after the access that caused it. */
static bool sent_once(int number, const siginfo_t *info)
{
    return info->si_code <= 0 || (number == SIGBUS && info->si_code == BUS_MCEERR_AO) ||
           (number == SIGSEGV && info->si_code == SEGV_MTEAERR);
}

/* Hands a signal that is not the guard's to the action that was in place
 * before, as the kernel would have: with its mask, SA_NODEFER and
 * SA_RESETHAND. A default or ignored action is put back, so that a fault
 * recurs on return and is delivered without PageKit, and a signal sent once
 * is raised again. */
static void pass_on(int number, siginfo_t *info, void *context)
{
    const struct sigaction *action = &earlier[number == SIGBUS ? BUS : SEGV];
    /* sa_handler and sa_sigaction share their storage; the kernel reads
     * 0 and 1 as default and ignore whatever the flags say. */
    if (action->sa_handler == SIG_DFL || action->sa_handler == SIG_IGN) {
        sigaction(number, action, NULL);
        if (sent_once(number, info))
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
        guard->source_faulted = within(address, guard->source, guard->size);
        /* A jump skips sigreturn, which re-arms an alternate stack that
         * delivery disarmed (SS_AUTODISARM): the copy re-arms it. */
        const stack_t *stack = &((const ucontext_t *)context)->uc_stack;
        if ((unsigned int)stack->ss_flags & SS_AUTODISARM)
            guard->disarmed = *stack;
        siglongjmp(guard->resume, 1);
    }
    pass_on(number, info, context);
}

static bool is_guard(const struct sigaction *action)
{
    return (action->sa_flags & SA_SIGINFO) && action->sa_sigaction == on_fault;
}

/* ThreadSanitizer's memmove cannot be left by a jump from a signal
 * handler: the process dies of the fault. In a process it watches, the
 * guard stands aside and copies go to the kernel. */
extern void __tsan_init(void) __attribute__((weak));

/* Puts the handler in place, once. SA_NODEFER: the jump back leaves the
 * mask as it was without saving it on every copy. SA_ONSTACK only where
 * the earlier action had it, so that every other signal runs on the stack
 * it would have run on. */
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
        guard_actions[kind] = (struct sigaction){
            .sa_sigaction = on_fault,
            .sa_flags = SA_SIGINFO | SA_NODEFER | (before.sa_flags & SA_ONSTACK),
        };
        if (sigaction(signals[kind], &guard_actions[kind], &replaced) == 0 && !is_guard(&replaced))
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

/* Whether a fault in this thread would reach the guard now: neither
 * signal blocked here, and the guard the handler of both. The mask comes
 * first: a thread that blocks them (a crash handler, often) never has the
 * guard installed on its behalf. */
static bool guarding(void)
{
    sigset_t mask;
    if (pthread_sigmask(SIG_BLOCK, NULL, &mask) != 0)
        return false;
    for (int kind = 0; kind < KINDS; kind++)
        if (sigismember(&mask, signals[kind]))
            return false;
    install();
    for (int kind = 0; kind < KINDS; kind++) {
        struct sigaction now;
        if (sigaction(signals[kind], NULL, &now) != 0 || !is_guard(&now))
            return false;
    }
    return true;
}

int pk_fault_guard_move(uintptr_t destination, uintptr_t source, size_t size, void *buffer)
{
    if (!guarding())
        return -ENOTSUP;
    struct guard guard = {.source = source, .destination = destination, .size = size};
    if (sigsetjmp(guard.resume, 0) != 0) {
        stack_t disarmed = guard.disarmed;
        if (disarmed.ss_sp != NULL)
            sigaltstack(&disarmed, NULL);
        return guard.source_faulted ? -ENODATA : -EFAULT;
    }
    current = &guard;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (buffer != NULL) {
        memcpy(buffer, (const void *)source, size);
        memcpy((void *)destination, buffer, size);
    } else {
        memmove((void *)destination, (const void *)source, size);
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    current = NULL;
    return 0;
}
