// SPDX-License-Identifier: Apache-2.0
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "segments.h"

static int append(struct pk_segments *segments, struct pk_segment segment)
{
    if (segments->count == segments->capacity) {
        size_t capacity = segments->capacity * 2;
        struct pk_segment *items;
        if (segments->items == segments->inline_items) {
            items = malloc(capacity * sizeof *items);
            if (items != NULL)
                memcpy(items, segments->items, segments->count * sizeof *items);
        } else {
            items = realloc(segments->items, capacity * sizeof *items);
        }
        if (items == NULL)
            return -ENOMEM;
        segments->items = items;
        segments->capacity = capacity;
    }
    segments->items[segments->count++] = segment;
    return 0;
}

/* Memory PageKit did not map in [start, end), as the kernel reports it. */
static int collect_foreign(uintptr_t start, uintptr_t end, struct pk_segments *segments)
{
    while (start < end) {
        struct pk_kernel_mapping mapping;
        int error = pk_kernel_mapping(start, &mapping);
        if (error == 0 && mapping.start > start)
            error = -ENOMEM;
        if (error) {
            segments->hole = start;
            return error;
        }
        uintptr_t stop = mapping.end < end ? mapping.end : end;
        error = append(segments, (struct pk_segment){start, stop, NULL, mapping.protection});
        if (error)
            return error;
        start = stop;
    }
    return 0;
}

int pk_segments_collect(uintptr_t start, uintptr_t end, struct pk_segments *segments)
{
    segments->items = segments->inline_items;
    segments->count = 0;
    segments->capacity = sizeof segments->inline_items / sizeof segments->inline_items[0];
    segments->hole = end;

    uintptr_t at = start;
    struct pk_entry *entry = pk_table_ceiling(start);
    if (entry != NULL && entry->start <= start && entry->end >= end) {
        segments->items[segments->count++] = (struct pk_segment){start, end, entry, entry->protection};
        return 0;
    }
    while (at < end) {
        uintptr_t next = end;
        if (entry != NULL && entry->start < end)
            next = entry->start > at ? entry->start : at;
        int error = next > at ? collect_foreign(at, next, segments) : 0;
        if (error)
            return error;
        at = next;
        if (at == end)
            break;
        uintptr_t stop = entry->end < end ? entry->end : end;
        error = append(segments, (struct pk_segment){at, stop, entry, entry->protection});
        if (error)
            return error;
        at = stop;
        entry = pk_table_next(entry);
    }
    return 0;
}

void pk_segments_free(struct pk_segments *segments)
{
    if (segments->items != segments->inline_items)
        free(segments->items);
    segments->items = NULL;
}

void pk_segments_restore(const struct pk_segments *segments, size_t count)
{
    while (count-- > 0) {
        const struct pk_segment *segment = &segments->items[count];
        pk_sys_mprotect(segment->start, segment->end - segment->start, (int)segment->protection);
    }
}
