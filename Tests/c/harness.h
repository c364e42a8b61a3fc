// SPDX-License-Identifier: Apache-2.0
/*
 * harness.h - a small test harness for PageKit's C suite: registration,
 * checks that report and go on, skips with a stated reason, real faults
 * through a SIGSEGV handler, and snapshots that prove a failed call changed
 * nothing.
 */
#ifndef PAGEKIT_TEST_HARNESS_H
#define PAGEKIT_TEST_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pagekit/mach.h>
#include <pagekit/pagekit.h>

/* The internals the tests look at: the table, the seam, feature hiding. */
#include "internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef void (*test_function)(void);

void harness_register(const char *name, test_function function);
void harness_fail(const char *file, int line, const char *format, ...) __attribute__((format(printf, 3, 4)));
void harness_skip(const char *reason);

#define TEST(name)                                                                   \
    static void name(void);                                                          \
    __attribute__((constructor)) static void register_##name(void)                   \
    {                                                                                \
        harness_register(#name, name);                                               \
    }                                                                                \
    static void name(void)

#define CHECK(condition)                                                             \
    do {                                                                             \
        if (!(condition))                                                            \
            harness_fail(__FILE__, __LINE__, "%s", #condition);                      \
    } while (0)

#define CHECK_INT(actual, expected)                                                  \
    do {                                                                             \
        long long actual_ = (long long)(actual), expected_ = (long long)(expected);  \
        if (actual_ != expected_)                                                    \
            harness_fail(__FILE__, __LINE__, "%s is %lld, expected %lld", #actual,   \
                         actual_, expected_);                                        \
    } while (0)

/* A native result: 0 or the exact negative errno. */
#define CHECK_ERRNO(call, expected)                                                  \
    do {                                                                             \
        int result_ = (call);                                                        \
        if (result_ != (expected))                                                   \
            harness_fail(__FILE__, __LINE__, "%s gave %s, expected %s", #call,       \
                         pk_error_name(result_), pk_error_name(expected));           \
    } while (0)

/* A Mach result: the exact kern_return_t and, when it failed, errno. */
#define CHECK_KR(call, expected_kr, expected_errno)                                  \
    do {                                                                             \
        errno = 0;                                                                   \
        kern_return_t kr_ = (call);                                                  \
        int errno_ = errno;                                                          \
        if (kr_ != (expected_kr))                                                    \
            harness_fail(__FILE__, __LINE__, "%s gave %s, expected %s", #call,       \
                         pk_kern_return_name(kr_), pk_kern_return_name(expected_kr)); \
        else if ((expected_kr) != KERN_SUCCESS && errno_ != (expected_errno))        \
            harness_fail(__FILE__, __LINE__, "%s left errno %s, expected %s", #call, \
                         pk_error_name(errno_), pk_error_name(expected_errno));      \
    } while (0)

#define SKIP(reason)                                                                 \
    do {                                                                             \
        harness_skip(reason);                                                        \
        return;                                                                      \
    } while (0)

#define PAGE (pk_page_size())

/* Real access through a SIGSEGV/SIGBUS handler: true if it did not fault. */
bool can_read(uintptr_t address);
bool can_write(uintptr_t address);
/* Calls a `ret` instruction placed at address beforehand. */
bool can_execute(uintptr_t address);

/* Everything a call could change in [start, end): PageKit's regions, the
 * kernel's mappings, and a checksum of every readable page. */
#define SNAPSHOT_REGIONS 32
struct snapshot {
    int regions;
    struct pk_region_info region[SNAPSHOT_REGIONS];
    char kernel_maps[65536];
    uint64_t checksum;
    unsigned long table_entries;
};
void snapshot_take(uintptr_t start, uintptr_t end, struct snapshot *snapshot);
/* The whole address space, without contents (the test's own data moves):
 * for calls that fail before they know where they would have acted. */
void snapshot_take_all(struct snapshot *snapshot);
#define CHECK_NOTHING_CHANGED(before)                                                \
    do {                                                                             \
        struct snapshot after_;                                                      \
        snapshot_take_all(&after_);                                                  \
        snapshot_compare(__FILE__, __LINE__, (before), &after_);                     \
    } while (0)
#define CHECK_UNCHANGED(start, end, before)                                          \
    do {                                                                             \
        struct snapshot after_;                                                      \
        snapshot_take((start), (end), &after_);                                      \
        snapshot_compare(__FILE__, __LINE__, (before), &after_);                     \
    } while (0)
bool snapshot_equal(const struct snapshot *before, const struct snapshot *after);
void snapshot_compare(const char *file, int line, const struct snapshot *before, const struct snapshot *after);

/* Walks the whole address space with pk_region and compares it with
 * /proc/self/maps: regions do not overlap, every page PageKit reports as
 * the caller's is private anonymous memory with the protection the table
 * records, and PageKit's own memory is mapped. The number of differences, each printed. */
int table_kernel_mismatches(void);

/* Runs body in a forked child, for what must not outlive it (a lowered
 * resource limit, say): the number of its CHECKs that failed, each printed
 * as in the parent, or -1 when it died. */
int run_in_child(void (*body)(void));

/* Helpers. */
uintptr_t allocate_or_die(size_t size, unsigned int flags);
/* A plain mmap that PageKit knows nothing about. */
uintptr_t foreign_map(size_t size, int prot);
void fill_pattern(uintptr_t address, size_t size, unsigned char seed);
bool has_pattern(uintptr_t address, size_t size, unsigned char seed);
bool is_zero(uintptr_t address, size_t size);
/* The /proc/self/maps line for address, or "" */
void maps_line(uintptr_t address, char *line, size_t size);
/* A free, page-aligned range of `size` bytes (mapped, then unmapped). */
uintptr_t free_range(size_t size);
/* `size` bytes of PROT_NONE memory far below where mmap places anything, so
 * holes punched in it stay holes even while other threads map memory. */
uintptr_t remote_reservation(size_t size);


#endif
