// SPDX-License-Identifier: Apache-2.0
/*
 * bench.c - PageKit against the raw system calls, as ratios measured in one
 * process.
 *
 * Each case runs its PageKit side (A) and its baseline (B) alternately,
 * A B B A A B ..., for a number of rounds after a warm-up; each sample times
 * a batch of operations, and the table reports the median time per
 * operation of each side and their ratio. Ratios, not absolute times, are
 * what carry over between noisy machines. Nothing here is pass/fail for CI:
 * `make bench` reports.
 *
 *   build/bench            the table
 *   build/bench --json     the same as JSON
 *   build/bench --quick    fewer rounds (a smoke test)
 */
#define _GNU_SOURCE
#include <pagekit/pagekit.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "publication.h"

#include <pagekit/sharing.h>
#include <sys/wait.h>
#include "region_table.h"

#ifndef MADV_FREE
#define MADV_FREE 8
#endif

static size_t page;
static int rounds = 41;
static const int warmup_rounds = 3;

static double now_ns(void)
{
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec * 1e9 + (double)time.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof values[0], compare_doubles);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

static void check(int result, const char *what)
{
    if (result != 0) {
        fprintf(stderr, "bench: %s failed: %s\n", what, pk_error_name(result));
        exit(1);
    }
}

/* One side of a case: runs `iterations` operations on `context`. */
typedef void (*side_function)(void *context, int iterations);

struct result {
    const char *name;
    const char *baseline;
    double pagekit_ns, baseline_ns, ratio, target;
};

#define MAX_RESULTS 40
static struct result results[MAX_RESULTS];
static int result_count;

/* Times A and B alternately; returns the medians per operation and the
 * median of the per-round ratios (each round's A and B ran back to back, so
 * drift in the machine's speed cancels out of that ratio). */
static void measure(side_function a, void *a_context, side_function b, void *b_context, int iterations,
                    double *a_ns, double *b_ns, double *ratio)
{
    double a_samples[128], b_samples[128], ratios[128];
    int samples = 0;
    for (int round = 0; round < warmup_rounds + rounds; round++) {
        double a_time = 0, b_time = 0;
        for (int half = 0; half < 2; half++) {
            bool a_first = (round + half) % 2 == 0;
            double start = now_ns();
            if (a_first)
                a(a_context, iterations);
            else
                b(b_context, iterations);
            double elapsed = now_ns() - start;
            if (a_first)
                a_time = elapsed;
            else
                b_time = elapsed;
        }
        if (round >= warmup_rounds) {
            a_samples[samples] = a_time / iterations;
            b_samples[samples] = b_time / iterations;
            ratios[samples] = a_time / b_time;
            samples++;
        }
    }
    *a_ns = median(a_samples, samples);
    *b_ns = median(b_samples, samples);
    *ratio = median(ratios, samples);
}

static void record(const char *name, const char *baseline, double pagekit_ns, double baseline_ns, double ratio,
                   double target)
{
    results[result_count++] = (struct result){name, baseline, pagekit_ns, baseline_ns, ratio, target};
}

struct memory_row {
    const char *name;
    double value, target;
};
#define MEMORY_ROWS 5
static struct memory_row memory_rows[MEMORY_ROWS];
static int memory_row_count;

static void add_memory_row(const char *name, double value, double target)
{
    if (memory_row_count < MEMORY_ROWS)
        memory_rows[memory_row_count++] = (struct memory_row){name, value, target};
}


/* Allocate, touch the first page, deallocate. */

struct lifecycle {
    size_t size;
};

static void pagekit_lifecycle(void *context, int iterations)
{
    struct lifecycle *lifecycle = context;
    for (int i = 0; i < iterations; i++) {
        uintptr_t address = 0;
        check(pk_allocate(&address, lifecycle->size, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
        *(volatile char *)address = 1;
        check(pk_deallocate(address, lifecycle->size), "pk_deallocate");
    }
}

static void raw_lifecycle(void *context, int iterations)
{
    struct lifecycle *lifecycle = context;
    for (int i = 0; i < iterations; i++) {
        void *address = mmap(NULL, lifecycle->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (address == MAP_FAILED)
            exit(1);
        *(volatile char *)address = 1;
        munmap(address, lifecycle->size);
    }
}

/* Protect one page inside a 1 MiB region RW -> R -> RW. */

struct protect_case {
    uintptr_t region;
};

static void pagekit_protect(void *context, int iterations)
{
    struct protect_case *protect = context;
    uintptr_t target = protect->region + 17 * page;
    for (int i = 0; i < iterations; i++) {
        check(pk_protect(target, page, false, PK_PROT_READ), "pk_protect");
        check(pk_protect(target, page, false, PK_PROT_DEFAULT), "pk_protect");
    }
}

static void raw_protect(void *context, int iterations)
{
    struct protect_case *protect = context;
    void *target = (void *)(protect->region + 17 * page);
    for (int i = 0; i < iterations; i++) {
        mprotect(target, page, PROT_READ);
        mprotect(target, page, PROT_READ | PROT_WRITE);
    }
}

/* The same protect with the table's directory hidden, so that locking
 * bumps no sequence count: what publishing the table for pagekit vmmap
 * costs on the hot path. */
static void unpublished_protect(void *context, int iterations)
{
    struct pk_directory *directory = pk_published;
    pk_published = NULL;
    pagekit_protect(context, iterations);
    pk_published = directory;
}

static void basic_cases(void)
{
    const size_t sizes[] = {page, 64 << 10, 1 << 20};
    static const char *const names[] = {"allocate+touch+deallocate 1 page", "allocate+touch+deallocate 64 KiB",
                                        "allocate+touch+deallocate 1 MiB"};
    for (int i = 0; i < 3; i++) {
        struct lifecycle lifecycle = {sizes[i]};
        double a, b, r;
        measure(pagekit_lifecycle, &lifecycle, raw_lifecycle, &lifecycle, 500, &a, &b, &r);
        record(names[i], "mmap+touch+munmap", a, b, r, 1.03);
    }
    /* Both sides work on the same page of the same mapping, so the kernel's
     * share (splitting and merging one VMA) is identical and only PageKit's
     * own work differs; its table is back to one entry after each pair. */
    struct protect_case region = {0};
    check(pk_allocate(&region.region, 1 << 20, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    double a, b, r;
    measure(pagekit_protect, &region, raw_protect, &region, 500, &a, &b, &r);
    record("protect RW->R->RW, 1 page of 1 MiB", "2 x mprotect, same page", a, b, r, 1.03);
    measure(pagekit_protect, &region, unpublished_protect, &region, 500, &a, &b, &r);
    record("  publication: the same protect, table published vs not", "PageKit with no directory", a, b, r, 0);
    check(pk_deallocate(region.region, 1 << 20), "pk_deallocate");
}

/* Scale: the same PageKit cases with many live regions against few. */

static uintptr_t *live;
static int live_count;

/* Alternating protections keep the regions apart in the kernel, as real
 * regions with different uses would be; without them (merged), neighbours
 * share one kernel mapping, so that a million fit under
 * vm.max_map_count. */
static void make_regions(int count, unsigned int flags, bool merged)
{
    live = realloc(live, (size_t)count * sizeof live[0]);
    for (int i = 0; i < count; i++) {
        live[i] = 0;
        check(pk_allocate(&live[i], page, PK_ALLOC_ANYWHERE | flags, NULL), "pk_allocate (live)");
        if (i % 2 && !merged)
            check(pk_protect(live[i], page, false, PK_PROT_READ), "pk_protect (live)");
    }
    live_count = count;
}

static void make_live_regions(int count, unsigned int flags)
{
    make_regions(count, flags, false);
}

static void drop_live_regions(void)
{
    for (int i = 0; i < live_count; i++)
        check(pk_deallocate(live[i], page), "pk_deallocate (live)");
    live_count = 0;
}

/* Times one side of a scale case: a short warm-up, then 2000 operations. */
static double time_scale_case(int c, bool pagekit)
{
    const size_t sizes[] = {page, 64 << 10, 1 << 20};
    if (c < 3) {
        struct lifecycle lifecycle = {sizes[c]};
        side_function side = pagekit ? pagekit_lifecycle : raw_lifecycle;
        side(&lifecycle, 200);
        double start = now_ns();
        side(&lifecycle, 2000);
        return (now_ns() - start) / 2000;
    }
    struct protect_case protect = {0};
    check(pk_allocate(&protect.region, 1 << 20, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    side_function side = pagekit ? pagekit_protect : raw_protect;
    side(&protect, 200);
    double start = now_ns();
    side(&protect, 2000);
    double ns = (now_ns() - start) / 2000;
    check(pk_deallocate(protect.region, 1 << 20), "pk_deallocate");
    return ns;
}

/* The PageKit cases with `many` live regions against the same with 10. The
 * kernel slows down too with that many mappings, so the raw system calls are
 * timed in the same two states and reported beside: PageKit's own growth is
 * the difference between the two ratios. */
static void scale_cases(int many)
{
    static const char *const names[] = {
        "allocate+touch+deallocate 1 page, %d live", "allocate+touch+deallocate 64 KiB, %d live",
        "allocate+touch+deallocate 1 MiB, %d live", "protect RW->R->RW, %d live"};
    double few[2][4][128], lots[2][4][128];
    int scale_rounds = rounds / 3 + 2;
    for (int round = 0; round < scale_rounds; round++) {
        for (int phase = 0; phase < 2; phase++) {
            bool crowded = (round + phase) % 2 == 1;
            make_live_regions(crowded ? many : 10, 0);
            for (int c = 0; c < 4; c++)
                for (int side = 0; side < 2; side++)
                    (crowded ? lots : few)[side][c][round] = time_scale_case(c, side == 0);
            drop_live_regions();
        }
    }
    for (int c = 0; c < 4; c++) {
        for (int side = 0; side < 2; side++) {
            double ratios[128];
            for (int round = 0; round < scale_rounds; round++)
                ratios[round] = lots[side][c][round] / few[side][c][round];
            char *name;
            if (asprintf(&name, names[c], many) < 0)
                exit(1);
            if (side == 1) {
                char *raw_name;
                if (asprintf(&raw_name, "  kernel alone: %s", name) < 0)
                    exit(1);
                free(name);
                name = raw_name;
            }
            record(name, side == 0 ? "PageKit, 10 live regions" : "raw calls, 10 live regions",
                   median(lots[side][c], scale_rounds), median(few[side][c], scale_rounds),
                   median(ratios, scale_rounds), side == 0 ? 1.25 : 0);
        }
    }
}

/* Protect against the raw calls with the same live regions: PageKit's
 * own cost per live region (its table's depth). 50 000 regions apart in
 * the kernel; a million in few kernel mappings. */
static void crowded_case(int count, bool merged)
{
    struct pk_arena_usage before, after;
    pk_arena_usage(&before);
    make_regions(count, 0, merged);
    pk_arena_usage(&after);
    if (count >= 1000000)
        add_memory_row("bookkeeping bytes per live region, 1000000 live",
                       ((double)after.in_use - (double)before.in_use) / count, 128);
    struct protect_case protect = {0};
    check(pk_allocate(&protect.region, 1 << 20, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    double a, b, r;
    measure(pagekit_protect, &protect, raw_protect, &protect, 500, &a, &b, &r);
    char *name;
    if (asprintf(&name, "protect RW->R->RW, 1 page of 1 MiB, %d live", count) < 0)
        exit(1);
    record(name, "2 x mprotect, same page, same live regions", a, b, r, 1.05);
    check(pk_deallocate(protect.region, 1 << 20), "pk_deallocate");
    drop_live_regions();
}

static void crowded_cases(void)
{
    crowded_case(50000, false);
    crowded_case(1000000, true);
}

/* Region query against reading /proc/self/maps once. */

struct query_case {
    uintptr_t address;
};

static void pagekit_query(void *context, int iterations)
{
    struct query_case *query = context;
    for (int i = 0; i < iterations; i++) {
        uintptr_t at = query->address;
        struct pk_region_info info;
        check(pk_region(&at, &info), "pk_region");
    }
}

static void parse_maps(void *context, int iterations)
{
    struct query_case *query = context;
    static char buffer[1 << 22];
    for (int i = 0; i < iterations; i++) {
        FILE *maps = fopen("/proc/self/maps", "re");
        size_t length = fread(buffer, 1, sizeof buffer - 1, maps);
        fclose(maps);
        buffer[length] = '\0';
        for (char *line = buffer; line != NULL && *line != '\0';) {
            unsigned long start = strtoul(line, &line, 16), end = strtoul(line + 1, NULL, 16);
            if (start <= query->address && query->address < end)
                break;
            line = strchr(line, '\n');
            line = line != NULL ? line + 1 : NULL;
        }
    }
}

static void query_case(void)
{
    make_live_regions(10000, 0);
    struct query_case query = {live[5000]};
    double a, b, r;
    measure(pagekit_query, &query, parse_maps, &query, 20, &a, &b, &r);
    record("region query, 10000 live regions", "read+parse /proc/self/maps", a, b, r, 0.01);
    drop_live_regions();
}

/* Purgeable cycles. */

struct purge_case {
    uintptr_t region;
    size_t size;
};

static void pagekit_purgeable_cycle(void *context, int iterations)
{
    struct purge_case *purge = context;
    for (int i = 0; i < iterations; i++) {
        int state = PK_PURGEABLE_VOLATILE;
        check(pk_purgeable_control(purge->region, PK_PURGEABLE_SET_STATE, &state), "volatile");
        state = PK_PURGEABLE_NONVOLATILE;
        check(pk_purgeable_control(purge->region, PK_PURGEABLE_SET_STATE, &state), "nonvolatile");
        if (state != PK_PURGEABLE_VOLATILE) {
            fprintf(stderr, "bench: the kernel reclaimed the object during the benchmark\n");
            exit(1);
        }
    }
}

static void free_and_store(void *context, int iterations)
{
    struct purge_case *purge = context;
    for (int i = 0; i < iterations; i++) {
        madvise((void *)purge->region, purge->size, MADV_FREE);
        for (uintptr_t at = purge->region; at < purge->region + purge->size; at += page)
            *(volatile uintptr_t *)at = at;
    }
}

static void discard_and_refault(void *context, int iterations)
{
    struct purge_case *purge = context;
    for (int i = 0; i < iterations; i++) {
        madvise((void *)purge->region, purge->size, MADV_DONTNEED);
        for (uintptr_t at = purge->region; at < purge->region + purge->size; at += page)
            *(volatile uintptr_t *)at = at;
    }
}

static void purgeable_cases(void)
{
    struct purge_case pagekit_side = {0, 1 << 20}, raw_side = {0, 1 << 20};
    check(pk_allocate(&pagekit_side.region, pagekit_side.size, PK_ALLOC_ANYWHERE | PK_ALLOC_PURGEABLE, NULL),
          "pk_allocate");
    raw_side.region = (uintptr_t)mmap(NULL, raw_side.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset((void *)pagekit_side.region, 1, pagekit_side.size);
    memset((void *)raw_side.region, 1, raw_side.size);
    double a, b, r;
    measure(pagekit_purgeable_cycle, &pagekit_side, free_and_store, &raw_side, 50, &a, &b, &r);
    record("purgeable volatile+nonvolatile, 1 MiB", "MADV_FREE + 1 store/page", a, b, r, 1.25);
    measure(pagekit_purgeable_cycle, &pagekit_side, discard_and_refault, &raw_side, 50, &a, &b, &r);
    record("purgeable cycle vs discard+refault, 1 MiB", "MADV_DONTNEED + touch all", a, b, r, 0.10);
    check(pk_deallocate(pagekit_side.region, pagekit_side.size), "pk_deallocate");
    munmap((void *)raw_side.region, raw_side.size);
}

/* Sharing. A mirror: a buffer whose second view follows the first (the
 * magic ring buffer), made and used and released, against its floor, a
 * memfd mapped twice by hand. */

#define MIB ((size_t)1 << 20)

/* context: a bool, whether each mirror is written once before it goes
 * (false measures making and releasing it alone). */
static void pagekit_mirror(void *context, int iterations)
{
    bool write = *(const bool *)context;
    for (int i = 0; i < iterations; i++) {
        uintptr_t base = 0;
        check(pk_allocate(&base, 2 * MIB, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
        check(pk_deallocate(base + MIB, MIB), "pk_deallocate");
        uintptr_t mirror = base + MIB;
        unsigned int cur, max;
        check(pk_remap(&mirror, MIB, 0, PK_ALLOC_FIXED, base, false, &cur, &max, PK_INHERIT_COPY, true), "pk_remap");
        if (write)
            memset((void *)base, 1, MIB);
        check(pk_deallocate(base, 2 * MIB), "pk_deallocate");
    }
}

static void raw_mirror(void *context, int iterations)
{
    bool write = *(const bool *)context;
    for (int i = 0; i < iterations; i++) {
        int fd = memfd_create("mirror", MFD_CLOEXEC);
        if (fd < 0 || ftruncate(fd, MIB) != 0)
            exit(1);
        char *base = mmap(NULL, 2 * MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        mmap(base, MIB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
        mmap(base + MIB, MIB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
        close(fd);
        if (write)
            memset(base, 1, MIB);
        munmap(base, 2 * MIB);
    }
}

/* A private copy of a written MiB: remap with copy against mmap+memcpy. */
static void pagekit_remap_copy(void *context, int iterations)
{
    uintptr_t source = *(uintptr_t *)context;
    for (int i = 0; i < iterations; i++) {
        uintptr_t target = 0;
        unsigned int cur, max;
        check(pk_remap(&target, MIB, 0, PK_ALLOC_ANYWHERE, source, true, &cur, &max, PK_INHERIT_COPY, true), "remap");
        check(pk_deallocate(target, MIB), "pk_deallocate");
    }
}

static void raw_copy(void *context, int iterations)
{
    uintptr_t source = *(uintptr_t *)context;
    for (int i = 0; i < iterations; i++) {
        void *target = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memcpy(target, (const void *)source, MIB);
        munmap(target, MIB);
    }
}

/* The first share of a written private MiB (it moves onto a memfd) against
 * allocating fresh pages and copying it there. */
static void pagekit_first_share(void *context, int iterations)
{
    (void)context;
    for (int i = 0; i < iterations; i++) {
        uintptr_t region = 0;
        check(pk_allocate(&region, MIB, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
        memset((void *)region, 7, MIB);
        uint64_t size = MIB;
        pk_entry_name_t name;
        check(pk_memory_entry_create(&size, region, PK_MEM_VM_SHARE | PK_PROT_DEFAULT, &name, 0), "entry");
        check(pk_memory_entry_mod_refs(name, -1), "release");
        check(pk_deallocate(region, MIB), "pk_deallocate");
    }
}

static void raw_allocate_and_copy(void *context, int iterations)
{
    (void)context;
    for (int i = 0; i < iterations; i++) {
        char *region = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memset(region, 7, MIB);
        char *fresh = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memcpy(fresh, region, MIB);
        munmap(fresh, MIB);
        munmap(region, MIB);
    }
}

/* fork() of a process with 64 MiB of shared memory inherited as copies
 * (each child gets its own snapshot, as on Mach), against the same fork
 * when that memory is private. Reported, not targeted. */
static void fork_and_wait(void *context, int iterations)
{
    (void)context;
    for (int i = 0; i < iterations; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        waitpid(pid, NULL, 0);
    }
}

static void sharing_cases(void)
{
    double a, b, r;
    bool written = true, unwritten = false;
    measure(pagekit_mirror, &written, raw_mirror, &written, 20, &a, &b, &r);
    record("mirror 1 MiB: create+write+destroy", "memfd + 2 mmap + write", a, b, r, 1.15);
    measure(pagekit_mirror, &unwritten, raw_mirror, &unwritten, 20, &a, &b, &r);
    record("  mirror 1 MiB: create+destroy", "memfd + 2 mmap", a, b, r, 0);
    uintptr_t source = 0;
    check(pk_allocate(&source, MIB, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    memset((void *)source, 3, MIB);
    measure(pagekit_remap_copy, &source, raw_copy, &source, 20, &a, &b, &r);
    record("remap copy=TRUE of a written 1 MiB", "mmap + memcpy", a, b, r, 1.10);
    check(pk_deallocate(source, MIB), "pk_deallocate");
    measure(pagekit_first_share, NULL, raw_allocate_and_copy, NULL, 20, &a, &b, &r);
    record("first share of a written private 1 MiB", "allocate + copy 1 MiB", a, b, r, 1.20);

    uintptr_t shared = 0;
    check(pk_allocate(&shared, 64 * MIB, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    memset((void *)shared, 9, 64 * MIB);
    uintptr_t view = 0;
    unsigned int cur, max;
    check(pk_remap(&view, 64 * MIB, 0, PK_ALLOC_ANYWHERE, shared, false, &cur, &max, PK_INHERIT_COPY, true), "remap");
    double with_shared = 0, with_private = 0;
    measure(fork_and_wait, NULL, fork_and_wait, NULL, 2, &with_shared, &b, &r);
    check(pk_deallocate(view, 64 * MIB), "pk_deallocate");
    check(pk_deallocate(shared, 64 * MIB), "pk_deallocate");
    check(pk_allocate(&shared, 64 * MIB, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    memset((void *)shared, 9, 64 * MIB);
    measure(fork_and_wait, NULL, fork_and_wait, NULL, 2, &with_private, &b, &r);
    check(pk_deallocate(shared, 64 * MIB), "pk_deallocate");
    record("fork with 64 MiB shared (two views), inherited as copies", "fork with 64 MiB private", with_shared,
           with_private, with_shared / with_private, 0);
}

/* Moving bytes: mach_vm_read_overwrite and mach_vm_copy of 1 MiB (the
 * checks of both ranges, then a copy in the kernel) against memcpy between
 * the same two buffers. */
struct transfer_pair {
    uintptr_t source, destination;
};

static void pagekit_transfer(void *context, int iterations)
{
    const struct transfer_pair *pair = context;
    for (int i = 0; i < iterations; i++)
        check(pk_copy(pair->source, MIB, pair->destination), "pk_copy");
}

static void raw_memcpy(void *context, int iterations)
{
    const struct transfer_pair *pair = context;
    for (int i = 0; i < iterations; i++) {
        memcpy((void *)pair->destination, (const void *)pair->source, MIB);
        __asm__ volatile("" ::: "memory");
    }
}

static void transfer_cases(void)
{
    struct transfer_pair pair = {0, 0};
    check(pk_allocate(&pair.source, MIB, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    check(pk_allocate(&pair.destination, MIB, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    memset((void *)pair.source, 5, MIB);
    memset((void *)pair.destination, 6, MIB);
    double a, b, r;
    measure(pagekit_transfer, &pair, raw_memcpy, &pair, 20, &a, &b, &r);
    record("mach_vm_copy / read_overwrite of 1 MiB (PageKit's own memory)", "memcpy", a, b, r, 1.10);
    void *heap = malloc(MIB);
    check(heap == NULL ? -ENOMEM : 0, "malloc");
    memset(heap, 7, MIB);
    struct transfer_pair into_heap = {pair.source, (uintptr_t)heap};
    measure(pagekit_transfer, &into_heap, raw_memcpy, &into_heap, 20, &a, &b, &r);
    record("  the same into a malloc buffer (kernel asked about it)", "memcpy", a, b, r, 0);
    free(heap);
    check(pk_deallocate(pair.source, MIB), "pk_deallocate");
    check(pk_deallocate(pair.destination, MIB), "pk_deallocate");
}

/* What pages are: mach_vm_page_range_query of 1 GiB (a quarter of it
 * written) against reading its /proc/self/pagemap entries directly. */
#define GIB ((size_t)1 << 30)

struct range_query {
    uintptr_t region;
    int *dispositions;
    uint64_t *entries;
};

static void pagekit_range_query(void *context, int iterations)
{
    struct range_query *query = context;
    for (int i = 0; i < iterations; i++) {
        size_t count = GIB / page;
        check(pk_page_range_query(query->region, GIB, query->dispositions, &count), "pk_page_range_query");
    }
}

static void raw_pagemap(void *context, int iterations)
{
    struct range_query *query = context;
    for (int i = 0; i < iterations; i++) {
        int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        size_t bytes = GIB / page * sizeof(uint64_t);
        if (fd < 0 || pread(fd, query->entries, bytes, (off_t)(query->region / page * sizeof(uint64_t))) !=
                          (ssize_t)bytes)
            check(-EIO, "pagemap");
        close(fd);
    }
}

static void page_query_case(void)
{
    struct range_query query = {0, malloc(GIB / page * sizeof(int)), malloc(GIB / page * sizeof(uint64_t))};
    check(query.dispositions == NULL || query.entries == NULL ? -ENOMEM : 0, "malloc");
    check(pk_allocate(&query.region, GIB, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    for (size_t at = 0; at < GIB; at += 4 * page)
        ((volatile char *)query.region)[at] = 1;
    memset(query.dispositions, 0, GIB / page * sizeof(int));
    memset(query.entries, 0, GIB / page * sizeof(uint64_t));
    double a, b, r;
    measure(pagekit_range_query, &query, raw_pagemap, &query, 2, &a, &b, &r);
    record("page range query of 1 GiB", "read its pagemap", a, b, r, 1.10);
    check(pk_deallocate(query.region, GIB), "pk_deallocate");
    free(query.dispositions);
    free(query.entries);
}

/* The price of checking the kernel before the table refuses: a protect
 * above a lowered maximum (EACCES after one ownership query) against the
 * raw mprotect the same call would make were it allowed. */

static void pagekit_refused(void *context, int iterations)
{
    uintptr_t region = *(uintptr_t *)context;
    for (int i = 0; i < iterations; i++)
        if (pk_protect(region, page, false, PK_PROT_DEFAULT) != -EACCES)
            exit(1);
}

static void raw_mprotect_read(void *context, int iterations)
{
    uintptr_t region = *(uintptr_t *)context;
    for (int i = 0; i < iterations; i++)
        check(mprotect((void *)region, page, PROT_READ) == 0 ? 0 : -errno, "mprotect");
}

static void refused_case(void)
{
    uintptr_t pagekit_side = 0, raw_side = 0;
    check(pk_allocate(&pagekit_side, page, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    check(pk_protect(pagekit_side, page, true, PK_PROT_READ), "pk_protect");
    raw_side = (uintptr_t)mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    double a, b, r;
    measure(pagekit_refused, &pagekit_side, raw_mprotect_read, &raw_side, 2000, &a, &b, &r);
    record("protect refused by the maximum (kernel checked first)", "mprotect of one page", a, b, r, 0);
    check(pk_deallocate(pagekit_side, page), "pk_deallocate");
    munmap((void *)raw_side, page);
}

/* Two threads allocating and deallocating one page each. */

struct threads_case {
    bool pagekit;
    int iterations;
};

static void *thread_body(void *argument)
{
    struct threads_case *threads = argument;
    struct lifecycle lifecycle = {page};
    (threads->pagekit ? pagekit_lifecycle : raw_lifecycle)(&lifecycle, threads->iterations);
    return NULL;
}

static void two_threads(void *context, int iterations)
{
    struct threads_case threads = {*(bool *)context, iterations};
    pthread_t first, second;
    pthread_create(&first, NULL, thread_body, &threads);
    pthread_create(&second, NULL, thread_body, &threads);
    pthread_join(first, NULL);
    pthread_join(second, NULL);
}

/* Threads each protecting a page of a 1 MiB region of their own: PageKit's
 * one lock against the raw calls, which the kernel's mmap lock serializes
 * too. */
struct protect_threads {
    bool pagekit;
    int threads, iterations;
};

static void *protect_thread_body(void *argument)
{
    const struct protect_threads *threads = argument;
    struct protect_case protect = {0};
    check(pk_allocate(&protect.region, 1 << 20, PK_ALLOC_ANYWHERE, NULL), "pk_allocate");
    (threads->pagekit ? pagekit_protect : raw_protect)(&protect, threads->iterations);
    check(pk_deallocate(protect.region, 1 << 20), "pk_deallocate");
    return NULL;
}

static void protecting_threads(void *context, int iterations)
{
    struct protect_threads threads = *(struct protect_threads *)context;
    threads.iterations = iterations;
    pthread_t ids[8];
    for (int i = 0; i < threads.threads; i++)
        pthread_create(&ids[i], NULL, protect_thread_body, &threads);
    for (int i = 0; i < threads.threads; i++)
        pthread_join(ids[i], NULL);
}

static void threads_case(void)
{
    bool pagekit = true, raw = false;
    double a, b, r;
    measure(two_threads, &pagekit, two_threads, &raw, 4000, &a, &b, &r);
    record("2 threads allocate+deallocate 1 page", "the same with mmap/munmap", a, b, r, 1.10);
    for (int count = 2; count <= 8; count *= 4) {
        struct protect_threads pagekit_side = {true, count, 0}, raw_side = {false, count, 0};
        measure(protecting_threads, &pagekit_side, protecting_threads, &raw_side, 500, &a, &b, &r);
        record(count == 2 ? "2 threads protect RW->R->RW, 1 page of their own 1 MiB"
                          : "8 threads protect RW->R->RW, 1 page of their own 1 MiB",
               "the same threads with mprotect", a, b, r, 1.05);
    }
}

/* What PageKit spends per live region: bookkeeping bytes (all of it lives
 * in PageKit's arena, so its count is exact) and kernel mappings. */

static long kernel_mappings(void)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    long lines = 0;
    int c;
    while (maps != NULL && (c = fgetc(maps)) != EOF)
        lines += c == '\n';
    if (maps != NULL)
        fclose(maps);
    return lines;
}

/* Bytes per region and mappings per region for count one-page regions. */
static void measure_memory(int count, unsigned int flags, double *bytes, double *mappings)
{
    struct pk_arena_usage before, after;
    long mappings_before = kernel_mappings();
    pk_arena_usage(&before);
    make_live_regions(count, flags);
    pk_arena_usage(&after);
    *mappings = (double)(kernel_mappings() - mappings_before) / count;
    /* The side array's word per page is the purgeable algorithm's, not the
     * table's. */
    double side_array = (flags & PK_ALLOC_PURGEABLE) ? sizeof(uintptr_t) : 0;
    *bytes = ((double)after.in_use - (double)before.in_use) / count - side_array;
    drop_live_regions();
}

static void memory_cases(int count)
{
    double plain_bytes, plain_mappings, purgeable_bytes, purgeable_mappings;
    measure_memory(count, 0, &plain_bytes, &plain_mappings);
    measure_memory(count, PK_ALLOC_PURGEABLE, &purgeable_bytes, &purgeable_mappings);
    add_memory_row("bookkeeping bytes per live region", plain_bytes, 128);
    add_memory_row("bookkeeping bytes per purgeable region, side array aside", purgeable_bytes, 128);
    add_memory_row("kernel mappings per one-page region", plain_mappings, 1);
    add_memory_row("kernel mappings per one-page purgeable region", purgeable_mappings, 1);
}

static void print_table(void)
{
    printf("%-62s %12s %12s %8s %8s  %s\n", "case", "PageKit ns", "baseline ns", "ratio", "target", "");
    for (int i = 0; i < result_count; i++) {
        struct result *r = &results[i];
        double ratio = r->ratio;
        if (r->target == 0) {
            printf("%-62s %12.1f %12.1f %8.3f %8s  %s   (baseline: %s)\n", r->name, r->pagekit_ns, r->baseline_ns,
                   ratio, "-", "    ", r->baseline);
            continue;
        }
        printf("%-62s %12.1f %12.1f %8.3f %8.2f  %s   (baseline: %s)\n", r->name, r->pagekit_ns, r->baseline_ns,
               ratio, r->target, ratio <= r->target ? "pass" : "MISS", r->baseline);
    }
    for (int i = 0; i < memory_row_count; i++)
        printf("%-62s %12.2f %12s %8s %8.0f  %s\n", memory_rows[i].name, memory_rows[i].value, "-", "-",
               memory_rows[i].target, memory_rows[i].value <= memory_rows[i].target ? "pass" : "MISS");
}

static void print_json(void)
{
    printf("{\n  \"kernel\": \"");
    FILE *release = fopen("/proc/sys/kernel/osrelease", "re");
    int c;
    while (release != NULL && (c = fgetc(release)) != EOF && c != '\n')
        putchar(c);
    if (release != NULL)
        fclose(release);
    printf("\",\n  \"rounds\": %d,\n  \"cases\": [\n", rounds);
    for (int i = 0; i < result_count; i++) {
        struct result *r = &results[i];
        double ratio = r->ratio;
        printf("    {\"case\": \"%s\", \"baseline\": \"%s\", \"pagekit_ns\": %.1f, \"baseline_ns\": %.1f, "
               "\"ratio\": %.4f, \"target\": %.2f, \"pass\": %s}%s\n",
               r->name, r->baseline, r->pagekit_ns, r->baseline_ns, ratio, r->target,
               r->target == 0 ? "null" : ratio <= r->target ? "true" : "false",
               i + 1 < result_count || memory_row_count > 0 ? "," : "");
    }
    for (int i = 0; i < memory_row_count; i++)
        printf("    {\"case\": \"%s\", \"value\": %.2f, \"target\": %.0f, \"pass\": %s}%s\n", memory_rows[i].name,
               memory_rows[i].value, memory_rows[i].target, memory_rows[i].value <= memory_rows[i].target ? "true" : "false",
               i + 1 < memory_row_count ? "," : "");
    printf("  ]\n}\n");
}

/* The groups of cases, each runnable alone with --only NAME. */
static void memory_case(void)
{
    /* Alternating protections keep each region a mapping of its own, so
     * the count stays well below vm.max_map_count (65530 by default). */
    memory_cases(30000);
}

static void scale_case(void)
{
    scale_cases(50000);
}

static const struct group {
    const char *name;
    void (*run)(void);
} groups[] = {
    {"basic", basic_cases},       {"scale", scale_case},       {"crowded", crowded_cases},  {"query", query_case},
    {"purgeable", purgeable_cases}, {"threads", threads_case},   {"sharing", sharing_cases},
    {"transfer", transfer_cases}, {"pages", page_query_case},  {"refused", refused_case},
    {"memory", memory_case},
};

int main(int argc, char **argv)
{
    bool json = false;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--quick") == 0)
            rounds = 5;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--json] [--quick] [--only GROUP]\n", argv[0]);
            fprintf(stderr, "groups:");
            for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
                fprintf(stderr, " %s", groups[g].name);
            fprintf(stderr, "\n");
            return 64;
        }
    }
    page = pk_page_size();
    pk_features();
    bool ran = false;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        if (only == NULL || strcmp(only, groups[g].name) == 0) {
            groups[g].run();
            ran = true;
        }
    if (!ran) {
        fprintf(stderr, "no group called %s\n", only);
        return 64;
    }
    if (json)
        print_json();
    else
        print_table();
    return 0;
}
