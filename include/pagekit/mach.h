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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
typedef mach_port_t task_name_t;
typedef mach_port_t task_read_t;
typedef mach_port_t task_inspect_t;
typedef mach_port_t task_port_t;
typedef mach_port_t host_t;
typedef mach_port_t host_priv_t;
typedef mach_port_t host_name_t;
typedef mach_port_t vm_map_inspect_t;
typedef mach_port_t vm_task_entry_t;
typedef mach_port_t *mach_port_array_t;
typedef vm_offset_t pointer_t;
typedef uint64_t vm_map_offset_t;
typedef uint64_t vm_map_address_t;
typedef uint64_t vm_map_size_t;
typedef uint64_t vm_object_offset_t;
typedef uint64_t vm_object_size_t;
typedef unsigned long long vm_object_id_t;
typedef uint32_t vm32_object_id_t;
typedef uint64_t addr64_t;
typedef uint32_t ppnum_t;
typedef int *vm_region_recurse_info_t;
typedef int *vm_region_recurse_info_64_t;
typedef unsigned int vm_sync_t;
typedef unsigned int vm_machine_attribute_t;
typedef int vm_machine_attribute_val_t;
typedef int *vm_page_info_t;
typedef int vm_page_info_flavor_t;
typedef natural_t task_flavor_t;
typedef integer_t *task_info_t;
typedef kern_return_t mach_error_t;
typedef mach_error_t (*mach_error_fn_t)(void);

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#define MACH_PORT_NULL 0 /* untyped, as on macOS */
#define MACH_PORT_DEAD ((mach_port_name_t)~0u)
#define MACH_PORT_VALID(name) (((name) != MACH_PORT_NULL) && ((name) != MACH_PORT_DEAD))
#define MEMORY_OBJECT_NULL ((memory_object_t)0)
#define TASK_NULL ((task_t)0)
#define TASK_NAME_NULL ((task_name_t)0)
#define TASK_READ_NULL ((task_read_t)0)
#define TASK_INSPECT_NULL ((task_inspect_t)0)
#define HOST_NULL ((host_t)0)
#define HOST_PRIV_NULL ((host_priv_t)0)
#define VM_MAP_NULL ((vm_map_t)0)
#define VM_MAP_READ_NULL ((vm_map_read_t)0)
#define VM_MAP_INSPECT_NULL ((vm_map_inspect_t)0)
#define MACH_PORT_RIGHT_SEND ((mach_port_right_t)0)
#define MACH_PORT_RIGHT_RECEIVE ((mach_port_right_t)1)
#define MACH_PORT_RIGHT_SEND_ONCE ((mach_port_right_t)2)
#define MACH_PORT_RIGHT_PORT_SET ((mach_port_right_t)3)
#define MACH_PORT_RIGHT_DEAD_NAME ((mach_port_right_t)4)
#define MACH_PORT_RIGHT_LABELH ((mach_port_right_t)5)
#define MACH_PORT_RIGHT_NUMBER ((mach_port_right_t)6)
/* The port name this process calls itself; any other task is a dead port. */
#define PK_MACH_TASK_SELF ((mach_port_t)0x203)
/* The host's port. Linux decides who may lock memory (RLIMIT_MEMLOCK,
 * CAP_IPC_LOCK), so it serves as the privileged host port too. */
#define PK_MACH_HOST_SELF ((mach_port_t)0x103)

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
#define MACH_SEND_INVALID_MEMORY PK_MACH_SEND_INVALID_MEMORY
/* The rest of XNU's kern_return.h, for code that names them; PageKit's
 * calls return only the codes above. */
#define KERN_NOT_RECEIVER 7
#define KERN_NO_ACCESS 8
#define KERN_MEMORY_FAILURE 9
#define KERN_MEMORY_ERROR 10
#define KERN_ALREADY_IN_SET 11
#define KERN_NOT_IN_SET 12
#define KERN_NAME_EXISTS 13
#define KERN_INVALID_TASK 16
#define KERN_INVALID_CAPABILITY 20
#define KERN_RIGHT_EXISTS 21
#define KERN_INVALID_HOST 22
#define KERN_MEMORY_PRESENT 23
#define KERN_MEMORY_DATA_MOVED 24
#define KERN_MEMORY_RESTART_COPY 25
#define KERN_INVALID_PROCESSOR_SET 26
#define KERN_POLICY_LIMIT 27
#define KERN_INVALID_POLICY 28
#define KERN_ALREADY_WAITING 30
#define KERN_DEFAULT_SET 31
#define KERN_EXCEPTION_PROTECTED 32
#define KERN_INVALID_LEDGER 33
#define KERN_INVALID_MEMORY_CONTROL 34
#define KERN_INVALID_SECURITY 35
#define KERN_NOT_DEPRESSED 36
#define KERN_TERMINATED 37
#define KERN_LOCK_SET_DESTROYED 38
#define KERN_LOCK_UNSTABLE 39
#define KERN_LOCK_OWNED 40
#define KERN_LOCK_OWNED_SELF 41
#define KERN_SEMAPHORE_DESTROYED 42
#define KERN_RPC_SERVER_TERMINATED 43
#define KERN_RPC_TERMINATE_ORPHAN 44
#define KERN_RPC_CONTINUE_ORPHAN 45
#define KERN_NODE_DOWN 47
#define KERN_NOT_WAITING 48
#define KERN_OPERATION_TIMED_OUT 49
#define KERN_CODESIGN_ERROR 50
#define KERN_POLICY_STATIC 51
#define KERN_INSUFFICIENT_BUFFER_SIZE 52
#define KERN_DENIED 53
#define KERN_MISSING_KC 54
#define KERN_INVALID_KC 55
#define KERN_NOT_FOUND 56
#define KERN_RETURN_MAX 0x100

/* mach/error.h: | system (6 bits) | subsystem (12) | code (14) |. */
#define err_none ((mach_error_t)0)
#define ERR_SUCCESS ((mach_error_t)0)
#define ERR_ROUTINE_NIL ((mach_error_fn_t)0)
#define err_system(x) ((signed)((((unsigned)(x)) & 0x3f) << 26))
#define err_sub(x) (((x) & 0xfff) << 14)
#define err_get_system(err) (((err) >> 26) & 0x3f)
#define err_get_sub(err) (((err) >> 14) & 0xfff)
#define err_get_code(err) ((err) & 0x3fff)
#define system_emask (err_system(0x3f))
#define sub_emask (err_sub(0xfff))
#define code_emask (0x3fff)
#define err_kern err_system(0x0)
#define err_us err_system(0x1)
#define err_server err_system(0x2)
#define err_ipc err_system(0x3)
#define err_mach_ipc err_system(0x4)
#define err_dipc err_system(0x7)
#define err_vm err_system(0x8)
#define err_local err_system(0x3e)
#define err_ipc_compat err_system(0x3f)
#define err_max_system 0x3f
#define unix_err(errno) (err_kern | err_sub(3) | (errno))

#define VM_PROT_NONE ((vm_prot_t)0x00)
#define VM_PROT_READ ((vm_prot_t)0x01)
#define VM_PROT_WRITE ((vm_prot_t)0x02)
#define VM_PROT_EXECUTE ((vm_prot_t)0x04)
#define VM_PROT_DEFAULT (VM_PROT_READ | VM_PROT_WRITE)
#define VM_PROT_ALL (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)
#define VM_PROT_COPY ((vm_prot_t)0x10)
#define VM_PROT_WANTS_COPY ((vm_prot_t)0x10)
#define VM_PROT_IS_MASK ((vm_prot_t)PK_PROT_IS_MASK)
#define VM_PROT_RORW_TP (VM_PROT_EXECUTE)
#define VM_PROT_NO_CHANGE_LEGACY ((vm_prot_t)0x08)
#define VM_PROT_NO_CHANGE ((vm_prot_t)0x01000000)
#define VM_PROT_STRIP_READ ((vm_prot_t)0x80)
#define VM_PROT_EXECUTE_ONLY (VM_PROT_EXECUTE | VM_PROT_STRIP_READ)
#define VM_PROT_TPRO ((vm_prot_t)0x200)
#if defined(__x86_64__)
#define VM_PROT_UEXEC ((vm_prot_t)0x8)
#define VM_PROT_ALLEXEC (VM_PROT_EXECUTE | VM_PROT_UEXEC)
#else
#define VM_PROT_ALLEXEC (VM_PROT_EXECUTE)
#endif

#define VM_FLAGS_FIXED 0x0000
#define VM_FLAGS_ANYWHERE 0x0001
#define VM_FLAGS_PURGABLE 0x0002
#define VM_FLAGS_4GB_CHUNK 0x0004
#define VM_FLAGS_RANDOM_ADDR 0x0008
#define VM_FLAGS_NO_CACHE 0x0010
#define VM_FLAGS_PERMANENT 0x0080
#define VM_FLAGS_TPRO 0x1000
#define VM_FLAGS_HW VM_FLAGS_TPRO
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
#define VM_SET_FLAGS_ALIAS(flags, alias) \
    ((flags) = (((flags) & ~VM_FLAGS_ALIAS_MASK) | (((alias) & ~VM_FLAGS_ALIAS_MASK) << 24)))
/* Every tag of XNU's vm_statistics.h (241 to 254 have no names there). */
#define VM_MEMORY_MALLOC 1
#define VM_MEMORY_MALLOC_SMALL 2
#define VM_MEMORY_MALLOC_LARGE 3
#define VM_MEMORY_MALLOC_HUGE 4
#define VM_MEMORY_SBRK 5
#define VM_MEMORY_REALLOC 6
#define VM_MEMORY_MALLOC_TINY 7
#define VM_MEMORY_MALLOC_LARGE_REUSABLE 8
#define VM_MEMORY_MALLOC_LARGE_REUSED 9
#define VM_MEMORY_ANALYSIS_TOOL 10
#define VM_MEMORY_MALLOC_NANO 11
#define VM_MEMORY_MALLOC_MEDIUM 12
#define VM_MEMORY_MALLOC_PROB_GUARD 13
#define VM_MEMORY_MACH_MSG 20
#define VM_MEMORY_IOKIT 21
#define VM_MEMORY_STACK 30
#define VM_MEMORY_GUARD 31
#define VM_MEMORY_SHARED_PMAP 32
#define VM_MEMORY_DYLIB 33
#define VM_MEMORY_OBJC_DISPATCHERS 34
#define VM_MEMORY_UNSHARED_PMAP 35
#define VM_MEMORY_APPKIT 40
#define VM_MEMORY_FOUNDATION 41
#define VM_MEMORY_COREGRAPHICS 42
#define VM_MEMORY_CORESERVICES 43
#define VM_MEMORY_CARBON VM_MEMORY_CORESERVICES
#define VM_MEMORY_JAVA 44
#define VM_MEMORY_COREDATA 45
#define VM_MEMORY_COREDATA_OBJECTIDS 46
#define VM_MEMORY_ATS 50
#define VM_MEMORY_LAYERKIT 51
#define VM_MEMORY_CGIMAGE 52
#define VM_MEMORY_TCMALLOC 53
#define VM_MEMORY_COREGRAPHICS_DATA 54
#define VM_MEMORY_COREGRAPHICS_SHARED 55
#define VM_MEMORY_COREGRAPHICS_FRAMEBUFFERS 56
#define VM_MEMORY_COREGRAPHICS_BACKINGSTORES 57
#define VM_MEMORY_COREGRAPHICS_XALLOC 58
#define VM_MEMORY_COREGRAPHICS_MISC VM_MEMORY_COREGRAPHICS
#define VM_MEMORY_DYLD 60
#define VM_MEMORY_DYLD_MALLOC 61
#define VM_MEMORY_SQLITE 62
#define VM_MEMORY_JAVASCRIPT_CORE 63
#define VM_MEMORY_WEBASSEMBLY VM_MEMORY_JAVASCRIPT_CORE
#define VM_MEMORY_JAVASCRIPT_JIT_EXECUTABLE_ALLOCATOR 64
#define VM_MEMORY_JAVASCRIPT_JIT_REGISTER_FILE 65
#define VM_MEMORY_GLSL 66
#define VM_MEMORY_OPENCL 67
#define VM_MEMORY_COREIMAGE 68
#define VM_MEMORY_WEBCORE_PURGEABLE_BUFFERS 69
#define VM_MEMORY_IMAGEIO 70
#define VM_MEMORY_COREPROFILE 71
#define VM_MEMORY_ASSETSD 72
#define VM_MEMORY_OS_ALLOC_ONCE 73
#define VM_MEMORY_LIBDISPATCH 74
#define VM_MEMORY_ACCELERATE 75
#define VM_MEMORY_COREUI 76
#define VM_MEMORY_COREUIFILE 77
#define VM_MEMORY_GENEALOGY 78
#define VM_MEMORY_RAWCAMERA 79
#define VM_MEMORY_CORPSEINFO 80
#define VM_MEMORY_ASL 81
#define VM_MEMORY_SWIFT_RUNTIME 82
#define VM_MEMORY_SWIFT_METADATA 83
#define VM_MEMORY_DHMM 84
#define VM_MEMORY_SCENEKIT 86
#define VM_MEMORY_SKYWALK 87
#define VM_MEMORY_IOSURFACE 88
#define VM_MEMORY_LIBNETWORK 89
#define VM_MEMORY_AUDIO 90
#define VM_MEMORY_VIDEOBITSTREAM 91
#define VM_MEMORY_CM_XPC 92
#define VM_MEMORY_CM_RPC 93
#define VM_MEMORY_CM_MEMORYPOOL 94
#define VM_MEMORY_CM_READCACHE 95
#define VM_MEMORY_CM_CRABS 96
#define VM_MEMORY_QUICKLOOK_THUMBNAILS 97
#define VM_MEMORY_ACCOUNTS 98
#define VM_MEMORY_SANITIZER 99
#define VM_MEMORY_IOACCELERATOR 100
#define VM_MEMORY_CM_REGWARP 101
#define VM_MEMORY_EAR_DECODER 102
#define VM_MEMORY_COREUI_CACHED_IMAGE_DATA 103
#define VM_MEMORY_COLORSYNC 104
#define VM_MEMORY_BTINFO 105
#define VM_MEMORY_CM_HLS 106
#define VM_MEMORY_ROSETTA 230
#define VM_MEMORY_ROSETTA_THREAD_CONTEXT 231
#define VM_MEMORY_ROSETTA_INDIRECT_BRANCH_MAP 232
#define VM_MEMORY_ROSETTA_RETURN_STACK 233
#define VM_MEMORY_ROSETTA_EXECUTABLE_HEAP 234
#define VM_MEMORY_ROSETTA_USER_LDT 235
#define VM_MEMORY_ROSETTA_ARENA 236
#define VM_MEMORY_ROSETTA_10 239
#define VM_MEMORY_APPLICATION_SPECIFIC_1 240
#define VM_MEMORY_APPLICATION_SPECIFIC_16 255
#define VM_MEMORY_COUNT 256

#define VM_PURGABLE_SET_STATE ((vm_purgable_t)0)
#define VM_PURGABLE_GET_STATE ((vm_purgable_t)1)
#define VM_PURGABLE_PURGE_ALL ((vm_purgable_t)2)
#define VM_PURGABLE_NONVOLATILE 0
#define VM_PURGABLE_VOLATILE 1
#define VM_PURGABLE_EMPTY 2
#define VM_PURGABLE_DENY 3
#define VM_PURGABLE_STATE_MASK 3
#define VM_PURGABLE_STATE_MIN 0
#define VM_PURGABLE_STATE_MAX 3
#define VM_PURGABLE_ALL_MASKS PK_PURGEABLE_ACCEPTED
#define VM_PURGABLE_SET_STATE_FROM_KERNEL ((vm_purgable_t)3)
/* Behaviours, orderings and groups: recorded for each volatile object and
 * counted by task_purgable_info, but Linux has one pool of lazily freed
 * pages, so they do not order purging (README.md). DEBUG_EMPTY is XNU's:
 * from then on, volatile means empty. */
#define VM_PURGABLE_NO_AGING_SHIFT 16
#define VM_PURGABLE_NO_AGING_MASK (0x1 << VM_PURGABLE_NO_AGING_SHIFT)
#define VM_PURGABLE_NO_AGING (0x1 << VM_PURGABLE_NO_AGING_SHIFT)
#define VM_PURGABLE_DEBUG_SHIFT 12
#define VM_PURGABLE_DEBUG_MASK (0x3 << VM_PURGABLE_DEBUG_SHIFT)
#define VM_PURGABLE_DEBUG_EMPTY (0x1 << VM_PURGABLE_DEBUG_SHIFT)
#define VM_PURGABLE_DEBUG_FAULT (0x2 << VM_PURGABLE_DEBUG_SHIFT)
#define VM_VOLATILE_GROUP_SHIFT 8
#define VM_VOLATILE_GROUP_MASK (7 << VM_VOLATILE_GROUP_SHIFT)
#define VM_VOLATILE_GROUP_DEFAULT VM_VOLATILE_GROUP_0
#define VM_VOLATILE_GROUP_0 (0 << VM_VOLATILE_GROUP_SHIFT)
#define VM_VOLATILE_GROUP_1 (1 << VM_VOLATILE_GROUP_SHIFT)
#define VM_VOLATILE_GROUP_2 (2 << VM_VOLATILE_GROUP_SHIFT)
#define VM_VOLATILE_GROUP_3 (3 << VM_VOLATILE_GROUP_SHIFT)
#define VM_VOLATILE_GROUP_4 (4 << VM_VOLATILE_GROUP_SHIFT)
#define VM_VOLATILE_GROUP_5 (5 << VM_VOLATILE_GROUP_SHIFT)
#define VM_VOLATILE_GROUP_6 (6 << VM_VOLATILE_GROUP_SHIFT)
#define VM_VOLATILE_GROUP_7 (7 << VM_VOLATILE_GROUP_SHIFT)
#define VM_PURGABLE_BEHAVIOR_SHIFT 6
#define VM_PURGABLE_BEHAVIOR_MASK (1 << VM_PURGABLE_BEHAVIOR_SHIFT)
#define VM_PURGABLE_BEHAVIOR_FIFO (0 << VM_PURGABLE_BEHAVIOR_SHIFT)
#define VM_PURGABLE_BEHAVIOR_LIFO (1 << VM_PURGABLE_BEHAVIOR_SHIFT)
#define VM_PURGABLE_ORDERING_SHIFT 5
#define VM_PURGABLE_ORDERING_MASK (1 << VM_PURGABLE_ORDERING_SHIFT)
#define VM_PURGABLE_ORDERING_OBSOLETE (1 << VM_PURGABLE_ORDERING_SHIFT)
#define VM_PURGABLE_ORDERING_NORMAL (0 << VM_PURGABLE_ORDERING_SHIFT)
#define VM_VOLATILE_ORDER_SHIFT 4
#define VM_VOLATILE_ORDER_MASK (1 << VM_VOLATILE_ORDER_SHIFT)
#define VM_VOLATILE_MAKE_FIRST_IN_GROUP (1 << VM_VOLATILE_ORDER_SHIFT)
#define VM_VOLATILE_MAKE_LAST_IN_GROUP (0 << VM_VOLATILE_ORDER_SHIFT)

#define VM_INHERIT_SHARE ((vm_inherit_t)0)
#define VM_INHERIT_COPY ((vm_inherit_t)1)
#define VM_INHERIT_NONE ((vm_inherit_t)2)
#define VM_INHERIT_DONATE_COPY ((vm_inherit_t)3)
#define VM_INHERIT_DEFAULT VM_INHERIT_COPY
#define VM_INHERIT_LAST_VALID VM_INHERIT_NONE

#define VM_BEHAVIOR_DEFAULT ((vm_behavior_t)0)
#define VM_BEHAVIOR_RANDOM ((vm_behavior_t)1)
#define VM_BEHAVIOR_SEQUENTIAL ((vm_behavior_t)2)
#define VM_BEHAVIOR_RSEQNTL ((vm_behavior_t)3)
#define VM_BEHAVIOR_WILLNEED ((vm_behavior_t)4)
#define VM_BEHAVIOR_DONTNEED ((vm_behavior_t)5)
#define VM_BEHAVIOR_FREE ((vm_behavior_t)6)
#define VM_BEHAVIOR_ZERO_WIRED_PAGES ((vm_behavior_t)7)
#define VM_BEHAVIOR_REUSABLE ((vm_behavior_t)8)
#define VM_BEHAVIOR_REUSE ((vm_behavior_t)9)
#define VM_BEHAVIOR_CAN_REUSE ((vm_behavior_t)10)
#define VM_BEHAVIOR_PAGEOUT ((vm_behavior_t)11)
#define VM_BEHAVIOR_ZERO ((vm_behavior_t)12)
#define VM_BEHAVIOR_LAST_VALID (VM_BEHAVIOR_ZERO)

#define VM_SYNC_ASYNCHRONOUS ((vm_sync_t)0x01)
#define VM_SYNC_SYNCHRONOUS ((vm_sync_t)0x02)
#define VM_SYNC_INVALIDATE ((vm_sync_t)0x04)
#define VM_SYNC_KILLPAGES ((vm_sync_t)0x08)
#define VM_SYNC_DEACTIVATE ((vm_sync_t)0x10)
#define VM_SYNC_CONTIGUOUS ((vm_sync_t)0x20)
#define VM_SYNC_REUSABLEPAGES ((vm_sync_t)0x40)

#define MATTR_CACHE 1
#define MATTR_MIGRATE 2
#define MATTR_REPLICATE 4
#define MATTR_VAL_OFF 0
#define MATTR_VAL_ON 1
#define MATTR_VAL_GET 2
#define MATTR_VAL_CACHE_FLUSH 6
#define MATTR_VAL_DCACHE_FLUSH 7
#define MATTR_VAL_ICACHE_FLUSH 8
#define MATTR_VAL_CACHE_SYNC 9
#define MATTR_VAL_GET_INFO 10

#define VM_PAGE_QUERY_PAGE_PRESENT 0x1
#define VM_PAGE_QUERY_PAGE_FICTITIOUS 0x2
#define VM_PAGE_QUERY_PAGE_REF 0x4
#define VM_PAGE_QUERY_PAGE_DIRTY 0x8
#define VM_PAGE_QUERY_PAGE_PAGED_OUT 0x10
#define VM_PAGE_QUERY_PAGE_COPIED 0x20
#define VM_PAGE_QUERY_PAGE_SPECULATIVE 0x40
#define VM_PAGE_QUERY_PAGE_EXTERNAL 0x80
#define VM_PAGE_QUERY_PAGE_CS_VALIDATED 0x100
#define VM_PAGE_QUERY_PAGE_CS_TAINTED 0x200
#define VM_PAGE_QUERY_PAGE_CS_NX 0x400
#define VM_PAGE_QUERY_PAGE_REUSABLE 0x800

#define SM_COW 1
#define SM_PRIVATE 2
#define SM_EMPTY 3
#define SM_SHARED 4
#define SM_TRUESHARED 5
#define SM_PRIVATE_ALIASED 6
#define SM_SHARED_ALIASED 7
#define SM_LARGE_PAGE 8

#define VM_REGION_INFO_MAX 1024
#define VM_REGION_BASIC_INFO_64 9
#define VM_REGION_BASIC_INFO 10
#define VM_REGION_TOP_INFO 12
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
struct vm_region_top_info {
    unsigned int obj_id;
    unsigned int ref_count;
    unsigned int private_pages_resident;
    unsigned int shared_pages_resident;
    unsigned char share_mode;
};
struct vm_region_submap_info_64 {
    vm_prot_t protection;
    vm_prot_t max_protection;
    vm_inherit_t inheritance;
    memory_object_offset_t offset;
    unsigned int user_tag;
    unsigned int pages_resident;
    unsigned int pages_shared_now_private;
    unsigned int pages_swapped_out;
    unsigned int pages_dirtied;
    unsigned int ref_count;
    unsigned short shadow_depth;
    unsigned char external_pager;
    unsigned char share_mode;
    boolean_t is_submap;
    vm_behavior_t behavior;
    vm32_object_id_t object_id;
    unsigned short user_wired_count;
    unsigned int pages_reusable;
    vm_object_id_t object_id_full;
};
struct vm_region_submap_short_info_64 {
    vm_prot_t protection;
    vm_prot_t max_protection;
    vm_inherit_t inheritance;
    memory_object_offset_t offset;
    unsigned int user_tag;
    unsigned int ref_count;
    unsigned short shadow_depth;
    unsigned char external_pager;
    unsigned char share_mode;
    boolean_t is_submap;
    vm_behavior_t behavior;
    vm32_object_id_t object_id;
    unsigned short user_wired_count;
};
struct mach_vm_read_entry {
    mach_vm_address_t address;
    mach_vm_size_t size;
};
struct vm_read_entry {
    vm_address_t address;
    vm_size_t size;
};
#define VM_MAP_ENTRY_MAX 256
typedef struct mach_vm_read_entry mach_vm_read_entry_t[VM_MAP_ENTRY_MAX];
typedef struct vm_read_entry vm_read_entry_t[VM_MAP_ENTRY_MAX];
#pragma pack(pop)
typedef struct vm_region_basic_info_64 *vm_region_basic_info_64_t;
typedef struct vm_region_basic_info_64 vm_region_basic_info_data_64_t;
typedef struct vm_region_extended_info *vm_region_extended_info_t;
typedef struct vm_region_extended_info vm_region_extended_info_data_t;
typedef struct vm_region_top_info *vm_region_top_info_t;
typedef struct vm_region_top_info vm_region_top_info_data_t;
typedef struct vm_region_submap_info_64 *vm_region_submap_info_64_t;
typedef struct vm_region_submap_info_64 vm_region_submap_info_data_64_t;
typedef struct vm_region_submap_short_info_64 *vm_region_submap_short_info_64_t;
typedef struct vm_region_submap_short_info_64 vm_region_submap_short_info_data_64_t;

/* Per-page information (mach_vm_page_info), naturally aligned. */
#define VM_PAGE_INFO_BASIC 1
struct vm_page_info_basic {
    int disposition;
    int ref_count;
    vm_object_id_t object_id;
    memory_object_offset_t offset;
    int depth;
    int __pad;
};
typedef struct vm_page_info_basic *vm_page_info_basic_t;
typedef struct vm_page_info_basic vm_page_info_basic_data_t;
#define VM_PAGE_INFO_BASIC_COUNT ((mach_msg_type_number_t)(sizeof(vm_page_info_basic_data_t) / sizeof(int)))

#define VM_REGION_BASIC_INFO_COUNT_64 \
    ((mach_msg_type_number_t)(sizeof(vm_region_basic_info_data_64_t) / sizeof(int)))
#define VM_REGION_EXTENDED_INFO_COUNT \
    ((mach_msg_type_number_t)(sizeof(vm_region_extended_info_data_t) / sizeof(natural_t)))
#define VM_REGION_TOP_INFO_COUNT ((mach_msg_type_number_t)(sizeof(vm_region_top_info_data_t) / sizeof(natural_t)))
#define VM_REGION_SUBMAP_INFO_V2_SIZE (sizeof(vm_region_submap_info_data_64_t))
#define VM_REGION_SUBMAP_INFO_V1_SIZE (VM_REGION_SUBMAP_INFO_V2_SIZE - sizeof(vm_object_id_t))
#define VM_REGION_SUBMAP_INFO_V0_SIZE (VM_REGION_SUBMAP_INFO_V1_SIZE - sizeof(unsigned int))
#define VM_REGION_SUBMAP_INFO_V2_COUNT_64 ((mach_msg_type_number_t)(VM_REGION_SUBMAP_INFO_V2_SIZE / sizeof(natural_t)))
#define VM_REGION_SUBMAP_INFO_V1_COUNT_64 ((mach_msg_type_number_t)(VM_REGION_SUBMAP_INFO_V1_SIZE / sizeof(natural_t)))
#define VM_REGION_SUBMAP_INFO_V0_COUNT_64 ((mach_msg_type_number_t)(VM_REGION_SUBMAP_INFO_V0_SIZE / sizeof(natural_t)))
#define VM_REGION_SUBMAP_INFO_COUNT_64 VM_REGION_SUBMAP_INFO_V2_COUNT_64
#define VM_REGION_SUBMAP_SHORT_INFO_COUNT_64 \
    ((mach_msg_type_number_t)(sizeof(vm_region_submap_short_info_data_64_t) / sizeof(natural_t)))

/* Addresses: the default user address space, whose top mmap goes above
 * only when asked to (x86-64 five-level paging, arm64 52-bit). On arm64
 * the kernel may give less (2^39, 2^42 or 2^47 with its page size): the
 * maximum here is an upper bound, and PageKit refuses addresses above the
 * running kernel's top. */
#define MACH_VM_MIN_ADDRESS ((mach_vm_offset_t)0)
#if defined(__x86_64__)
#define MACH_VM_MAX_ADDRESS ((mach_vm_offset_t)0x0000800000000000ULL)
#else
#define MACH_VM_MAX_ADDRESS ((mach_vm_offset_t)0x0001000000000000ULL)
#endif
#define VM_MIN_ADDRESS ((vm_offset_t)MACH_VM_MIN_ADDRESS)
#define VM_MAX_ADDRESS ((vm_offset_t)MACH_VM_MAX_ADDRESS)

/* Page sizes. As on macOS for arm64 (and for x86-64 from macOS 11), the
 * page size is the kernel's, read at run time, not a constant: Linux on
 * arm64 runs with 4, 16 or 64 KiB pages. PAGE_MIN_SIZE and PAGE_MAX_SIZE
 * are constants: the smallest and largest page this architecture's Linux
 * kernels use. */
static inline int pk_mach_page_shift(void)
{
    return __builtin_ctzl((unsigned long)pk_page_size());
}
#define vm_page_size ((vm_size_t)pk_page_size())
#define vm_page_mask ((vm_size_t)pk_page_size() - 1)
#define vm_page_shift (pk_mach_page_shift())
#define vm_kernel_page_size vm_page_size
#define vm_kernel_page_mask vm_page_mask
#define vm_kernel_page_shift vm_page_shift
#ifndef PAGE_SIZE
#define PAGE_SIZE vm_page_size
#endif
#ifndef PAGE_MASK
#define PAGE_MASK vm_page_mask
#endif
#ifndef PAGE_SHIFT
#define PAGE_SHIFT vm_page_shift
#endif
#define PAGE_MIN_SHIFT 12
#if defined(__aarch64__) || defined(__powerpc64__)
#define PAGE_MAX_SHIFT 16
#else
#define PAGE_MAX_SHIFT 12
#endif
#define PAGE_MIN_SIZE (1 << PAGE_MIN_SHIFT)
#define PAGE_MIN_MASK (PAGE_MIN_SIZE - 1)
#define PAGE_MAX_SIZE (1 << PAGE_MAX_SHIFT)
#define PAGE_MAX_MASK (PAGE_MAX_SIZE - 1)
#define trunc_page(x) ((x) & (~(vm_page_size - 1)))
#define round_page(x) trunc_page((x) + (vm_page_size - 1))
#define mach_vm_trunc_page(x) ((mach_vm_offset_t)(x) & ~((mach_vm_offset_t)vm_page_mask))
#define mach_vm_round_page(x) (((mach_vm_offset_t)(x) + vm_page_mask) & ~((mach_vm_offset_t)vm_page_mask))
#define trunc_page_kernel(x) ((x) & (~vm_kernel_page_mask))
#define round_page_kernel(x) trunc_page_kernel((x) + vm_kernel_page_mask)

static inline mach_port_t mach_task_self(void)
{
    return PK_MACH_TASK_SELF;
}

static inline mach_port_t mach_host_self(void)
{
    return PK_MACH_HOST_SELF;
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

/* Another process's task port (task_for_pid) reaches only the calls that
 * read, write and describe its memory; the others cannot act on it on
 * Linux: KERN_NOT_SUPPORTED. Any other name is a dead port. */
static inline kern_return_t pk_mach_other_task(mach_port_t task)
{
    if (pk_task_valid(task)) {
        errno = EOPNOTSUPP;
        return KERN_NOT_SUPPORTED;
    }
    return pk_mach_invalid_destination();
}

static inline kern_return_t pk_mach_allocate(vm_map_t task, uintptr_t *address, uint64_t size, int flags)
{
    if (pk_mach_bad_task(task))
        return pk_mach_other_task(task);
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
        return pk_mach_other_task(task);
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
        return pk_mach_other_task(task);
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
        return pk_mach_other_task(task);
    return pk_mach_result(PK_OP_PURGEABLE_CONTROL, pk_purgeable_control((uintptr_t)address, control, state));
}

static inline kern_return_t vm_purgable_control(vm_map_t task, vm_address_t address, vm_purgable_t control,
                                                int *state)
{
    return mach_vm_purgable_control(task, address, control, state);
}

/* task_purgable_info: this task's volatile objects by queue and group
 * (pk_purgeable_info). Another task's port gives KERN_NOT_SUPPORTED. */
typedef struct vm_purgeable_stat {
    uint64_t count;
    uint64_t size;
} vm_purgeable_stat_t;
struct vm_purgeable_info {
    vm_purgeable_stat_t fifo_data[8];
    vm_purgeable_stat_t obsolete_data;
    vm_purgeable_stat_t lifo_data[8];
};
typedef struct vm_purgeable_info *vm_purgeable_info_t;
typedef struct vm_purgeable_info task_purgable_info_t;

static inline kern_return_t task_purgable_info(task_inspect_t task, task_purgable_info_t *stats)
{
    if (pk_mach_bad_task(task))
        return pk_mach_other_task(task);
    struct pk_purgeable_info native;
    memset(&native, 0, sizeof native);
    int error = pk_purgeable_info(stats != NULL ? &native : NULL);
    if (error != 0)
        return pk_mach_result(PK_OP_PURGEABLE_CONTROL, error);
    for (int group = 0; group < 8; group++) {
        stats->fifo_data[group].count = native.fifo[group].count;
        stats->fifo_data[group].size = native.fifo[group].size;
        stats->lifo_data[group].count = native.lifo[group].count;
        stats->lifo_data[group].size = native.lifo[group].size;
    }
    stats->obsolete_data.count = native.obsolete.count;
    stats->obsolete_data.size = native.obsolete.size;
    return KERN_SUCCESS;
}

static inline void pk_mach_basic_info(const struct pk_region_info *region, vm_region_basic_info_64_t info)
{
    info->protection = (vm_prot_t)region->protection;
    info->max_protection = (vm_prot_t)region->max_protection;
    info->inheritance = region->inheritance;
    info->shared = (region->flags & PK_REGION_SHARED) != 0;
    info->reserved = 0;
    info->offset = 0;
    info->behavior = (vm_behavior_t)region->behavior;
    info->user_wired_count = (unsigned short)region->user_wired_count;
}

/* The page figures Mach reports for a region. */
struct pk_mach_pages {
    unsigned int resident, dirtied, swapped_out, ref_count;
    unsigned char share_mode;
};

static inline struct pk_mach_pages pk_mach_region_pages(mach_port_t task, const struct pk_region_info *region)
{
    struct pk_page_counts counts = {0, 0, 0};
    struct pk_page_info first = {0, 0, 0};
    bool shared = (region->flags & PK_REGION_SHARED) != 0, remote = task != mach_task_self();
    int error = remote ? pk_task_page_counts(task, region->start, region->size, &counts)
                       : pk_page_counts(region->start, region->size, &counts);
    if (error != 0)
        counts.resident = counts.dirty = counts.swapped = 0;
    if (remote || pk_page_info(region->start, &first) != 0 || first.ref_count == 0)
        first.ref_count = 1;
    struct pk_mach_pages pages;
    pages.resident = (unsigned int)counts.resident;
    pages.dirtied = (unsigned int)counts.dirty;
    pages.swapped_out = (unsigned int)counts.swapped;
    pages.ref_count = (unsigned int)first.ref_count;
    pages.share_mode = (unsigned char)(shared ? SM_SHARED : counts.resident + counts.swapped == 0 ? SM_EMPTY
                                                                                                : SM_PRIVATE);
    return pages;
}

static inline void pk_mach_extended_info(mach_port_t task, const struct pk_region_info *region,
                                         vm_region_extended_info_t info)
{
    struct pk_mach_pages pages = pk_mach_region_pages(task, region);
    info->protection = (vm_prot_t)region->protection;
    info->user_tag = region->tag;
    info->pages_resident = pages.resident;
    info->pages_shared_now_private = 0;
    info->pages_swapped_out = pages.swapped_out;
    info->pages_dirtied = pages.dirtied;
    info->ref_count = pages.ref_count;
    info->shadow_depth = 0;
    info->external_pager = 0;
    info->share_mode = pages.share_mode;
    info->pages_reusable = 0;
}

static inline void pk_mach_top_info(mach_port_t task, const struct pk_region_info *region, vm_region_top_info_t info)
{
    struct pk_mach_pages pages = pk_mach_region_pages(task, region);
    bool shared = pages.share_mode == SM_SHARED;
    info->obj_id = 0;
    info->ref_count = pages.ref_count;
    info->private_pages_resident = shared ? 0 : pages.resident;
    info->shared_pages_resident = shared ? pages.resident : 0;
    info->share_mode = pages.share_mode;
}

static inline kern_return_t pk_mach_region(vm_map_read_t task, uintptr_t *address, uint64_t *size,
                                           vm_region_flavor_t flavor, vm_region_info_t info,
                                           mach_msg_type_number_t *count, mach_port_t *object_name)
{
    mach_msg_type_number_t needed = flavor == VM_REGION_BASIC_INFO_64   ? VM_REGION_BASIC_INFO_COUNT_64
                                    : flavor == VM_REGION_EXTENDED_INFO ? VM_REGION_EXTENDED_INFO_COUNT
                                    : flavor == VM_REGION_TOP_INFO      ? VM_REGION_TOP_INFO_COUNT
                                                                        : 0;
    bool remote = pk_mach_bad_task(task);
    if (remote && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    if (address == NULL || size == NULL || info == NULL || count == NULL ||
        needed == 0 || *count < needed)
        return pk_mach_result(PK_OP_REGION, -EINVAL);
    struct pk_region_info region;
    uintptr_t where = *address;
    int error = remote ? pk_task_region(task, &where, &region) : pk_region(&where, &region);
    if (error != 0)
        return pk_mach_result(remote ? PK_OP_TASK : PK_OP_REGION, error);
    if (flavor == VM_REGION_BASIC_INFO_64)
        pk_mach_basic_info(&region, (vm_region_basic_info_64_t)(void *)info);
    else if (flavor == VM_REGION_TOP_INFO)
        pk_mach_top_info(task, &region, (vm_region_top_info_t)(void *)info);
    else
        pk_mach_extended_info(task, &region, (vm_region_extended_info_t)(void *)info);
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

/* Regions with their submaps (Linux has none: every region is at depth
 * 0). The count picks the structure, as on XNU: at least
 * VM_REGION_SUBMAP_INFO_V0_COUNT_64 the full one (as much of it as fits),
 * at least VM_REGION_SUBMAP_SHORT_INFO_COUNT_64 the short one. */
static inline kern_return_t pk_mach_region_recurse(vm_map_read_t task, uintptr_t *address, uint64_t *size,
                                                   natural_t *depth, vm_region_recurse_info_t info,
                                                   mach_msg_type_number_t *count)
{
    bool remote = pk_mach_bad_task(task);
    if (remote && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    if (address == NULL || size == NULL || depth == NULL || info == NULL || count == NULL ||
        *count < VM_REGION_SUBMAP_SHORT_INFO_COUNT_64)
        return pk_mach_result(PK_OP_REGION, -EINVAL);
    struct pk_region_info region;
    uintptr_t where = *address;
    int error = remote ? pk_task_region(task, &where, &region) : pk_region(&where, &region);
    if (error != 0)
        return pk_mach_result(remote ? PK_OP_TASK : PK_OP_REGION, error);
    struct pk_mach_pages pages = pk_mach_region_pages(task, &region);
    if (*count < VM_REGION_SUBMAP_INFO_V0_COUNT_64) {
        vm_region_submap_short_info_64_t brief = (vm_region_submap_short_info_64_t)(void *)info;
        brief->protection = (vm_prot_t)region.protection;
        brief->max_protection = (vm_prot_t)region.max_protection;
        brief->inheritance = region.inheritance;
        brief->offset = 0;
        brief->user_tag = region.tag;
        brief->ref_count = pages.ref_count;
        brief->shadow_depth = 0;
        brief->external_pager = 0;
        brief->share_mode = pages.share_mode;
        brief->is_submap = 0;
        brief->behavior = (vm_behavior_t)region.behavior;
        brief->object_id = 0;
        brief->user_wired_count = (unsigned short)region.user_wired_count;
        *count = VM_REGION_SUBMAP_SHORT_INFO_COUNT_64;
    } else {
        vm_region_submap_info_64_t full = (vm_region_submap_info_64_t)(void *)info;
        mach_msg_type_number_t filled = *count >= VM_REGION_SUBMAP_INFO_V2_COUNT_64   ? VM_REGION_SUBMAP_INFO_V2_COUNT_64
                                        : *count >= VM_REGION_SUBMAP_INFO_V1_COUNT_64 ? VM_REGION_SUBMAP_INFO_V1_COUNT_64
                                                                                      : VM_REGION_SUBMAP_INFO_V0_COUNT_64;
        full->protection = (vm_prot_t)region.protection;
        full->max_protection = (vm_prot_t)region.max_protection;
        full->inheritance = region.inheritance;
        full->offset = 0;
        full->user_tag = region.tag;
        full->pages_resident = pages.resident;
        full->pages_shared_now_private = 0;
        full->pages_swapped_out = pages.swapped_out;
        full->pages_dirtied = pages.dirtied;
        full->ref_count = pages.ref_count;
        full->shadow_depth = 0;
        full->external_pager = 0;
        full->share_mode = pages.share_mode;
        full->is_submap = 0;
        full->behavior = (vm_behavior_t)region.behavior;
        full->object_id = 0;
        full->user_wired_count = (unsigned short)region.user_wired_count;
        if (filled >= VM_REGION_SUBMAP_INFO_V1_COUNT_64)
            full->pages_reusable = 0;
        if (filled >= VM_REGION_SUBMAP_INFO_V2_COUNT_64)
            full->object_id_full = 0;
        *count = filled;
    }
    *address = region.start;
    *size = region.size;
    *depth = 0;
    return KERN_SUCCESS;
}

static inline kern_return_t mach_vm_region_recurse(vm_map_read_t task, mach_vm_address_t *address,
                                                   mach_vm_size_t *size, natural_t *nesting_depth,
                                                   vm_region_recurse_info_t info, mach_msg_type_number_t *count)
{
    return pk_mach_region_recurse(task, (uintptr_t *)address, size, nesting_depth, info, count);
}

static inline kern_return_t vm_region_recurse_64(vm_map_read_t task, vm_address_t *address, vm_size_t *size,
                                                 natural_t *nesting_depth, vm_region_recurse_info_t info,
                                                 mach_msg_type_number_t *count)
{
    uint64_t region_size = 0;
    kern_return_t result =
        pk_mach_region_recurse(task, address, size != NULL ? &region_size : NULL, nesting_depth, info, count);
    if (result == KERN_SUCCESS)
        *size = (vm_size_t)region_size;
    return result;
}

/* task_info: TASK_VM_INFO (pk_task_vm_info), the revision the count
 * asks for, as XNU fills it; other flavors are not known here. */
#define TASK_VM_INFO 22
#define TASK_VM_INFO_PURGEABLE 23
#pragma pack(push, 4)
struct task_vm_info {
    mach_vm_size_t virtual_size;
    integer_t region_count;
    integer_t page_size;
    mach_vm_size_t resident_size;
    mach_vm_size_t resident_size_peak;
    mach_vm_size_t device;
    mach_vm_size_t device_peak;
    mach_vm_size_t internal;
    mach_vm_size_t internal_peak;
    mach_vm_size_t external;
    mach_vm_size_t external_peak;
    mach_vm_size_t reusable;
    mach_vm_size_t reusable_peak;
    mach_vm_size_t purgeable_volatile_pmap;
    mach_vm_size_t purgeable_volatile_resident;
    mach_vm_size_t purgeable_volatile_virtual;
    mach_vm_size_t compressed;
    mach_vm_size_t compressed_peak;
    mach_vm_size_t compressed_lifetime;
    mach_vm_size_t phys_footprint;
    mach_vm_address_t min_address;
    mach_vm_address_t max_address;
    int64_t ledger_phys_footprint_peak;
    int64_t ledger_purgeable_nonvolatile;
    int64_t ledger_purgeable_novolatile_compressed;
    int64_t ledger_purgeable_volatile;
    int64_t ledger_purgeable_volatile_compressed;
    int64_t ledger_tag_network_nonvolatile;
    int64_t ledger_tag_network_nonvolatile_compressed;
    int64_t ledger_tag_network_volatile;
    int64_t ledger_tag_network_volatile_compressed;
    int64_t ledger_tag_media_footprint;
    int64_t ledger_tag_media_footprint_compressed;
    int64_t ledger_tag_media_nofootprint;
    int64_t ledger_tag_media_nofootprint_compressed;
    int64_t ledger_tag_graphics_footprint;
    int64_t ledger_tag_graphics_footprint_compressed;
    int64_t ledger_tag_graphics_nofootprint;
    int64_t ledger_tag_graphics_nofootprint_compressed;
    int64_t ledger_tag_neural_footprint;
    int64_t ledger_tag_neural_footprint_compressed;
    int64_t ledger_tag_neural_nofootprint;
    int64_t ledger_tag_neural_nofootprint_compressed;
    uint64_t limit_bytes_remaining;
    integer_t decompressions;
    int64_t ledger_swapins;
    int64_t ledger_tag_neural_nofootprint_total;
    int64_t ledger_tag_neural_nofootprint_peak;
};
#pragma pack(pop)
typedef struct task_vm_info task_vm_info_data_t;
typedef struct task_vm_info *task_vm_info_t;
#define TASK_VM_INFO_COUNT ((mach_msg_type_number_t)(sizeof(task_vm_info_data_t) / sizeof(natural_t)))
#define TASK_VM_INFO_REV7_COUNT TASK_VM_INFO_COUNT
#define TASK_VM_INFO_REV6_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV7_COUNT - 4))
#define TASK_VM_INFO_REV5_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV6_COUNT - 2))
#define TASK_VM_INFO_REV4_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV5_COUNT - 1))
#define TASK_VM_INFO_REV3_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV4_COUNT - 2))
#define TASK_VM_INFO_REV2_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV3_COUNT - 42))
#define TASK_VM_INFO_REV1_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV2_COUNT - 4))
#define TASK_VM_INFO_REV0_COUNT ((mach_msg_type_number_t)(TASK_VM_INFO_REV1_COUNT - 2))
#define TASK_INFO_MAX 1024
typedef integer_t task_info_data_t[TASK_INFO_MAX];

static inline kern_return_t task_info(task_name_t task, task_flavor_t flavor, task_info_t info,
                                      mach_msg_type_number_t *count)
{
    bool remote = pk_mach_bad_task(task);
    if (remote && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    if (flavor != TASK_VM_INFO || info == NULL || count == NULL || *count < TASK_VM_INFO_REV0_COUNT)
        return pk_mach_result(PK_OP_REGION, -EINVAL);
    struct pk_task_vm_info native;
    int error = remote ? pk_task_vm_info_of(task, &native) : pk_task_vm_info(&native);
    if (error != 0)
        return pk_mach_result(remote ? PK_OP_TASK : PK_OP_REGION, error);
    /* Only the revisions the caller's count holds are written. */
    mach_msg_type_number_t wanted = *count > TASK_VM_INFO_COUNT ? TASK_VM_INFO_COUNT : *count;
    task_vm_info_data_t whole;
    memset(&whole, 0, sizeof whole);
    whole.virtual_size = native.virtual_size;
    whole.region_count = (integer_t)native.region_count;
    whole.page_size = (integer_t)vm_page_size;
    whole.resident_size = native.resident_size;
    whole.resident_size_peak = native.resident_size_peak;
    whole.internal = native.internal;
    whole.internal_peak = native.internal;
    whole.external = native.external;
    whole.external_peak = native.external;
    whole.purgeable_volatile_resident = native.purgeable_volatile_resident;
    whole.purgeable_volatile_virtual = native.purgeable_volatile_virtual;
    whole.compressed = native.compressed;
    whole.compressed_peak = native.compressed;
    whole.phys_footprint = native.phys_footprint;
    whole.min_address = native.min_address;
    whole.max_address = native.max_address;
    whole.ledger_phys_footprint_peak = (int64_t)native.resident_size_peak;
    static const mach_msg_type_number_t revisions[] = {
        TASK_VM_INFO_REV7_COUNT, TASK_VM_INFO_REV6_COUNT, TASK_VM_INFO_REV5_COUNT, TASK_VM_INFO_REV4_COUNT,
        TASK_VM_INFO_REV3_COUNT, TASK_VM_INFO_REV2_COUNT, TASK_VM_INFO_REV1_COUNT, TASK_VM_INFO_REV0_COUNT};
    mach_msg_type_number_t filled = TASK_VM_INFO_REV0_COUNT;
    for (size_t i = 0; i < sizeof revisions / sizeof revisions[0]; i++) {
        if (wanted >= revisions[i]) {
            filled = revisions[i];
            break;
        }
    }
    memcpy(info, &whole, filled * sizeof(natural_t));
    *count = filled;
    return KERN_SUCCESS;
}

/* Sharing: memory entries, mapping, remapping, inheritance. */

static inline kern_return_t mach_make_memory_entry_64(vm_map_t task, memory_object_size_t *size,
                                                      memory_object_offset_t offset, vm_prot_t permission,
                                                      mem_entry_name_port_t *object_handle,
                                                      mem_entry_name_port_t parent_entry)
{
    if (pk_mach_bad_task(task))
        return pk_mach_other_task(task);
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
        return pk_mach_other_task(task);
    if (name == MACH_PORT_NULL || name == MACH_PORT_DEAD || name == mach_task_self())
        return KERN_SUCCESS;
    if (pk_task_valid(name))
        return pk_mach_result(PK_OP_PORT, pk_task_release(name));
    return pk_mach_result(PK_OP_PORT, pk_memory_entry_mod_refs(name, -1));
}

/* Other processes' task ports (pk_task_for_pid): where Linux lets this
 * process debug the other (ptrace access), as macOS's debugger rights.
 * Any refusal is KERN_FAILURE, with *t set to MACH_PORT_NULL, and errno
 * says why (ESRCH: no such process; EACCES: not allowed). */
static inline kern_return_t pk_mach_task_for_pid(mach_port_name_t target_tport, int pid, bool read_only,
                                                 mach_port_name_t *t)
{
    if (t == NULL)
        return pk_mach_result(PK_OP_TASK, -EINVAL);
    *t = MACH_PORT_NULL;
    if (target_tport != mach_task_self()) {
        errno = ESRCH;
        return KERN_FAILURE;
    }
    if (pid > 0 && pid == (int)getpid()) {
        *t = mach_task_self();
        return KERN_SUCCESS;
    }
    pk_task_t task = 0;
    int error = pk_task_for_pid(pid, read_only, &task);
    if (error != 0) {
        errno = -error;
        return KERN_FAILURE;
    }
    *t = task;
    return KERN_SUCCESS;
}

static inline kern_return_t task_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *t)
{
    return pk_mach_task_for_pid(target_tport, pid, false, t);
}

/* On macOS this is in <sys/proc.h> and returns int. */
static inline int task_read_for_pid(mach_port_name_t target_tport, int pid, mach_port_name_t *t)
{
    return pk_mach_task_for_pid(target_tport, pid, true, t);
}

static inline kern_return_t pid_for_task(mach_port_name_t t, int *x)
{
    if (x == NULL)
        return pk_mach_result(PK_OP_TASK, -EINVAL);
    if (t == mach_task_self()) {
        *x = (int)getpid();
        return KERN_SUCCESS;
    }
    int pid = 0, error = pk_task_pid(t, &pid);
    if (error != 0) {
        errno = ESRCH;
        return KERN_FAILURE;
    }
    *x = pid;
    return KERN_SUCCESS;
}

static inline kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                                               mach_port_delta_t delta)
{
    if (pk_mach_bad_task(task))
        return pk_mach_other_task(task);
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
        return pk_mach_other_task(task);
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
        return pk_mach_other_task(task);
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
        return pk_mach_other_task(task);
    return pk_mach_result(PK_OP_INHERIT, pk_inherit((uintptr_t)address, (size_t)size, new_inheritance));
}

static inline kern_return_t vm_inherit(vm_map_t task, vm_address_t address, vm_size_t size,
                                       vm_inherit_t new_inheritance)
{
    return mach_vm_inherit(task, address, size, new_inheritance);
}

/* Moving bytes: XNU's checks and codes (pk_copy in pagekit.h). */

static inline kern_return_t mach_vm_read(vm_map_read_t task, mach_vm_address_t address, mach_vm_size_t size,
                                         vm_offset_t *data, mach_msg_type_number_t *count)
{
    bool remote = pk_mach_bad_task(task);
    if (remote && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    /* The count is 32 bits wide: XNU refuses more before anything else. */
    if (size > 0xFFFFFFFFu || data == NULL || count == NULL)
        return pk_mach_result(PK_OP_TRANSFER, -EINVAL);
    uintptr_t copy = 0;
    int error = remote ? pk_task_read_new(task, (uintptr_t)address, (size_t)size, &copy)
                       : pk_read((uintptr_t)address, (size_t)size, &copy);
    if (error == 0) {
        *data = copy;
        *count = (mach_msg_type_number_t)size;
    }
    return pk_mach_result(remote ? PK_OP_TASK : PK_OP_TRANSFER, error);
}

static inline kern_return_t vm_read(vm_map_read_t task, vm_address_t address, vm_size_t size, vm_offset_t *data,
                                    mach_msg_type_number_t *count)
{
    return mach_vm_read(task, address, size, data, count);
}

/* Every entry is read, whatever the others give; one that fails or asks
 * for nothing comes back as address 0, size 0, and the result is the last
 * read's, as on XNU. */
static inline kern_return_t mach_vm_read_list(vm_map_read_t task, mach_vm_read_entry_t data_list, natural_t count)
{
    bool remote = pk_mach_bad_task(task);
    if (remote && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    if (count > VM_MAP_ENTRY_MAX || (count > 0 && data_list == NULL))
        return pk_mach_result(PK_OP_TRANSFER, -EINVAL);
    kern_return_t result = KERN_SUCCESS;
    for (natural_t i = 0; i < count; i++) {
        if (data_list[i].size != 0) {
            uintptr_t copy = 0;
            uintptr_t address = (uintptr_t)data_list[i].address;
            size_t size = (size_t)data_list[i].size;
            int error = remote ? pk_task_read_new(task, address, size, &copy) : pk_read(address, size, &copy);
            result = pk_mach_result(remote ? PK_OP_TASK : PK_OP_TRANSFER, error);
            if (error == 0) {
                data_list[i].address = copy;
                continue;
            }
        }
        data_list[i].address = 0;
        data_list[i].size = 0;
    }
    return result;
}

static inline kern_return_t vm_read_list(vm_map_read_t task, vm_read_entry_t data_list, natural_t count)
{
    if (pk_mach_bad_task(task) && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    if (count > VM_MAP_ENTRY_MAX || (count > 0 && data_list == NULL))
        return pk_mach_result(PK_OP_TRANSFER, -EINVAL);
    struct mach_vm_read_entry wide[VM_MAP_ENTRY_MAX];
    for (natural_t i = 0; i < count; i++) {
        wide[i].address = data_list[i].address;
        wide[i].size = data_list[i].size;
    }
    kern_return_t result = mach_vm_read_list(task, wide, count);
    for (natural_t i = 0; i < count; i++) {
        data_list[i].address = (vm_address_t)wide[i].address;
        data_list[i].size = (vm_size_t)wide[i].size;
    }
    return result;
}

static inline kern_return_t mach_vm_read_overwrite(vm_map_read_t task, mach_vm_address_t address,
                                                   mach_vm_size_t size, mach_vm_address_t data,
                                                   mach_vm_size_t *outsize)
{
    bool remote = pk_mach_bad_task(task);
    if (remote && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    if (outsize == NULL)
        return pk_mach_result(PK_OP_TRANSFER, -EINVAL);
    int error = remote ? pk_task_read(task, (uintptr_t)address, (size_t)size, (void *)(uintptr_t)data)
                       : pk_copy((uintptr_t)address, (size_t)size, (uintptr_t)data);
    if (error == 0)
        *outsize = size;
    return pk_mach_result(remote ? PK_OP_TASK : PK_OP_TRANSFER, error);
}

static inline kern_return_t vm_read_overwrite(vm_map_read_t task, vm_address_t address, vm_size_t size,
                                              vm_address_t data, vm_size_t *outsize)
{
    mach_vm_size_t wide = 0;
    kern_return_t result = mach_vm_read_overwrite(task, address, size, data, outsize != NULL ? &wide : NULL);
    if (result == KERN_SUCCESS)
        *outsize = (vm_size_t)wide;
    return result;
}

static inline kern_return_t mach_vm_write(vm_map_t task, mach_vm_address_t address, vm_offset_t data,
                                          mach_msg_type_number_t count)
{
    if (pk_mach_bad_task(task)) {
        if (!pk_task_valid(task))
            return pk_mach_invalid_destination();
        return pk_mach_result(PK_OP_TASK, pk_task_write(task, (uintptr_t)address, (const void *)data, count));
    }
    return pk_mach_result(PK_OP_TRANSFER, pk_write((uintptr_t)address, (const void *)data, count));
}

static inline kern_return_t vm_write(vm_map_t task, vm_address_t address, vm_offset_t data,
                                     mach_msg_type_number_t count)
{
    return mach_vm_write(task, address, data, count);
}

static inline kern_return_t mach_vm_copy(vm_map_t task, mach_vm_address_t source_address, mach_vm_size_t size,
                                         mach_vm_address_t dest_address)
{
    if (pk_mach_bad_task(task)) {
        if (!pk_task_valid(task))
            return pk_mach_invalid_destination();
        /* Another task's source is read here first, then written there:
         * the copy-then-overwrite XNU does. */
        if (size == 0)
            return KERN_SUCCESS;
        void *buffer = size <= SIZE_MAX ? malloc((size_t)size) : NULL;
        int error = buffer == NULL ? -ENOMEM : pk_task_read(task, (uintptr_t)source_address, (size_t)size, buffer);
        if (error == 0)
            error = pk_task_write(task, (uintptr_t)dest_address, buffer, (size_t)size);
        free(buffer);
        return pk_mach_result(PK_OP_TASK, error == -ENOMEM ? -EAGAIN : error);
    }
    return pk_mach_result(PK_OP_TRANSFER,
                          pk_copy((uintptr_t)source_address, (size_t)size, (uintptr_t)dest_address));
}

static inline kern_return_t vm_copy(vm_map_t task, vm_address_t source_address, vm_size_t size,
                                    vm_address_t dest_address)
{
    return mach_vm_copy(task, source_address, size, dest_address);
}

/* Wiring: mlock, counted as XNU counts it (pk_wire). The request goes to
 * the host port: a null or dead one fails to send; another name is not a
 * privileged host; a task other than this one is no task. */
static inline kern_return_t mach_vm_wire(host_priv_t host_priv, vm_map_t task, mach_vm_address_t address,
                                         mach_vm_size_t size, vm_prot_t desired_access)
{
    if (host_priv == MACH_PORT_NULL || host_priv == MACH_PORT_DEAD)
        return pk_mach_invalid_destination();
    if (host_priv != mach_host_self()) {
        errno = EPERM;
        return KERN_INVALID_HOST;
    }
    if (pk_mach_bad_task(task)) {
        errno = ESRCH;
        return KERN_INVALID_TASK;
    }
    return pk_mach_result(PK_OP_WIRE, pk_wire((uintptr_t)address, (size_t)size, (unsigned int)desired_access));
}

static inline kern_return_t vm_wire(host_priv_t host_priv, vm_map_t task, vm_address_t address, vm_size_t size,
                                    vm_prot_t desired_access)
{
    return mach_vm_wire(host_priv, task, address, size, desired_access);
}

/* Advice, write-back and caches (pk_behavior_set, pk_msync,
 * pk_cache_attribute). */
static inline kern_return_t mach_vm_behavior_set(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size,
                                                 vm_behavior_t new_behavior)
{
    if (pk_mach_bad_task(task))
        return pk_mach_other_task(task);
    return pk_mach_result(PK_OP_BEHAVIOR,
                          pk_behavior_set((uintptr_t)address, (size_t)size, (unsigned int)new_behavior));
}

static inline kern_return_t vm_behavior_set(vm_map_t task, vm_address_t address, vm_size_t size,
                                            vm_behavior_t new_behavior)
{
    return mach_vm_behavior_set(task, address, size, new_behavior);
}

static inline kern_return_t mach_vm_msync(vm_map_t task, mach_vm_address_t address, mach_vm_size_t size,
                                          vm_sync_t sync_flags)
{
    if (pk_mach_bad_task(task))
        return pk_mach_other_task(task);
    return pk_mach_result(PK_OP_SYNC, pk_msync((uintptr_t)address, (size_t)size, sync_flags));
}

static inline kern_return_t vm_msync(vm_map_t task, vm_address_t address, vm_size_t size, vm_sync_t sync_flags)
{
    return mach_vm_msync(task, address, size, sync_flags);
}

static inline kern_return_t mach_vm_machine_attribute(vm_map_t task, mach_vm_address_t address,
                                                      mach_vm_size_t size, vm_machine_attribute_t attribute,
                                                      vm_machine_attribute_val_t *value)
{
    if (pk_mach_bad_task(task))
        return pk_mach_other_task(task);
    return pk_mach_result(PK_OP_ATTRIBUTE, pk_cache_attribute((uintptr_t)address, (size_t)size, attribute, value));
}

static inline kern_return_t vm_machine_attribute(vm_map_t task, vm_address_t address, vm_size_t size,
                                                 vm_machine_attribute_t attribute, vm_machine_attribute_val_t *value)
{
    return mach_vm_machine_attribute(task, address, size, attribute, value);
}

/* What pages are (pk_page_info, pk_page_range_query). Another task's
 * page is asked for as a range of one. */
static inline int pk_mach_page_info(mach_port_t task, uintptr_t address, struct pk_page_info *page)
{
    if (task == mach_task_self())
        return pk_page_info(address, page);
    if ((address & ~(uintptr_t)(vm_page_size - 1)) > UINTPTR_MAX - vm_page_size)
        return -EFAULT;
    int disposition = 0;
    size_t count = 1;
    int error = pk_task_page_range_query(task, address, 1, &disposition, &count);
    page->disposition = disposition;
    page->ref_count = disposition != 0;
    page->offset = address & (vm_page_size - 1);
    return error;
}

static inline kern_return_t mach_vm_page_info(vm_map_read_t task, mach_vm_address_t address,
                                              vm_page_info_flavor_t flavor, vm_page_info_t info,
                                              mach_msg_type_number_t *count)
{
    if (pk_mach_bad_task(task) && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    /* XNU takes this count or one less (a caller built before __pad). */
    if (flavor != VM_PAGE_INFO_BASIC || info == NULL || count == NULL ||
        (*count != VM_PAGE_INFO_BASIC_COUNT && *count != VM_PAGE_INFO_BASIC_COUNT - 1))
        return pk_mach_result(PK_OP_PAGE_INFO, -EINVAL);
    struct pk_page_info page;
    int error = pk_mach_page_info(task, (uintptr_t)address, &page);
    if (error == 0) {
        vm_page_info_basic_t basic = (vm_page_info_basic_t)(void *)info;
        basic->disposition = page.disposition;
        basic->ref_count = page.ref_count;
        basic->object_id = 0;
        basic->offset = page.offset;
        basic->depth = 0;
        if (*count == VM_PAGE_INFO_BASIC_COUNT)
            basic->__pad = 0;
    }
    return pk_mach_result(PK_OP_PAGE_INFO, error);
}

static inline kern_return_t mach_vm_page_query(vm_map_read_t task, mach_vm_offset_t offset,
                                               integer_t *disposition, integer_t *ref_count)
{
    if (pk_mach_bad_task(task) && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    if (disposition == NULL || ref_count == NULL)
        return pk_mach_result(PK_OP_PAGE_INFO, -EINVAL);
    struct pk_page_info page;
    int error = pk_mach_page_info(task, (uintptr_t)offset, &page);
    if (error == 0) {
        *disposition = page.disposition;
        *ref_count = page.ref_count;
    }
    return pk_mach_result(PK_OP_PAGE_INFO, error);
}

static inline kern_return_t vm_map_page_query(vm_map_read_t task, vm_offset_t offset, integer_t *disposition,
                                              integer_t *ref_count)
{
    return mach_vm_page_query(task, offset, disposition, ref_count);
}

/* A buffer that cannot be written gives EFAULT's own number, 14, as XNU
 * returns copyout's errno as it is. */
static inline kern_return_t mach_vm_page_range_query(vm_map_read_t task, mach_vm_offset_t address,
                                                     mach_vm_size_t size, mach_vm_address_t dispositions,
                                                     mach_vm_size_t *dispositions_count)
{
    bool remote = pk_mach_bad_task(task);
    if (remote && !pk_task_valid(task))
        return pk_mach_invalid_destination();
    if (dispositions_count == NULL)
        return pk_mach_result(PK_OP_PAGE_QUERY, -EINVAL);
    size_t count = (size_t)*dispositions_count;
    int *buffer = (int *)(uintptr_t)dispositions;
    int error = remote ? pk_task_page_range_query(task, (uintptr_t)address, (size_t)size, buffer, &count)
                       : pk_page_range_query((uintptr_t)address, (size_t)size, buffer, &count);
    if (error == 0 || error == -EFAULT)
        *dispositions_count = count;
    return pk_mach_result(remote && error == -ESRCH ? PK_OP_TASK : PK_OP_PAGE_QUERY, error);
}

/* mach/mach_error.h: macOS's sentences ("(os/kern) invalid address"). */
static inline char *mach_error_string(mach_error_t error_value)
{
    return (char *)(uintptr_t)pk_mach_error_string(error_value);
}

static inline char *mach_error_type(mach_error_t error_value)
{
    return (char *)(uintptr_t)pk_mach_error_type(error_value);
}

/* Prints str and the sentence to standard error; a code macOS has no
 * sentence for comes with its subsystem and number, as there. */
static inline void mach_error(const char *str, mach_error_t error_value)
{
    if (pk_mach_error_known(error_value))
        fprintf(stderr, "%s %s\n", str, mach_error_string(error_value));
    else
        fprintf(stderr, "%s %s %s (%x)\n", str, mach_error_type(error_value), mach_error_string(error_value),
                (unsigned int)error_value);
}

#ifdef __cplusplus
}
#endif

#endif /* PAGEKIT_MACH_H */
