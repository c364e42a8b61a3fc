// SPDX-License-Identifier: Apache-2.0
/*
 * The seed walkthrough: Mach code that runs unchanged on macOS and, through
 * PageKit's <mach/mach.h> (pkg-config --cflags pagekit-mach), on Linux.
 */
#include <stdio.h>

#include <mach/mach.h>

static int report(const char *step, kern_return_t result, kern_return_t expected)
{
    printf("%-44s %s\n", step, mach_error_string(result));
    return result == expected ? 0 : 1;
}

int main(void)
{
    int failures = 0;
    vm_address_t address = 0;
    vm_size_t size = 1 << 20;

    kern_return_t result = vm_allocate(mach_task_self(), &address, size, VM_FLAGS_ANYWHERE);
    failures += report("vm_allocate 1 MiB anywhere:", result, KERN_SUCCESS);
    if (result != KERN_SUCCESS)
        return 1;

    *(volatile char *)address = 42;
    printf("%-44s %d\n", "wrote a byte, read back:", *(volatile char *)address);

    result = vm_protect(mach_task_self(), address, size, TRUE, VM_PROT_NONE);
    failures += report("vm_protect maximum to VM_PROT_NONE:", result, KERN_SUCCESS);

    vm_size_t region_size = 0;
    vm_address_t region = address;
    vm_region_basic_info_data_64_t info;
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    mach_port_t object = MACH_PORT_NULL;
    result = vm_region_64(mach_task_self(), &region, &region_size, VM_REGION_BASIC_INFO_64,
                          (vm_region_info_t)&info, &count, &object);
    failures += report("vm_region_64:", result, KERN_SUCCESS);
    printf("%-44s current %d, maximum %d (%s)\n", "access is now:", info.protection, info.max_protection,
           info.protection == VM_PROT_NONE && info.max_protection == VM_PROT_NONE ? "none" : "NOT none");
    failures += info.protection != VM_PROT_NONE || info.max_protection != VM_PROT_NONE;

    result = vm_protect(mach_task_self(), address, size, TRUE, VM_PROT_READ);
    failures += report("vm_protect maximum back to VM_PROT_READ:", result, KERN_PROTECTION_FAILURE);
    printf("%-44s %s\n", "raising the lowered maximum:",
           result == KERN_PROTECTION_FAILURE ? "refused, as on Mach" : "ALLOWED (wrong)");

    result = vm_deallocate(mach_task_self(), address, size);
    failures += report("vm_deallocate:", result, KERN_SUCCESS);

    printf("%s\n", failures == 0 ? "walkthrough: every step behaved as on Mach" : "walkthrough: FAILED");
    return failures == 0 ? 0 : 1;
}
