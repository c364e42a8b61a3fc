// SPDX-License-Identifier: Apache-2.0
/* Wiring: mach_vm_wire is mlock, counted as XNU counts user wirings, with
 * XNU's checks in XNU's order; the kernel's own "Locked:" figure in
 * /proc/self/smaps proves what is locked. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SELF mach_task_self()
#define HOST mach_host_self()

/* The kernel's count of locked bytes in the mapping holding address. */
static long locked_bytes(uintptr_t address)
{
    FILE *smaps = fopen("/proc/self/smaps", "re");
    if (smaps == NULL)
        return -1;
    char line[512];
    bool inside = false;
    long locked = -1;
    while (fgets(line, sizeof line, smaps) != NULL) {
        unsigned long low, high;
        if (sscanf(line, "%lx-%lx ", &low, &high) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = low <= address && address < high;
            continue;
        }
        long kib;
        if (inside && sscanf(line, "Locked: %ld kB", &kib) == 1) {
            locked = kib * 1024;
            break;
        }
    }
    fclose(smaps);
    return locked;
}

static unsigned int wirings(uintptr_t address)
{
    struct pk_region_info info;
    uintptr_t where = address;
    if (pk_region(&where, &info) != 0 || where > address)
        return 0;
    return info.user_wired_count;
}

TEST(wire_counts_wirings_as_xnu_does)
{
    uintptr_t region = allocate_or_die(4 * PAGE, 0);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 2 * PAGE, VM_PROT_READ | VM_PROT_WRITE), KERN_SUCCESS, 0);
    CHECK_INT(wirings(region), 1);
    CHECK_INT(wirings(region + 2 * PAGE), 0);
    CHECK_INT(locked_bytes(region), 2 * PAGE);
    /* Twice wired, twice unwired; the middle page shows the count split. */
    CHECK_KR(vm_wire(HOST, SELF, region + PAGE, 2 * PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_INT(wirings(region), 1);
    CHECK_INT(wirings(region + PAGE), 2);
    CHECK_INT(wirings(region + 2 * PAGE), 1);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 3 * PAGE, VM_PROT_NONE), KERN_SUCCESS, 0);
    CHECK_INT(wirings(region), 0);
    CHECK_INT(wirings(region + PAGE), 1);
    CHECK_INT(locked_bytes(region + PAGE), PAGE);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 4 * PAGE, VM_PROT_NONE), KERN_SUCCESS, 0);
    CHECK_INT(wirings(region + PAGE), 0);
    CHECK_INT(locked_bytes(region), 0);
    /* Memory that is not wired is passed over. */
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 4 * PAGE, VM_PROT_NONE), KERN_SUCCESS, 0);
    CHECK_INT(wirings(region), 0);
    CHECK_KR(vm_deallocate(SELF, region, 4 * PAGE), KERN_SUCCESS, 0);
    CHECK_INT(table_kernel_mismatches(), 0);
}

TEST(wire_checks_in_xnus_order)
{
    uintptr_t area = remote_reservation(6 * PAGE), region = area;
    CHECK_KR(vm_allocate(SELF, &region, 6 * PAGE, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE), KERN_SUCCESS, 0);
    CHECK_KR(vm_protect(SELF, region + PAGE, PAGE, FALSE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region + 3 * PAGE, PAGE), KERN_SUCCESS, 0);
    struct snapshot before;
    snapshot_take_all(&before);
    long locked_before = locked_bytes(region);
    /* Size 0 succeeds before the access is looked at. */
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 0, 0x1000), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, PAGE, 0x10), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(mach_vm_wire(HOST, SELF, (mach_vm_address_t)-PAGE, 2 * PAGE, VM_PROT_READ), KERN_INVALID_ARGUMENT,
             EINVAL);
    /* The first problem in address order: WRITE on the read-only page,
     * then the hole. */
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 6 * PAGE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE, EACCES);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 6 * PAGE, VM_PROT_READ), KERN_INVALID_ADDRESS, ENOMEM);
    CHECK_KR(mach_vm_wire(HOST, SELF, region + 3 * PAGE, PAGE, VM_PROT_NONE), KERN_INVALID_ADDRESS, ENOMEM);
    /* The ports: a dead host, a host that is not privileged, no task. */
    CHECK_KR(mach_vm_wire(MACH_PORT_NULL, SELF, region, PAGE, VM_PROT_READ), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(mach_vm_wire(HOST + 1, SELF, region, PAGE, VM_PROT_READ), KERN_INVALID_HOST, EPERM);
    CHECK_KR(mach_vm_wire(HOST, MACH_PORT_NULL, region, PAGE, VM_PROT_READ), KERN_INVALID_TASK, ESRCH);
    CHECK_INT(wirings(region), 0);
    CHECK_INT(locked_bytes(region), locked_before);
    CHECK_NOTHING_CHANGED(&before);
    /* Unwiring passes over later holes. */
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 3 * PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 6 * PAGE, VM_PROT_NONE), KERN_SUCCESS, 0);
    CHECK_INT(wirings(region), 0);
    CHECK_INT(locked_bytes(region), 0);
    CHECK_KR(vm_deallocate(SELF, region, 6 * PAGE), KERN_SUCCESS, 0);
}

/* Memory PageKit did not map is locked and unlocked as asked. */
TEST(wire_memory_pagekit_did_not_map)
{
    uintptr_t foreign = foreign_map(2 * PAGE, PROT_READ | PROT_WRITE);
    CHECK_KR(mach_vm_wire(HOST, SELF, foreign, 2 * PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_INT(locked_bytes(foreign), 2 * PAGE);
    CHECK_KR(mach_vm_wire(HOST, SELF, foreign, 2 * PAGE, VM_PROT_NONE), KERN_SUCCESS, 0);
    CHECK_INT(locked_bytes(foreign), 0);
    CHECK(munmap((void *)foreign, 2 * PAGE) == 0);
}

/* The kernel refusing to lock: everything this call locked is unlocked
 * again, and no count moves. */
TEST(wire_failure_locks_nothing)
{
    uintptr_t region = allocate_or_die(3 * PAGE, 0);
    CHECK_KR(mach_vm_wire(HOST, SELF, region + PAGE, PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    pk_sys_inject(PK_SYS_MLOCK, EAGAIN, 0, 1);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 3 * PAGE, VM_PROT_READ), KERN_RESOURCE_SHORTAGE, EAGAIN);
    pk_sys_inject_clear();
    CHECK_INT(wirings(region), 0);
    CHECK_INT(wirings(region + PAGE), 1);
    CHECK_KR(vm_deallocate(SELF, region, 3 * PAGE), KERN_SUCCESS, 0);
}

/* RLIMIT_MEMLOCK for real, as a user without CAP_IPC_LOCK. */
static void over_the_limit(void)
{
    if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0) {
        harness_fail(__FILE__, __LINE__, "could not become nobody");
        return;
    }
    struct rlimit limit = {16 * PAGE, 16 * PAGE};
    CHECK(setrlimit(RLIMIT_MEMLOCK, &limit) == 0);
    uintptr_t region = allocate_or_die(32 * PAGE, 0);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 32 * PAGE, VM_PROT_READ), KERN_RESOURCE_SHORTAGE, EAGAIN);
    CHECK_INT(wirings(region), 0);
    CHECK_INT(locked_bytes(region), 0);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 8 * PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_INT(locked_bytes(region), 8 * PAGE);
}

TEST(wire_beyond_the_memlock_limit_is_resource_shortage)
{
    CHECK_INT(run_in_child(over_the_limit), 0);
}

/* A child inherits no wiring, on Linux as on XNU. */
static void child_of_a_wired_parent(void)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(wirings(region) == 0 && locked_bytes(region) == 0 ? 0 : 1);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_INT(wirings(region), 1);
}

TEST(wire_is_not_inherited)
{
    CHECK_INT(run_in_child(child_of_a_wired_parent), 0);
}

/* Shared for the first time, wired pages move onto a memfd and stay
 * locked. */
TEST(wire_survives_the_first_share)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 2 * PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_inherit(SELF, region, 2 * PAGE, VM_INHERIT_SHARE), KERN_SUCCESS, 0);
    CHECK_INT(wirings(region), 1);
    CHECK_INT(locked_bytes(region), 2 * PAGE);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 2 * PAGE, VM_PROT_NONE), KERN_SUCCESS, 0);
    CHECK_INT(locked_bytes(region), 0);
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
}

/* The first share of wired memory cannot lock its new pages (injected:
 * the limit a kernel could reach meanwhile): the share fails with the
 * kernel's code and the memory stays private, with its bytes, wired and
 * locked. */
TEST(wire_a_share_that_cannot_lock_changes_nothing)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    fill_pattern(region, 2 * PAGE, 33);
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 2 * PAGE, VM_PROT_READ), KERN_SUCCESS, 0);
    pk_sys_inject(PK_SYS_MLOCK, EAGAIN, 0, 1);
    CHECK_KR(mach_vm_inherit(SELF, region, 2 * PAGE, VM_INHERIT_SHARE), KERN_RESOURCE_SHORTAGE, EAGAIN);
    pk_sys_inject_clear();
    struct pk_region_info info = {0};
    uintptr_t at = region;
    CHECK_ERRNO(pk_region(&at, &info), 0);
    CHECK(!(info.flags & PK_REGION_SHARED));
    CHECK_INT(info.inheritance, PK_INHERIT_COPY);
    CHECK_INT(wirings(region), 1);
    CHECK_INT(locked_bytes(region), 2 * PAGE);
    CHECK(has_pattern(region, 2 * PAGE, 33));
    CHECK_KR(mach_vm_wire(HOST, SELF, region, 2 * PAGE, VM_PROT_NONE), KERN_SUCCESS, 0);
    CHECK_KR(vm_deallocate(SELF, region, 2 * PAGE), KERN_SUCCESS, 0);
}
