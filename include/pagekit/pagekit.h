// SPDX-License-Identifier: Apache-2.0
/*
 * pagekit.h - PageKit's native C API: Mach-style page-level memory control on
 * Linux.
 *
 * Every function that can fail returns 0 on success or a negative errno, and
 * never reads or writes the global errno. The errno is the one Linux itself
 * uses for the same situation:
 *
 *   EINVAL      a bad argument
 *   EEXIST      a fixed range is occupied (as MAP_FIXED_NOREPLACE)
 *   ENOMEM      a range is not mapped (as mprotect), or no address space is
 *               left (as mmap)
 *   EACCES      a protection above the maximum (as mprotect on a read-only
 *               file mapping)
 *   EPERM       sealed memory
 *   EAGAIN      a resource limit
 *   EOPNOTSUPP  the running kernel lacks the feature
 *   EDEADLK     called from a signal handler that interrupted a PageKit
 *               call on the same thread (which holds the table lock):
 *               nothing was done, and waiting would never end
 *
 * pk_kern_return() turns (operation, errno) into the Mach kern_return_t that
 * include/pagekit/mach.h returns. The flag, protection and state values below
 * are XNU's, so Mach code and native code can share constants.
 */
#ifndef PAGEKIT_PAGEKIT_H
#define PAGEKIT_PAGEKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define PK_EXPORT __attribute__((visibility("default")))
#define PK_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define PK_EXPORT
#define PK_WARN_UNUSED
#endif

#if defined(__clang__)
#define PK_NONNULL _Nonnull
#define PK_NULLABLE _Nullable
#else
#define PK_NONNULL
#define PK_NULLABLE
#endif

/* Nullability is a clang extension, which -pedantic would refuse. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-extension"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* PageKit's version: the one place the number is set. */
#define PAGEKIT_VERSION_MAJOR 0
#define PAGEKIT_VERSION_MINOR 1
#define PAGEKIT_VERSION_PATCH 0
#define PAGEKIT_VERSION_STRING "0.1.0"
#define PAGEKIT_VERSION ((PAGEKIT_VERSION_MAJOR << 16) | (PAGEKIT_VERSION_MINOR << 8) | PAGEKIT_VERSION_PATCH)

/* Protections: the same bits as VM_PROT_* and PROT_*. */
#define PK_PROT_NONE 0x0u
#define PK_PROT_READ 0x1u
#define PK_PROT_WRITE 0x2u
#define PK_PROT_EXECUTE 0x4u
#define PK_PROT_DEFAULT 0x3u /* READ | WRITE */
#define PK_PROT_ALL 0x7u /* READ | WRITE | EXECUTE */
/* On private memory, lets pk_protect() add WRITE to the maximum first; on
 * shared pages the maximum stays (no private copy is made there). */
#define PK_PROT_COPY 0x10u

/* Allocation flags: XNU's VM_FLAGS_* values. */
#define PK_ALLOC_FIXED 0x0u
#define PK_ALLOC_ANYWHERE 0x1u
#define PK_ALLOC_PURGEABLE 0x2u
#define PK_ALLOC_4GB_CHUNK 0x4u      /* accepted and recorded */
#define PK_ALLOC_RANDOM_ADDR 0x8u
#define PK_ALLOC_NO_CACHE 0x10u      /* recorded; pages start cold */
#define PK_ALLOC_PERMANENT 0x80u     /* never unmapped, only made inaccessible */
#define PK_ALLOC_TPRO 0x1000u        /* accepted bit, refused with EINVAL */
#define PK_ALLOC_OVERWRITE 0x4000u   /* with FIXED: replace what is there */
#define PK_ALLOC_SUPERPAGE_MASK 0x70000u
#define PK_ALLOC_SUPERPAGE_ANY 0x10000u  /* transparent huge pages, a hint */
#define PK_ALLOC_SUPERPAGE_2MB 0x20000u  /* 2 MiB aligned, THP, size multiple of 2 MiB */
#define PK_ALLOC_TAG_MASK 0xFF000000u
#define PK_ALLOC_TAG(tag) ((unsigned int)(tag) << 24)
/* Every bit pk_allocate() accepts; any other bit gives EINVAL. */
#define PK_ALLOC_ACCEPTED 0xFF07509Fu

/* Inheritance: XNU's VM_INHERIT_* values. New memory is PK_INHERIT_COPY. */
#define PK_INHERIT_SHARE 0u
#define PK_INHERIT_COPY 1u
#define PK_INHERIT_NONE 2u

/* Purgeable controls and states: XNU's VM_PURGABLE_* values. */
#define PK_PURGEABLE_SET_STATE 0
#define PK_PURGEABLE_GET_STATE 1
#define PK_PURGEABLE_PURGE_ALL 2
#define PK_PURGEABLE_NONVOLATILE 0
#define PK_PURGEABLE_VOLATILE 1
#define PK_PURGEABLE_EMPTY 2
#define PK_PURGEABLE_DENY 3
#define PK_PURGEABLE_STATE_MASK 0x3
/* Every bit SET_STATE accepts (state, volatile group, behaviour, ordering,
 * debug and no-aging fields). The state takes effect; the queue and group
 * a volatile object would wait in on Mach are recorded and reported
 * (pk_purgeable_info) but do not order purging, which the kernel does;
 * DEBUG_EMPTY makes every later volatile request empty the object, as on
 * XNU; no-aging and DEBUG_FAULT have no effect. */
#define PK_PURGEABLE_ACCEPTED 0x13773
#define PK_PURGEABLE_ORDERING_OBSOLETE 0x20
#define PK_PURGEABLE_BEHAVIOR_LIFO 0x40
#define PK_PURGEABLE_GROUP_SHIFT 8
#define PK_PURGEABLE_GROUP_MASK 0x700
#define PK_PURGEABLE_DEBUG_EMPTY 0x1000

/* Tags 240 to 255 are for applications (VM_MEMORY_APPLICATION_SPECIFIC_1..16). */
#define PK_TAG_APPLICATION_SPECIFIC_1 240u
#define PK_TAG_APPLICATION_SPECIFIC_16 255u

/* Names shown as [anon:NAME]: at most this many bytes, printable ASCII
 * without \ ` $ [ ]. */
#define PK_NAME_MAX 79

/* The name a tagged region gets in /proc/PID/maps when it has no name of its
 * own and its tag has none either: "pagekit-tag-" followed by the tag in
 * decimal, for example "pagekit-tag-240". */
#define PK_TAG_DEFAULT_NAME_PREFIX "pagekit-tag-"

/**
 * The version of the library that is running, as PAGEKIT_VERSION encodes
 * it: compare it with the PAGEKIT_VERSION a program was built with.
 */
PK_EXPORT unsigned int pk_version(void);

/** The page size P, in bytes. */
PK_EXPORT size_t pk_page_size(void);

/**
 * Maps new zero-filled pages: current protection READ|WRITE, maximum ALL,
 * inheritance COPY (vm_allocate).
 *
 * With PK_ALLOC_ANYWHERE the kernel picks the address and *address is
 * ignored on input. Otherwise the range is [trunc(*address),
 * trunc(*address) + round(size)) and must be free: an occupied range gives
 * EEXIST and the mapping there is untouched. PK_ALLOC_OVERWRITE replaces what
 * is there in one step. size 0 succeeds with *address set to 0.
 *
 * name, if not NULL, is given to the new region as pk_name() would.
 * On failure *address is unchanged.
 *
 * Errors: EINVAL (unknown flag, TPRO, size wrapping, bad superpage request,
 * bad name), EEXIST (fixed range occupied), ENOMEM (no room; for a fixed
 * range, outside the usable address range), EPERM (overwrite of sealed
 * memory).
 */
PK_EXPORT PK_WARN_UNUSED int pk_allocate(uintptr_t *PK_NONNULL address, size_t size, unsigned int flags,
                                         const char *PK_NULLABLE name);

/**
 * Removes the pages of [trunc(address), round(address + size))
 * (vm_deallocate). Holes, and memory PageKit did not map, are removed too.
 * Permanent memory stays mapped with current and maximum protection NONE.
 * A range reaching outside the usable address range removes nothing and
 * succeeds, as on Mach.
 *
 * Errors: EINVAL (address + size overflows), EPERM (sealed memory in the
 * range; nothing is removed). Not marked warn_unused_result: a cleanup
 * that cannot act on a failure may ignore it, with (void) or without.
 */
PK_EXPORT int pk_deallocate(uintptr_t address, size_t size);

/**
 * Sets the current protection of [trunc(address), round(address + size)),
 * or with set_maximum its maximum protection (vm_protect).
 *
 * With set_maximum the maximum becomes prot and the current protection is
 * intersected with it. Either way prot must lie within the maximum of every
 * entry in the range, so a maximum can never be raised. PK_PROT_COPY adds
 * WRITE to the maximum of private memory first.
 *
 * Errors: EINVAL (unknown protection bits, overflow), ENOMEM (a hole in the
 * range), EACCES (above the maximum), EPERM (sealed memory).
 * Nothing changes on failure.
 */
PK_EXPORT PK_WARN_UNUSED int pk_protect(uintptr_t address, size_t size, bool set_maximum, unsigned int prot);

/**
 * Controls the purgeable object at address (vm_purgable_control).
 *
 * PK_PURGEABLE_SET_STATE sets the whole allocation's state to
 * (*state & PK_PURGEABLE_STATE_MASK) and writes the old state to *state;
 * PK_PURGEABLE_GET_STATE writes the state; PK_PURGEABLE_PURGE_ALL empties
 * every volatile object of the process, whatever the address.
 * An object whose pages the kernel reclaimed while it was volatile is EMPTY,
 * and reads as zeros once made nonvolatile again.
 *
 * Errors: EINVAL (bad control, state or state bits; not a purgeable
 * allocation), ENOMEM (address not mapped), EACCES (SET_STATE on memory
 * without WRITE).
 */
PK_EXPORT PK_WARN_UNUSED int pk_purgeable_control(uintptr_t address, int control, int *PK_NONNULL state);

/**
 * Makes the kernel reclaim the pages of [address, address + size) now, with
 * MADV_PAGEOUT, as memory pressure would. Meant for tests and demonstrations
 * of purge detection: volatile pages are dropped, other pages may be swapped.
 *
 * Errors: ENOMEM (not mapped), EINVAL (overflow), EOPNOTSUPP (no
 * MADV_PAGEOUT in this kernel).
 */
PK_EXPORT PK_WARN_UNUSED int pk_purge_now(uintptr_t address, size_t size);

/**
 * Names the PageKit regions in [trunc(address), round(address + size)), so
 * they show as [anon:NAME] in /proc/PID/maps where the kernel can name
 * anonymous memory. NULL removes the name. Where the kernel cannot, the name
 * is kept in the region table only and the call still succeeds;
 * pk_features() says which.
 *
 * Errors: EINVAL (name too long or with a forbidden character; overflow;
 * memory PageKit did not map), ENOMEM (a hole in the range).
 */
PK_EXPORT PK_WARN_UNUSED int pk_name(uintptr_t address, size_t size, const char *PK_NULLABLE name);

/**
 * Gives every region with this tag, now and later, the name used for it in
 * /proc/PID/maps when the region has no name of its own. NULL restores the
 * default name (PK_TAG_DEFAULT_NAME_PREFIX and the number).
 *
 * Errors: EINVAL (tag above 255, tag 0, bad name).
 */
PK_EXPORT PK_WARN_UNUSED int pk_tag_name(unsigned int tag, const char *PK_NULLABLE name);

/** Checks a region name against the rules above: 0 or -EINVAL. */
PK_EXPORT PK_WARN_UNUSED int pk_name_check(const char *PK_NONNULL name);

/* pk_region_info.flags */
#define PK_REGION_OWNED 0x1u      /* made by PageKit (else: from the kernel) */
#define PK_REGION_PURGEABLE 0x2u  /* part of a purgeable object */
#define PK_REGION_PERMANENT 0x4u
#define PK_REGION_SEALED 0x8u     /* mseal'd by pk_freeze */
#define PK_REGION_SHARED 0x10u    /* a shared mapping: PageKit's shared pages, or foreign */
#define PK_REGION_NO_CACHE 0x20u
#define PK_REGION_4GB_CHUNK 0x40u
#define PK_REGION_SUPERPAGE 0x80u
#define PK_REGION_NAME_IN_KERNEL 0x100u /* the name shows in /proc/PID/maps */
/* PageKit's own bookkeeping (named "pagekit"). No call changes it: to
 * them it is a hole that never fills. Allocating over it gives EEXIST,
 * deallocating leaves it mapped, and protecting, freezing, naming,
 * populating or purgeable control there give ENOMEM. */
#define PK_REGION_INTERNAL 0x200u

struct pk_region_info {
    uintptr_t start;
    size_t size;
    unsigned int protection;
    unsigned int max_protection;
    unsigned int inheritance;
    unsigned int tag;
    /* PK_PURGEABLE_* state, or -1 when not purgeable. */
    int purgeable_state;
    unsigned int flags;
    /* How many times pk_wire wired it and has not unwired it (0 for
     * memory PageKit did not map). */
    unsigned int user_wired_count;
    /* PK_BEHAVIOR_DEFAULT, RANDOM, SEQUENTIAL or RSEQNTL, as pk_behavior_set
     * recorded it (DEFAULT for memory PageKit did not map). */
    unsigned int behavior;
    /* The region's name (its own, else its tag's), or "" when it has none;
     * for foreign mappings the kernel's name ("[heap]", a path). */
    char name[256];
};

/**
 * Describes the region containing *address or, if none does, the next one
 * above it, and moves *address to its start (mach_vm_region). Mappings
 * PageKit did not make are reported from the kernel (PROCMAP_QUERY, else
 * /proc/self/maps) with maximum protection ALL.
 *
 * Errors: ENOMEM (no region at or above *address).
 */
PK_EXPORT PK_WARN_UNUSED int pk_region(uintptr_t *PK_NONNULL address, struct pk_region_info *PK_NONNULL info);

/**
 * Counts the resident pages of [address, address + size) with mincore.
 *
 * Errors: ENOMEM (part of the range not mapped), EINVAL (overflow or
 * unaligned address).
 */
PK_EXPORT PK_WARN_UNUSED int pk_resident_pages(uintptr_t address, size_t size, size_t *PK_NONNULL count);

/**
 * The protections every PageKit entry in [trunc(address),
 * round(address + size)) shares: the intersection of their current
 * protections in *current and of their maximum protections in *maximum.
 * Cheaper than pk_region(): it never looks at page contents.
 *
 * Errors: EINVAL (overflow, size 0), ENOMEM (a hole, or memory PageKit did
 * not map).
 */
PK_EXPORT PK_WARN_UNUSED int pk_protection(uintptr_t address, size_t size, unsigned int *PK_NONNULL current,
                                           unsigned int *PK_NONNULL maximum);

/**
 * Faults in the pages of [trunc(address), round(address + size)) now,
 * writable, with MADV_POPULATE_WRITE (or, on kernels without it, by touching
 * each page). Meant for fresh memory that must not fault later.
 *
 * Errors: EINVAL (overflow), ENOMEM (a hole, or memory PageKit did not
 * map), EACCES (not writable), EAGAIN or EHWPOISON from the kernel.
 */
PK_EXPORT PK_WARN_UNUSED int pk_populate(uintptr_t address, size_t size);

/* pk_freeze() flags */
#define PK_FREEZE_SEALED 0x1u

/**
 * Freezes [trunc(address), round(address + size)): current and maximum
 * protection become READ, so no PageKit call can make it writable again.
 * With PK_FREEZE_SEALED the pages are also mseal'd: even raw mprotect,
 * munmap and mmap(MAP_FIXED) on them fail with EPERM until the process exits.
 *
 * Errors: EINVAL (unknown flags, overflow), ENOMEM (a hole, or memory PageKit
 * did not map), EACCES (READ above the maximum), EOPNOTSUPP (sealing asked
 * for and no mseal in this kernel). Nothing changes on failure.
 */
PK_EXPORT PK_WARN_UNUSED int pk_freeze(uintptr_t address, size_t size, unsigned int flags);

/* Kernel features, as bits of pk_features(). */
#define PK_FEATURE_ANON_VMA_NAME 0x1u  /* PR_SET_VMA_ANON_NAME */
#define PK_FEATURE_MADV_FREE 0x2u
#define PK_FEATURE_MADV_PAGEOUT 0x4u
#define PK_FEATURE_MADV_POPULATE 0x8u  /* MADV_POPULATE_READ and _WRITE */
#define PK_FEATURE_MSEAL 0x10u
#define PK_FEATURE_GUARD_REGIONS 0x20u /* MADV_GUARD_INSTALL */
#define PK_FEATURE_MEMFD_SECRET 0x40u
#define PK_FEATURE_PROCMAP_QUERY 0x80u
#define PK_FEATURE_UFFD_WP 0x100u      /* userfaultfd write-protection of unpopulated memory */
#define PK_FEATURE_COUNT 9

/** The features of the running kernel, probed once, thread-safely. */
PK_EXPORT unsigned int pk_features(void);

/**
 * For one feature bit: 0 if the kernel has it, else the negative errno the
 * probe got (-EOPNOTSUPP where the kernel only said it cannot).
 */
PK_EXPORT int pk_feature_status(unsigned int feature);

/** The short name of one feature bit ("anon_vma_name"), or NULL. */
PK_EXPORT const char *PK_NULLABLE pk_feature_name(unsigned int feature);

/* Operations, for pk_kern_return(). */
/*
 * Moving bytes (mach_vm_copy, mach_vm_read_overwrite, mach_vm_read,
 * mach_vm_write), checked before anything moves, as XNU checks them: the
 * source must be readable and the destination writable, page by page, the
 * source first. A hole (PageKit's own memory counting as one), a range
 * that wraps or leaves the address space, or in a transfer of at most 16
 * KiB (32 KiB off x86-64) any page without the access: -EFAULT
 * (KERN_INVALID_ADDRESS). In a larger one, a page without the access
 * before any hole: -EACCES (KERN_PROTECTION_FAILURE). Size 0 succeeds and
 * looks at nothing. Overlapping ranges copy as memmove does. The bytes move
 * in the kernel: a page taken away meanwhile gives -EFAULT, never a
 * signal (and the destination may then hold part of the data).
 *
 * pk_copy copies size bytes from source to destination. pk_read copies
 * them into new memory (pk_allocate anywhere, freed with pk_deallocate):
 * at the start of its first page for at most 16 KiB (32 KiB), else at the
 * source's offset in its page, zeros around; *data is set on success
 * only. pk_write copies size bytes of data to address; data that cannot be
 * read gives -EBADMSG (MACH_SEND_INVALID_MEMORY), before the destination
 * is looked at.
 */
/*
 * Wires [trunc(address), round(address + size)) for access (mach_vm_wire:
 * mlock), or unwires it when access is PK_PROT_NONE. Wirings are counted,
 * as XNU counts them: a range is locked while any wiring holds it.
 * Size 0 succeeds before anything is checked.
 *
 * Errors: EINVAL (access bits beyond XNU's, a range that wraps), ENOMEM
 * (a hole, PageKit's own memory counting as one; unwiring: an unmapped
 * start, later holes are passed over), EACCES (a page without the access,
 * before any hole), EAGAIN (RLIMIT_MEMLOCK leaves no room, or the kernel
 * cannot lock the pages), EOVERFLOW (an entry wired 65535 times).
 */
PK_EXPORT int pk_wire(uintptr_t address, size_t size, unsigned int access);

/* Mach's behaviours (XNU's VM_BEHAVIOR_* values). */
#define PK_BEHAVIOR_DEFAULT 0u
#define PK_BEHAVIOR_RANDOM 1u
#define PK_BEHAVIOR_SEQUENTIAL 2u
#define PK_BEHAVIOR_RSEQNTL 3u
#define PK_BEHAVIOR_WILLNEED 4u
#define PK_BEHAVIOR_DONTNEED 5u
#define PK_BEHAVIOR_FREE 6u
#define PK_BEHAVIOR_ZERO_WIRED_PAGES 7u
#define PK_BEHAVIOR_REUSABLE 8u
#define PK_BEHAVIOR_REUSE 9u
#define PK_BEHAVIOR_CAN_REUSE 10u
#define PK_BEHAVIOR_PAGEOUT 11u
#define PK_BEHAVIOR_ZERO 12u
#define PK_BEHAVIOR_LAST_VALID PK_BEHAVIOR_ZERO

/*
 * Advice on [trunc(address), round(address + size)) with Mach's meanings
 * (mach_vm_behavior_set): DEFAULT, RANDOM, SEQUENTIAL and RSEQNTL are
 * recorded (region reports give them back) and passed on to madvise;
 * WILLNEED reads ahead; DONTNEED ages the pages and keeps their data;
 * FREE and REUSABLE let the kernel take them; REUSE and CAN_REUSE undo
 * that; ZERO_WIRED_PAGES is accepted; PAGEOUT pages out (MADV_PAGEOUT);
 * ZERO makes the pages read as zeros. The value is checked first, then
 * size 0 succeeds.
 *
 * Errors: EINVAL (a value above PK_BEHAVIOR_LAST_VALID, a range that
 * wraps), ENOSPC (outside the usable address range), ENOMEM (a hole,
 * PageKit's own memory counting as one), EACCES (ZERO_WIRED_PAGES or ZERO
 * on a page without WRITE, ZERO on an executable page), EAGAIN (the kernel
 * could not act).
 */
PK_EXPORT int pk_behavior_set(uintptr_t address, size_t size, unsigned int behavior);

/* Mach's sync flags (XNU's VM_SYNC_* values). */
#define PK_SYNC_ASYNCHRONOUS 0x01u
#define PK_SYNC_SYNCHRONOUS 0x02u
#define PK_SYNC_INVALIDATE 0x04u
#define PK_SYNC_KILLPAGES 0x08u
#define PK_SYNC_DEACTIVATE 0x10u
#define PK_SYNC_CONTIGUOUS 0x20u
#define PK_SYNC_REUSABLEPAGES 0x40u

/*
 * mach_vm_msync on each mapped part of [trunc(address), round(address +
 * size)): SYNCHRONOUS and ASYNCHRONOUS write file pages back, INVALIDATE
 * drops cached copies, KILLPAGES discards the pages (and stops at the
 * first hole), DEACTIVATE ages them, REUSABLEPAGES lets the kernel take
 * them. Holes are passed over unless CONTIGUOUS is set. Size 0 succeeds
 * first; unknown bits are ignored, as on XNU.
 *
 * Errors: EINVAL (SYNCHRONOUS with ASYNCHRONOUS), EFAULT (a range that
 * wraps), ENOMEM (CONTIGUOUS and a hole, PageKit's own memory counting as
 * one: nothing was done), EAGAIN (the kernel could not act), EIO (writing
 * back failed).
 */
PK_EXPORT int pk_msync(uintptr_t address, size_t size, unsigned int flags);

/* Mach's machine attributes (XNU's MATTR_* values). */
#define PK_MATTR_CACHE 1u
#define PK_MATTR_MIGRATE 2u
#define PK_MATTR_REPLICATE 4u

/*
 * mach_vm_machine_attribute: only PK_MATTR_CACHE is known, as on XNU, and
 * it does what XNU does on this machine: on x86-64, whose caches need no
 * help, any page of the range in memory gives EFAULT (XNU has no cache
 * operation there and says KERN_INVALID_ADDRESS); elsewhere the
 * instruction cache is made to see the range's data. *value is not read.
 *
 * Errors: EINVAL (a range that wraps), EFAULT (outside the usable address
 * range, another attribute, or the x86-64 case above), ENXIO (a hole in
 * the range, PageKit's own memory counting as one: KERN_FAILURE).
 */
PK_EXPORT int pk_cache_attribute(uintptr_t address, size_t size, unsigned int attribute, int *PK_NULLABLE value);

/* What a page is (XNU's VM_PAGE_QUERY_* bits). */
#define PK_PAGE_PRESENT 0x1
#define PK_PAGE_REF 0x4
#define PK_PAGE_DIRTY 0x8
#define PK_PAGE_PAGED_OUT 0x10
#define PK_PAGE_EXTERNAL 0x80

struct pk_page_info {
    int disposition; /* PK_PAGE_* bits; 0 for a page nothing maps */
    int ref_count;   /* 0 unmapped, 1 private; shared pages: their views */
    uint64_t offset; /* in the page's object (shared pages' memfd) */
};

/*
 * The page at address (mach_vm_page_info, mach_vm_page_query), from
 * /proc/self/pagemap: PRESENT and REF when it is in memory (Linux shows no
 * referenced bit: present counts as referenced), DIRTY when written (a
 * private page of the process's own, or shared anonymous pages), PAGED_OUT
 * when in swap, EXTERNAL for a file's page. An address nothing maps, or
 * PageKit's own memory, gives a zeroed answer, as XNU's does.
 *
 * Errors: EINVAL (info is NULL), EFAULT (the last page of the address
 * space: KERN_INVALID_ADDRESS).
 */
PK_EXPORT int pk_page_info(uintptr_t address, struct pk_page_info *PK_NULLABLE info);

/*
 * The dispositions of the pages of [trunc(address), round(address +
 * size)), into dispositions, at most *count of them; *count becomes how
 * many were written (mach_vm_page_range_query). Size 0 or *count 0
 * succeeds and leaves *count alone.
 *
 * Errors: EINVAL (count is NULL, the buffer or the range wraps), EFAULT
 * (the buffer cannot be written: *count then includes the part that
 * failed, and XNU returns the errno itself, 14).
 */
PK_EXPORT int pk_page_range_query(uintptr_t address, size_t size, int *PK_NULLABLE dispositions,
                                  size_t *PK_NULLABLE count);

/* How many pages of a range are in memory, written, and in swap, by the
 * rules of pk_page_info (Mach's pages_resident, pages_dirtied and
 * pages_swapped_out). Errors: EINVAL (counts is NULL, the range wraps). */
struct pk_page_counts {
    size_t resident, dirty, swapped;
};
PK_EXPORT int pk_page_counts(uintptr_t address, size_t size, struct pk_page_counts *PK_NULLABLE counts);

/* This process's volatile purgeable objects by the queue and group their
 * SET_STATE asked for, as Mach's task_purgable_info counts them: how many,
 * and their resident bytes. Objects the kernel has purged (EMPTY) are not
 * counted; the obsolete queue has group 0 only. Errors: EINVAL (info is
 * NULL). */
struct pk_purgeable_stat {
    uint64_t count, size;
};
struct pk_purgeable_info {
    struct pk_purgeable_stat fifo[8], obsolete, lifo[8];
};
PK_EXPORT int pk_purgeable_info(struct pk_purgeable_info *PK_NULLABLE info);

/* The process's memory as Mach's task_info(TASK_VM_INFO) describes it, in
 * bytes, from /proc/self/status and /proc/self/maps. */
struct pk_task_vm_info {
    uint64_t virtual_size;    /* VmSize */
    unsigned int region_count; /* kernel mappings */
    uint64_t resident_size, resident_size_peak; /* VmRSS, VmHWM */
    uint64_t internal, external; /* RssAnon + RssShmem, RssFile */
    uint64_t compressed;      /* VmSwap: Linux's swap stands for the compressor */
    uint64_t purgeable_volatile_virtual, purgeable_volatile_resident;
    /* internal + compressed, less volatile purgeable pages in memory, as
     * macOS leaves them out */
    uint64_t phys_footprint;
    uint64_t min_address, max_address;
};
/* Errors: EINVAL (info is NULL), or the errno of reading /proc. */
PK_EXPORT int pk_task_vm_info(struct pk_task_vm_info *PK_NULLABLE info);

/*
 * Other processes as Mach tasks (task_for_pid). pk_task_for_pid makes a
 * task port for process pid if Linux lets this process debug it (ptrace
 * access, checked once, here); read_only asks only to read
 * (task_read_for_pid). The port holds the process's memory and mappings
 * open, so a PID used again is never taken for it; once the process is
 * gone every call gives ESRCH. pk_task_release frees the name.
 *
 * pk_task_read copies size bytes at address in the task to buffer here;
 * pk_task_write copies data here to address there. Both check the ranges
 * as pk_copy does, the source first (EFAULT, EACCES; pk_task_write: data
 * that cannot be read EBADMSG, a read-only port EBADF), before anything
 * moves. pk_task_region describes the task's mapping at or above
 * *address as the kernel has it (maximum ALL); pk_task_page_range_query
 * and pk_task_page_counts are pk_page_range_query and pk_page_counts there.
 *
 * Errors of pk_task_for_pid: ESRCH (no such process, pid 0), EACCES (not
 * allowed to debug it), EMFILE (64 ports open), EINVAL (task is NULL).
 */
typedef uint32_t pk_task_t;
PK_EXPORT int pk_task_for_pid(int pid, bool read_only, pk_task_t *PK_NULLABLE task);
PK_EXPORT int pk_task_release(pk_task_t task);
PK_EXPORT bool pk_task_valid(pk_task_t task);
PK_EXPORT int pk_task_read(pk_task_t task, uintptr_t address, size_t size, void *PK_NULLABLE buffer);
/* pk_read from the task: new memory here, *data set on success only. */
PK_EXPORT int pk_task_read_new(pk_task_t task, uintptr_t address, size_t size, uintptr_t *PK_NULLABLE data);
/* The process a task port was made for. Errors: ESRCH (no such port). */
PK_EXPORT int pk_task_pid(pk_task_t task, int *PK_NULLABLE pid);
PK_EXPORT int pk_task_write(pk_task_t task, uintptr_t address, const void *PK_NULLABLE data, size_t size);
PK_EXPORT int pk_task_region(pk_task_t task, uintptr_t *PK_NULLABLE address, struct pk_region_info *PK_NULLABLE info);
PK_EXPORT int pk_task_page_range_query(pk_task_t task, uintptr_t address, size_t size, int *PK_NULLABLE dispositions,
                                       size_t *PK_NULLABLE count);
PK_EXPORT int pk_task_page_counts(pk_task_t task, uintptr_t address, size_t size,
                                  struct pk_page_counts *PK_NULLABLE counts);
/* pk_task_vm_info of the task (its volatile purgeable figures 0). */
PK_EXPORT int pk_task_vm_info_of(pk_task_t task, struct pk_task_vm_info *PK_NULLABLE info);

PK_EXPORT int pk_copy(uintptr_t source, size_t size, uintptr_t destination);
PK_EXPORT int pk_read(uintptr_t address, size_t size, uintptr_t *PK_NULLABLE data);
PK_EXPORT int pk_write(uintptr_t address, const void *PK_NULLABLE data, size_t size);

enum pk_operation {
    PK_OP_ALLOCATE = 1,       /* pk_allocate with PK_ALLOC_ANYWHERE */
    PK_OP_ALLOCATE_FIXED,     /* pk_allocate at a given address */
    PK_OP_DEALLOCATE,
    PK_OP_PROTECT,
    PK_OP_PURGEABLE_CONTROL,
    PK_OP_REGION,
    PK_OP_NAME,
    PK_OP_FREEZE,
    PK_OP_MEMORY_ENTRY,       /* pk_memory_entry_create */
    PK_OP_PORT,               /* pk_memory_entry_mod_refs */
    PK_OP_MAP,                /* pk_map anywhere */
    PK_OP_MAP_FIXED,          /* pk_map at a given address */
    PK_OP_REMAP,              /* pk_remap anywhere */
    PK_OP_REMAP_FIXED,        /* pk_remap at a given address */
    PK_OP_INHERIT,
    PK_OP_TRANSFER,           /* pk_copy, pk_read, pk_write */
    PK_OP_WIRE,               /* pk_wire */
    PK_OP_BEHAVIOR,           /* pk_behavior_set */
    PK_OP_SYNC,               /* pk_msync */
    PK_OP_ATTRIBUTE,          /* pk_cache_attribute */
    PK_OP_PAGE_INFO,          /* pk_page_info */
    PK_OP_PAGE_QUERY,         /* pk_page_range_query */
    PK_OP_TASK,               /* pk_task_read, pk_task_write, pk_task_region */
};

/* XNU's kern_return_t values. */
#define PK_KERN_SUCCESS 0
#define PK_KERN_INVALID_ADDRESS 1
#define PK_KERN_PROTECTION_FAILURE 2
#define PK_KERN_NO_SPACE 3
#define PK_KERN_INVALID_ARGUMENT 4
#define PK_KERN_FAILURE 5
#define PK_KERN_RESOURCE_SHORTAGE 6
#define PK_KERN_ABORTED 14
#define PK_KERN_INVALID_NAME 15
#define PK_KERN_INVALID_RIGHT 17
#define PK_KERN_INVALID_VALUE 18
#define PK_KERN_UREFS_OVERFLOW 19
#define PK_KERN_INVALID_OBJECT 29
#define PK_KERN_NOT_SUPPORTED 46
/* What a Mach call to a task port that is null or dead returns: the call is
 * a message, and its destination is invalid. */
#define PK_MACH_SEND_INVALID_DEST 0x10000003
/* ... and a port argument in it that names nothing. */
#define PK_MACH_SEND_INVALID_RIGHT 0x1000000a
/* ... and out-of-line data in it that cannot be read (mach_vm_write). */
#define PK_MACH_SEND_INVALID_MEMORY 0x1000000c

/**
 * The Mach kern_return_t for an operation's result (0 or an errno, of either
 * sign). The table is in README.md; an errno it does not list gives
 * PK_KERN_FAILURE.
 */
PK_EXPORT int pk_kern_return(enum pk_operation operation, int error);

/** The symbolic name of an errno of either sign ("EINVAL"), or "0". */
PK_EXPORT const char *PK_NONNULL pk_error_name(int error);

/** The symbolic name of a kern_return_t ("KERN_NO_SPACE"). */
PK_EXPORT const char *PK_NONNULL pk_kern_return_name(int kern_return);

/**
 * macOS's sentence for a Mach error ("(os/kern) no space available"), as
 * its mach_error_string gives it, for every kern_return_t and Mach IPC code;
 * the subsystem's name ("(os/kern)") for pk_mach_error_type, or "(?/?)";
 * and whether the code is one macOS has a sentence for.
 */
PK_EXPORT const char *PK_NONNULL pk_mach_error_string(int error);
PK_EXPORT const char *PK_NONNULL pk_mach_error_type(int error);
PK_EXPORT bool pk_mach_error_known(int error);

#ifdef __cplusplus
}
#endif

#if defined(__clang__)
#pragma clang diagnostic pop
#endif

#endif /* PAGEKIT_PAGEKIT_H */
