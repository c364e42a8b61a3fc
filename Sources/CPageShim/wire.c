// SPDX-License-Identifier: Apache-2.0
/*
 * wire.c - pk_wire (mach_vm_wire): wiring is mlock, counted as XNU counts
 * user wirings.
 *
 * Linux locks pages or does not; XNU counts: two wirings need two
 * unwirings. PageKit keeps the count in each entry (reported as
 * user_wired_count), locks a range when its count leaves 0 and unlocks it
 * when the count comes back to 0. Memory PageKit did not map has no entry
 * to count in: it is locked and unlocked as asked.
 *
 * Before it locks anything PageKit checks the range as XNU does (a hole,
 * PageKit's own memory counting as one, gives ENOMEM, a page without the
 * access EACCES, the first in address order), and that RLIMIT_MEMLOCK
 * leaves room (EAGAIN), so a failed call changes nothing. One case is
 * beyond it: should the kernel refuse the lock anyway, memory PageKit did
 * not map, which Linux does not say was locked before, stays as mlock
 * left it.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "segments.h"

/* XNU's MAX_WIRE_COUNT. */
#define MAX_WIRINGS UINT16_MAX
/* The access bits XNU accepts: VM_PROT_ALL and VM_PROT_ALLEXEC, which on
 * x86-64 has user-mode execute (0x8). */
#if defined(__x86_64__)
#define ACCEPTED_ACCESS 0xFu
#else
#define ACCEPTED_ACCESS PK_PROT_ALL
#endif
#define CAP_IPC_LOCK_BIT 14

/* Whether bytes more can be locked: RLIMIT_MEMLOCK against what the
 * process has locked (VmLck), unless it may lock without limit. */
static bool room_to_lock(size_t bytes)
{
    struct rlimit limit;
    if (bytes == 0 || getrlimit(RLIMIT_MEMLOCK, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return true;
    FILE *status = fopen("/proc/self/status", "re");
    if (status == NULL)
        return true; /* mlock itself will say */
    char line[256];
    unsigned long long locked_kib = 0, capabilities = 0;
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "VmLck:", 6) == 0)
            sscanf(line + 6, "%llu", &locked_kib);
        else if (strncmp(line, "CapEff:", 7) == 0)
            sscanf(line + 7, "%llx", &capabilities);
    }
    fclose(status);
    if (capabilities & (1ULL << CAP_IPC_LOCK_BIT))
        return true;
    return locked_kib * 1024 + bytes <= limit.rlim_cur;
}

/* The bytes of [start, end) that wiring would newly lock: those of
 * entries not wired yet, and all memory PageKit did not map. Or the
 * first problem: ENOMEM, EACCES, or EOVERFLOW (XNU's KERN_FAILURE at the
 * most wirings an entry can count). */
static int check_wiring(uintptr_t start, uintptr_t end, unsigned int access, size_t *to_lock)
{
    struct pk_segments segments;
    int collected = pk_segments_collect(start, end, &segments), error = 0;
    *to_lock = 0;
    for (size_t i = 0; i < segments.count && error == 0; i++) {
        const struct pk_segment *segment = &segments.items[i];
        const struct pk_entry *entry = segment->entry;
        if (entry != NULL && (entry->flags & PK_ENTRY_INTERNAL))
            error = -ENOMEM;
        else if ((segment->protection & access) != access)
            error = -EACCES;
        else if (entry != NULL && entry->wired == MAX_WIRINGS)
            error = -EOVERFLOW;
        else if (entry == NULL || entry->wired == 0)
            *to_lock += segment->end - segment->start;
    }
    pk_segments_free(&segments);
    return error != 0 ? error : collected != 0 ? -ENOMEM : 0;
}

/* The count of every entry in [start, end) moves by delta; entries that
 * are not wired stay at 0 when unwired, as on XNU. */
static void count_wirings(uintptr_t start, uintptr_t end, int delta, struct pk_spares *spares)
{
    pk_table_clip(start, end, spares);
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        if (entry->flags & PK_ENTRY_INTERNAL)
            continue;
        if (delta > 0)
            entry->wired++;
        else if (entry->wired > 0 && --entry->wired == 0)
            pk_sys_munlock(entry->start, entry->end - entry->start);
    }
    pk_table_coalesce(start, end);
}

static int wire(uintptr_t start, uintptr_t end, unsigned int access)
{
    size_t to_lock;
    int error = check_wiring(start, end, access, &to_lock);
    if (error)
        return error;
    if (!room_to_lock(to_lock))
        return -EAGAIN;
    struct pk_spares spares;
    if ((error = pk_spares_reserve(&spares, 2)) != 0)
        return error;
    /* Locking what is locked already changes nothing on Linux. */
    error = pk_sys_mlock(start, end - start);
    if (error) {
        /* Undo what this call locked: the entries no wiring held. */
        for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
             entry = pk_table_next(entry)) {
            uintptr_t from = entry->start > start ? entry->start : start, to = entry->end < end ? entry->end : end;
            if (entry->wired == 0 && !(entry->flags & PK_ENTRY_INTERNAL))
                pk_sys_munlock(from, to - from);
        }
        pk_spares_release(&spares);
        return error == -ENOMEM || error == -EPERM ? -EAGAIN : error;
    }
    count_wirings(start, end, +1, &spares);
    pk_spares_release(&spares);
    return 0;
}

/* Unwiring passes over holes, and over memory that is not wired, but not
 * an unmapped start. Memory PageKit did not map is unlocked. */
static int unwire(uintptr_t start, uintptr_t end)
{
    struct pk_kernel_mapping first;
    struct pk_entry *owner = pk_table_lookup(start);
    if (owner != NULL ? (owner->flags & PK_ENTRY_INTERNAL) != 0
                      : pk_kernel_mapping(start, &first) != 0 || first.start > start)
        return -ENOMEM;
    /* The entries first: without them nothing is unlocked. */
    struct pk_spares spares;
    int error = pk_spares_reserve(&spares, 2);
    if (error)
        return error;
    for (uintptr_t at = start; at < end;) {
        struct pk_kernel_mapping mapping;
        if (pk_kernel_mapping(at, &mapping) != 0 || mapping.start >= end)
            break;
        uintptr_t from = mapping.start > at ? mapping.start : at, to = mapping.end < end ? mapping.end : end;
        /* The kernel may have merged a stranger's pages with PageKit's:
         * only the parts no entry covers are the stranger's. */
        for (struct pk_entry *entry = pk_table_ceiling(from); from < to; entry = pk_table_next(entry)) {
            uintptr_t gap_end = entry != NULL && entry->start < to ? entry->start : to;
            if (gap_end > from)
                pk_sys_munlock(from, gap_end - from);
            if (entry == NULL || entry->start >= to)
                break;
            from = entry->end;
        }
        at = to;
    }
    count_wirings(start, end, -1, &spares);
    pk_spares_release(&spares);
    return 0;
}

int pk_wire(uintptr_t address, size_t size, unsigned int access)
{
    if (size == 0)
        return 0;
    if (access & ~ACCEPTED_ACCESS)
        return -EINVAL;
    uintptr_t start, end;
    if (pk_page_range(address, size, &start, &end) != 0)
        return -EINVAL;
    if (end > pk_max_address())
        return -ENOMEM;
    int error = pk_table_lock();
    if (error)
        return error;
    pk_table_verify(start, end);
    error = access == PK_PROT_NONE ? unwire(start, end) : wire(start, end, access);
    pk_table_unlock();
    return error;
}
