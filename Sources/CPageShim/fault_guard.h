// SPDX-License-Identifier: Apache-2.0
/*
 * fault_guard.h - a copy in this thread that returns an error where a
 * plain memmove would take a signal.
 */
#ifndef PAGEKIT_FAULT_GUARD_H
#define PAGEKIT_FAULT_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* Moves size bytes from source to destination as memmove does (the two
 * may overlap): 0; when a page faulted meanwhile (unmapped, protected, a
 * file page past its end, a guard page), with part of the bytes moved,
 * -ENODATA if it was the source's, -EFAULT if the destination's; -ENOTSUP,
 * having touched nothing, when a fault would not reach the guard (the
 * thread blocks SIGSEGV or SIGBUS, or a handler installed later took the
 * guard's place), and the caller must move the bytes some other way.
 * With a buffer (size bytes, always writable), the bytes go through it:
 * all of the source is read before the destination is written, so a
 * source that faults leaves the destination untouched. */
int pk_fault_guard_move(uintptr_t destination, uintptr_t source, size_t size, void *buffer);

#ifdef PK_TEST_SEAM
/* Testing: the next guarded move puts the handler in place again, taking
 * the one there then for the earlier handler. */
void pk_fault_guard_forget(void);
#endif

#endif
