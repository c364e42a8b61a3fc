// SPDX-License-Identifier: Apache-2.0
/* The baselines the Swift benchmarks are compared with: the bare system
 * calls doing the same work, with no table and no checks (raw_*), and the
 * C layer the Swift layer calls, doing exactly what one Swift call does
 * (c_pagekit_*). */
#ifndef PAGEKIT_RAW_BASELINES_H
#define PAGEKIT_RAW_BASELINES_H

#include <stddef.h>
#include <stdint.h>

/* mmap, touch the first byte, munmap. */
void raw_lifecycle(size_t size);
/* mmap, mprotect(PROT_READ), munmap: what a freeze amounts to. */
void raw_freeze_lifecycle(size_t size);
/* A mapping of `size` bytes for the two calls below, and its release. */
void *raw_map(size_t size);
void raw_unmap(void *region, size_t size);
/* mprotect one page to PROT_READ and back. */
void raw_protect_round_trip(void *page, size_t page_size);
/* One mprotect, for the per-call rows: 0 or -1. */
int raw_protect(void *address, size_t size, int prot);
/* madvise(MADV_FREE), then one store per page: the floor of a purgeable cycle. */
void raw_free_and_store(void *region, size_t size, size_t page_size);

/* pk_allocate anywhere, touch the first byte, pk_deallocate: PageRegion's
 * init, a store and its deinit. */
void c_pagekit_lifecycle(size_t size);
/* pk_allocate anywhere, touch, pk_freeze, pk_deallocate: a PageRegion
 * frozen into a FrozenPageRegion that is then dropped. */
void c_pagekit_freeze_lifecycle(size_t size);
/* pk_protect of one page to read-only and back. */
void c_pagekit_protect_round_trip(uintptr_t page, size_t page_size);
/* A purgeable region of size bytes (pk_allocate with PK_ALLOC_PURGEABLE),
 * or 0, and its release. */
uintptr_t c_pagekit_purgeable(size_t size);
void c_pagekit_release(uintptr_t region, size_t size);
/* SET_STATE volatile, then SET_STATE nonvolatile; the old state. */
int c_pagekit_volatile_cycle(uintptr_t region);
/* One pk_protect, one pk_allocate and one pk_deallocate of a page, for the
 * per-call rows: the same arguments as the Swift calls they face. */
int c_pagekit_protect(uintptr_t address, size_t size, unsigned int protection);
uintptr_t c_pagekit_allocate(size_t size);
void c_pagekit_deallocate(uintptr_t address, size_t size);

#endif
