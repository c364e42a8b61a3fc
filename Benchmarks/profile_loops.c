// SPDX-License-Identifier: Apache-2.0
/*
 * profile_loops.c - the hot loops of `make bench` alone, for profilers
 * (BENCHMARKS.md): a page of a 1 MiB region made read-only and back, or a
 * page allocated, touched and deallocated, through PageKit or through the
 * raw system calls, with some live regions beside it.
 *
 *   build/profile_loops protect|allocate pagekit|raw COUNT [LIVE]
 *
 *   valgrind --tool=callgrind build/profile_loops protect pagekit 20000
 *   perf record -e cpu-clock -c 20000 build/profile_loops protect pagekit 600000
 *
 * Both sides start the same way (the live regions and the 1 MiB region
 * are PageKit's), so the difference between two runs is the loop's.
 */
#define _GNU_SOURCE
#include <pagekit/pagekit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void check(int result, const char *what)
{
    if (result != 0) {
        fprintf(stderr, "%s failed: %s\n", what, pk_error_name(result));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "protect") != 0 && strcmp(argv[1], "allocate") != 0) ||
        (strcmp(argv[2], "pagekit") != 0 && strcmp(argv[2], "raw") != 0)) {
        fprintf(stderr, "usage: %s protect|allocate pagekit|raw COUNT [LIVE]\n", argv[0]);
        return 64;
    }
    bool protect = strcmp(argv[1], "protect") == 0, pagekit = strcmp(argv[2], "pagekit") == 0;
    long count = atol(argv[3]), live = argc > 4 ? atol(argv[4]) : 0;
    size_t page = pk_page_size();
    /* Every other live region read-only, so the kernel keeps them apart. */
    for (long i = 0; i < live; i++) {
        uintptr_t region = 0;
        check(pk_allocate(&region, page, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
        if (i % 2)
            check(pk_protect(region, page, false, PK_PROT_READ), "pk_protect");
    }
    uintptr_t region = 0;
    check(pk_allocate(&region, 1 << 20, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    memset((void *)region, 1, 1 << 20);
    uintptr_t target = region + 17 * page;
    for (long i = 0; i < count; i++) {
        if (protect && pagekit) {
            check(pk_protect(target, page, false, PK_PROT_READ), "pk_protect");
            check(pk_protect(target, page, false, PK_PROT_DEFAULT), "pk_protect");
        } else if (protect) {
            mprotect((void *)target, page, PROT_READ);
            mprotect((void *)target, page, PROT_READ | PROT_WRITE);
        } else if (pagekit) {
            uintptr_t address = 0;
            check(pk_allocate(&address, page, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
            *(volatile char *)address = 1;
            check(pk_deallocate(address, page), "pk_deallocate");
        } else {
            char *address = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (address == MAP_FAILED)
                return 1;
            *(volatile char *)address = 1;
            munmap(address, page);
        }
    }
    return 0;
}
