// SPDX-License-Identifier: Apache-2.0
/* Other processes as tasks: task_for_pid where Linux allows debugging the
 * other process, then mach_vm_read, read_overwrite, read_list, write,
 * copy, region, region_recurse and the page queries on a real child; a
 * refusal for a process this one may not debug; a dead port once the child
 * is gone; KERN_NOT_SUPPORTED for calls that cannot act on another task. */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SELF mach_task_self()

/* A child with a region of 4 pages (pattern 41; page 2 read-only, page 3
 * PROT_NONE) and a hole after it, which waits until told to check what
 * the parent wrote, then exits 0 if it finds it. */
struct child {
    pid_t pid;
    uintptr_t region;
    int to_child, from_child;
};

static struct child start_child(void)
{
    int down[2], up[2];
    struct child child = {0};
    if (pipe(down) != 0 || pipe(up) != 0)
        abort();
    child.pid = fork();
    if (child.pid == 0) {
        uintptr_t region = allocate_or_die(5 * PAGE, 0);
        fill_pattern(region, 4 * PAGE, 41);
        vm_protect(SELF, region + 2 * PAGE, PAGE, FALSE, VM_PROT_READ);
        vm_protect(SELF, region + 3 * PAGE, PAGE, FALSE, VM_PROT_NONE);
        vm_deallocate(SELF, region + 4 * PAGE, PAGE);
        if (write(up[1], &region, sizeof region) != sizeof region)
            _exit(2);
        char go;
        if (read(down[0], &go, 1) != 1)
            _exit(3);
        _exit(memcmp((void *)(region + 10), "written by the parent", 21) == 0 ? 0 : 1);
    }
    close(down[0]);
    close(up[1]);
    child.to_child = down[1];
    child.from_child = up[0];
    if (read(child.from_child, &child.region, sizeof child.region) != sizeof child.region)
        abort();
    return child;
}

static int finish_child(struct child *child)
{
    int status = 0;
    if (write(child->to_child, "x", 1) != 1)
        return -1;
    waitpid(child->pid, &status, 0);
    close(child->to_child);
    close(child->from_child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(task_reads_and_writes_a_child)
{
    struct child child = start_child();
    mach_port_name_t task = MACH_PORT_NULL;
    CHECK_KR(task_for_pid(SELF, child.pid, &task), KERN_SUCCESS, 0);
    CHECK(task != MACH_PORT_NULL && task != SELF);
    int pid = 0;
    CHECK_KR(pid_for_task(task, &pid), KERN_SUCCESS, 0);
    CHECK_INT(pid, child.pid);
    /* Read: fresh memory here, as for this task. */
    vm_offset_t data = 0;
    mach_msg_type_number_t count = 0;
    CHECK_KR(mach_vm_read(task, child.region, 3 * PAGE, &data, &count), KERN_SUCCESS, 0);
    CHECK_INT(count, 3 * PAGE);
    CHECK(has_pattern(data, 3 * PAGE, 41));
    CHECK_KR(vm_deallocate(SELF, data, count), KERN_SUCCESS, 0);
    char buffer[64];
    mach_vm_size_t outsize = 0;
    CHECK_KR(mach_vm_read_overwrite(task, child.region + 5, 20, (mach_vm_address_t)buffer, &outsize), KERN_SUCCESS,
             0);
    CHECK_INT(outsize, 20);
    mach_vm_read_entry_t list;
    memset(list, 0, sizeof list);
    list[0] = (struct mach_vm_read_entry){child.region, 16};
    list[1] = (struct mach_vm_read_entry){child.region + 4 * PAGE, 16};
    CHECK_KR(mach_vm_read_list(task, list, 2), KERN_INVALID_ADDRESS, EFAULT);
    CHECK(list[0].address != 0 && list[1].address == 0);
    CHECK_KR(mach_vm_deallocate(SELF, list[0].address, 16), KERN_SUCCESS, 0);
    /* XNU's codes for what cannot be read or written there. */
    CHECK_KR(mach_vm_read_overwrite(task, child.region + 3 * PAGE, 16, (mach_vm_address_t)buffer, &outsize),
             KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_read_overwrite(task, child.region + 4 * PAGE, 16, (mach_vm_address_t)buffer, &outsize),
             KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_write(task, child.region + 2 * PAGE, (vm_offset_t)buffer, 16), KERN_INVALID_ADDRESS, EFAULT);
    CHECK_KR(mach_vm_write(task, child.region, (vm_offset_t)-64, 16), MACH_SEND_INVALID_MEMORY, EBADMSG);
    /* Regions and pages, as the kernel has them there. */
    mach_vm_address_t address = child.region;
    mach_vm_size_t size = 0;
    vm_region_basic_info_data_64_t basic;
    memset(&basic, 0, sizeof basic);
    count = VM_REGION_BASIC_INFO_COUNT_64;
    CHECK_KR(mach_vm_region(task, &address, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&basic, &count,
                            NULL),
             KERN_SUCCESS, 0);
    CHECK_INT(address, child.region);
    CHECK_INT(size, 2 * PAGE);
    CHECK_INT(basic.protection, VM_PROT_DEFAULT);
    address = child.region + 2 * PAGE;
    vm_region_submap_info_data_64_t submap;
    memset(&submap, 0, sizeof submap);
    natural_t depth = 0;
    count = VM_REGION_SUBMAP_INFO_COUNT_64;
    CHECK_KR(mach_vm_region_recurse(task, &address, &size, &depth, (vm_region_recurse_info_t)&submap, &count),
             KERN_SUCCESS, 0);
    CHECK_INT(submap.protection, VM_PROT_READ);
    CHECK_INT(submap.pages_resident, 1);
    int dispositions[5];
    mach_vm_size_t pages = 5;
    CHECK_KR(mach_vm_page_range_query(task, child.region, 5 * PAGE, (mach_vm_address_t)dispositions, &pages),
             KERN_SUCCESS, 0);
    CHECK_INT(pages, 5);
    CHECK(dispositions[0] & VM_PAGE_QUERY_PAGE_DIRTY);
    CHECK_INT(dispositions[4], 0);
    integer_t disposition = 0, references = 0;
    CHECK_KR(mach_vm_page_query(task, child.region, &disposition, &references), KERN_SUCCESS, 0);
    CHECK(disposition & VM_PAGE_QUERY_PAGE_PRESENT);
    task_vm_info_data_t vm_info;
    memset(&vm_info, 0, sizeof vm_info);
    count = TASK_VM_INFO_COUNT;
    CHECK_KR(task_info(task, TASK_VM_INFO, (task_info_t)&vm_info, &count), KERN_SUCCESS, 0);
    CHECK(vm_info.resident_size > 0 && vm_info.region_count > 0 && vm_info.virtual_size > 0);
    count = TASK_VM_INFO_COUNT;
    CHECK_KR(task_info(task, TASK_VM_INFO, (task_info_t)&vm_info, &count), KERN_SUCCESS, 0);
    CHECK(vm_info.resident_size > 0);
    /* What cannot act on another task here says so. */
    mach_vm_address_t elsewhere = 0;
    CHECK_KR(mach_vm_allocate(task, &elsewhere, PAGE, VM_FLAGS_ANYWHERE), KERN_NOT_SUPPORTED, EOPNOTSUPP);
    CHECK_KR(mach_vm_protect(task, child.region, PAGE, FALSE, VM_PROT_READ), KERN_NOT_SUPPORTED, EOPNOTSUPP);
    /* PageKit knows only this process's purgeable objects. */
    task_purgable_info_t purgeable;
    CHECK_KR(task_purgable_info(task, &purgeable), KERN_NOT_SUPPORTED, EOPNOTSUPP);
    /* Write, then copy within the child; the child checks. */
    static const char text[] = "written by the parent";
    CHECK_KR(mach_vm_write(task, child.region + PAGE, (vm_offset_t)text, sizeof text - 1), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_copy(task, child.region + PAGE, sizeof text - 1, child.region + 10), KERN_SUCCESS, 0);
    CHECK_INT(finish_child(&child), 0);
    /* The child is gone: its port is dead. */
    CHECK_KR(mach_vm_read(task, child.region, 16, &data, &count), MACH_SEND_INVALID_DEST, ESRCH);
    int gone_dispositions[4];
    mach_vm_size_t gone_pages = 4;
    CHECK_KR(mach_vm_page_range_query(task, child.region, 4 * PAGE, (mach_vm_address_t)gone_dispositions,
                                      &gone_pages),
             MACH_SEND_INVALID_DEST, ESRCH);
    struct pk_page_counts page_counts;
    CHECK_ERRNO(pk_task_page_counts(task, child.region, 4 * PAGE, &page_counts), -ESRCH);
    uintptr_t at = child.region;
    struct pk_region_info region_info;
    CHECK_ERRNO(pk_task_region(task, &at, &region_info), -ESRCH);
    count = TASK_VM_INFO_COUNT;
    CHECK_KR(task_info(task, TASK_VM_INFO, (task_info_t)&vm_info, &count), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_KR(mach_port_deallocate(SELF, task), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_read(task, child.region, 16, &data, &count), MACH_SEND_INVALID_DEST, ESRCH);
}

TEST(task_for_pid_refusals)
{
    mach_port_name_t task = 0x1234;
    CHECK_KR(task_for_pid(SELF, 0, &task), KERN_FAILURE, ESRCH);
    CHECK_INT(task, MACH_PORT_NULL);
    task = 0x1234;
    CHECK_KR(task_for_pid(SELF, 0x7FFFFFF0, &task), KERN_FAILURE, ESRCH);
    CHECK_INT(task, MACH_PORT_NULL);
    CHECK_KR(task_for_pid(MACH_PORT_NULL, getpid(), &task), KERN_FAILURE, ESRCH);
    /* Itself: its own task. */
    CHECK_KR(task_for_pid(SELF, getpid(), &task), KERN_SUCCESS, 0);
    CHECK_INT(task, SELF);
}

/* A process this one may not debug: as nobody, the parent (root, or
 * another user) is out of reach. */
static void stranger(void)
{
    pid_t parent = getppid();
    if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0) {
        harness_fail(__FILE__, __LINE__, "could not become nobody");
        return;
    }
    mach_port_name_t task = 0x1234;
    CHECK_KR(task_for_pid(SELF, parent, &task), KERN_FAILURE, EACCES);
    CHECK_INT(task, MACH_PORT_NULL);
    CHECK_INT(task_read_for_pid(SELF, parent, &task), KERN_FAILURE);
}

TEST(task_for_pid_of_a_process_out_of_reach)
{
    if (geteuid() != 0)
        SKIP("needs root to run the stranger as another user");
    CHECK_INT(run_in_child(stranger), 0);
}

/* A read-only port reads and refuses to write. */
TEST(task_read_port_cannot_write)
{
    struct child child = start_child();
    mach_port_name_t task = MACH_PORT_NULL;
    CHECK_INT(task_read_for_pid(SELF, child.pid, &task), KERN_SUCCESS);
    char buffer[16];
    mach_vm_size_t outsize = 0;
    CHECK_KR(mach_vm_read_overwrite(task, child.region, 16, (mach_vm_address_t)buffer, &outsize), KERN_SUCCESS, 0);
    CHECK_KR(mach_vm_write(task, child.region, (vm_offset_t)buffer, 16), KERN_INVALID_ARGUMENT, EBADF);
    CHECK_KR(mach_port_deallocate(SELF, task), KERN_SUCCESS, 0);
    kill(child.pid, SIGKILL);
    waitpid(child.pid, NULL, 0);
    close(child.to_child);
    close(child.from_child);
}

/* Two threads asking about one task at once: each answer is whole. The
 * port's files are shared by every call on it, so a call must not read
 * them through a position another call is moving (with PROCMAP_QUERY and
 * with the maps file scanned, as on kernels before 6.11). */
struct asking {
    mach_port_name_t task;
    uintptr_t region;
    int wrong;
};

static void *ask_about_the_task(void *argument)
{
    struct asking *asking = argument;
    for (int i = 0; i < 300; i++) {
        task_vm_info_data_t info;
        mach_msg_type_number_t count = TASK_VM_INFO_COUNT;
        if (task_info(asking->task, TASK_VM_INFO, (task_info_t)&info, &count) != KERN_SUCCESS ||
            info.virtual_size == 0 || info.resident_size == 0)
            __atomic_fetch_add(&asking->wrong, 1, __ATOMIC_RELAXED);
        struct pk_region_info region;
        uintptr_t at = asking->region;
        if (pk_task_region(asking->task, &at, &region) != 0 || region.start != asking->region)
            __atomic_fetch_add(&asking->wrong, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

TEST(task_answers_stay_whole_when_threads_ask_at_once)
{
    struct child child = start_child();
    struct asking asking = {MACH_PORT_NULL, child.region, 0};
    CHECK_KR(task_for_pid(SELF, child.pid, &asking.task), KERN_SUCCESS, 0);
    for (int scan = 0; scan < 2; scan++) {
        pk_kernel_maps_force_scan(scan == 1);
        pthread_t threads[2];
        for (int i = 0; i < 2; i++)
            CHECK(pthread_create(&threads[i], NULL, ask_about_the_task, &asking) == 0);
        for (int i = 0; i < 2; i++)
            pthread_join(threads[i], NULL);
        pk_kernel_maps_force_scan(false);
        CHECK_INT(asking.wrong, 0);
    }
    CHECK_KR(mach_port_deallocate(SELF, asking.task), KERN_SUCCESS, 0);
    CHECK_INT(finish_child(&child), 1); /* nothing was written for it to find */
}

/* task_info's arguments on another task's port, checked as on this
 * task's, and the null-pointer refusals of the native calls behind it
 * and behind task_purgable_info. */
TEST(task_info_arguments_on_another_task)
{
    struct child child = start_child();
    mach_port_name_t task = MACH_PORT_NULL;
    CHECK_KR(task_for_pid(SELF, child.pid, &task), KERN_SUCCESS, 0);
    task_vm_info_data_t info;
    mach_msg_type_number_t count = TASK_VM_INFO_COUNT;
    CHECK_KR(task_info(task, TASK_VM_INFO + 1, (task_info_t)&info, &count), KERN_INVALID_ARGUMENT, EINVAL);
    count = TASK_VM_INFO_REV0_COUNT - 1;
    CHECK_KR(task_info(task, TASK_VM_INFO, (task_info_t)&info, &count), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_INT(count, TASK_VM_INFO_REV0_COUNT - 1);
    CHECK_ERRNO(pk_task_vm_info_of(task, NULL), -EINVAL);
    CHECK_ERRNO(pk_task_vm_info(NULL), -EINVAL);
    CHECK_ERRNO(pk_purgeable_info(NULL), -EINVAL);
    CHECK_KR(task_purgable_info(SELF, NULL), KERN_INVALID_ARGUMENT, EINVAL);
    CHECK_KR(mach_port_deallocate(SELF, task), KERN_SUCCESS, 0);
    /* A released port names nothing. */
    count = TASK_VM_INFO_COUNT;
    CHECK_KR(task_info(task, TASK_VM_INFO, (task_info_t)&info, &count), MACH_SEND_INVALID_DEST, ESRCH);
    CHECK_INT(finish_child(&child), 1); /* nothing was written for it to find */
}
