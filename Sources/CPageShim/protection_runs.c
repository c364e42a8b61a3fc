// SPDX-License-Identifier: Apache-2.0
/*
 * protection_runs.c - vm_protect of pages strictly inside one entry,
 * noted beside the entry instead of splitting it.
 *
 * Mach's map, and the table before this file, split the entry in three for
 * such a change and merge the pieces when the protection comes back: two
 * entries taken and freed, two red-black insertions and two removals, each
 * right after a system call has pushed the tree out of the cache. A run is
 * a slot that says "pages [start, end) of this entry have this protection";
 * changing it again, or dropping it when the protection comes back, touches
 * the slot and the entry alone.
 *
 * Runs are invisible: every table function that finds, walks or changes
 * entries settles them first (pk_runs_settle_pending), splitting each
 * entry exactly as the change would have, with spare entries the run took
 * when it was noted, so settling never fails and every other operation,
 * the region query included, sees the table it always saw. Runs are a
 * fast path, never a second source of truth.
 */
#include "internal.h"

#include "arena.h"

enum { SLOTS = 64 };

struct run {
    struct pk_entry *entry; /* NULL: the slot is free */
    uintptr_t start, end;
    uint8_t protection;
};

static struct run runs[SLOTS];
unsigned int pk_runs_pending;

/* Spare entries: two for each pending run, kept when a run is dropped so
 * that a page made read-only and back takes none from the arena. */
static struct pk_entry *spares[2 * SLOTS];
static unsigned int spare_count;

static struct run *run_of(const struct pk_entry *entry)
{
    return entry->run != 0 ? &runs[entry->run - 1] : NULL;
}

static struct run *free_slot(void)
{
    for (struct run *run = runs; run < runs + SLOTS; run++)
        if (run->entry == NULL)
            return run;
    return NULL;
}

bool pk_run_prepare(struct pk_entry *entry, uintptr_t start, uintptr_t end, unsigned int *current)
{
    const struct run *run = run_of(entry);
    if (run != NULL) {
        *current = run->protection;
        return run->start == start && run->end == end;
    }
    if (entry->start == start || entry->end == end || pk_runs_pending == SLOTS)
        return false;
    while (spare_count < 2 * (pk_runs_pending + 1)) {
        struct pk_entry *spare = pk_arena_alloc(sizeof *spare);
        if (spare == NULL)
            return false;
        spares[spare_count++] = spare;
    }
    *current = entry->protection;
    return true;
}

void pk_run_record(struct pk_entry *entry, uintptr_t start, uintptr_t end, unsigned int protection)
{
    struct run *run = run_of(entry);
    if (run == NULL && protection != entry->protection) {
        run = free_slot();
        *run = (struct run){entry, start, end, (uint8_t)protection};
        entry->run = (uint8_t)(run - runs + 1);
        pk_runs_pending++;
    } else if (run != NULL && protection == entry->protection) {
        run->entry = NULL;
        entry->run = 0;
        pk_runs_pending--;
    } else if (run != NULL) {
        run->protection = (uint8_t)protection;
    }
}

void pk_runs_settle(void)
{
    /* The splits below are table calls too: no run may be left for them
     * to settle again. */
    unsigned int pending = pk_runs_pending;
    pk_runs_pending = 0;
    for (struct run *run = runs; pending > 0; run++) {
        struct pk_entry *entry = run->entry;
        if (entry == NULL)
            continue;
        pending--;
        run->entry = NULL;
        entry->run = 0;
        struct pk_spares taken = {.count = 2, .entry = {spares[spare_count - 1], spares[spare_count - 2]}};
        spare_count -= 2;
        struct pk_entry *middle = pk_table_split(entry, run->start, &taken);
        pk_table_split(middle, run->end, &taken);
        middle->protection = run->protection;
    }
}
