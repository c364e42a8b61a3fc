// SPDX-License-Identifier: Apache-2.0
/*
 * jit.c - W^X code generation against the Mach calls: one read-write view
 * where the code is written and one read-execute view of the same pages
 * where it runs, so no page is ever writable and executable at once.
 * It writes x86-64 instructions; elsewhere it says so and stops.
 */
#include <mach/mach.h>

#include <stdio.h>
#include <string.h>

typedef int (*function)(void);

/* mov eax, imm32; ret */
static void emit_return(unsigned char *code, int value)
{
    code[0] = 0xB8;
    memcpy(code + 1, &value, 4);
    code[5] = 0xC3;
}

int main(void)
{
#if !defined(__x86_64__)
    printf("this example writes x86-64 instructions; nothing to run on this architecture\n");
    return 0;
#endif
    vm_size_t size = vm_page_size;
    mem_entry_name_port_t entry = MACH_PORT_NULL;
    memory_object_size_t entry_size = size;
    kern_return_t kr = mach_make_memory_entry_64(mach_task_self(), &entry_size, 0,
                                                 MAP_MEM_NAMED_CREATE | VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE,
                                                 &entry, MACH_PORT_NULL);
    mach_vm_address_t writable = 0, executable = 0;
    if (kr == KERN_SUCCESS)
        kr = mach_vm_map(mach_task_self(), &writable, size, 0, VM_FLAGS_ANYWHERE, entry, 0, FALSE,
                         VM_PROT_READ | VM_PROT_WRITE, VM_PROT_READ | VM_PROT_WRITE, VM_INHERIT_NONE);
    if (kr == KERN_SUCCESS)
        kr = mach_vm_map(mach_task_self(), &executable, size, 0, VM_FLAGS_ANYWHERE, entry, 0, FALSE,
                         VM_PROT_READ | VM_PROT_EXECUTE, VM_PROT_READ | VM_PROT_EXECUTE, VM_INHERIT_NONE);
    if (kr != KERN_SUCCESS) {
        printf("setup: %s\n", mach_error_string(kr));
        return 1;
    }
    mach_port_deallocate(mach_task_self(), entry);
    function run = (function)(uintptr_t)executable;
    emit_return((unsigned char *)(uintptr_t)writable, 42);
    printf("first version returns %d\n", run());
    emit_return((unsigned char *)(uintptr_t)writable, 7);
    printf("patched through the writable view, it returns %d\n", run());
    /* The executable view can never be made writable: its maximum is R-X. */
    kr = mach_vm_protect(mach_task_self(), executable, size, FALSE, VM_PROT_READ | VM_PROT_WRITE);
    printf("making the executable view writable: %s\n", mach_error_string(kr));
    mach_vm_deallocate(mach_task_self(), writable, size);
    mach_vm_deallocate(mach_task_self(), executable, size);
    return 0;
}
