// SPDX-License-Identifier: Apache-2.0
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* The test seam: forced errnos, hooks and call counts. Only the test
 * builds (-DPK_TEST_SEAM) have it; the libraries carry none of it. */
#ifdef PK_TEST_SEAM
struct injection {
    _Atomic int error;
    _Atomic unsigned int skip;
    _Atomic unsigned int count;
};

static struct injection injections[PK_SYS_COUNT];
static void (*_Atomic hooks[PK_SYS_COUNT])(void);
static _Atomic unsigned long calls[PK_SYS_COUNT];
/* Set while a test injects or counts: the fast path is one relaxed load. */
static _Atomic bool armed;

void pk_sys_record(bool on)
{
    atomic_store(&armed, on);
}

void pk_sys_inject(enum pk_syscall call, int error, unsigned int skip, unsigned int count)
{
    atomic_store(&armed, true);
    atomic_store(&injections[call].skip, skip);
    atomic_store(&injections[call].count, count);
    atomic_store(&injections[call].error, error < 0 ? -error : error);
}

void pk_sys_inject_clear(void)
{
    for (int call = 0; call < PK_SYS_COUNT; call++)
        atomic_store(&injections[call].error, 0);
}

void pk_sys_hook(enum pk_syscall call, void (*hook)(void))
{
    if (hook != NULL)
        atomic_store(&armed, true);
    atomic_store(&hooks[call], hook);
}

unsigned long pk_sys_calls(enum pk_syscall call)
{
    return atomic_load(&calls[call]);
}

/* The forced errno for this call, or 0 to make the real call. */
static int injected(enum pk_syscall call)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed))
        return 0;
    atomic_fetch_add_explicit(&calls[call], 1, memory_order_relaxed);
    void (*hook)(void) = atomic_load(&hooks[call]);
    if (hook != NULL)
        hook();
    struct injection *injection = &injections[call];
    int error = atomic_load_explicit(&injection->error, memory_order_relaxed);
    if (error == 0)
        return 0;
    if (atomic_load(&injection->skip) > 0) {
        atomic_fetch_sub(&injection->skip, 1);
        return 0;
    }
    if (atomic_fetch_sub(&injection->count, 1) == 1)
        atomic_store(&injection->error, 0);
    return error;
}
#else
static inline int injected(enum pk_syscall call)
{
    (void)call;
    return 0;
}
#endif

static int result(long value)
{
    return value == -1 ? -errno : 0;
}

intptr_t pk_sys_mmap_file(uintptr_t address, size_t length, int prot, int flags, int fd, uint64_t offset)
{
    int error = injected(PK_SYS_MMAP);
    if (error)
        return -error;
    void *mapped = mmap((void *)address, length, prot, flags, fd, (off_t)offset);
    return mapped == MAP_FAILED ? -errno : (intptr_t)mapped;
}

/* The fast paths' calls: inline in the libraries (syscalls.h). */
#ifdef PK_TEST_SEAM
intptr_t pk_sys_mmap(uintptr_t address, size_t length, int prot, int flags)
{
    int error = injected(PK_SYS_MMAP);
    if (error)
        return -error;
    void *mapped = mmap((void *)address, length, prot, flags, -1, 0);
    return mapped == MAP_FAILED ? -errno : (intptr_t)mapped;
}

int pk_sys_munmap(uintptr_t address, size_t length)
{
    int error = injected(PK_SYS_MUNMAP);
    return error ? -error : result(munmap((void *)address, length));
}

int pk_sys_mprotect(uintptr_t address, size_t length, int prot)
{
    int error = injected(PK_SYS_MPROTECT);
    return error ? -error : result(mprotect((void *)address, length, prot));
}
#endif

int pk_sys_madvise(uintptr_t address, size_t length, int advice)
{
    int error = injected(PK_SYS_MADVISE);
    return error ? -error : result(madvise((void *)address, length, advice));
}

int pk_sys_name_anon(uintptr_t address, size_t length, const char *name)
{
    int error = injected(PK_SYS_PRCTL);
    return error ? -error
                 : result(prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)address,
                                (unsigned long)length, (unsigned long)name));
}

int pk_sys_mseal(uintptr_t address, size_t length)
{
    int error = injected(PK_SYS_MSEAL);
    return error ? -error : result(syscall(SYS_mseal, (unsigned long)address, (unsigned long)length, 0UL));
}

int pk_sys_mincore(uintptr_t address, size_t length, unsigned char *vector)
{
    int error = injected(PK_SYS_MINCORE);
    return error ? -error : result(mincore((void *)address, length, vector));
}

/* Straight to the kernel: the sanitizers' runtimes make mlock and
 * munlock do nothing, and wiring must be the same under them. */
int pk_sys_mlock(uintptr_t address, size_t length)
{
    int error = injected(PK_SYS_MLOCK);
    return error ? -error : result(syscall(SYS_mlock, (unsigned long)address, (unsigned long)length));
}

int pk_sys_munlock(uintptr_t address, size_t length)
{
    int error = injected(PK_SYS_MLOCK);
    return error ? -error : result(syscall(SYS_munlock, (unsigned long)address, (unsigned long)length));
}

int pk_sys_msync(uintptr_t address, size_t length, int flags)
{
    int error = injected(PK_SYS_MSYNC);
    return error ? -error : result(msync((void *)address, length, flags));
}

int pk_sys_memfd(const char *name, uint64_t size)
{
    /* Sealable, so that an entry handed out read-only can be sealed. */
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) != 0) {
        int error = -errno;
        close(fd);
        return error;
    }
    return fd;
}

int pk_sys_move(uintptr_t from, size_t length, uintptr_t to)
{
    void *moved = mremap((void *)from, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to);
    return moved == MAP_FAILED ? -errno : 0;
}

/* pread or pwrite until all of length is done. */
static int transfer_all(int fd, unsigned char *buffer, size_t length, uint64_t offset, bool write)
{
    for (size_t done = 0; done < length;) {
        ssize_t moved = write ? pwrite(fd, buffer + done, length - done, (off_t)(offset + done))
                              : pread(fd, buffer + done, length - done, (off_t)(offset + done));
        if (moved < 0 && errno == EINTR)
            continue;
        if (moved <= 0)
            return -EIO;
        done += (size_t)moved;
    }
    return 0;
}

int pk_sys_pread_all(int fd, void *buffer, size_t length, uint64_t offset)
{
    return transfer_all(fd, buffer, length, offset, false);
}

int pk_sys_pwrite_all(int fd, const void *buffer, size_t length, uint64_t offset)
{
    /* Only read from: pwrite takes a const buffer. */
    return transfer_all(fd, (unsigned char *)(uintptr_t)buffer, length, offset, true);
}

intptr_t pk_sys_map_marker(const char *name, uintptr_t address, size_t page)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    intptr_t result = 0;
    if (ftruncate(fd, (off_t)page) != 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        result = -errno;
    if (result == 0) {
        void *mapped = mmap((void *)address, page, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
        result = mapped == MAP_FAILED ? -errno : (intptr_t)mapped;
    }
    close(fd);
    return result;
}

/* /proc/PID/mem, for kernels without process_vm_readv. */
static int read_process_mem(int pid, uintptr_t address, void *buffer, size_t size)
{
    char path[32];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ESRCH : errno == EPERM ? -EACCES : -errno;
    int error = 0;
    /* One read moves at most about 2 GiB: go on while it makes progress. */
    for (size_t done = 0; error == 0 && done < size;) {
        ssize_t copied = pread(fd, (char *)buffer + done, size - done, (off_t)(address + done));
        if (copied > 0)
            done += (size_t)copied;
        else if (copied < 0 && errno == EINTR)
            continue;
        else
            error = copied == 0 || errno == EIO ? -EFAULT : -errno;
    }
    close(fd);
    return error;
}

/* Kernels built without CONFIG_CROSS_MEMORY_ATTACH have no
 * process_vm_readv; /proc/PID/mem makes the same access check. One call
 * moves at most about 2 GiB (MAX_RW_COUNT): the copy goes on while each
 * makes progress, and a call that moves nothing is the fault. */
int pk_sys_read_process(int pid, uintptr_t address, void *buffer, size_t size)
{
    for (size_t done = 0; done < size;) {
        struct iovec local = {(char *)buffer + done, size - done}, remote = {(void *)(address + done), size - done};
        ssize_t copied = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (copied > 0) {
            done += (size_t)copied;
            continue;
        }
        if (copied == 0)
            return -EFAULT;
        if (errno == ENOSYS)
            return read_process_mem(pid, address + done, (char *)buffer + done, size - done);
        return errno == EPERM ? -EACCES : -errno;
    }
    return 0;
}

int pk_sys_mapped(uintptr_t address, size_t length)
{
    int error = injected(PK_SYS_MSYNC);
    if (error)
        return -error;
    /* MS_ASYNC does no I/O on current kernels, but msync still walks the
     * range and fails with ENOMEM at the first unmapped page. */
    return result(msync((void *)address, length, MS_ASYNC));
}
