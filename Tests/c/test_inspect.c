// SPDX-License-Identifier: Apache-2.0
/* pk_inspect: another process's regions with what only PageKit knows (tags,
 * names, maximum protections, purgeable states), on kernels that cannot
 * name memory too, with the kernel's sizes, and only for whoever may read
 * the process's memory. */
#include "harness.h"

#include <pagekit/inspect.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SELF mach_task_self()

enum { TAGGED, NAMED, VOLATILE, RECLAIMED, LOWERED, SHOWN };

struct child {
    pid_t pid;
    uintptr_t address[SHOWN];
    bool reclaimed;
};

static void fill(uintptr_t address, size_t size)
{
    memset((void *)address, 0x3C, size);
}

/* Writes every writable private page of the child once, so that none is
 * still shared with the parent after fork: the parent's own writes would
 * otherwise move the child's pages between shared and private as the test
 * runs, and the kernel's totals with them. */
static void unshare_from_parent(void)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    char line[512], perms[8];
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        uintptr_t low, high;
        if (sscanf(line, "%lx-%lx %7s", &low, &high, perms) == 3 && strcmp(perms, "rw-p") == 0)
            for (uintptr_t page = low; page < high; page += PAGE)
                __atomic_fetch_add((volatile unsigned char *)page, 0, __ATOMIC_RELAXED);
    }
    if (maps != NULL)
        fclose(maps);
}

/* The child makes one region of each kind, reports where, and stops. */
static void child_body(int fd, bool unshare)
{
    if (unshare)
        unshare_from_parent();
    struct child child = {0};
    vm_address_t address = 0;
    if (vm_allocate(SELF, &address, 4 * PAGE, VM_FLAGS_ANYWHERE | VM_MAKE_TAG((VM_MEMORY_APPLICATION_SPECIFIC_1 + 2))))
        _exit(2);
    fill(address, 4 * PAGE);
    child.address[TAGGED] = address;
    if (pk_allocate(&child.address[NAMED], 2 * PAGE, PK_ALLOC_ANYWHERE | PK_ALLOC_TAG(7), "lookup table"))
        _exit(2);
    int state = VM_PURGABLE_VOLATILE;
    for (int kind = VOLATILE; kind <= RECLAIMED; kind++) {
        address = 0;
        if (vm_allocate(SELF, &address, 8 * PAGE, VM_FLAGS_ANYWHERE | VM_FLAGS_PURGABLE))
            _exit(2);
        fill(address, 8 * PAGE);
        state = VM_PURGABLE_VOLATILE;
        if (vm_purgable_control(SELF, address, VM_PURGABLE_SET_STATE, &state))
            _exit(2);
        child.address[kind] = address;
    }
    child.reclaimed = pk_purge_now(child.address[RECLAIMED], 8 * PAGE) == 0;
    address = 0;
    if (vm_allocate(SELF, &address, 3 * PAGE, VM_FLAGS_ANYWHERE) ||
        vm_protect(SELF, address, 3 * PAGE, TRUE, VM_PROT_READ))
        _exit(2);
    child.address[LOWERED] = address;
    if (write(fd, &child, sizeof child) != sizeof child)
        _exit(2);
    raise(SIGSTOP);
    _exit(0);
}

static bool start_child(struct child *child, bool unshare)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_body(fds[1], unshare);
    }
    close(fds[1]);
    bool ok = pid > 0 && read(fds[0], child, sizeof *child) == sizeof *child;
    close(fds[0]);
    int status = 0;
    ok = ok && waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status);
    child->pid = pid;
    return ok;
}

static void end_child(const struct child *child)
{
    kill(child->pid, SIGKILL);
    waitpid(child->pid, NULL, 0);
}

/* The row that starts at address, or NULL. */
static const struct pk_process_region *row_at(const struct pk_process_report *report, uintptr_t address)
{
    for (size_t i = 0; i < report->count; i++)
        if (report->regions[i].start == address)
            return &report->regions[i];
    return NULL;
}

TEST(inspect_child_shows_tags_names_maxima_and_purgeable_states)
{
    struct child child;
    CHECK(start_child(&child, false));
    struct pk_process_report *report = NULL;
    CHECK_ERRNO(pk_inspect(child.pid, &report), 0);
    if (report == NULL) {
        end_child(&child);
        return;
    }
    CHECK(report->pagekit);
    CHECK_INT(report->pid, child.pid);

    const struct pk_process_region *row = row_at(report, child.address[TAGGED]);
    CHECK(row != NULL);
    if (row != NULL) {
        CHECK_INT(row->size, 4 * PAGE);
        CHECK_INT(row->tag, (VM_MEMORY_APPLICATION_SPECIFIC_1 + 2));
        CHECK(strcmp(row->name, "pagekit-tag-242") == 0);
        CHECK(row->flags & PK_REGION_OWNED);
        CHECK_INT(row->max_protection, VM_PROT_ALL);
        CHECK_INT(row->resident, 4 * PAGE);
        CHECK(pk_tag_kind(row->tag) != NULL && strcmp(pk_tag_kind(row->tag), "application specific 3") == 0);
    }
    row = row_at(report, child.address[NAMED]);
    CHECK(row != NULL);
    if (row != NULL) {
        CHECK(strcmp(row->name, "lookup table") == 0);
        CHECK_INT(row->tag, 7);
        CHECK(strcmp(pk_tag_kind(7), "MALLOC_TINY") == 0);
    }
    row = row_at(report, child.address[VOLATILE]);
    CHECK(row != NULL);
    if (row != NULL) {
        CHECK_INT(row->purgeable_state, VM_PURGABLE_VOLATILE);
        CHECK(row->flags & PK_REGION_PURGEABLE);
    }
    row = row_at(report, child.address[RECLAIMED]);
    CHECK(row != NULL);
    if (row != NULL && child.reclaimed)
        CHECK_INT(row->purgeable_state, VM_PURGABLE_EMPTY);
    row = row_at(report, child.address[LOWERED]);
    CHECK(row != NULL);
    if (row != NULL) {
        CHECK_INT(row->max_protection, VM_PROT_READ);
        CHECK_INT(row->protection, VM_PROT_READ);
        CHECK_INT(row->size, 3 * PAGE);
    }
    bool internal = false;
    for (size_t i = 0; i < report->count; i++)
        internal |= (report->regions[i].flags & PK_REGION_INTERNAL) != 0;
    CHECK(internal);
    pk_inspect_free(report);
    end_child(&child);
    if (!child.reclaimed)
        SKIP("no MADV_PAGEOUT here: the reclaimed object's EMPTY state was not checked");
}

/* smaps_rollup's totals, and smaps's own per-mapping sizes, exactly: the
 * child is stopped, so nothing moves between the two reads. */
static uint64_t rollup(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *file = fopen(path, "re");
    uint64_t total = 0;
    size_t length = strlen(key);
    while (file != NULL && fgets(line, sizeof line, file) != NULL)
        if (strncmp(line, key, length) == 0 && line[length] == ':')
            total += strtoull(line + length + 1, NULL, 10) * 1024;
    if (file != NULL)
        fclose(file);
    return total;
}

TEST(inspect_totals_equal_the_kernels)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    SKIP("a sanitizer's shadow memory is terabytes of mappings the child cannot unshare page by page");
#endif
    struct child child;
    CHECK(start_child(&child, true));
    struct pk_process_report *report = NULL;
    CHECK_ERRNO(pk_inspect(child.pid, &report), 0);
    if (report != NULL) {
        uint64_t resident = 0, dirty = 0, swapped = 0, lazy = 0, size = 0;
        for (size_t i = 0; i < report->count; i++) {
            resident += report->regions[i].resident;
            dirty += report->regions[i].dirty;
            swapped += report->regions[i].swapped;
            lazy += report->regions[i].lazy_free;
            size += report->regions[i].size;
        }
        CHECK_INT(report->resident, rollup(child.pid, "Rss"));
        CHECK_INT(report->dirty, rollup(child.pid, "Private_Dirty") + rollup(child.pid, "Shared_Dirty"));
        CHECK_INT(report->swapped, rollup(child.pid, "Swap"));
        CHECK_INT(report->lazy_free, rollup(child.pid, "LazyFree"));
        CHECK_INT(resident, report->resident);
        CHECK_INT(dirty, report->dirty);
        CHECK_INT(swapped, report->swapped);
        CHECK_INT(lazy, report->lazy_free);
        CHECK_INT(size, report->virtual_size);
        CHECK(report->footprint > 0 && report->footprint <= report->dirty + report->swapped);
        /* Rows never overlap, and come in address order. */
        for (size_t i = 1; i < report->count; i++)
            CHECK(report->regions[i].start >= report->regions[i - 1].start + report->regions[i - 1].size);
    }
    pk_inspect_free(report);
    end_child(&child);
}

TEST(inspect_this_process_too)
{
    uintptr_t region = allocate_or_die(2 * PAGE, PK_ALLOC_TAG(250));
    struct pk_process_report *report = NULL;
    CHECK_ERRNO(pk_inspect(getpid(), &report), 0);
    const struct pk_process_region *row = report != NULL ? row_at(report, region) : NULL;
    CHECK(row != NULL && row->tag == 250 && (row->flags & PK_REGION_OWNED));
    pk_inspect_free(report);
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(inspect_refuses_bad_pids_and_gone_processes)
{
    struct pk_process_report *report = (struct pk_process_report *)1;
    CHECK_ERRNO(pk_inspect(0, &report), -EINVAL);
    CHECK(report == NULL);
    CHECK_ERRNO(pk_inspect(-4, &report), -EINVAL);
    CHECK_ERRNO(pk_inspect(1, NULL), -EINVAL);
    CHECK_ERRNO(pk_inspect(0x3FFFFFFF, &report), -ESRCH);
    /* A child that exited and was not reaped yet: a zombie has no memory. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    siginfo_t info;
    waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT);
    CHECK_ERRNO(pk_inspect(pid, &report), -ESRCH);
    waitpid(pid, NULL, 0);
    CHECK_ERRNO(pk_inspect(pid, &report), -ESRCH);
}

/* Someone who may not read the process's memory learns nothing. */
TEST(inspect_refuses_who_may_not_read_the_process)
{
    if (geteuid() != 0)
        SKIP("needs root, to run the inspector as another user");
    struct child child;
    CHECK(start_child(&child, false));
    pid_t stranger = fork();
    if (stranger == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        struct pk_process_report *report = NULL;
        int error = pk_inspect(child.pid, &report);
        _exit(error == -EACCES ? 0 : 1);
    }
    int status = 0;
    waitpid(stranger, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 0);
    end_child(&child);
}
