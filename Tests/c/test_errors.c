// SPDX-License-Identifier: Apache-2.0
/* docs/semantics.md, errors: the (operation, errno) to kern_return_t table, error
 * names, and the kernel-features call. */
#include "harness.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct row {
    enum pk_operation operation;
    int error;
    int expected;
};

static const struct row table[] = {
    {PK_OP_ALLOCATE, 0, KERN_SUCCESS},
    {PK_OP_ALLOCATE, EINVAL, KERN_INVALID_ARGUMENT},
    {PK_OP_ALLOCATE, ENOMEM, KERN_NO_SPACE},
    {PK_OP_ALLOCATE, EAGAIN, KERN_RESOURCE_SHORTAGE},
    {PK_OP_ALLOCATE_FIXED, EEXIST, KERN_NO_SPACE},
    {PK_OP_ALLOCATE_FIXED, ENOMEM, KERN_INVALID_ADDRESS},
    {PK_OP_ALLOCATE_FIXED, EPERM, KERN_PROTECTION_FAILURE},
    {PK_OP_DEALLOCATE, EINVAL, KERN_INVALID_ARGUMENT},
    {PK_OP_DEALLOCATE, EPERM, KERN_PROTECTION_FAILURE},
    {PK_OP_DEALLOCATE, ENOMEM, KERN_RESOURCE_SHORTAGE},
    {PK_OP_PROTECT, ENOMEM, KERN_INVALID_ADDRESS},
    {PK_OP_PROTECT, EACCES, KERN_PROTECTION_FAILURE},
    {PK_OP_PROTECT, EPERM, KERN_PROTECTION_FAILURE},
    {PK_OP_PROTECT, EINVAL, KERN_INVALID_ARGUMENT},
    {PK_OP_PROTECT, EAGAIN, KERN_RESOURCE_SHORTAGE},
    {PK_OP_PROTECT, EEXIST, KERN_NO_SPACE},
    {PK_OP_PROTECT, EDEADLK, KERN_ABORTED},
    {PK_OP_ALLOCATE, EDEADLK, KERN_ABORTED},
    {PK_OP_PURGEABLE_CONTROL, EDEADLK, KERN_ABORTED},
    {PK_OP_PURGEABLE_CONTROL, ENOMEM, KERN_INVALID_ADDRESS},
    {PK_OP_PURGEABLE_CONTROL, EACCES, KERN_PROTECTION_FAILURE},
    {PK_OP_PURGEABLE_CONTROL, EINVAL, KERN_INVALID_ARGUMENT},
    {PK_OP_REGION, ENOMEM, KERN_INVALID_ADDRESS},
    {PK_OP_NAME, EOPNOTSUPP, KERN_NOT_SUPPORTED},
    {PK_OP_FREEZE, EOPNOTSUPP, KERN_NOT_SUPPORTED},
    {PK_OP_FREEZE, ENOMEM, KERN_INVALID_ADDRESS},
    {PK_OP_MEMORY_ENTRY, EMFILE, KERN_RESOURCE_SHORTAGE},
    {PK_OP_REMAP, EMFILE, KERN_RESOURCE_SHORTAGE},
    {PK_OP_INHERIT, EMFILE, KERN_RESOURCE_SHORTAGE},
    {PK_OP_ALLOCATE, ENFILE, KERN_FAILURE},
    {PK_OP_PROTECT, EIO, KERN_FAILURE},
    {PK_OP_ALLOCATE, EFAULT, KERN_FAILURE},
};

TEST(errors_table_maps_each_operation_and_errno)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int positive = pk_kern_return(table[i].operation, table[i].error);
        int negative = pk_kern_return(table[i].operation, -table[i].error);
        if (positive != table[i].expected || negative != table[i].expected)
            harness_fail(__FILE__, __LINE__, "operation %d, %s: got %s, expected %s", table[i].operation,
                         pk_error_name(table[i].error), pk_kern_return_name(positive),
                         pk_kern_return_name(table[i].expected));
    }
}

TEST(errors_mach_constants_have_xnu_values)
{
    CHECK_INT(KERN_SUCCESS, 0);
    CHECK_INT(KERN_INVALID_ADDRESS, 1);
    CHECK_INT(KERN_PROTECTION_FAILURE, 2);
    CHECK_INT(KERN_NO_SPACE, 3);
    CHECK_INT(KERN_INVALID_ARGUMENT, 4);
    CHECK_INT(KERN_FAILURE, 5);
    CHECK_INT(KERN_RESOURCE_SHORTAGE, 6);
    CHECK_INT(KERN_NOT_SUPPORTED, 46);
    CHECK_INT(VM_PROT_DEFAULT, 3);
    CHECK_INT(VM_PROT_ALL, 7);
    CHECK_INT(VM_PROT_COPY, 0x10);
    CHECK_INT(VM_FLAGS_OVERWRITE, 0x4000);
    CHECK_INT(VM_FLAGS_PERMANENT, 0x80);
    CHECK_INT(VM_FLAGS_SUPERPAGE_SIZE_ANY, 0x10000);
    CHECK_INT(VM_FLAGS_SUPERPAGE_SIZE_2MB, 0x20000);
    CHECK_INT(VM_PURGABLE_DENY, 3);
    CHECK_INT(VM_PURGABLE_ALL_MASKS, 0x13773);
    CHECK_INT(VM_INHERIT_NONE, 2);
    CHECK_INT(VM_REGION_EXTENDED_INFO_COUNT, 9);
    CHECK_INT(sizeof(vm_region_basic_info_data_64_t), 36);
}

TEST(errors_names)
{
    CHECK(strcmp(pk_error_name(-EINVAL), "EINVAL") == 0);
    CHECK(strcmp(pk_error_name(ENOMEM), "ENOMEM") == 0);
    CHECK(strcmp(pk_error_name(0), "0") == 0);
    CHECK(strcmp(pk_kern_return_name(KERN_NO_SPACE), "KERN_NO_SPACE") == 0);
    CHECK(strcmp(pk_kern_return_name(999), "unknown kern_return_t") == 0);
}

TEST(errors_mach_calls_leave_errno_and_keep_it_on_success)
{
    vm_address_t address = 0;
    errno = 1234;
    CHECK_INT(vm_allocate(mach_task_self(), &address, PAGE, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
    CHECK_INT(errno, 1234);
    CHECK_INT(vm_protect(mach_task_self(), address, PAGE, FALSE, 0x40), KERN_INVALID_ARGUMENT);
    CHECK_INT(errno, EINVAL);
    CHECK_INT(vm_deallocate(mach_task_self(), address, PAGE), KERN_SUCCESS);
}

TEST(features_are_probed_and_named)
{
    unsigned int features = pk_features();
    CHECK_INT(features, pk_features());
    for (unsigned int bit = 1; bit < (1u << PK_FEATURE_COUNT); bit <<= 1) {
        CHECK(pk_feature_name(bit) != NULL);
        int status = pk_feature_status(bit);
        CHECK_INT(status == 0, (features & bit) != 0);
        CHECK(status <= 0);
    }
    CHECK(pk_feature_name(1u << PK_FEATURE_COUNT) == NULL);
    CHECK(pk_feature_name(3) == NULL);
    CHECK_ERRNO(pk_feature_status(0), -EINVAL);
    /* Kernel 6.1 and later all have these. */
    CHECK(features & PK_FEATURE_MADV_FREE);
    CHECK(features & PK_FEATURE_MADV_POPULATE);
}

/* The library and the header it was built with agree on the version. */
TEST(errors_version_of_header_and_library_agree)
{
    CHECK_INT(pk_version(), PAGEKIT_VERSION);
    CHECK_INT(PAGEKIT_VERSION, (PAGEKIT_VERSION_MAJOR << 16) | (PAGEKIT_VERSION_MINOR << 8) | PAGEKIT_VERSION_PATCH);
    CHECK(strcmp(pk_error_name(-ENOSPC), "ENOSPC") == 0);
    CHECK(strcmp(pk_error_name(EDEADLK), "EDEADLK") == 0);
    CHECK(strcmp(pk_error_name(0), "0") == 0);
}

/* mach_error_string, mach_error_type and mach_error word it as macOS's
 * libsyscall does (its err_kern.sub and err_mach_ipc.sub). */
TEST(errors_mach_error_string_is_macos_sentence)
{
    static const struct {
        mach_error_t error;
        const char *string, *type;
    } cases[] = {
        {KERN_SUCCESS, "(os/kern) successful", "(os/kern)"},
        {ERR_SUCCESS, "(os/kern) successful", "(os/kern)"},
        {KERN_INVALID_ADDRESS, "(os/kern) invalid address", "(os/kern)"},
        {KERN_NO_SPACE, "(os/kern) no space available", "(os/kern)"},
        {KERN_ABORTED, "(os/kern) aborted", "(os/kern)"},
        {KERN_INVALID_MEMORY_CONTROL, "(os/kern) invalid memory control", "(os/kern)"},
        {KERN_TERMINATED, "(os/kern) object terminated", "(os/kern)"},
        {KERN_NOT_SUPPORTED, "(os/kern) service not supported", "(os/kern)"},
        {KERN_NOT_FOUND, "(os/kern) result not found", "(os/kern)"},
        {57, "unknown error code", "(os/kern)"},
        {MACH_SEND_INVALID_DEST, "(ipc/send) invalid destination port", "(ipc/send)"},
        {MACH_SEND_INVALID_RIGHT, "(ipc/send) invalid port right", "(ipc/send)"},
        {err_mach_ipc | err_sub(1) | 3, "(ipc/rcv) timed out", "(ipc/rcv)"},
        {err_kern | err_sub(7), "(operating system/?) unknown subsystem error", "(?/?)"},
        {err_vm | 1, "(vm/?) unknown subsystem error", "(?/?)"},
        {err_system(0x20), "(?/?) unknown error system", "(?/?)"},
        {-300, "(ipc/mig) client type check failure", "(ipc/mig)"}, /* MIG_TYPE_ERROR */
        {-308, "(ipc/mig) server died", "(ipc/mig)"},
        {-102, "(ipc/send) invalid port", "(ipc/send)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(mach_error_string(cases[i].error), cases[i].string) != 0 ||
            strcmp(mach_error_type(cases[i].error), cases[i].type) != 0)
            harness_fail(__FILE__, __LINE__, "%#x: \"%s\" \"%s\", expected \"%s\" \"%s\"",
                         (unsigned int)cases[i].error, mach_error_string(cases[i].error),
                         mach_error_type(cases[i].error), cases[i].string, cases[i].type);
    }
    /* Every kern_return_t up to KERN_NOT_FOUND has its own sentence. */
    for (kern_return_t kr = KERN_SUCCESS; kr <= KERN_NOT_FOUND; kr++)
        CHECK(strncmp(mach_error_string(kr), "(os/kern) ", 10) == 0);
}

/* mach_error prints the sentence after the caller's words; an unknown
 * code comes with its subsystem and number. */
TEST(errors_mach_error_prints_to_stderr)
{
    int pipes[2], saved = dup(2);
    CHECK(pipe(pipes) == 0 && saved >= 0);
    fflush(stderr);
    dup2(pipes[1], 2);
    mach_error("vm_allocate:", KERN_NO_SPACE);
    mach_error("odd:", 57);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(pipes[1]);
    char text[256] = "";
    ssize_t length = read(pipes[0], text, sizeof text - 1);
    close(pipes[0]);
    CHECK(length > 0);
    CHECK(strcmp(text, "vm_allocate: (os/kern) no space available\nodd: (os/kern) unknown error code (39)\n") == 0);
}
