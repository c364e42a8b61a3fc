// SPDX-License-Identifier: Apache-2.0
/*
 * Every errno each system call PageKit makes can return (as its man page
 * lists them), forced once per operation through the seam: the exact
 * kern_return_t comes back, the errno passes through unchanged, and memory,
 * the kernel's mappings and the region table are exactly as before.
 */
#include "harness.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>


#define SELF mach_task_self()

enum operation {
    ALLOCATE_ANYWHERE,
    ALLOCATE_FIXED,
    ALLOCATE_OVERWRITE,
    DEALLOCATE,
    PROTECT,
    PROTECT_MAXIMUM,
    MAKE_VOLATILE,
    FREEZE_SEALED,
    RESIDENT_PAGES,
};

static const char *const operation_names[] = {
    "vm_allocate(ANYWHERE)", "vm_allocate(FIXED)", "vm_allocate(FIXED|OVERWRITE)", "vm_deallocate",
    "vm_protect", "vm_protect(set_maximum)", "vm_purgable_control(VOLATILE)", "pk_freeze(SEALED)",
    "pk_resident_pages",
};

struct row {
    enum operation operation;
    enum pk_syscall call;
    int error;
    kern_return_t expected;
    int reported; /* the errno the caller sees, when PageKit translates it */
};

#define R(op, call, error, kr) {op, call, error, kr, error}

static const struct row rows[] = {
    /* mmap(2): EACCES EAGAIN EBADF EEXIST EINVAL ENFILE ENODEV ENOMEM EOVERFLOW EPERM ETXTBSY */
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, EACCES, KERN_PROTECTION_FAILURE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, EAGAIN, KERN_RESOURCE_SHORTAGE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, EBADF, KERN_FAILURE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, EEXIST, KERN_NO_SPACE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, EINVAL, KERN_INVALID_ARGUMENT),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, ENFILE, KERN_FAILURE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, ENODEV, KERN_FAILURE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, ENOMEM, KERN_NO_SPACE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, EOVERFLOW, KERN_FAILURE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, EPERM, KERN_PROTECTION_FAILURE),
    R(ALLOCATE_ANYWHERE, PK_SYS_MMAP, ETXTBSY, KERN_FAILURE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, EACCES, KERN_PROTECTION_FAILURE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, EAGAIN, KERN_RESOURCE_SHORTAGE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, EBADF, KERN_FAILURE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, EEXIST, KERN_NO_SPACE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, EINVAL, KERN_INVALID_ARGUMENT),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, ENFILE, KERN_FAILURE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, ENODEV, KERN_FAILURE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, ENOMEM, KERN_INVALID_ADDRESS),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, EOVERFLOW, KERN_FAILURE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, EPERM, KERN_PROTECTION_FAILURE),
    R(ALLOCATE_FIXED, PK_SYS_MMAP, ETXTBSY, KERN_FAILURE),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, EACCES, KERN_PROTECTION_FAILURE),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, EAGAIN, KERN_RESOURCE_SHORTAGE),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, EBADF, KERN_FAILURE),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, EINVAL, KERN_INVALID_ARGUMENT),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, ENFILE, KERN_FAILURE),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, ENODEV, KERN_FAILURE),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, ENOMEM, KERN_INVALID_ADDRESS),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, EOVERFLOW, KERN_FAILURE),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, EPERM, KERN_PROTECTION_FAILURE),
    R(ALLOCATE_OVERWRITE, PK_SYS_MMAP, ETXTBSY, KERN_FAILURE),
    /* munmap(2): EINVAL ENOMEM (the mapping-count limit, splitting) EPERM (sealed) */
    R(DEALLOCATE, PK_SYS_MUNMAP, EINVAL, KERN_INVALID_ARGUMENT),
    R(DEALLOCATE, PK_SYS_MUNMAP, ENOMEM, KERN_RESOURCE_SHORTAGE),
    R(DEALLOCATE, PK_SYS_MUNMAP, EPERM, KERN_PROTECTION_FAILURE),
    /* mprotect(2): EACCES EINVAL ENOMEM EPERM (sealed) */
    R(PROTECT, PK_SYS_MPROTECT, EACCES, KERN_PROTECTION_FAILURE),
    R(PROTECT, PK_SYS_MPROTECT, EINVAL, KERN_INVALID_ARGUMENT),
    /* No hole: ENOMEM is the mapping-count limit, a resource shortage. */
    {PROTECT, PK_SYS_MPROTECT, ENOMEM, KERN_RESOURCE_SHORTAGE, EAGAIN},
    R(PROTECT, PK_SYS_MPROTECT, EPERM, KERN_PROTECTION_FAILURE),
    R(PROTECT_MAXIMUM, PK_SYS_MPROTECT, EACCES, KERN_PROTECTION_FAILURE),
    R(PROTECT_MAXIMUM, PK_SYS_MPROTECT, EINVAL, KERN_INVALID_ARGUMENT),
    {PROTECT_MAXIMUM, PK_SYS_MPROTECT, ENOMEM, KERN_RESOURCE_SHORTAGE, EAGAIN},
    R(PROTECT_MAXIMUM, PK_SYS_MPROTECT, EPERM, KERN_PROTECTION_FAILURE),
    /* madvise(2): EACCES EAGAIN EBADF EINVAL EIO ENOMEM EPERM */
    R(MAKE_VOLATILE, PK_SYS_MADVISE, EACCES, KERN_PROTECTION_FAILURE),
    R(MAKE_VOLATILE, PK_SYS_MADVISE, EAGAIN, KERN_RESOURCE_SHORTAGE),
    R(MAKE_VOLATILE, PK_SYS_MADVISE, EBADF, KERN_FAILURE),
    R(MAKE_VOLATILE, PK_SYS_MADVISE, EINVAL, KERN_INVALID_ARGUMENT),
    R(MAKE_VOLATILE, PK_SYS_MADVISE, EIO, KERN_FAILURE),
    R(MAKE_VOLATILE, PK_SYS_MADVISE, ENOMEM, KERN_INVALID_ADDRESS),
    R(MAKE_VOLATILE, PK_SYS_MADVISE, EPERM, KERN_PROTECTION_FAILURE),
    /* mseal(2): EINVAL ENOMEM EPERM; ENOSYS where the kernel lacks it */
    R(FREEZE_SEALED, PK_SYS_MSEAL, EINVAL, KERN_INVALID_ARGUMENT),
    R(FREEZE_SEALED, PK_SYS_MSEAL, ENOMEM, KERN_INVALID_ADDRESS),
    R(FREEZE_SEALED, PK_SYS_MSEAL, EPERM, KERN_PROTECTION_FAILURE),
    {FREEZE_SEALED, PK_SYS_MSEAL, ENOSYS, KERN_NOT_SUPPORTED, EOPNOTSUPP},
    /* mincore(2): EAGAIN EFAULT EINVAL ENOMEM */
    R(RESIDENT_PAGES, PK_SYS_MINCORE, EAGAIN, KERN_RESOURCE_SHORTAGE),
    R(RESIDENT_PAGES, PK_SYS_MINCORE, EFAULT, KERN_FAILURE),
    R(RESIDENT_PAGES, PK_SYS_MINCORE, EINVAL, KERN_INVALID_ARGUMENT),
    R(RESIDENT_PAGES, PK_SYS_MINCORE, ENOMEM, KERN_INVALID_ADDRESS),
};

static enum pk_operation native_operation(enum operation operation)
{
    switch (operation) {
    case ALLOCATE_ANYWHERE: return PK_OP_ALLOCATE;
    case ALLOCATE_FIXED:
    case ALLOCATE_OVERWRITE: return PK_OP_ALLOCATE_FIXED;
    case DEALLOCATE: return PK_OP_DEALLOCATE;
    case PROTECT:
    case PROTECT_MAXIMUM: return PK_OP_PROTECT;
    case MAKE_VOLATILE: return PK_OP_PURGEABLE_CONTROL;
    case FREEZE_SEALED: return PK_OP_FREEZE;
    case RESIDENT_PAGES: return PK_OP_REGION;
    }
    return PK_OP_REGION;
}

/* Runs one operation on a three-page area whose middle page the operation
 * targets; returns the kern_return_t and leaves errno as the call left it. */
static kern_return_t run(enum operation operation, uintptr_t area)
{
    vm_address_t address = area + PAGE;
    int state = VM_PURGABLE_VOLATILE;
    size_t resident = 0;
    int error = 0;
    switch (operation) {
    case ALLOCATE_ANYWHERE:
        address = 0;
        return vm_allocate(SELF, &address, PAGE, VM_FLAGS_ANYWHERE);
    case ALLOCATE_FIXED:
        address = area + 3 * PAGE; /* the free page after the area */
        return vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED);
    case ALLOCATE_OVERWRITE:
        return vm_allocate(SELF, &address, PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE);
    case DEALLOCATE:
        return vm_deallocate(SELF, address, PAGE);
    case PROTECT:
        return vm_protect(SELF, address, PAGE, FALSE, VM_PROT_READ);
    case PROTECT_MAXIMUM:
        return vm_protect(SELF, address, PAGE, TRUE, VM_PROT_READ);
    case MAKE_VOLATILE:
        return vm_purgable_control(SELF, address, VM_PURGABLE_SET_STATE, &state);
    case FREEZE_SEALED:
        error = pk_freeze(address, PAGE, PK_FREEZE_SEALED);
        break;
    case RESIDENT_PAGES:
        error = pk_resident_pages(address, PAGE, &resident);
        break;
    }
    if (error != 0)
        errno = -error;
    return pk_kern_return(native_operation(operation), error);
}

static struct snapshot before, before_all;

TEST(fault_table_every_errno_of_every_call)
{
    int failures = 0, run_rows = 0, skipped_rows = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *row = &rows[i];
        /* Without mseal, sealing fails before any call (freeze_sealed_without_mseal). */
        if (row->operation == FREEZE_SEALED && !(pk_features() & PK_FEATURE_MSEAL)) {
            skipped_rows++;
            continue;
        }
        /* Three pages of one purgeable region, and a free page after them. */
        uintptr_t area = free_range(4 * PAGE);
        vm_address_t address = area;
        if (vm_allocate(SELF, &address, 3 * PAGE, VM_FLAGS_FIXED | VM_FLAGS_PURGABLE | VM_MAKE_TAG(252)) !=
            KERN_SUCCESS) {
            harness_fail(__FILE__, __LINE__, "setup failed");
            return;
        }
        fill_pattern(area, 3 * PAGE, (unsigned char)i);
        /* The page after the area may since hold PageKit's own bookkeeping
         * (a purgeable object's side array), so contents are compared for
         * the area and everything else through the whole-space snapshot. */
        snapshot_take(area, area + 3 * PAGE, &before);
        snapshot_take_all(&before_all);
        unsigned long calls = pk_sys_calls(row->call);
        pk_sys_inject(row->call, row->error, 0, 1);
        errno = 0;
        kern_return_t kr = run(row->operation, area);
        int seen = errno;
        pk_sys_inject_clear();
        run_rows++;
        if (pk_sys_calls(row->call) == calls) {
            harness_fail(__FILE__, __LINE__, "%s never made the call the %s row is about", operation_names[row->operation],
                         pk_error_name(row->error));
            failures++;
        }
        if (kr != row->expected || seen != row->reported) {
            harness_fail(__FILE__, __LINE__, "%s with %s forced: %s and errno %s, expected %s and %s",
                         operation_names[row->operation], pk_error_name(row->error), pk_kern_return_name(kr),
                         pk_error_name(seen), pk_kern_return_name(row->expected), pk_error_name(row->reported));
            failures++;
        }
        static struct snapshot after, after_all;
        snapshot_take(area, area + 3 * PAGE, &after);
        snapshot_take_all(&after_all);
        if (!snapshot_equal(&before, &after) || !snapshot_equal(&before_all, &after_all)) {
            harness_fail(__FILE__, __LINE__, "%s with %s forced changed memory or the table:",
                         operation_names[row->operation], pk_error_name(row->error));
            snapshot_compare(__FILE__, __LINE__, &before, &after);
            snapshot_compare(__FILE__, __LINE__, &before_all, &after_all);
            failures++;
        }
        CHECK_ERRNO(pk_deallocate(area, 3 * PAGE), 0);
    }
    CHECK_INT(run_rows + skipped_rows, (int)(sizeof rows / sizeof rows[0]));
    CHECK(run_rows >= 54);
    CHECK_INT(failures, 0);
}
