// SPDX-License-Identifier: Apache-2.0
/*
 * sharing.h - sharing pages: memory entries, mapping them, remapping memory
 * and inheritance across fork() (mach_make_memory_entry_64, mach_vm_map,
 * mach_vm_remap, mach_vm_inherit).
 *
 * Linux cannot make two mappings alias private anonymous memory, so memory
 * that is shared lives on a memfd mapped MAP_SHARED by every view of it.
 * Memory vm_allocate made moves there, in place and with its contents,
 * protections, tags and names, the first time it is shared; memory nobody
 * shares stays private anonymous memory. Same conventions as pagekit.h:
 * 0 or a negative errno, XNU's constant values.
 */
#ifndef PAGEKIT_SHARING_H
#define PAGEKIT_SHARING_H

#include "pagekit.h"

/* Nullability is a clang extension, which -pedantic would refuse. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-extension"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A memory entry's name, like a Mach port name: 0 is none. Names are
 * reused only after release. */
typedef uint32_t pk_entry_name_t;

/* The permission argument's flags (XNU's MAP_MEM_*); its low byte holds
 * VM_PROT_* bits. */
#define PK_MEM_ONLY 0x10000u
#define PK_MEM_NAMED_CREATE 0x20000u   /* a new object of the size given */
#define PK_MEM_PURGABLE 0x40000u
#define PK_MEM_NAMED_REUSE 0x80000u    /* the parent itself, when it names the same pages */
#define PK_MEM_USE_DATA_ADDR 0x100000u /* offset may lie inside a page */
#define PK_MEM_VM_COPY 0x200000u       /* a snapshot of the range */
#define PK_MEM_VM_SHARE 0x400000u      /* the range itself, holes refused */
#define PK_MEM_4K_DATA_ADDR 0x800000u
#define PK_MEM_FLAGS_MASK 0x00FFFF00u
#define PK_MEM_FLAGS_USER 0x00FFE000u
/* VM_PROT_IS_MASK: take what the memory allows of the protections asked. */
#define PK_PROT_IS_MASK 0x40u

/* Flags mach_vm_map and mach_vm_remap accept. */
#define PK_ALLOC_RETURN_DATA_ADDR 0x100000u
#define PK_ALLOC_RETURN_4K_DATA_ADDR 0x800000u
#define PK_ALLOC_RESILIENT_CODESIGN 0x20u
#define PK_ALLOC_RESILIENT_MEDIA 0x40u
#define PK_MAP_ACCEPTED 0xFF97509Fu
#define PK_REMAP_ACCEPTED 0x00104069u

#define PK_INHERIT_LAST_VALID PK_INHERIT_NONE

/**
 * Makes a memory entry (mach_make_memory_entry_64). permission's low byte
 * is the protection it grants, the rest PK_MEM_* flags:
 * - PK_MEM_NAMED_CREATE: new zero-filled shared pages, round(*size) bytes.
 * - PK_MEM_VM_SHARE (or no flag and no parent): the pages of [offset,
 *   offset + *size) of this process, which move onto shared pages the first
 *   time (mappings of the entry then alias them).
 * - PK_MEM_VM_COPY: a snapshot of that range (later writes to it are not
 *   seen through the entry).
 * - a parent and no such flag: part of the parent, offset relative to it.
 * *size becomes the size named (page-rounded, less the offset within the
 * first page with PK_MEM_USE_DATA_ADDR). *name is set only on success.
 *
 * - PK_MEM_ONLY with a parent: changes nothing Linux has (cache modes) and
 *   names nothing (*name = 0).
 * PK_MEM_NAMED_CREATE of size 0 succeeds and names nothing (*name = 0), as
 * on macOS.
 *
 * Errors: EDOM (unknown flag bits), EINVAL (size wrapping, a copy entry as
 * parent, PK_MEM_ONLY without a parent), EBADF (no such parent), ENOMEM (a
 * hole or unmapped start), EACCES (a protection the memory or the parent
 * does not allow), EOPNOTSUPP (purgeable memory, or memory PageKit did not
 * map, cannot be shared on Linux), EFBIG (more than 2^32 - 1 pages), EPERM
 * (private memory frozen with pk_freeze and sealed), EMFILE.
 */
PK_EXPORT PK_WARN_UNUSED int pk_memory_entry_create(uint64_t *PK_NONNULL size, uint64_t offset,
                                                    unsigned int permission, pk_entry_name_t *PK_NONNULL name,
                                                    pk_entry_name_t parent);

/**
 * A file descriptor for a memory entry, to hand to another process (over a
 * UNIX socket with SCM_RIGHTS), with where the entry's pages lie in it.
 * When the entry grants no WRITE the descriptor is read-only, and the
 * object is sealed against new writable mappings and writes everywhere
 * (F_SEAL_FUTURE_WRITE; mappings already writable keep working), so the
 * receiver cannot get more than the entry grants. The caller owns the
 * descriptor.
 *
 * Errors: EBADF (no such name), EMFILE, ENFILE, EPERM or EINVAL (a
 * read-only entry whose pages cannot be sealed: they came from a
 * descriptor that does not allow it).
 */
PK_EXPORT PK_WARN_UNUSED int pk_memory_entry_export(pk_entry_name_t name, int *PK_NONNULL fd,
                                                    uint64_t *PK_NONNULL offset, uint64_t *PK_NONNULL size);

/**
 * A memory entry for a descriptor another process exported: the pages of
 * [offset, offset + size) of it, granting at most protection, and no more
 * than the descriptor allows (read-only descriptors give no WRITE). The
 * descriptor is duplicated; the caller keeps its own.
 *
 * Errors: EBADF (not a descriptor), EINVAL (range outside the file, or
 * unknown protection bits), EACCES (protection above what the descriptor
 * allows).
 */
PK_EXPORT PK_WARN_UNUSED int pk_memory_entry_import(int fd, uint64_t offset, uint64_t size, unsigned int protection,
                                                    pk_entry_name_t *PK_NONNULL name);

/**
 * Adds delta to the references of a memory entry's name (mach_port_mod_refs
 * with MACH_PORT_RIGHT_SEND); at 0 the name is released. Mappings stay.
 *
 * Errors: EBADF (no such name), ERANGE (the count would go below 0),
 * EOVERFLOW (above 65535, Mach's limit on user references).
 */
PK_EXPORT PK_WARN_UNUSED int pk_memory_entry_mod_refs(pk_entry_name_t name, int delta);

/**
 * Maps a memory entry, or new anonymous memory when entry is 0
 * (mach_vm_map). offset is into the entry; copy maps a private snapshot
 * instead of the entry's pages; cur is intersected with max; PK_ALLOC_*
 * flags and a mask (address & mask must be 0) choose the address as for
 * pk_allocate. With PK_ALLOC_RETURN_DATA_ADDR *address gets the offset
 * within the page added.
 *
 * Errors: EINVAL (flags, protections, inheritance, size 0 or wrapping,
 * beyond the entry, purgeable with an entry), EBADF (no such entry),
 * EACCES (more than the entry grants), EEXIST (range occupied), ENOMEM (no
 * room; outside the address space).
 */
PK_EXPORT PK_WARN_UNUSED int pk_map(uintptr_t *PK_NONNULL address, uint64_t size, uint64_t mask,
                                    unsigned int flags, pk_entry_name_t entry, uint64_t offset, bool copy,
                                    unsigned int cur, unsigned int max, unsigned int inheritance);

/**
 * Maps [source, source + size) of this process again at *target
 * (mach_vm_remap): an alias of the same pages, or with copy a private
 * copy. legacy (mach_vm_remap): each new page keeps its source's
 * protections, and *cur and *max return what all of them share. Otherwise
 * (mach_vm_remap_new) *cur and *max are the protections asked for, and the
 * source must allow them.
 *
 * Errors: EINVAL (flags, protections, inheritance, size 0 or wrapping),
 * EFAULT (a hole in the source), ENOMEM (no room for the target, or a
 * fixed target outside the address space), EACCES (the source does not allow the
 * protections asked for; W and X both in max), EEXIST (target occupied),
 * EOPNOTSUPP (an alias of memory PageKit did not map, or of purgeable
 * memory).
 */
PK_EXPORT PK_WARN_UNUSED int pk_remap(uintptr_t *PK_NONNULL target, uint64_t size, uint64_t mask, unsigned int flags,
                                      uintptr_t source, bool copy, unsigned int *PK_NONNULL cur,
                                      unsigned int *PK_NONNULL max, unsigned int inheritance, bool legacy);

/**
 * Sets what a child gets of [trunc(address), round(address + size)) at
 * fork() (mach_vm_inherit): PK_INHERIT_SHARE the same pages (they move onto
 * shared pages), PK_INHERIT_COPY its own copy as of the fork (the default;
 * memory shared in this process too), PK_INHERIT_NONE nothing. Holes and
 * memory PageKit did not map are left as they are.
 *
 * Errors: EINVAL (a value above PK_INHERIT_LAST_VALID, checked after size
 * 0 succeeds; address + size wrapping), EOPNOTSUPP (PK_INHERIT_SHARE of
 * purgeable memory).
 */
PK_EXPORT PK_WARN_UNUSED int pk_inherit(uintptr_t address, size_t size, unsigned int inheritance);

#ifdef __cplusplus
}
#endif

#if defined(__clang__)
#pragma clang diagnostic pop
#endif

#endif /* PAGEKIT_SHARING_H */
