// SPDX-License-Identifier: Apache-2.0
/*
 * fault_guard.h - a copy in this thread that returns an error where a
 * plain memmove would take a signal.
 */
#ifndef PAGEKIT_FAULT_GUARD_H
#define PAGEKIT_FAULT_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Moves size bytes from source to destination as memmove does (the two
 * may overlap): 0; -EFAULT when a page of either range faulted meanwhile
 * (unmapped, protected, a file page past its end, a guard page), with
 * part of the bytes moved; -ENOTSUP, having touched nothing, when the
 * guard's handler is not the process's SIGSEGV handler, or with files
 * true (either range maps memory PageKit did not, which can be a file's
 * and raise SIGBUS) its SIGBUS handler: a handler installed after the
 * guard took its place, and the caller must move the bytes some other
 * way. */
int pk_fault_guard_move(uintptr_t destination, uintptr_t source, size_t size, bool files);

#ifdef PK_TEST_SEAM
/* Testing: the next guarded move puts the handler in place again, taking
 * the one there then for the earlier handler. */
void pk_fault_guard_forget(void);
#endif

#endif
