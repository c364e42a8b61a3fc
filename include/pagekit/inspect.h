// SPDX-License-Identifier: Apache-2.0
/*
 * inspect.h - another process's memory as PageKit and the kernel know it:
 * what vmmap shows on macOS, for `pagekit vmmap` and any tool that embeds
 * it.
 *
 * The kernel gives every mapping with its sizes (/proc/PID/smaps); a
 * process that uses PageKit also publishes its region table (tags, names,
 * maximum protections, purgeable states) in its own memory, which
 * pk_inspect copies with process_vm_readv. Both need the right to read the
 * process's memory (the ptrace "read" check, as for /proc/PID/mem), so
 * nobody else learns anything, and both work on kernels that cannot name
 * anonymous memory.
 */
#ifndef PAGEKIT_INSPECT_H
#define PAGEKIT_INSPECT_H

#include "pagekit.h"

/* Nullability is a clang extension, which -pedantic would refuse. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-extension"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* One row: a kernel mapping, or the part of one that a single PageKit
 * entry covers. */
struct pk_process_region {
    uint64_t start;
    uint64_t size;
    unsigned int protection;
    unsigned int max_protection; /* VM_PROT_ALL where PageKit did not map it */
    unsigned int inheritance;
    unsigned int tag;            /* 0 where PageKit did not map it */
    int purgeable_state;         /* PK_PURGEABLE_*, or -1 when not purgeable */
    unsigned int flags;          /* PK_REGION_*: OWNED, INTERNAL, SHARED, ... */
    /* Bytes, from /proc/PID/smaps; a mapping cut into several rows has its
     * resident and swapped bytes counted per page (/proc/PID/pagemap) and
     * its dirty and lazily freed bytes shared out by resident pages. */
    uint64_t resident;
    uint64_t dirty;
    uint64_t swapped;
    uint64_t lazy_free;
    /* PageKit's name for it (its own, else its tag's), or "". */
    char name[PK_NAME_MAX + 1];
    /* What the kernel shows: a path, [heap], [stack], [anon:NAME], or "". */
    char mapping[256];
};

struct pk_process_report {
    int pid;
    size_t page_size;
    /* The process uses PageKit and its table was read. */
    bool pagekit;
    size_t count;
    struct pk_process_region *PK_NULLABLE regions;
    /* The whole process, as /proc/PID/smaps_rollup adds it up. */
    uint64_t virtual_size, resident, dirty, swapped, lazy_free;
    /* What the process costs in memory, like macOS's phys_footprint:
     * private dirty bytes plus swapped bytes. Lazily freed pages (volatile
     * purgeable memory among them) are clean, and not counted. */
    uint64_t footprint;
};

/**
 * Reads another process's (or this one's) regions into a new report, which
 * pk_inspect_free releases.
 *
 * Errors: EINVAL (pid not positive), ESRCH (no such process, or it exited
 * while being read), EACCES (no right to read its memory), EAGAIN (its
 * table kept changing faster than it could be copied), ENOMEM.
 */
PK_EXPORT PK_WARN_UNUSED int pk_inspect(int pid, struct pk_process_report *PK_NULLABLE *PK_NONNULL report);

PK_EXPORT void pk_inspect_free(struct pk_process_report *PK_NULLABLE report);

/** XNU's name for a VM_MEMORY_* tag ("MALLOC_TINY", "application specific 3"), or NULL. */
PK_EXPORT const char *PK_NULLABLE pk_tag_kind(unsigned int tag);

#ifdef __cplusplus
}
#endif

#if defined(__clang__)
#pragma clang diagnostic pop
#endif

#endif /* PAGEKIT_INSPECT_H */
