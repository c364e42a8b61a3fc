// SPDX-License-Identifier: Apache-2.0
/*
 * macos_names.c - a source written as for macOS: it includes only
 * <mach/mach.h> and <mach/mach_vm.h>, and every name it uses must exist
 * with XNU's value. make check-install builds it against the installed
 * headers (pkg-config --cflags --libs pagekit-mach) as C and as C++, then
 * runs it for the names whose values only the running kernel knows.
 */
#include <mach/mach.h>
#include <mach/mach_vm.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef __cplusplus
#define SAME(name, value) static_assert((name) == (value), #name)
#else
#define SAME(name, value) _Static_assert((name) == (value), #name)
#endif

/* kern_return.h */
SAME(KERN_SUCCESS, 0);
SAME(KERN_INVALID_ADDRESS, 1);
SAME(KERN_PROTECTION_FAILURE, 2);
SAME(KERN_NO_SPACE, 3);
SAME(KERN_INVALID_ARGUMENT, 4);
SAME(KERN_FAILURE, 5);
SAME(KERN_RESOURCE_SHORTAGE, 6);
SAME(KERN_NOT_RECEIVER, 7);
SAME(KERN_NO_ACCESS, 8);
SAME(KERN_MEMORY_FAILURE, 9);
SAME(KERN_MEMORY_ERROR, 10);
SAME(KERN_ALREADY_IN_SET, 11);
SAME(KERN_NOT_IN_SET, 12);
SAME(KERN_NAME_EXISTS, 13);
SAME(KERN_ABORTED, 14);
SAME(KERN_INVALID_NAME, 15);
SAME(KERN_INVALID_TASK, 16);
SAME(KERN_INVALID_RIGHT, 17);
SAME(KERN_INVALID_VALUE, 18);
SAME(KERN_UREFS_OVERFLOW, 19);
SAME(KERN_INVALID_CAPABILITY, 20);
SAME(KERN_RIGHT_EXISTS, 21);
SAME(KERN_INVALID_HOST, 22);
SAME(KERN_MEMORY_PRESENT, 23);
SAME(KERN_MEMORY_DATA_MOVED, 24);
SAME(KERN_MEMORY_RESTART_COPY, 25);
SAME(KERN_INVALID_PROCESSOR_SET, 26);
SAME(KERN_POLICY_LIMIT, 27);
SAME(KERN_INVALID_POLICY, 28);
SAME(KERN_INVALID_OBJECT, 29);
SAME(KERN_ALREADY_WAITING, 30);
SAME(KERN_DEFAULT_SET, 31);
SAME(KERN_EXCEPTION_PROTECTED, 32);
SAME(KERN_INVALID_LEDGER, 33);
SAME(KERN_INVALID_MEMORY_CONTROL, 34);
SAME(KERN_INVALID_SECURITY, 35);
SAME(KERN_NOT_DEPRESSED, 36);
SAME(KERN_TERMINATED, 37);
SAME(KERN_LOCK_SET_DESTROYED, 38);
SAME(KERN_LOCK_UNSTABLE, 39);
SAME(KERN_LOCK_OWNED, 40);
SAME(KERN_LOCK_OWNED_SELF, 41);
SAME(KERN_SEMAPHORE_DESTROYED, 42);
SAME(KERN_RPC_SERVER_TERMINATED, 43);
SAME(KERN_RPC_TERMINATE_ORPHAN, 44);
SAME(KERN_RPC_CONTINUE_ORPHAN, 45);
SAME(KERN_NOT_SUPPORTED, 46);
SAME(KERN_NODE_DOWN, 47);
SAME(KERN_NOT_WAITING, 48);
SAME(KERN_OPERATION_TIMED_OUT, 49);
SAME(KERN_CODESIGN_ERROR, 50);
SAME(KERN_POLICY_STATIC, 51);
SAME(KERN_INSUFFICIENT_BUFFER_SIZE, 52);
SAME(KERN_DENIED, 53);
SAME(KERN_MISSING_KC, 54);
SAME(KERN_INVALID_KC, 55);
SAME(KERN_NOT_FOUND, 56);
SAME(KERN_RETURN_MAX, 0x100);
SAME(ERR_SUCCESS, 0);
SAME(err_mach_ipc, 0x10000000);
SAME(MACH_SEND_INVALID_DEST, 0x10000003);
SAME(MACH_SEND_INVALID_MEMORY, 0x1000000c);

/* vm_statistics.h: every tag */
SAME(VM_MEMORY_MALLOC, 1);
SAME(VM_MEMORY_MALLOC_SMALL, 2);
SAME(VM_MEMORY_MALLOC_LARGE, 3);
SAME(VM_MEMORY_MALLOC_HUGE, 4);
SAME(VM_MEMORY_SBRK, 5);
SAME(VM_MEMORY_REALLOC, 6);
SAME(VM_MEMORY_MALLOC_TINY, 7);
SAME(VM_MEMORY_MALLOC_LARGE_REUSABLE, 8);
SAME(VM_MEMORY_MALLOC_LARGE_REUSED, 9);
SAME(VM_MEMORY_ANALYSIS_TOOL, 10);
SAME(VM_MEMORY_MALLOC_NANO, 11);
SAME(VM_MEMORY_MALLOC_MEDIUM, 12);
SAME(VM_MEMORY_MALLOC_PROB_GUARD, 13);
SAME(VM_MEMORY_MACH_MSG, 20);
SAME(VM_MEMORY_IOKIT, 21);
SAME(VM_MEMORY_STACK, 30);
SAME(VM_MEMORY_GUARD, 31);
SAME(VM_MEMORY_SHARED_PMAP, 32);
SAME(VM_MEMORY_DYLIB, 33);
SAME(VM_MEMORY_OBJC_DISPATCHERS, 34);
SAME(VM_MEMORY_UNSHARED_PMAP, 35);
SAME(VM_MEMORY_APPKIT, 40);
SAME(VM_MEMORY_FOUNDATION, 41);
SAME(VM_MEMORY_COREGRAPHICS, 42);
SAME(VM_MEMORY_CORESERVICES, 43);
SAME(VM_MEMORY_JAVA, 44);
SAME(VM_MEMORY_COREDATA, 45);
SAME(VM_MEMORY_COREDATA_OBJECTIDS, 46);
SAME(VM_MEMORY_ATS, 50);
SAME(VM_MEMORY_LAYERKIT, 51);
SAME(VM_MEMORY_CGIMAGE, 52);
SAME(VM_MEMORY_TCMALLOC, 53);
SAME(VM_MEMORY_COREGRAPHICS_DATA, 54);
SAME(VM_MEMORY_COREGRAPHICS_SHARED, 55);
SAME(VM_MEMORY_COREGRAPHICS_FRAMEBUFFERS, 56);
SAME(VM_MEMORY_COREGRAPHICS_BACKINGSTORES, 57);
SAME(VM_MEMORY_COREGRAPHICS_XALLOC, 58);
SAME(VM_MEMORY_DYLD, 60);
SAME(VM_MEMORY_DYLD_MALLOC, 61);
SAME(VM_MEMORY_SQLITE, 62);
SAME(VM_MEMORY_JAVASCRIPT_CORE, 63);
SAME(VM_MEMORY_JAVASCRIPT_JIT_EXECUTABLE_ALLOCATOR, 64);
SAME(VM_MEMORY_JAVASCRIPT_JIT_REGISTER_FILE, 65);
SAME(VM_MEMORY_GLSL, 66);
SAME(VM_MEMORY_OPENCL, 67);
SAME(VM_MEMORY_COREIMAGE, 68);
SAME(VM_MEMORY_WEBCORE_PURGEABLE_BUFFERS, 69);
SAME(VM_MEMORY_IMAGEIO, 70);
SAME(VM_MEMORY_COREPROFILE, 71);
SAME(VM_MEMORY_ASSETSD, 72);
SAME(VM_MEMORY_OS_ALLOC_ONCE, 73);
SAME(VM_MEMORY_LIBDISPATCH, 74);
SAME(VM_MEMORY_ACCELERATE, 75);
SAME(VM_MEMORY_COREUI, 76);
SAME(VM_MEMORY_COREUIFILE, 77);
SAME(VM_MEMORY_GENEALOGY, 78);
SAME(VM_MEMORY_RAWCAMERA, 79);
SAME(VM_MEMORY_CORPSEINFO, 80);
SAME(VM_MEMORY_ASL, 81);
SAME(VM_MEMORY_SWIFT_RUNTIME, 82);
SAME(VM_MEMORY_SWIFT_METADATA, 83);
SAME(VM_MEMORY_DHMM, 84);
SAME(VM_MEMORY_SCENEKIT, 86);
SAME(VM_MEMORY_SKYWALK, 87);
SAME(VM_MEMORY_IOSURFACE, 88);
SAME(VM_MEMORY_LIBNETWORK, 89);
SAME(VM_MEMORY_AUDIO, 90);
SAME(VM_MEMORY_VIDEOBITSTREAM, 91);
SAME(VM_MEMORY_CM_XPC, 92);
SAME(VM_MEMORY_CM_RPC, 93);
SAME(VM_MEMORY_CM_MEMORYPOOL, 94);
SAME(VM_MEMORY_CM_READCACHE, 95);
SAME(VM_MEMORY_CM_CRABS, 96);
SAME(VM_MEMORY_QUICKLOOK_THUMBNAILS, 97);
SAME(VM_MEMORY_ACCOUNTS, 98);
SAME(VM_MEMORY_SANITIZER, 99);
SAME(VM_MEMORY_IOACCELERATOR, 100);
SAME(VM_MEMORY_CM_REGWARP, 101);
SAME(VM_MEMORY_EAR_DECODER, 102);
SAME(VM_MEMORY_COREUI_CACHED_IMAGE_DATA, 103);
SAME(VM_MEMORY_COLORSYNC, 104);
SAME(VM_MEMORY_BTINFO, 105);
SAME(VM_MEMORY_CM_HLS, 106);
SAME(VM_MEMORY_ROSETTA, 230);
SAME(VM_MEMORY_ROSETTA_THREAD_CONTEXT, 231);
SAME(VM_MEMORY_ROSETTA_INDIRECT_BRANCH_MAP, 232);
SAME(VM_MEMORY_ROSETTA_RETURN_STACK, 233);
SAME(VM_MEMORY_ROSETTA_EXECUTABLE_HEAP, 234);
SAME(VM_MEMORY_ROSETTA_USER_LDT, 235);
SAME(VM_MEMORY_ROSETTA_ARENA, 236);
SAME(VM_MEMORY_ROSETTA_10, 239);
SAME(VM_MEMORY_APPLICATION_SPECIFIC_1, 240);
SAME(VM_MEMORY_APPLICATION_SPECIFIC_16, 255);
SAME(VM_MEMORY_COUNT, 256);
SAME(VM_MEMORY_CARBON, 43);
SAME(VM_MEMORY_COREGRAPHICS_MISC, 42);
SAME(VM_MEMORY_WEBASSEMBLY, 63);
SAME(VM_MAKE_TAG(VM_MEMORY_FOUNDATION), 0x29000000u);

/* Flags */
SAME(VM_FLAGS_FIXED, 0x0);
SAME(VM_FLAGS_ANYWHERE, 0x1);
SAME(VM_FLAGS_PURGABLE, 0x2);
SAME(VM_FLAGS_4GB_CHUNK, 0x4);
SAME(VM_FLAGS_RANDOM_ADDR, 0x8);
SAME(VM_FLAGS_NO_CACHE, 0x10);
SAME(VM_FLAGS_RESILIENT_CODESIGN, 0x20);
SAME(VM_FLAGS_RESILIENT_MEDIA, 0x40);
SAME(VM_FLAGS_PERMANENT, 0x80);
SAME(VM_FLAGS_TPRO, 0x1000);
SAME(VM_FLAGS_HW, 0x1000);
SAME(VM_FLAGS_OVERWRITE, 0x4000);
SAME(VM_FLAGS_SUPERPAGE_MASK, 0x70000);
SAME(VM_FLAGS_SUPERPAGE_SIZE_ANY, 0x10000);
SAME(VM_FLAGS_SUPERPAGE_SIZE_2MB, 0x20000);
SAME(VM_FLAGS_RETURN_DATA_ADDR, 0x100000);
SAME(VM_FLAGS_RETURN_4K_DATA_ADDR, 0x800000);
SAME(VM_FLAGS_ALIAS_MASK, 0xFF000000u);
SAME(VM_FLAGS_USER_ALLOCATE, 0xFF07509Fu);
SAME(VM_FLAGS_USER_MAP, 0xFF97509Fu);
SAME(VM_FLAGS_USER_REMAP, 0x00104069u);

/* Protections and inheritance */
SAME(VM_PROT_NONE, 0);
SAME(VM_PROT_DEFAULT, 3);
SAME(VM_PROT_ALL, 7);
SAME(VM_PROT_COPY, 0x10);
SAME(VM_PROT_WANTS_COPY, 0x10);
SAME(VM_PROT_IS_MASK, 0x40);
SAME(VM_PROT_STRIP_READ, 0x80);
SAME(VM_PROT_EXECUTE_ONLY, 0x84);
SAME(VM_PROT_NO_CHANGE, 0x01000000);
SAME(VM_PROT_TPRO, 0x200);
SAME(VM_INHERIT_SHARE, 0u);
SAME(VM_INHERIT_COPY, 1u);
SAME(VM_INHERIT_NONE, 2u);
SAME(VM_INHERIT_DONATE_COPY, 3u);
SAME(VM_INHERIT_DEFAULT, 1u);
SAME(VM_INHERIT_LAST_VALID, 2u);

/* Purgeable memory */
SAME(VM_PURGABLE_SET_STATE, 0);
SAME(VM_PURGABLE_GET_STATE, 1);
SAME(VM_PURGABLE_PURGE_ALL, 2);
SAME(VM_PURGABLE_SET_STATE_FROM_KERNEL, 3);
SAME(VM_PURGABLE_NONVOLATILE, 0);
SAME(VM_PURGABLE_VOLATILE, 1);
SAME(VM_PURGABLE_EMPTY, 2);
SAME(VM_PURGABLE_DENY, 3);
SAME(VM_PURGABLE_STATE_MASK, 3);
SAME(VM_PURGABLE_STATE_MIN, 0);
SAME(VM_PURGABLE_STATE_MAX, 3);
SAME(VM_PURGABLE_NO_AGING, 0x10000);
SAME(VM_PURGABLE_NO_AGING_MASK, 0x10000);
SAME(VM_PURGABLE_DEBUG_MASK, 0x3000);
SAME(VM_PURGABLE_DEBUG_EMPTY, 0x1000);
SAME(VM_PURGABLE_DEBUG_FAULT, 0x2000);
SAME(VM_VOLATILE_GROUP_SHIFT, 8);
SAME(VM_VOLATILE_GROUP_MASK, 0x700);
SAME(VM_VOLATILE_GROUP_DEFAULT, 0);
SAME(VM_VOLATILE_GROUP_0, 0x000);
SAME(VM_VOLATILE_GROUP_1, 0x100);
SAME(VM_VOLATILE_GROUP_2, 0x200);
SAME(VM_VOLATILE_GROUP_3, 0x300);
SAME(VM_VOLATILE_GROUP_4, 0x400);
SAME(VM_VOLATILE_GROUP_5, 0x500);
SAME(VM_VOLATILE_GROUP_6, 0x600);
SAME(VM_VOLATILE_GROUP_7, 0x700);
SAME(VM_PURGABLE_BEHAVIOR_MASK, 0x40);
SAME(VM_PURGABLE_BEHAVIOR_FIFO, 0x0);
SAME(VM_PURGABLE_BEHAVIOR_LIFO, 0x40);
SAME(VM_PURGABLE_ORDERING_MASK, 0x20);
SAME(VM_PURGABLE_ORDERING_OBSOLETE, 0x20);
SAME(VM_PURGABLE_ORDERING_NORMAL, 0x0);
SAME(VM_VOLATILE_ORDER_MASK, 0x10);
SAME(VM_VOLATILE_MAKE_FIRST_IN_GROUP, 0x10);
SAME(VM_VOLATILE_MAKE_LAST_IN_GROUP, 0x0);
SAME(VM_PURGABLE_ALL_MASKS, 0x13773);

/* Behaviours, sync flags, attributes, page queries, regions */
SAME(VM_BEHAVIOR_DEFAULT, 0);
SAME(VM_BEHAVIOR_RANDOM, 1);
SAME(VM_BEHAVIOR_SEQUENTIAL, 2);
SAME(VM_BEHAVIOR_RSEQNTL, 3);
SAME(VM_BEHAVIOR_WILLNEED, 4);
SAME(VM_BEHAVIOR_DONTNEED, 5);
SAME(VM_BEHAVIOR_FREE, 6);
SAME(VM_BEHAVIOR_ZERO_WIRED_PAGES, 7);
SAME(VM_BEHAVIOR_REUSABLE, 8);
SAME(VM_BEHAVIOR_REUSE, 9);
SAME(VM_BEHAVIOR_CAN_REUSE, 10);
SAME(VM_BEHAVIOR_PAGEOUT, 11);
SAME(VM_BEHAVIOR_ZERO, 12);
SAME(VM_BEHAVIOR_LAST_VALID, 12);
SAME(VM_SYNC_ASYNCHRONOUS, 0x01u);
SAME(VM_SYNC_SYNCHRONOUS, 0x02u);
SAME(VM_SYNC_INVALIDATE, 0x04u);
SAME(VM_SYNC_KILLPAGES, 0x08u);
SAME(VM_SYNC_DEACTIVATE, 0x10u);
SAME(VM_SYNC_CONTIGUOUS, 0x20u);
SAME(VM_SYNC_REUSABLEPAGES, 0x40u);
SAME(MATTR_CACHE, 1);
SAME(MATTR_MIGRATE, 2);
SAME(MATTR_REPLICATE, 4);
SAME(MATTR_VAL_OFF, 0);
SAME(MATTR_VAL_ON, 1);
SAME(MATTR_VAL_GET, 2);
SAME(MATTR_VAL_CACHE_FLUSH, 6);
SAME(MATTR_VAL_DCACHE_FLUSH, 7);
SAME(MATTR_VAL_ICACHE_FLUSH, 8);
SAME(MATTR_VAL_CACHE_SYNC, 9);
SAME(MATTR_VAL_GET_INFO, 10);
SAME(VM_PAGE_QUERY_PAGE_PRESENT, 0x1);
SAME(VM_PAGE_QUERY_PAGE_FICTITIOUS, 0x2);
SAME(VM_PAGE_QUERY_PAGE_REF, 0x4);
SAME(VM_PAGE_QUERY_PAGE_DIRTY, 0x8);
SAME(VM_PAGE_QUERY_PAGE_PAGED_OUT, 0x10);
SAME(VM_PAGE_QUERY_PAGE_COPIED, 0x20);
SAME(VM_PAGE_QUERY_PAGE_SPECULATIVE, 0x40);
SAME(VM_PAGE_QUERY_PAGE_EXTERNAL, 0x80);
SAME(VM_PAGE_QUERY_PAGE_CS_VALIDATED, 0x100);
SAME(VM_PAGE_QUERY_PAGE_CS_TAINTED, 0x200);
SAME(VM_PAGE_QUERY_PAGE_CS_NX, 0x400);
SAME(VM_PAGE_QUERY_PAGE_REUSABLE, 0x800);
SAME(VM_REGION_BASIC_INFO_64, 9);
SAME(VM_REGION_BASIC_INFO, 10);
SAME(VM_REGION_TOP_INFO, 12);
SAME(VM_REGION_EXTENDED_INFO, 13);
SAME(VM_REGION_BASIC_INFO_COUNT_64, 9);
SAME(VM_REGION_EXTENDED_INFO_COUNT, 9);
SAME(VM_REGION_TOP_INFO_COUNT, 5);
SAME(VM_REGION_SUBMAP_INFO_COUNT_64, 19);
SAME(VM_REGION_SUBMAP_INFO_V1_COUNT_64, 17);
SAME(VM_REGION_SUBMAP_INFO_V0_COUNT_64, 16);
SAME(VM_REGION_SUBMAP_SHORT_INFO_COUNT_64, 12);
SAME(TASK_VM_INFO, 22);
SAME(TASK_VM_INFO_COUNT, 93);
SAME(TASK_VM_INFO_REV0_COUNT, 36);
SAME(sizeof(struct task_vm_info), 372);
SAME(VM_PAGE_INFO_BASIC, 1);
SAME(VM_PAGE_INFO_BASIC_COUNT, 8);
SAME(VM_MAP_ENTRY_MAX, 256);
SAME(SM_COW, 1);
SAME(SM_PRIVATE, 2);
SAME(SM_EMPTY, 3);
SAME(SM_SHARED, 4);
SAME(SM_TRUESHARED, 5);
SAME(SM_PRIVATE_ALIASED, 6);
SAME(SM_SHARED_ALIASED, 7);
SAME(SM_LARGE_PAGE, 8);

/* Null ports and maps, address limits, page-size constants */
SAME(MACH_PORT_NULL, 0);
SAME(VM_MAP_NULL, 0u);
SAME(TASK_NULL, 0u);
SAME(MEMORY_OBJECT_NULL, 0u);
SAME(MACH_VM_MIN_ADDRESS, 0u);
SAME(PAGE_MIN_SIZE, 4096);
SAME(sizeof(struct vm_region_submap_info_64), 76);
SAME(sizeof(struct vm_region_submap_short_info_64), 48);
SAME(sizeof(struct vm_page_info_basic), 32);
SAME(sizeof(vm_purgeable_stat_t), 16);
SAME(sizeof(task_purgable_info_t), 272);
SAME(sizeof(mach_vm_address_t), 8);
SAME(sizeof(vm_address_t), sizeof(void *));

/* The types real code declares. */
static mach_port_t port;
static task_t task;
static vm_map_t map;
static vm_map_read_t read_map;
static mach_vm_address_t address;
static mach_vm_size_t size;
static mach_vm_offset_t offset;
static vm_address_t short_address;
static vm_size_t short_size;
static vm_offset_t data;
static pointer_t pointer;
static vm_prot_t protection;
static vm_inherit_t inheritance;
static vm_behavior_t behavior;
static vm_purgable_t control;
static vm_sync_t sync_flags;
static vm_machine_attribute_t attribute;
static vm_machine_attribute_val_t attribute_value;
static mach_msg_type_number_t count;
static natural_t depth;
static integer_t disposition;
static boolean_t flag;
static mach_error_t error_value;
static mem_entry_name_port_t entry;
static memory_object_size_t object_size;
static memory_object_offset_t object_offset;
static vm_region_flavor_t flavor;
static vm_region_info_t info;
static vm_region_recurse_info_t recurse_info;
static vm_page_info_t page_info;
static vm_page_info_flavor_t page_flavor;
static vm_region_basic_info_data_64_t basic;
static vm_region_extended_info_data_t extended;
static vm_region_top_info_data_t top;
static vm_region_submap_info_data_64_t submap;
static vm_region_submap_short_info_data_64_t short_submap;
static vm_page_info_basic_data_t page;
static mach_vm_read_entry_t read_list;
static vm_read_entry_t short_read_list;
static host_t host;
static host_priv_t host_priv;
static task_name_t task_name;

int main(void)
{
    int failures = 0;
    long system_page = sysconf(_SC_PAGESIZE);
    /* What only the running kernel knows. */
    failures += PAGE_SIZE != (vm_size_t)system_page;
    failures += PAGE_MASK != (vm_size_t)system_page - 1;
    failures += (1L << PAGE_SHIFT) != system_page;
    failures += vm_page_size != (vm_size_t)system_page || vm_page_mask != vm_page_size - 1;
    failures += (1L << vm_page_shift) != system_page;
    failures += vm_kernel_page_size != vm_page_size || vm_kernel_page_mask != vm_page_mask ||
                vm_kernel_page_shift != vm_page_shift;
    failures += PAGE_MAX_SIZE < (long)vm_page_size || PAGE_MIN_SIZE > (long)vm_page_size;
    failures += round_page((vm_size_t)1) != vm_page_size || trunc_page(vm_page_size + 1) != vm_page_size;
    failures += mach_vm_round_page(vm_page_size + 1) != 2 * (mach_vm_offset_t)vm_page_size;
    failures += mach_vm_trunc_page(vm_page_size - 1) != 0;
    failures += MACH_VM_MAX_ADDRESS <= 0x7fff00000000ULL;
    failures += strcmp(mach_error_string(ERR_SUCCESS), "(os/kern) successful") != 0;
    failures += strcmp(mach_error_string(KERN_INVALID_MEMORY_CONTROL), "(os/kern) invalid memory control") != 0;
    failures += strcmp(mach_error_type(KERN_SUCCESS), "(os/kern)") != 0;
    /* A tagged, purgeable allocation as Core Foundation makes one. */
    address = 0;
    size = round_page((mach_vm_size_t)3 * vm_page_size / 2);
    kern_return_t kr = mach_vm_allocate(mach_task_self(), &address, size,
                                        VM_FLAGS_ANYWHERE | VM_FLAGS_PURGABLE | VM_MAKE_TAG(VM_MEMORY_FOUNDATION));
    int state = VM_PURGABLE_VOLATILE | VM_VOLATILE_GROUP_DEFAULT | VM_PURGABLE_BEHAVIOR_LIFO;
    if (kr == ERR_SUCCESS)
        kr = mach_vm_purgable_control(mach_task_self(), address, VM_PURGABLE_SET_STATE, &state);
    if (kr != KERN_SUCCESS) {
        mach_error("macos_names:", kr);
        failures++;
    }
    failures += mach_vm_deallocate(mach_task_self(), address, size) != KERN_SUCCESS;
    /* Moving bytes, as a debugger or a ring buffer does. */
    static char source[64] = "copied by the Mach calls", target[64];
    mach_vm_size_t outsize = 0;
    kr = mach_vm_read_overwrite(mach_task_self(), (mach_vm_address_t)source, sizeof source,
                                (mach_vm_address_t)target, &outsize);
    failures += kr != KERN_SUCCESS || outsize != sizeof source || strcmp(target, source) != 0;
    failures += mach_vm_write(mach_task_self(), (mach_vm_address_t)target, (vm_offset_t)"written", 8) != KERN_SUCCESS;
    failures += mach_vm_copy(mach_task_self(), (mach_vm_address_t)target, 8, (mach_vm_address_t)source) != KERN_SUCCESS;
    vm_offset_t copy = 0;
    mach_msg_type_number_t copied = 0;
    failures += mach_vm_read(mach_task_self(), (mach_vm_address_t)source, 8, &copy, &copied) != KERN_SUCCESS ||
                copied != 8 || strcmp((const char *)copy, "written") != 0;
    failures += vm_deallocate(mach_task_self(), copy, copied) != KERN_SUCCESS;
    /* Wiring, advice, write-back, caches, what pages are. */
    mach_vm_address_t page_address = 0;
    failures += mach_vm_allocate(mach_task_self(), &page_address, vm_page_size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS;
    *(volatile char *)page_address = 1;
    failures += mach_vm_wire(mach_host_self(), mach_task_self(), page_address, vm_page_size, VM_PROT_READ) !=
                KERN_SUCCESS;
    failures += mach_vm_wire(mach_host_self(), mach_task_self(), page_address, vm_page_size, VM_PROT_NONE) !=
                KERN_SUCCESS;
    failures += mach_vm_behavior_set(mach_task_self(), page_address, vm_page_size, VM_BEHAVIOR_SEQUENTIAL) !=
                KERN_SUCCESS;
    failures += mach_vm_msync(mach_task_self(), page_address, vm_page_size, VM_SYNC_ASYNCHRONOUS) != KERN_SUCCESS;
    attribute_value = MATTR_VAL_CACHE_FLUSH;
    kr = mach_vm_machine_attribute(mach_task_self(), page_address, vm_page_size, MATTR_CACHE, &attribute_value);
    failures += kr != KERN_SUCCESS && kr != KERN_INVALID_ADDRESS;
    integer_t page_references = 0;
    failures += mach_vm_page_query(mach_task_self(), page_address, &disposition, &page_references) != KERN_SUCCESS ||
                !(disposition & VM_PAGE_QUERY_PAGE_PRESENT);
    count = VM_PAGE_INFO_BASIC_COUNT;
    failures += mach_vm_page_info(mach_task_self(), page_address, VM_PAGE_INFO_BASIC, (vm_page_info_t)&page,
                                  &count) != KERN_SUCCESS;
    int dispositions[1];
    mach_vm_size_t disposition_count = 1;
    failures += mach_vm_page_range_query(mach_task_self(), page_address, vm_page_size,
                                         (mach_vm_address_t)dispositions, &disposition_count) != KERN_SUCCESS ||
                disposition_count != 1;
    mach_vm_address_t walk = page_address;
    mach_vm_size_t walk_size = 0;
    count = VM_REGION_SUBMAP_INFO_COUNT_64;
    failures += mach_vm_region_recurse(mach_task_self(), &walk, &walk_size, &depth, (vm_region_recurse_info_t)&submap,
                                       &count) != KERN_SUCCESS ||
                submap.pages_resident != 1;
    task_vm_info_data_t vm_info;
    count = TASK_VM_INFO_COUNT;
    failures += task_info(mach_task_self(), TASK_VM_INFO, (task_info_t)&vm_info, &count) != KERN_SUCCESS ||
                vm_info.phys_footprint == 0;
    task_purgable_info_t purgeable_info;
    failures += task_purgable_info(mach_task_self(), &purgeable_info) != KERN_SUCCESS;
    mach_port_name_t own_task = MACH_PORT_NULL;
    int own_pid = 0;
    failures += task_for_pid(mach_task_self(), getpid(), &own_task) != KERN_SUCCESS ||
                pid_for_task(own_task, &own_pid) != KERN_SUCCESS || own_pid != getpid();
    failures += mach_vm_deallocate(mach_task_self(), page_address, vm_page_size) != KERN_SUCCESS;
    read_list[0].address = (mach_vm_address_t)source;
    read_list[0].size = 8;
    failures += mach_vm_read_list(mach_task_self(), read_list, 1) != KERN_SUCCESS ||
                mach_vm_deallocate(mach_task_self(), read_list[0].address, 8) != KERN_SUCCESS;
    (void)port, (void)task, (void)map, (void)read_map, (void)offset, (void)short_address, (void)short_size;
    (void)data, (void)pointer, (void)protection, (void)inheritance, (void)behavior, (void)control;
    (void)sync_flags, (void)attribute, (void)attribute_value, (void)count, (void)depth, (void)disposition;
    (void)flag, (void)error_value, (void)entry, (void)object_size, (void)object_offset, (void)flavor, (void)info;
    (void)recurse_info, (void)page_info, (void)page_flavor, (void)basic, (void)extended, (void)top, (void)submap;
    (void)short_submap, (void)page, (void)read_list, (void)short_read_list, (void)host, (void)host_priv;
    (void)task_name;
    printf("macos_names: %s\n", failures == 0 ? "every name has XNU's value" : "values differ");
    return failures != 0;
}
