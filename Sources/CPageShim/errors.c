// SPDX-License-Identifier: Apache-2.0
/*
 * errors.c - the one table from (operation, errno) to kern_return_t.
 *
 * The same errno can mean different things to different calls, as on Linux:
 * ENOMEM from a fixed allocation means the range lies outside the address
 * space (KERN_INVALID_ADDRESS), from an allocation anywhere that there is no
 * room (KERN_NO_SPACE), and from vm_protect a hole in the range
 * (KERN_INVALID_ADDRESS).
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

struct rule {
    enum pk_operation operation; /* 0: any operation */
    int error;
    int kern_return;
};

static const struct rule rules[] = {
    {PK_OP_ALLOCATE, ENOMEM, PK_KERN_NO_SPACE},
    {PK_OP_ALLOCATE, EEXIST, PK_KERN_NO_SPACE},
    {PK_OP_ALLOCATE_FIXED, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_ALLOCATE_FIXED, EEXIST, PK_KERN_NO_SPACE},
    {PK_OP_DEALLOCATE, ENOMEM, PK_KERN_RESOURCE_SHORTAGE},
    {PK_OP_PROTECT, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_PROTECT, EEXIST, PK_KERN_NO_SPACE}, /* VM_PROT_COPY over permanent memory */
    {PK_OP_PURGEABLE_CONTROL, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_REGION, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_NAME, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_FREEZE, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_MEMORY_ENTRY, EDOM, PK_KERN_INVALID_VALUE},     /* unknown MAP_MEM flag bits */
    {PK_OP_MEMORY_ENTRY, EBADF, PK_MACH_SEND_INVALID_RIGHT}, /* no such parent name */
    {PK_OP_MEMORY_ENTRY, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_PORT, EBADF, PK_KERN_INVALID_NAME},
    {PK_OP_PORT, ERANGE, PK_KERN_INVALID_VALUE},
    {PK_OP_PORT, EOVERFLOW, PK_KERN_UREFS_OVERFLOW},
    {PK_OP_MAP, EACCES, PK_KERN_INVALID_RIGHT}, /* more than the entry grants */
    {PK_OP_MAP, EBADF, PK_MACH_SEND_INVALID_RIGHT},
    {PK_OP_MAP, EEXIST, PK_KERN_NO_SPACE},
    {PK_OP_MAP, ENOMEM, PK_KERN_NO_SPACE},
    {PK_OP_MAP_FIXED, EACCES, PK_KERN_INVALID_RIGHT},
    {PK_OP_MAP_FIXED, EBADF, PK_MACH_SEND_INVALID_RIGHT},
    {PK_OP_MAP_FIXED, EEXIST, PK_KERN_NO_SPACE},
    {PK_OP_MAP_FIXED, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_REMAP, EFAULT, PK_KERN_INVALID_ADDRESS}, /* a hole in the source */
    {PK_OP_REMAP, EEXIST, PK_KERN_NO_SPACE},
    {PK_OP_REMAP, ENOMEM, PK_KERN_NO_SPACE},
    {PK_OP_REMAP_FIXED, EFAULT, PK_KERN_INVALID_ADDRESS},
    {PK_OP_REMAP_FIXED, EEXIST, PK_KERN_NO_SPACE},
    {PK_OP_REMAP_FIXED, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_TRANSFER, EFAULT, PK_KERN_INVALID_ADDRESS},
    {PK_OP_TRANSFER, ENOMEM, PK_KERN_NO_SPACE}, /* no room for mach_vm_read's copy */
    {PK_OP_TRANSFER, EBADMSG, PK_MACH_SEND_INVALID_MEMORY},
    {PK_OP_WIRE, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_BEHAVIOR, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_BEHAVIOR, ENOSPC, PK_KERN_NO_SPACE},
    {PK_OP_SYNC, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_SYNC, EFAULT, PK_KERN_INVALID_ADDRESS},
    {PK_OP_ATTRIBUTE, EFAULT, PK_KERN_INVALID_ADDRESS},
    {PK_OP_PAGE_INFO, EFAULT, PK_KERN_INVALID_ADDRESS},
    {PK_OP_PAGE_INFO, ESRCH, PK_MACH_SEND_INVALID_DEST}, /* a dead task's port */
    {PK_OP_REGION, ESRCH, PK_MACH_SEND_INVALID_DEST},
    {PK_OP_PAGE_QUERY, EFAULT, EFAULT}, /* copyout's errno, returned as it is */
    {PK_OP_TASK, ESRCH, PK_MACH_SEND_INVALID_DEST}, /* a dead task's port */
    {PK_OP_TASK, EFAULT, PK_KERN_INVALID_ADDRESS},
    {PK_OP_TASK, ENOMEM, PK_KERN_INVALID_ADDRESS},
    {PK_OP_TASK, EBADMSG, PK_MACH_SEND_INVALID_MEMORY},
    {PK_OP_TASK, EBADF, PK_KERN_INVALID_ARGUMENT}, /* a read port asked to write */
    {PK_OP_TASK, ENOSPC, PK_KERN_NO_SPACE},        /* no room here for mach_vm_read's copy */
    {0, EINVAL, PK_KERN_INVALID_ARGUMENT},
    {0, EACCES, PK_KERN_PROTECTION_FAILURE},
    {0, EPERM, PK_KERN_PROTECTION_FAILURE},
    {0, EAGAIN, PK_KERN_RESOURCE_SHORTAGE},
    {0, EMFILE, PK_KERN_RESOURCE_SHORTAGE}, /* out of descriptors for shared pages */
    {0, EOPNOTSUPP, PK_KERN_NOT_SUPPORTED},
    {0, EDEADLK, PK_KERN_ABORTED},
};

int pk_kern_return(enum pk_operation operation, int error)
{
    if (error < 0)
        error = -error;
    if (error == 0)
        return PK_KERN_SUCCESS;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].error == error && (rules[i].operation == 0 || rules[i].operation == operation))
            return rules[i].kern_return;
    return PK_KERN_FAILURE;
}

/* PageKit's own names, where the C library has none. */
static const char *own_error_name(int error)
{
    switch (error) {
    case 0: return "0";
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS";
    case EBADF: return "EBADF";
    case ENODEV: return "ENODEV";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOENT: return "ENOENT";
    case EBUSY: return "EBUSY";
    case EINTR: return "EINTR";
    case ETXTBSY: return "ETXTBSY";
    case EIO: return "EIO";
    case EHWPOISON: return "EHWPOISON";
    case EDEADLK: return "EDEADLK";
    case ESRCH: return "ESRCH";
    case EDOM: return "EDOM";
    case ERANGE: return "ERANGE";
    case EMFILE: return "EMFILE";
    case EFBIG: return "EFBIG";
    case EBADMSG: return "EBADMSG";
    default: return "unknown errno";
    }
}

const char *pk_error_name(int error)
{
    if (error < 0)
        error = -error;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *name = error != 0 ? strerrorname_np(error) : NULL;
    if (name != NULL)
        return name;
#endif
    return own_error_name(error);
}

const char *pk_kern_return_name(int kern_return)
{
    switch (kern_return) {
    case PK_KERN_SUCCESS: return "KERN_SUCCESS";
    case PK_KERN_INVALID_ADDRESS: return "KERN_INVALID_ADDRESS";
    case PK_KERN_PROTECTION_FAILURE: return "KERN_PROTECTION_FAILURE";
    case PK_KERN_NO_SPACE: return "KERN_NO_SPACE";
    case PK_KERN_INVALID_ARGUMENT: return "KERN_INVALID_ARGUMENT";
    case PK_KERN_FAILURE: return "KERN_FAILURE";
    case PK_KERN_RESOURCE_SHORTAGE: return "KERN_RESOURCE_SHORTAGE";
    case PK_KERN_ABORTED: return "KERN_ABORTED";
    case PK_KERN_INVALID_NAME: return "KERN_INVALID_NAME";
    case PK_KERN_INVALID_RIGHT: return "KERN_INVALID_RIGHT";
    case PK_KERN_INVALID_VALUE: return "KERN_INVALID_VALUE";
    case PK_KERN_UREFS_OVERFLOW: return "KERN_UREFS_OVERFLOW";
    case PK_KERN_INVALID_OBJECT: return "KERN_INVALID_OBJECT";
    case PK_MACH_SEND_INVALID_RIGHT: return "MACH_SEND_INVALID_RIGHT";
    case PK_KERN_NOT_SUPPORTED: return "KERN_NOT_SUPPORTED";
    case PK_MACH_SEND_INVALID_DEST: return "MACH_SEND_INVALID_DEST";
    case PK_MACH_SEND_INVALID_MEMORY: return "MACH_SEND_INVALID_MEMORY";
    default: return "unknown kern_return_t";
    }
}
