// SPDX-License-Identifier: Apache-2.0
/*
 * descriptors.c - room for the descriptors of shared pages.
 *
 * Each backing keeps its memfd open while anything refers to it, because
 * new views, copies and exports all go through it. So a program with
 * thousands of shared objects holds thousands of descriptors, and the
 * usual soft RLIMIT_NOFILE is 1024, which is also FD_SETSIZE: select()
 * cannot watch a descriptor at or above it.
 *
 * PageKit therefore keeps its descriptors at FD_SETSIZE and above, clear of
 * the numbers a program's select() loop uses, and makes room there by
 * raising the soft limit (doubling it, never above the hard limit, never
 * lowering it), as the JVM and the Go runtime raise it at startup. Only
 * when the hard limit is reached does it take a low number, and only when
 * no number is left at all does making shared memory fail, with EMFILE
 * (KERN_RESOURCE_SHORTAGE). Raises happen with the table lock held, so two
 * never race. PageKit's other lasting descriptor, its /proc/self/maps,
 * moves up too where the limit already leaves room, but raises nothing.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

/* Raises the soft limit so that there is room at and above FD_SETSIZE: to
 * twice FD_SETSIZE, or to twice what it is, at most the hard limit. Whether
 * it rose. */
static bool raise_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
        return false;
    rlim_t wanted = limit.rlim_cur < FD_SETSIZE ? 2 * FD_SETSIZE : 2 * limit.rlim_cur;
    limit.rlim_cur = wanted < limit.rlim_max ? wanted : limit.rlim_max;
    return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

/* A close-on-exec duplicate of fd at FD_SETSIZE or above, raising the
 * soft limit for room there if make_room; or a negative errno. */
static int duplicate_high(int fd, bool make_room)
{
    for (;;) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, FD_SETSIZE);
        if (high >= 0)
            return high;
        /* EINVAL: the soft limit is FD_SETSIZE or below; EMFILE: full. */
        if ((errno != EINVAL && errno != EMFILE) || !make_room || !raise_limit())
            return -EMFILE;
    }
}

int pk_descriptor_keep(int fd, bool make_room)
{
    int high = duplicate_high(fd, make_room);
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

int pk_descriptor_duplicate(int fd)
{
    int copy = duplicate_high(fd, true);
    if (copy < 0)
        copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return copy >= 0 ? copy : -errno;
}

FILE *pk_descriptor_reopen(int fd)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return fopen(path, "re");
}

int pk_descriptor_memfd(const char *name, uint64_t size)
{
    int fd = pk_sys_memfd(name, size);
    if (fd == -EMFILE && raise_limit())
        fd = pk_sys_memfd(name, size);
    return fd >= 0 ? pk_descriptor_keep(fd, true) : fd;
}
