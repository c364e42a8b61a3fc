// SPDX-License-Identifier: Apache-2.0
/*
 * mach.h - Mach's virtual memory calls on Linux, header-only, over PageKit's
 * native API (pagekit.h).
 *
 * Code written for macOS's vm_allocate, vm_deallocate, vm_protect,
 * vm_purgable_control, mach_vm_region and the sharing calls (memory
 * entries, mach_vm_map, mach_vm_remap, mach_vm_inherit) compiles against
 * this header with the same types, constants (XNU's values) and signatures,
 * and gets the same kern_return_t. Each call also leaves the underlying
 * Linux errno in errno when it fails, so nothing is lost. The semantics are
 * in docs/semantics.md; the deliberate differences from macOS are listed in
 * README.md.
 *
 *     #ifdef __APPLE__
 *     #include <mach/mach.h>
 *     #else
 *     #include <pagekit/mach.h>
 *     #endif
 */
#ifndef PAGEKIT_MACH_H
#define PAGEKIT_MACH_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "pagekit.h"
#include "sharing.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int kern_return_t;
typedef unsigned int natural_t;
typedef int integer_t;
typedef natural_t mach_port_t;
typedef mach_port_t task_t;
typedef mach_port_t vm_map_t;
typedef mach_port_t vm_map_read_t;
typedef mach_port_t memory_object_name_t;
typedef natural_t mach_msg_type_number_t;
typedef int boolean_t;
typedef uintptr_t vm_address_t;
typedef uintptr_t vm_offset_t;
typedef uintptr_t vm_size_t;
typedef uint64_t mach_vm_address_t;
typedef uint64_t mach_vm_offset_t;
typedef uint64_t mach_vm_size_t;
typedef int vm_prot_t;
typedef unsigned int vm_inherit_t;
typedef int vm_purgable_t;
typedef int vm_behavior_t;
typedef int vm_region_flavor_t;
typedef int *vm_region_info_t;
typedef int *vm_region_info_64_t;
typedef unsigned long long memory_object_offset_t;
typedef unsigned long long memory_object_size_t;
typedef mach_port_t mem_entry_name_port_t;
typedef mach_port_t memory_object_t;
typedef mach_port_t ipc_space_t;
typedef natural_t mach_port_name_t;
typedef natural_t mach_port_right_t;
typedef integer_t mach_port_delta_t;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#define MACH_PORT_NULL ((mach_port_t)0)
#define MACH_PORT_DEAD ((mach_port_t)~0u)
#define MEMORY_OBJECT_NULL ((memory_object_t)0)
#define MACH_PORT_RIGHT_SEND ((mach_port_right_t)0)
#define MACH_PORT_RIGHT_RECEIVE ((mach_port_right_t)1)
#define MACH_PORT_RIGHT_SEND_ONCE ((mach_port_right_t)2)
#define MACH_PORT_RIGHT_PORT_SET ((mach_port_right_t)3)
#define MACH_PORT_RIGHT_DEAD_NAME ((mach_port_right_t)4)
#define MACH_PORT_RIGHT_LABELH ((mach_port_right_t)5)
#define MACH_PORT_RIGHT_NUMBER ((mach_port_right_t)6)
/* The port name this process calls itself; any other task is a dead port. */
#define PK_MACH_TASK_SELF ((mach_port_t)0x203)

#define KERN_SUCCESS PK_KERN_SUCCESS
#define KERN_INVALID_ADDRESS PK_KERN_INVALID_ADDRESS
#define KERN_PROTECTION_FAILURE PK_KERN_PROTECTION_FAILURE
#define KERN_NO_SPACE PK_KERN_NO_SPACE
#define KERN_INVALID_ARGUMENT PK_KERN_INVALID_ARGUMENT
#define KERN_FAILURE PK_KERN_FAILURE
#define KERN_RESOURCE_SHORTAGE PK_KERN_RESOURCE_SHORTAGE
#define KERN_ABORTED PK_KERN_ABORTED
#define KERN_INVALID_NAME PK_KERN_INVALID_NAME
#define KERN_INVALID_RIGHT PK_KERN_INVALID_RIGHT
#define KERN_INVALID_VALUE PK_KERN_INVALID_VALUE
#define KERN_UREFS_OVERFLOW PK_KERN_UREFS_OVERFLOW
#define KERN_INVALID_OBJECT PK_KERN_INVALID_OBJECT
#define MACH_SEND_INVALID_RIGHT PK_MACH_SEND_INVALID_RIGHT
#define KERN_NOT_SUPPORTED PK_KERN_NOT_SUPPORTED
#define MACH_SEND_INVALID_DEST PK_MACH_SEND_INVALID_DEST

#define VM_PROT_NONE ((vm_prot_t)0x00)
#define VM_PROT_READ ((vm_prot_t)0x01)
#define VM_PROT_WRITE ((vm_prot_t)0x02)
#define VM_PROT_EXECUTE ((vm_prot_t)0x04)
#define VM_PROT_DEFAULT (VM_PROT_READ | VM_PROT_WRITE)
#define VM_PROT_ALL (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)
#define VM_PROT_COPY ((vm_prot_t)0x10)
#define VM_PROT_IS_MASK ((vm_prot_t)PK_PROT_IS_MASK)

#define VM_FLAGS_FIXED 0x0000
#define VM_FLAGS_ANYWHERE 0x0001
#define VM_FLAGS_PURGABLE 0x0002
#define VM_FLAGS_4GB_CHUNK 0x0004
#define VM_FLAGS_RANDOM_ADDR 0x0008
#define VM_FLAGS_NO_CACHE 0x0010
#define VM_FLAGS_PERMANENT 0x0080
#define VM_FLAGS_TPRO 0x1000
#define VM_FLAGS_OVERWRITE 0x4000
#define VM_FLAGS_SUPERPAGE_MASK 0x70000
#define VM_FLAGS_ALIAS_MASK 0xFF000000
#define VM_FLAGS_RESILIENT_CODESIGN PK_ALLOC_RESILIENT_CODESIGN
#define VM_FLAGS_RESILIENT_MEDIA PK_ALLOC_RESILIENT_MEDIA
#define VM_FLAGS_RETURN_DATA_ADDR PK_ALLOC_RETURN_DATA_ADDR
#define VM_FLAGS_RETURN_4K_DATA_ADDR PK_ALLOC_RETURN_4K_DATA_ADDR
#define VM_FLAGS_USER_ALLOCATE PK_ALLOC_ACCEPTED
#define VM_FLAGS_USER_MAP PK_MAP_ACCEPTED
#define VM_FLAGS_USER_REMAP PK_REMAP_ACCEPTED

#define MAP_MEM_ONLY PK_MEM_ONLY
#define MAP_MEM_NAMED_CREATE PK_MEM_NAMED_CREATE
#define MAP_MEM_PURGABLE PK_MEM_PURGABLE
#define MAP_MEM_NAMED_REUSE PK_MEM_NAMED_REUSE
#define MAP_MEM_USE_DATA_ADDR PK_MEM_USE_DATA_ADDR
#define MAP_MEM_VM_COPY PK_MEM_VM_COPY
#define MAP_MEM_VM_SHARE PK_MEM_VM_SHARE
#define MAP_MEM_4K_DATA_ADDR PK_MEM_4K_DATA_ADDR
#define MAP_MEM_FLAGS_MASK PK_MEM_FLAGS_MASK
#define MAP_MEM_FLAGS_USER PK_MEM_FLAGS_USER
#define MAP_MEM_FLAGS_ALL PK_MEM_FLAGS_USER
#define SUPERPAGE_NONE 0
#define SUPERPAGE_SIZE_ANY 1
#define SUPERPAGE_SIZE_2MB 2
#define VM_FLAGS_SUPERPAGE_SHIFT 16
#define VM_FLAGS_SUPERPAGE_NONE (SUPERPAGE_NONE << VM_FLAGS_SUPERPAGE_SHIFT)
#define VM_FLAGS_SUPERPAGE_SIZE_ANY (SUPERPAGE_SIZE_ANY << VM_FLAGS_SUPERPAGE_SHIFT)
#define VM_FLAGS_SUPERPAGE_SIZE_2MB (SUPERPAGE_SIZE_2MB << VM_FLAGS_SUPERPAGE_SHIFT)

#define VM_MAKE_TAG(tag) ((unsigned int)(tag) << 24)
#define VM_GET_FLAGS_ALIAS(flags, alias) ((alias) = (int)(((unsigned int)(flags) >> 24) & 0xFF))
#define VM_MEMORY_APPLICATION_SPECIFIC_1 240
#define VM_MEMORY_APPLICATION_SPECIFIC_2 241
#define VM_MEMORY_APPLICATION_SPECIFIC_3 242
#define VM_MEMORY_APPLICATION_SPECIFIC_4 243
#define VM_MEMORY_APPLICATION_SPECIFIC_5 244
#define VM_MEMORY_APPLICATION_SPECIFIC_6 245
#define VM_MEMORY_APPLICATION_SPECIFIC_7 246
#define VM_MEMORY_APPLICATION_SPECIFIC_8 247
#define VM_MEMORY_APPLICATION_SPECIFIC_9 248
#define VM_MEMORY_APPLICATION_SPECIFIC_10 249
#define VM_MEMORY_APPLICATION_SPECIFIC_11 250
#define VM_MEMORY_APPLICATION_SPECIFIC_12 251
#define VM_MEMORY_APPLICATION_SPECIFIC_13 252
#define VM_MEMORY_APPLICATION_SPECIFIC_14 253
#define VM_MEMORY_APPLICATION_SPECIFIC_15 254
#define VM_MEMORY_APPLICATION_SPECIFIC_16 255

#define VM_PURGABLE_SET_STATE ((vm_purgable_t)0)
#define VM_PURGABLE_GET_STATE ((vm_purgable_t)1)
#define VM_PURGABLE_PURGE_ALL ((vm_purgable_t)2)
#define VM_PURGABLE_NONVOLATILE 0
#define VM_PURGABLE_VOLATILE 1
#define VM_PURGABLE_EMPTY 2
#define VM_PURGABLE_DENY 3
#define VM_PURGABLE_STATE_MASK 3
#define VM_PURGABLE_ALL_MASKS PK_PURGEABLE_ACCEPTED

#define VM_INHERIT_SHARE ((vm_inherit_t)0)
#define VM_INHERIT_COPY ((vm_inherit_t)1)
#define VM_INHERIT_NONE ((vm_inherit_t)2)
#define VM_INHERIT_DONATE_COPY ((vm_inherit_t)3)
#define VM_INHERIT_DEFAULT VM_INHERIT_COPY
#define VM_INHERIT_LAST_VALID VM_INHERIT_NONE

#define VM_BEHAVIOR_DEFAULT ((vm_behavior_t)0)

#define SM_COW 1
#define SM_PRIVATE 2
#define SM_EMPTY 3
#define SM_SHARED 4

#define VM_REGION_BASIC_INFO_64 9
#define VM_REGION_EXTENDED_INFO 13

#pragma pack(push, 4)
struct vm_region_basic_info_64 {
    vm_prot_t protection;
    vm_prot_t max_protection;
    vm_inherit_t inheritance;
    boolean_t shared;
    boolean_t reserved;
    memory_object_offset_t offset;
    vm_behavior_t behavior;
    unsigned short user_wired_count;
};
struct vm_region_extended_info {
    vm_prot_t protection;
    unsigned int user_tag;
    unsigned int pages_resident;
    unsigned int pages_shared_now_private;
    unsigned int pages_swapped_out;
    unsigned int pages_dirtied;
    unsigned int ref_count;
    unsigned short shadow_depth;
    unsigned char external_pager;
    unsigned char share_mode;
    unsigned int pages_reusable;
};
#pragma pack(pop)
typedef struct vm_region_basic_info_64 *vm_region_basic_info_64_t;
typedef struct vm_region_basic_info_64 vm_region_basic_info_data_64_t;
typedef struct vm_region_extended_info *vm_region_extended_info_t;
typedef struct vm_region_extended_info vm_region_extended_info_data_t;

#define VM_REGION_BASIC_INFO_COUNT_64 \
    ((mach_msg_type_number_t)(sizeof(vm_region_basic_info_data_64_t) / sizeof(int)))
#define VM_REGION_EXTENDED_INFO_COUNT \
    ((mach_msg_type_number_t)(sizeof(vm_region_extended_info_data_t) / sizeof(natural_t)))

#define vm_page_size (pk_page_size())

static inline mach_port_t mach_task_self(void)
{
    return PK_MACH_TASK_SELF;
}

/* The one place the Mach calls turn a native result into a kern_return_t. */
static inline kern_return_t pk_mach_result(enum pk_operation operation, int error)
{
    if (error != 0)
        errno = error < 0 ? -error : error;
    return pk_kern_return(operation, error);
}

/* On macOS a Mach call is a message to the task's port: a null or dead
 * port (anything but mach_task_self() here) fails to send. errno: ESRCH,
 * no such task. */
static inline bool pk_mach_bad_task(mach_port_t task)
{
    return task != mach_task_self();
}

static inline kern_return_t pk_mach_invalid_destination(void)
{
    errno = ESRCH;
    return MACH_SEND_INVALID_DEST;
}

static inline kern_return_t pk_mach_allocate(vm_map_t task, uintptr_t *address, uint64_t size, int flags)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    if (address == NULL)
        return pk_mach_result(PK_OP_ALLOCATE, -EINVAL);
    uintptr_t where = *address;
    int error = pk_allocate(&where, (size_t)size, (unsigned int)flags, NULL);
    if (error == 0)
        *address = where;
    return pk_mach_result((flags & VM_FLAGS_ANYWHERE) ? PK_OP_ALLOCATE : PK_OP_ALLOCATE_FIXED, error);
}

static inline kern_return_t mach_vm_allocate(vm_map_t task, mach_vm_address_t *address, mach_vm_size_t size,
                                             int flags)
{
    return pk_mach_allocate(task, (uintptr_t *)address, size, flags);
}

static inline kern_return_t vm_allocate(vm_map_t task, vm_address_t *address, vm_size_t size, int flags)
{
    return pk_mach_allocate(task, address, size, flags);
}

static inline kern_return_t mach_vm_deallocate(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    return pk_mach_result(PK_OP_DEALLOCATE, pk_deallocate((uintptr_t)address, (size_t)size));
}

static inline kern_return_t vm_deallocate(vm_map_t task, vm_address_t address, vm_size_t size)
{
    return mach_vm_deallocate(task, address, size);
}

static inline kern_return_t mach_vm_protect(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size,
                                            boolean_t set_maximum, vm_prot_t new_protection)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    return pk_mach_result(PK_OP_PROTECT, pk_protect((uintptr_t)address, (size_t)size, set_maximum != 0,
                                                    (unsigned int)new_protection));
}

static inline kern_return_t vm_protect(vm_map_t task, vm_address_t address, vm_size_t size,
                                       boolean_t set_maximum, vm_prot_t new_protection)
{
    return mach_vm_protect(task, address, size, set_maximum, new_protection);
}

static inline kern_return_t mach_vm_purgable_control(vm_map_t task, mach_vm_address_t address,
                                                     vm_purgable_t control, int *state)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    return pk_mach_result(PK_OP_PURGEABLE_CONTROL, pk_purgeable_control((uintptr_t)address, control, state));
}

static inline kern_return_t vm_purgable_control(vm_map_t task, vm_address_t address, vm_purgable_t control,
                                                int *state)
{
    return mach_vm_purgable_control(task, address, control, state);
}

static inline void pk_mach_basic_info(const struct pk_region_info *region, vm_region_basic_info_64_t info)
{
    info->protection = (vm_prot_t)region->protection;
    info->max_protection = (vm_prot_t)region->max_protection;
    info->inheritance = region->inheritance;
    info->shared = (region->flags & PK_REGION_SHARED) != 0;
    info->reserved = 0;
    info->offset = 0;
    info->behavior = VM_BEHAVIOR_DEFAULT;
    info->user_wired_count = 0;
}

static inline void pk_mach_extended_info(const struct pk_region_info *region, vm_region_extended_info_t info)
{
    size_t resident = 0;
    if (pk_resident_pages(region->start, region->size, &resident) != 0)
        resident = 0;
    info->protection = (vm_prot_t)region->protection;
    info->user_tag = region->tag;
    info->pages_resident = (unsigned int)resident;
    info->pages_shared_now_private = 0;
    info->pages_swapped_out = 0;
    info->pages_dirtied = 0;
    info->ref_count = 1;
    info->shadow_depth = 0;
    info->external_pager = 0;
    info->share_mode = (region->flags & PK_REGION_SHARED) ? SM_SHARED : resident == 0 ? SM_EMPTY : SM_PRIVATE;
    info->pages_reusable = 0;
}

static inline kern_return_t pk_mach_region(vm_map_read_t task, uintptr_t *address, uint64_t *size,
                                           vm_region_flavor_t flavor, vm_region_info_t info,
                                           mach_msg_type_number_t *count, mach_port_t *object_name)
{
    mach_msg_type_number_t needed = flavor == VM_REGION_BASIC_INFO_64   ? VM_REGION_BASIC_INFO_COUNT_64
                                    : flavor == VM_REGION_EXTENDED_INFO ? VM_REGION_EXTENDED_INFO_COUNT
                                                                        : 0;
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    if (address == NULL || size == NULL || info == NULL || count == NULL ||
        needed == 0 || *count < needed)
        return pk_mach_result(PK_OP_REGION, -EINVAL);
    struct pk_region_info region;
    uintptr_t where = *address;
    int error = pk_region(&where, &region);
    if (error != 0)
        return pk_mach_result(PK_OP_REGION, error);
    if (flavor == VM_REGION_BASIC_INFO_64)
        pk_mach_basic_info(&region, (vm_region_basic_info_64_t)(void *)info);
    else
        pk_mach_extended_info(&region, (vm_region_extended_info_t)(void *)info);
    *address = region.start;
    *size = region.size;
    *count = needed;
    if (object_name != NULL)
        *object_name = MACH_PORT_NULL;
    return KERN_SUCCESS;
}

static inline kern_return_t mach_vm_region(vm_map_read_t task, mach_vm_address_t *address, mach_vm_size_t *size,
                                           vm_region_flavor_t flavor, vm_region_info_t info,
                                           mach_msg_type_number_t *count, mach_port_t *object_name)
{
    return pk_mach_region(task, (uintptr_t *)address, size, flavor, info, count, object_name);
}

static inline kern_return_t vm_region_64(vm_map_read_t task, vm_address_t *address, vm_size_t *size,
                                         vm_region_flavor_t flavor, vm_region_info_t info,
                                         mach_msg_type_number_t *count, mach_port_t *object_name)
{
    uint64_t region_size = 0;
    kern_return_t result = pk_mach_region(task, address, size != NULL ? &region_size : NULL, flavor, info, count,
                                          object_name);
    if (result == KERN_SUCCESS)
        *size = (vm_size_t)region_size;
    return result;
}

/* Sharing: memory entries, mapping, remapping, inheritance. */

static inline kern_return_t mach_make_memory_entry_64(vm_map_t task, memory_object_size_t *size,
                                                      memory_object_offset_t offset, vm_prot_t permission,
                                                      mem_entry_name_port_t *object_handle,
                                                      mem_entry_name_port_t parent_entry)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    if (size == NULL || object_handle == NULL)
        return pk_mach_result(PK_OP_MEMORY_ENTRY, -EINVAL);
    uint64_t wide = *size;
    pk_entry_name_t name = 0;
    int error = pk_memory_entry_create(&wide, offset, (unsigned int)permission, &name,
                                       parent_entry == MACH_PORT_DEAD ? 0 : parent_entry);
    if (error == 0) {
        *size = wide;
        *object_handle = name;
    }
    return pk_mach_result(PK_OP_MEMORY_ENTRY, error);
}

static inline kern_return_t mach_make_memory_entry(vm_map_t task, vm_size_t *size, vm_offset_t offset,
                                                   vm_prot_t permission, mem_entry_name_port_t *object_handle,
                                                   mem_entry_name_port_t parent_entry)
{
    memory_object_size_t wide = size != NULL ? *size : 0;
    kern_return_t result = mach_make_memory_entry_64(task, size != NULL ? &wide : NULL, offset, permission,
                                                     object_handle, parent_entry);
    if (result == KERN_SUCCESS)
        *size = (vm_size_t)wide;
    return result;
}

/* Releases one reference to a memory entry's name. */
static inline kern_return_t mach_port_deallocate(ipc_space_t task, mach_port_name_t name)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    if (name == MACH_PORT_NULL || name == MACH_PORT_DEAD)
        return KERN_SUCCESS;
    return pk_mach_result(PK_OP_PORT, pk_memory_entry_mod_refs(name, -1));
}

static inline kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                                               mach_port_delta_t delta)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    if (right >= MACH_PORT_RIGHT_NUMBER)
        return pk_mach_result(PK_OP_PORT, -ERANGE);
    if (name == MACH_PORT_NULL || name == MACH_PORT_DEAD)
        return KERN_SUCCESS;
    /* Memory entries are send rights only. */
    if (right != MACH_PORT_RIGHT_SEND) {
        errno = EINVAL;
        return KERN_INVALID_RIGHT;
    }
    return pk_mach_result(PK_OP_PORT, pk_memory_entry_mod_refs(name, delta));
}

/* Purgeable entries cannot be made on Linux (MADV_FREE cannot serve shared
 * pages), so no entry is purgeable: KERN_INVALID_ARGUMENT, as XNU says
 * for an entry whose object is not. */
static inline kern_return_t mach_memory_entry_purgable_control(mem_entry_name_port_t entry, vm_purgable_t control,
                                                               int *state)
{
    (void)entry;
    (void)control;
    (void)state;
    return pk_mach_result(PK_OP_MEMORY_ENTRY, -EINVAL);
}

static inline kern_return_t mach_vm_map(vm_map_t task, mach_vm_address_t *address, mach_vm_size_t size,
                                        mach_vm_offset_t mask, int flags, mem_entry_name_port_t object,
                                        memory_object_offset_t offset, boolean_t copy, vm_prot_t cur_protection,
                                        vm_prot_t max_protection, vm_inherit_t inheritance)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    enum pk_operation operation = (flags & VM_FLAGS_ANYWHERE) ? PK_OP_MAP : PK_OP_MAP_FIXED;
    if (address == NULL)
        return pk_mach_result(operation, -EINVAL);
    uintptr_t where = (uintptr_t)*address;
    int error = pk_map(&where, size, mask, (unsigned int)flags, object == MACH_PORT_DEAD ? 0 : object, offset,
                       copy != 0, (unsigned int)cur_protection, (unsigned int)max_protection, inheritance);
    if (error == 0)
        *address = where;
    return pk_mach_result(operation, error);
}

static inline kern_return_t vm_map(vm_map_t task, vm_address_t *address, vm_size_t size, vm_address_t mask,
                                   int flags, mem_entry_name_port_t object, vm_offset_t offset, boolean_t copy,
                                   vm_prot_t cur_protection, vm_prot_t max_protection, vm_inherit_t inheritance)
{
    mach_vm_address_t wide = address != NULL ? *address : 0;
    kern_return_t result = mach_vm_map(task, address != NULL ? &wide : NULL, size, mask, flags, object, offset, copy,
                                       cur_protection, max_protection, inheritance);
    if (result == KERN_SUCCESS)
        *address = (vm_address_t)wide;
    return result;
}

static inline kern_return_t pk_mach_remap(vm_map_t task, mach_vm_address_t *address, mach_vm_size_t size,
                                          mach_vm_offset_t mask, int flags, mach_port_t source_task,
                                          mach_vm_address_t source, boolean_t copy, vm_prot_t *cur, vm_prot_t *max,
                                          vm_inherit_t inheritance, bool legacy)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    enum pk_operation operation = (flags & VM_FLAGS_ANYWHERE) ? PK_OP_REMAP : PK_OP_REMAP_FIXED;
    if (address == NULL || cur == NULL || max == NULL || source_task != mach_task_self())
        return pk_mach_result(operation, -EINVAL);
    uintptr_t where = (uintptr_t)*address;
    /* Out parameters only, for the legacy call: never read. */
    unsigned int current = legacy ? 0u : (unsigned int)*cur, maximum = legacy ? 0u : (unsigned int)*max;
    int error = pk_remap(&where, size, mask, (unsigned int)flags, (uintptr_t)source, copy != 0, &current, &maximum,
                         inheritance, legacy);
    if (error == 0) {
        *address = where;
        *cur = (vm_prot_t)current;
        *max = (vm_prot_t)maximum;
    }
    return pk_mach_result(operation, error);
}

static inline kern_return_t mach_vm_remap(vm_map_t task, mach_vm_address_t *target_address, mach_vm_size_t size,
                                          mach_vm_offset_t mask, int flags, vm_map_t source_task,
                                          mach_vm_address_t source_address, boolean_t copy, vm_prot_t *cur_protection,
                                          vm_prot_t *max_protection, vm_inherit_t inheritance)
{
    vm_prot_t ignored_cur = VM_PROT_NONE, ignored_max = VM_PROT_NONE;
    return pk_mach_remap(task, target_address, size, mask, flags, source_task, source_address, copy,
                         cur_protection != NULL ? cur_protection : &ignored_cur,
                         max_protection != NULL ? max_protection : &ignored_max, inheritance, true);
}

static inline kern_return_t mach_vm_remap_new(vm_map_t task, mach_vm_address_t *target_address, mach_vm_size_t size,
                                              mach_vm_offset_t mask, int flags, vm_map_read_t source_task,
                                              mach_vm_address_t source_address, boolean_t copy,
                                              vm_prot_t *cur_protection, vm_prot_t *max_protection,
                                              vm_inherit_t inheritance)
{
    return pk_mach_remap(task, target_address, size, mask, flags, source_task, source_address, copy, cur_protection,
                         max_protection, inheritance, false);
}

static inline kern_return_t vm_remap(vm_map_t task, vm_address_t *target_address, vm_size_t size, vm_address_t mask,
                                     int flags, vm_map_t source_task, vm_address_t source_address, boolean_t copy,
                                     vm_prot_t *cur_protection, vm_prot_t *max_protection, vm_inherit_t inheritance)
{
    mach_vm_address_t wide = target_address != NULL ? *target_address : 0;
    kern_return_t result = mach_vm_remap(task, target_address != NULL ? &wide : NULL, size, mask, flags, source_task,
                                         source_address, copy, cur_protection, max_protection, inheritance);
    if (result == KERN_SUCCESS)
        *target_address = (vm_address_t)wide;
    return result;
}

static inline kern_return_t vm_remap_new(vm_map_t task, vm_address_t *target_address, vm_size_t size,
                                         vm_address_t mask, int flags, vm_map_read_t source_task,
                                         vm_address_t source_address, boolean_t copy, vm_prot_t *cur_protection,
                                         vm_prot_t *max_protection, vm_inherit_t inheritance)
{
    mach_vm_address_t wide = target_address != NULL ? *target_address : 0;
    kern_return_t result = mach_vm_remap_new(task, target_address != NULL ? &wide : NULL, size, mask, flags,
                                             source_task, source_address, copy, cur_protection, max_protection,
                                             inheritance);
    if (result == KERN_SUCCESS)
        *target_address = (vm_address_t)wide;
    return result;
}

static inline kern_return_t mach_vm_inherit(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size,
                                            vm_inherit_t new_inheritance)
{
    if (pk_mach_bad_task(task))
        return pk_mach_invalid_destination();
    return pk_mach_result(PK_OP_INHERIT, pk_inherit((uintptr_t)address, (size_t)size, new_inheritance));
}

static inline kern_return_t vm_inherit(vm_map_t task, vm_address_t address, vm_size_t size,
                                       vm_inherit_t new_inheritance)
{
    return mach_vm_inherit(task, address, size, new_inheritance);
}

/* The kern_return_t's name, where macOS gives a sentence. */
static inline const char *mach_error_string(kern_return_t error_value)
{
    return pk_kern_return_name(error_value);
}

#ifdef __cplusplus
}
#endif

#endif /* PAGEKIT_MACH_H */
