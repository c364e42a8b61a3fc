// SPDX-License-Identifier: Apache-2.0
/*
 * segments.h - a range cut into the pieces an operation treats alike: whole
 * region-table entries (after clipping) and runs of memory PageKit did not
 * map, with the protection each has now.
 */
#ifndef PAGEKIT_SEGMENTS_H
#define PAGEKIT_SEGMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pk_entry;

struct pk_segment {
    uintptr_t start, end;
    struct pk_entry *entry; /* NULL for memory PageKit did not map */
    unsigned int protection;
};

struct pk_segments {
    struct pk_segment *items;
    size_t count, capacity;
    uintptr_t hole; /* where the first unmapped page is, if collect failed */
    struct pk_segment inline_items[4];
};

/*
 * Cuts [start, end) into segments, in address order, with the table locked.
 * Stops at the first unmapped page and returns -ENOMEM, keeping the
 * segments before it, so callers can report the first problem in address
 * order as Mach does. Entries that straddle start or end appear clipped to
 * the range. Other errors: -ENOMEM from malloc is reported the same way.
 */
int pk_segments_collect(uintptr_t start, uintptr_t end, struct pk_segments *segments);
void pk_segments_free(struct pk_segments *segments);

/* Makes a segment's pages read as zeros, whatever memory it is: dropped
 * where the kernel can drop them (private memory, shared pages), else
 * written over (locked pages, files, a kernel without madvise)
 * (behavior.c). */
int pk_zero_segment(const struct pk_segment *segment);
/* Whether a segment is private anonymous memory: PageKit's own private
 * pages, or a stranger's anonymous mapping (behavior.c). */
bool pk_segment_private_anonymous(const struct pk_segment *segment);

/* Restores each segment's recorded protection, last first (rollback). */
void pk_segments_restore(const struct pk_segments *segments, size_t count);

#endif
