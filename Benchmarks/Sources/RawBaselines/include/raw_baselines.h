// SPDX-License-Identifier: Apache-2.0
/* The raw-C baselines the Swift benchmarks are compared with: the bare
 * system calls doing the same work, with no table and no checks. */
#ifndef PAGEKIT_RAW_BASELINES_H
#define PAGEKIT_RAW_BASELINES_H

#include <stddef.h>

/* mmap, touch the first byte, munmap. */
void raw_lifecycle(size_t size);
/* mmap, mprotect(PROT_READ), munmap: what a freeze amounts to. */
void raw_freeze_lifecycle(size_t size);
/* A mapping of `size` bytes for the two calls below, and its release. */
void *raw_map(size_t size);
void raw_unmap(void *region, size_t size);
/* mprotect one page to PROT_READ and back. */
void raw_protect_round_trip(void *page, size_t page_size);
/* madvise(MADV_FREE), then one store per page: the floor of a purgeable cycle. */
void raw_free_and_store(void *region, size_t size, size_t page_size);

#endif
