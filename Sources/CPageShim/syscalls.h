// SPDX-License-Identifier: Apache-2.0
/*
 * syscalls.h - the one seam through which CPageShim makes system calls.
 *
 * Each wrapper returns 0 (or a result) on success and a negative errno on
 * failure. Tests can force the next calls of one kind to fail with a
 * chosen errno, for the paths the real kernel cannot be made to produce on
 * demand. The calls PageKit makes on the way to a result rather than to a
 * change of memory (reading /proc, memfd and userfaultfd setup, the reads
 * and writes that copy shared pages) are made directly where they are
 * used, and their errno read there.
 */
#ifndef PAGEKIT_SYSCALLS_H
#define PAGEKIT_SYSCALLS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

enum pk_syscall {
    PK_SYS_MMAP,
    PK_SYS_MUNMAP,
    PK_SYS_MPROTECT,
    PK_SYS_MADVISE,
    PK_SYS_PRCTL,
    PK_SYS_MSEAL,
    PK_SYS_MINCORE,
    PK_SYS_MSYNC,
    PK_SYS_MLOCK, /* mlock and munlock */
    PK_SYS_COUNT
};

#ifdef PK_TEST_SEAM
/* mmap: the address, or a negative errno cast to intptr_t. */
intptr_t pk_sys_mmap(uintptr_t address, size_t length, int prot, int flags);
int pk_sys_munmap(uintptr_t address, size_t length);
int pk_sys_mprotect(uintptr_t address, size_t length, int prot);
#else
/* The three calls on the fast paths are inline, so that vm_allocate,
 * vm_deallocate and vm_protect make them from their own frames: every
 * return into a frame entered before a system call costs a mispredicted
 * branch once the kernel's deep call chains have overwritten the
 * return-stack predictor, about 1% of an mprotect each (BENCHMARKS.md). */
static inline intptr_t pk_sys_mmap(uintptr_t address, size_t length, int prot, int flags)
{
    void *mapped = mmap((void *)address, length, prot, flags, -1, 0);
    return mapped == MAP_FAILED ? -errno : (intptr_t)mapped;
}

static inline int pk_sys_munmap(uintptr_t address, size_t length)
{
    return munmap((void *)address, length) == 0 ? 0 : -errno;
}

static inline int pk_sys_mprotect(uintptr_t address, size_t length, int prot)
{
    return mprotect((void *)address, length, prot) == 0 ? 0 : -errno;
}
#endif
/* mmap of a file: the address, or a negative errno. */
intptr_t pk_sys_mmap_file(uintptr_t address, size_t length, int prot, int flags, int fd, uint64_t offset);
int pk_sys_madvise(uintptr_t address, size_t length, int advice);
int pk_sys_name_anon(uintptr_t address, size_t length, const char *name);
int pk_sys_mseal(uintptr_t address, size_t length);
int pk_sys_mincore(uintptr_t address, size_t length, unsigned char *vector);
int pk_sys_mlock(uintptr_t address, size_t length);
int pk_sys_munlock(uintptr_t address, size_t length);
/* msync with MS_* flags: 0 or a negative errno. */
int pk_sys_msync(uintptr_t address, size_t length, int flags);
/* A memfd of size bytes, close-on-exec: the descriptor, or a negative
 * errno. */
int pk_sys_memfd(const char *name, uint64_t size);
/* Moves the pages of [from, from + length), one kernel mapping, to to,
 * replacing what was there (mremap with MREMAP_FIXED): 0 or a negative
 * errno, and then nothing moved. */
int pk_sys_move(uintptr_t from, size_t length, uintptr_t to);
/* Reads or writes all of length bytes at offset of fd, however many calls
 * that takes (one moves at most about 2 GiB; a signal can cut one short):
 * 0, or -EIO. */
int pk_sys_pread_all(int fd, void *buffer, size_t length, uint64_t offset);
int pk_sys_pwrite_all(int fd, const void *buffer, size_t length, uint64_t offset);
/* A sealed, read-only, shared one-page mapping of an empty memfd called
 * name, which /proc/PID/maps shows, over the page at address (PageKit's
 * own reservation): the address, or a negative errno. */
intptr_t pk_sys_map_marker(const char *name, uintptr_t address, size_t page);
/* Copies size bytes at address in process pid (process_vm_readv): 0, or
 * -ESRCH (gone), -EACCES (not allowed), -EFAULT (not mapped there). */
int pk_sys_read_process(int pid, uintptr_t address, void *buffer, size_t size);
/* 0 if every page of the range is mapped, else -ENOMEM. */
int pk_sys_mapped(uintptr_t address, size_t length);

/* Testing, in builds with -DPK_TEST_SEAM only (the C suite's): calls of
 * this kind fail with -error after `skip` more succeed,
 * `count` times. error 0 clears the injection. */
void pk_sys_inject(enum pk_syscall call, int error, unsigned int skip, unsigned int count);
void pk_sys_inject_clear(void);
/* Testing: count calls (and allow injections) from now on. Injecting arms
 * it too; production code never pays more than one relaxed load. */
void pk_sys_record(bool on);
/* Testing: runs hook just before each call of this kind (NULL removes
 * it), for example to raise a signal while PageKit holds its lock. */
void pk_sys_hook(enum pk_syscall call, void (*hook)(void));
/* How many calls of this kind were made while recording. */
unsigned long pk_sys_calls(enum pk_syscall call);

#endif
