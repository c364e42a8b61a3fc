// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_mach.c - a model-based fuzzer for the Mach header.
 *
 * The input is a sequence of 4-byte steps; each drives one Mach call (or a
 * name, or a mapping PageKit does not make) with hostile arguments on a
 * 16-page arena. A small model of the arena predicts every kern_return_t,
 * protection, maximum, purgeable state and page content; after each step
 * the harness compares the model with the call's result, with PageKit's
 * region reports and with the kernel's own view in /proc/self/maps, and
 * checks that a canary page PageKit never owned is untouched. Any
 * difference aborts, so libFuzzer keeps the input.
 *
 * Two arenas. The quiet one lies 32 TiB up, where nothing else is mapped,
 * so every hole an input leaves stays a hole. The hostile one lies just
 * below the mmap area's lowest mapping, with every gap above it plugged,
 * so that the kernel fills its holes first: PageKit's VM_FLAGS_ANYWHERE
 * allocations and the harness's own mmap(NULL) land there (the model
 * learns where), and so would any bookkeeping PageKit mapped for itself,
 * which the model then finds in a hole. An input runs in the hostile arena
 * when its first step is use_hostile_arena, so the replayed corpus covers
 * both; FUZZ_HOSTILE=1 in the environment sends every input there and
 * FUZZ_HOSTILE=0 none.
 *
 * After each input the arena is emptied and used again: what the Mach
 * calls cannot remove (permanent pages, PageKit's records of pages unmapped
 * behind its back) the harness unmaps itself and then allocates and
 * deallocates over, which makes PageKit forget it. So a run keeps the same
 * two arenas and the same number of mappings, and its speed, throughout.
 *
 * The sharing calls are steps too: mach_vm_remap (alias or copy, fixed,
 * overwriting or not, with an inheritance), mach_make_memory_entry_64 with
 * VM_SHARE mapped again with mach_vm_map (and the entry released), and
 * mach_vm_inherit. The model knows which backing page each shared page is,
 * so a write through one view must show through every other, and it
 * expects the kernel to map PageKit's shared pages as its memfd.
 *
 * raw_unmap takes pages away behind PageKit's back. Where the kernel can
 * tell what replaces them (nothing, a shared or file mapping) PageKit must
 * see it too; a private anonymous mapping in their place it cannot tell
 * from its own (without anonymous VMA names), so such pages are
 * "ambiguous": a call on them may treat each as foreign or as PageKit's,
 * and the model accepts either reading (and learns which from the result),
 * including PageKit writing into them as into its own.
 *
 *   make fuzz               libFuzzer for FUZZ_SECONDS (60 by default)
 *   build/fuzz_mach CORPUS  replays inputs (make check does, for the corpus
 *                           in Tests/fuzz/corpus); with FUZZ_DESCRIBE=1
 *                           it prints each input's steps and final model
 *
 * Built with -DFUZZ_OLD_LIBRARY it expects the library as it was before
 * PageKit kept its bookkeeping in an arena of its own (commit ebed2ab):
 * other tasks' ports give KERN_INVALID_ARGUMENT, VM_PROT_COPY treats
 * permanent memory like any other, and raw_unmap does nothing, since that
 * library trusted its table. It is there to show what the hostile arena
 * finds in that library.
 */
#define _GNU_SOURCE
#include <pagekit/mach.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

/* Headers from before the rewrite do not name these. */
#ifndef MACH_SEND_INVALID_DEST
#define MACH_SEND_INVALID_DEST 0x10000003
#endif
#ifndef PK_REGION_INTERNAL
#define PK_REGION_INTERNAL 0x200u
#endif

#define PAGES 16
#define MAX_STEPS 64
#define MAX_OBJECTS (MAX_STEPS + 1)

enum page_kind { UNMAPPED, FOREIGN, OWNED, AMBIGUOUS };

/* How a page PageKit did not make is mapped. */
enum mapping_kind { PRIVATE_ANONYMOUS, SHARED_ANONYMOUS, SHARED_FILE, PRIVATE_FILE, MAPPING_KINDS };

struct page {
    enum page_kind kind;
    enum mapping_kind mapping;         /* FOREIGN and AMBIGUOUS pages */
    unsigned int protection, maximum; /* maximum is ALL for foreign pages */
    int allocation;                    /* which allocation; -1 for none */
    int object;                        /* purgeable object, -1 for none */
    bool permanent;
    unsigned char content;             /* every byte of the page, when known */
    bool content_known;
    unsigned int tag;
    int name;                          /* index into names, or -1 */
    /* PageKit's shared pages: which backing (-1 for private memory) and
     * which of its pages; pages with the same pair are one page. */
    int backing, backing_page;
    unsigned int inheritance;
    /* AMBIGUOUS pages: how PageKit may still be treating the page, as far
     * as its results so far tell: as foreign memory, or as its own with
     * the world's stale record. */
    bool may_be_foreign, may_be_owned;
    /* A page, or a stale record, of PageKit's whose bytes a stranger's
     * page replaced: it holds no purge marker, so while its object is
     * volatile PageKit, reading the page as its own, finds the object
     * emptied. A volatile request marks every page of the object again,
     * a stranger's page PageKit takes for its own included. */
    bool stranger_content;
};

static const char *const names[] = {"cache", "jit code", "lookup table"};

struct object {
    int state;
};

/* What the model knows of the arena. stale[page] is, for a page unmapped
 * behind PageKit's back, what PageKit's table may still record there (kind
 * OWNED); else kind UNMAPPED. */
struct world {
    struct page pages[PAGES];
    struct page stale[PAGES];
    struct object objects[MAX_OBJECTS];
    int next_object;
    int next_backing;
};

static const struct page unmapped = {.kind = UNMAPPED, .allocation = -1, .object = -1, .name = -1, .backing = -1};

/* A 16-page arena between two guard pages no call of the fuzzer reaches. */
struct arena {
    uintptr_t base; /* its first page; 0 until reserved */
    bool hostile;
    bool retired; /* something nobody asked for was mapped in it */
};

static struct world world;
static struct arena quiet_arena, hostile_arena = {.hostile = true};
static struct arena *arena;
static enum { BY_INPUT, ALWAYS, NEVER } hostility;
static int next_allocation;
static uintptr_t canary;
static size_t page_size;
static const uint8_t *input;
static int input_steps, step_number;
static bool describe; /* FUZZ_DESCRIBE=1: the model after each input */

static uintptr_t page_address(int page)
{
    return arena->base + (uintptr_t)page * page_size;
}

static uintptr_t arena_end(void)
{
    return page_address(PAGES);
}

/* Diagnostics. */

struct step;
static const struct step *step_of(uint8_t kind);
static const char *step_name(const struct step *step);

static const char *const kind_names[] = {"unmapped", "foreign", "owned", "ambiguous"};

static void describe_input(void)
{
    fprintf(stderr, "the input, in the %s arena:\n", arena->hostile ? "hostile" : "quiet");
    for (int n = 0; n < input_steps && n <= step_number; n++) {
        const uint8_t *step = input + 4 * n;
        fprintf(stderr, "  %2d %3u %s(%u, %u, %u)\n", n, step[0], step_name(step_of(step[0])), step[1], step[2],
                step[3]);
    }
    fprintf(stderr, "the model (prot/max, allocation, object, backing:page, inheritance, permanent, tag, "
                    "content):\n");
    for (int page = 0; page < PAGES; page++) {
        const struct page *p = &world.pages[page];
        fprintf(stderr, "  page %2d %-9s %u/%u a%d o%d b%d:%d i%u%s t%u %02x%s%s\n", page, kind_names[p->kind],
                p->protection, p->maximum, p->allocation, p->object, p->backing, p->backing_page, p->inheritance,
                p->permanent ? " permanent" : "", p->tag, p->content, p->content_known ? "" : "?",
                world.stale[page].kind == OWNED ? " (stale record)" : "");
    }
}

static void fail(const char *what);

__attribute__((format(printf, 1, 2))) static void failf(const char *format, ...)
{
    char text[512];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    fail(text);
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_mach: model and reality differ at step %d: %s\n", step_number, what);
    if (arena != NULL) {
        describe_input();
        fprintf(stderr, "arena at %#lx; the kernel's mappings near it:\n", (unsigned long)arena->base);
        FILE *maps = fopen("/proc/self/maps", "re");
        char line[512];
        while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
            unsigned long low = strtoul(line, NULL, 16);
            if (low + ((unsigned long)1 << 20) > arena->base && low < arena->base + ((unsigned long)1 << 20))
                fputs(line, stderr);
        }
    }
    abort();
}

/* What a call did, and the first way it differed from the model. */
struct call {
    kern_return_t result;
    int error;            /* errno, when the call failed */
    vm_address_t address; /* vm_allocate's address */
    int state;            /* vm_purgable_control's state */
    /* Sharing steps: mach_vm_remap's protections; the mapping that follows
     * mach_make_memory_entry_64, and the release of the entry. */
    vm_prot_t cur, max;
    unsigned long long entry_size; /* memory_object_size_t */
    kern_return_t map_result, release_result;
    int map_error;
};

static char mismatch[512];

__attribute__((format(printf, 1, 2))) static void differ(const char *format, ...)
{
    if (mismatch[0] != '\0')
        return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(mismatch, sizeof mismatch, format, arguments);
    va_end(arguments);
}

/* Its argument is evaluated first: call with errno cleared. */
static struct call called(kern_return_t result)
{
    return (struct call){.result = result, .error = errno};
}

static void expect(const struct call *call, kern_return_t expected, int expected_errno, const char *what)
{
    if (call->result != expected)
        differ("%s returned %s (errno %s), the model says %s", what, mach_error_string(call->result),
               call->result != KERN_SUCCESS ? pk_error_name(call->error) : "-", mach_error_string(expected));
    else if (expected != KERN_SUCCESS && call->error != expected_errno)
        differ("%s left errno %s, the model says %s", what, pk_error_name(call->error), pk_error_name(expected_errno));
}

/* Arenas. */

static bool page_mapped(int page)
{
    unsigned char vector;
    return mincore((void *)page_address(page), page_size, &vector) == 0;
}

/* A quarter of the way up the address space (32 TiB with x86-64's 2^47):
 * above AddressSanitizer's shadow and far below its allocator, the
 * libraries and the stacks, so nothing lands in its holes. The top is the
 * power of two above the main stack's (where the kernel wrote the
 * program's name), as arm64 kernels choose 39 to 48 bits. It stays open
 * (unmapped inside its guards) for the whole run. */
static void reserve_quiet_arena(void)
{
    uintptr_t span = (PAGES + 2) * page_size, stack_top = (uintptr_t)getauxval(AT_EXECFN);
    uintptr_t top = stack_top != 0 ? (uintptr_t)1 << (64 - __builtin_clzl(stack_top)) : (uintptr_t)1 << 47;
    for (uintptr_t at = top / 4; quiet_arena.base == 0; at += (uintptr_t)1 << 30) {
        void *mapped = mmap((void *)at, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (mapped == (void *)at)
            quiet_arena.base = at + page_size;
        else if (mapped != MAP_FAILED)
            munmap(mapped, span);
    }
    munmap((void *)quiet_arena.base, PAGES * page_size);
}

/* The kernel places mmap(NULL) in the highest gap that fits. With the
 * hostile arena's inside mapped, single pages go wherever the kernel puts
 * them first; those above the arena stay there as plugs, until one lands
 * below it: then the arena, once opened, holds the highest gaps. */
static void plug_gaps_above_hostile_arena(void)
{
    for (int plugs = 0; plugs < 4096; plugs++) {
        void *probe = mmap(NULL, page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (probe == MAP_FAILED)
            fail("the harness could not map a probe page");
        if ((uintptr_t)probe < hostile_arena.base) {
            munmap(probe, page_size);
            return;
        }
    }
}

static void reserve_hostile_arena(void)
{
    size_t span = (PAGES + 2) * page_size;
    void *mapped = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
        fail("the harness could not map the hostile arena");
    hostile_arena = (struct arena){.base = (uintptr_t)mapped + page_size, .hostile = true};
    plug_gaps_above_hostile_arena();
}

/* Between its inputs the hostile arena is mapped inside (PROT_NONE), so
 * that other inputs' and libFuzzer's mappings cannot land in it. */
static void open_arena(void)
{
    if (!arena->hostile)
        return;
    plug_gaps_above_hostile_arena();
    munmap((void *)arena->base, PAGES * page_size);
}

static void close_arena(void)
{
    if (!arena->hostile)
        return;
    void *mapped = mmap((void *)arena->base, PAGES * page_size, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (mapped != (void *)arena->base)
        fail("the hostile arena is not empty after its input");
}

/* A page the model says is a hole but the kernel maps, seen before a step:
 * since the last check only the harness, libFuzzer and the sanitizer
 * runtime ran, so it is theirs, and the arena cannot be used any more. */
static bool stray_mapping(void)
{
    for (int page = 0; page < PAGES; page++)
        if (world.pages[page].kind == UNMAPPED && page_mapped(page))
            return true;
    return false;
}

static void retire_arena(void)
{
    fprintf(stderr, "fuzz_mach: something nobody asked for was mapped in the hostile arena at %#lx before step %d "
                    "(the sanitizer's runtime?); a fresh arena takes its place\n",
            (unsigned long)arena->base, step_number);
    arena->retired = true;
}

/* Maps count pages of a kind PageKit does not make at address (anywhere
 * for 0), filled with pattern, with the given protection. */
static uintptr_t map_foreign(uintptr_t address, int count, enum mapping_kind kind, unsigned int protection,
                             unsigned char pattern)
{
    size_t length = (size_t)count * page_size;
    int fd = -1, flags = address != 0 ? MAP_FIXED_NOREPLACE : 0;
    switch (kind) {
    case PRIVATE_ANONYMOUS: flags |= MAP_PRIVATE | MAP_ANONYMOUS; break;
    case SHARED_ANONYMOUS: flags |= MAP_SHARED | MAP_ANONYMOUS; break;
    default:
        fd = memfd_create("fuzz_mach", MFD_CLOEXEC);
        if (fd < 0 || ftruncate(fd, (off_t)length) != 0)
            fail("the harness could not make a memfd");
        flags |= kind == SHARED_FILE ? MAP_SHARED : MAP_PRIVATE;
        break;
    }
    void *mapped = mmap((void *)address, length, PROT_READ | PROT_WRITE, flags, fd, 0);
    if (fd >= 0)
        close(fd);
    if (mapped == MAP_FAILED || (address != 0 && mapped != (void *)address))
        fail("the harness could not map foreign pages");
    memset(mapped, pattern, length);
    mprotect(mapped, length, (int)protection);
    return (uintptr_t)mapped;
}

/* Model updates shared by the steps. */

static int new_object(struct world *w)
{
    int object = w->next_object++;
    w->objects[object].state = VM_PURGABLE_NONVOLATILE;
    return object;
}

/* A fresh allocation: PageKit's record replaces any stale one. */
static void fill_owned(struct world *w, int first, int count, int object, bool permanent, unsigned int tag)
{
    int allocation = next_allocation++;
    for (int page = first; page < first + count; page++) {
        w->pages[page] = (struct page){.kind = OWNED, .protection = VM_PROT_DEFAULT, .maximum = VM_PROT_ALL,
                                       .allocation = allocation, .object = object, .permanent = permanent,
                                       .content_known = true, .tag = tag, .name = -1, .backing = -1,
                                       .inheritance = VM_INHERIT_COPY};
        w->stale[page] = unmapped;
    }
}

/* Where PageKit's table may still hold a record of private memory, a
 * private anonymous mapping is indistinguishable from PageKit's own memory
 * (its shared pages are a memfd of its own, which no stranger maps).
 * PageKit, reading it as its own, takes the kernel's protection for it,
 * and a maximum that allows it. */
static void fill_foreign(struct world *w, int first, int count, enum mapping_kind mapping, unsigned int protection,
                         unsigned char pattern)
{
    for (int page = first; page < first + count; page++) {
        bool ambiguous = w->stale[page].kind == OWNED && w->stale[page].backing < 0 && mapping == PRIVATE_ANONYMOUS;
        /* The kernel allows what it maps: the record's maximum rises to
         * include it, as PageKit's does. */
        if (ambiguous) {
            w->stale[page].protection = protection;
            w->stale[page].maximum |= protection;
            w->stale[page].stranger_content = true;
        }
        w->pages[page] = (struct page){.kind = ambiguous ? AMBIGUOUS : FOREIGN, .mapping = mapping,
                                       .protection = protection, .maximum = VM_PROT_ALL, .allocation = -1,
                                       .object = -1, .content = pattern, .content_known = true, .name = -1,
                                       .backing = -1, .may_be_foreign = ambiguous, .may_be_owned = ambiguous};
    }
}

/* What a deallocation, an overwrite or a copy-on-write protect leaves of
 * permanent memory: mapped, but current and maximum protection NONE. */
static void revoke_permanent(struct world *w, int first, int count)
{
    for (int page = first; page < first + count; page++)
        if (w->pages[page].kind == OWNED && w->pages[page].permanent)
            w->pages[page].protection = w->pages[page].maximum = VM_PROT_NONE;
}

static int clamp(int first, int count)
{
    return first + count > PAGES ? PAGES - first : count;
}

static void mark_range(bool involved[PAGES], int first, int count)
{
    for (int page = first; page < first + count; page++)
        involved[page] = true;
}

/* Steps. Each reads its arguments from three bytes. Those that call
 * PageKit on a range are split: perform makes the call without looking at
 * the model, apply checks the result against a model and updates it, and
 * scope names the pages whose ownership the outcome depends on, so that
 * apply can be tried on each reading of the ambiguous ones. */

struct fixed {
    int first, count;
    bool overwrite, purgeable, permanent;
};

static struct fixed decode_fixed(const uint8_t arg[3])
{
    int first = arg[0] % PAGES;
    uint8_t c = arg[2];
    return (struct fixed){first, clamp(first, 1 + arg[1] % 4), c & 1, c & 2, (c & 12) == 12};
}

static void allocate_fixed_perform(const uint8_t arg[3], struct call *call)
{
    struct fixed f = decode_fixed(arg);
    uint8_t c = arg[2];
    int flags = VM_FLAGS_FIXED | (f.overwrite ? VM_FLAGS_OVERWRITE : 0) | (f.purgeable ? VM_FLAGS_PURGABLE : 0) |
                (f.permanent ? VM_FLAGS_PERMANENT : 0) | (int)VM_MAKE_TAG(c >> 4);
    /* An unaligned address inside the first page means the same range. */
    call->address = page_address(f.first) + (c & 0xF0);
    errno = 0;
    call->result = vm_allocate(mach_task_self(), &call->address, (vm_size_t)f.count * page_size - (c >> 6), flags);
    call->error = errno;
}

static void allocate_fixed_apply(struct world *w, const uint8_t arg[3], const struct call *call)
{
    struct fixed f = decode_fixed(arg);
    bool occupied = false, has_permanent = false;
    for (int page = f.first; page < f.first + f.count; page++) {
        occupied |= w->pages[page].kind != UNMAPPED;
        has_permanent |= w->pages[page].kind == OWNED && w->pages[page].permanent;
    }
    if (occupied && (!f.overwrite || has_permanent)) {
        expect(call, KERN_NO_SPACE, EEXIST, "vm_allocate(FIXED)");
        if (f.overwrite)
            revoke_permanent(w, f.first, f.count);
        return;
    }
    expect(call, KERN_SUCCESS, 0, "vm_allocate(FIXED)");
    if (call->result == KERN_SUCCESS && call->address != page_address(f.first))
        differ("vm_allocate(FIXED) moved the address");
    fill_owned(w, f.first, f.count, f.purgeable ? new_object(w) : -1, f.permanent, arg[2] >> 4);
}

static void allocate_fixed_scope(const struct world *w, const uint8_t arg[3], bool involved[PAGES])
{
    (void)w;
    struct fixed f = decode_fixed(arg);
    mark_range(involved, f.first, f.count);
}

/* Allocations the kernel places. In the quiet arena they land elsewhere
 * and go again at once; in the hostile one they may fill a hole, and the
 * model learns where. */
static void allocate_anywhere(struct world *w, const uint8_t arg[3], const struct call *unused)
{
    (void)unused;
    uint8_t a = arg[0], b = arg[1], c = arg[2];
    vm_address_t address = 0x1234;
    int count = 1 + a % 8;
    vm_size_t size = (vm_size_t)count * page_size;
    int flags = VM_FLAGS_ANYWHERE;
    bool purgeable = false;
    unsigned int tag = 0;
    kern_return_t expected = KERN_SUCCESS;
    int expected_errno = 0;
    switch (b % 6) {
    case 0: size = (vm_size_t)-1 - (c % 64); expected = KERN_INVALID_ARGUMENT; expected_errno = EINVAL; break;
    case 1: size = (vm_size_t)1 << 62; expected = KERN_NO_SPACE; expected_errno = ENOMEM; break;
    case 2: flags |= (int[]){0x20, 0x40, 0x100}[c % 3]; expected = KERN_INVALID_ARGUMENT; expected_errno = EINVAL; break;
    case 3: flags |= VM_FLAGS_OVERWRITE; expected = KERN_INVALID_ARGUMENT; expected_errno = EINVAL; break;
    case 4: flags |= VM_FLAGS_PURGABLE | VM_FLAGS_SUPERPAGE_SIZE_ANY; expected = KERN_INVALID_ARGUMENT;
        expected_errno = EINVAL; break;
    default:
        tag = c;
        purgeable = a & 0x10;
        flags |= (int)VM_MAKE_TAG(c) | (purgeable ? VM_FLAGS_PURGABLE : 0);
        break;
    }
    errno = 0;
    struct call call = called(vm_allocate(mach_task_self(), &address, size, flags));
    expect(&call, expected, expected_errno, "vm_allocate(ANYWHERE)");
    if (call.result != KERN_SUCCESS) {
        if (address != 0x1234)
            differ("a failed vm_allocate changed the address");
        return;
    }
    uintptr_t end = address + size;
    if (end <= arena->base || address >= arena_end()) {
        errno = 0;
        call = called(vm_deallocate(mach_task_self(), address, size));
        expect(&call, KERN_SUCCESS, 0, "vm_deallocate");
        return;
    }
    if (address < arena->base || end > arena_end() || address % page_size != 0) {
        differ("vm_allocate(ANYWHERE) returned %#lx, across the arena's guard pages", (unsigned long)address);
        return;
    }
    int first = (int)((address - arena->base) / page_size);
    for (int page = first; page < first + count; page++)
        if (w->pages[page].kind != UNMAPPED)
            differ("vm_allocate(ANYWHERE) returned page %d, which the model says is in use", page);
    fill_owned(w, first, count, purgeable ? new_object(w) : -1, false, tag);
}

struct removal {
    int first, count, variant;
};

static struct removal decode_removal(const uint8_t arg[3])
{
    int first = arg[0] % PAGES;
    return (struct removal){first, clamp(first, arg[1] % 5), arg[2] % 5};
}

static void deallocate_perform(const uint8_t arg[3], struct call *call)
{
    struct removal r = decode_removal(arg);
    uint8_t c = arg[2];
    vm_address_t address = page_address(r.first);
    vm_size_t size = (vm_size_t)r.count * page_size;
    if (r.count > 0) {
        switch (r.variant) {
        case 0: size = (vm_size_t)-1 - address + 2; break;                         /* wraps */
        case 1: size = ((vm_size_t)1 << 47) - address + page_size; break;           /* beyond MAX: nothing */
        case 2: address += 1 + c % 100; size -= 1 + c % 100; break;                 /* unaligned, same pages */
        default: break;
        }
    }
    errno = 0;
    *call = called(vm_deallocate(mach_task_self(), address, size));
}

static bool removes(struct removal r)
{
    return r.count > 0 && r.variant != 0 && r.variant != 1;
}

static void deallocate_apply(struct world *w, const uint8_t arg[3], const struct call *call)
{
    struct removal r = decode_removal(arg);
    if (r.count > 0 && r.variant == 0) {
        expect(call, KERN_INVALID_ARGUMENT, EINVAL, "vm_deallocate");
        return;
    }
    expect(call, KERN_SUCCESS, 0, "vm_deallocate");
    if (!removes(r))
        return;
    revoke_permanent(w, r.first, r.count);
    for (int page = r.first; page < r.first + r.count; page++) {
        if (w->pages[page].kind != OWNED || !w->pages[page].permanent) {
            w->pages[page] = unmapped;
            w->stale[page] = unmapped;
        }
    }
}

static void deallocate_scope(const struct world *w, const uint8_t arg[3], bool involved[PAGES])
{
    (void)w;
    struct removal r = decode_removal(arg);
    if (removes(r))
        mark_range(involved, r.first, r.count);
}

struct protection_change {
    int first, count;
    bool set_maximum, copy;
    int protection;
    vm_size_t size;
};

static struct protection_change decode_protection(const uint8_t arg[3])
{
    int first = arg[0] % PAGES, count = clamp(first, 1 + arg[1] % 4);
    uint8_t c = arg[2];
    int protection = c & 0x1F; /* READ WRITE EXECUTE, 0x8 unknown, COPY */
    return (struct protection_change){first, count, c & 0x80, protection & VM_PROT_COPY, protection,
                                      (c & 0x60) == 0x60 ? 0 : (vm_size_t)count * page_size};
}

static void protect_perform(const uint8_t arg[3], struct call *call)
{
    struct protection_change p = decode_protection(arg);
    errno = 0;
    *call = called(vm_protect(mach_task_self(), page_address(p.first), p.size, p.set_maximum, p.protection));
}

static void protect_apply(struct world *w, const uint8_t arg[3], const struct call *call)
{
    struct protection_change change = decode_protection(arg);
    if (change.size == 0) {
        expect(call, KERN_SUCCESS, 0, "vm_protect(size 0)");
        return;
    }
    if (change.protection & ~(VM_PROT_ALL | VM_PROT_COPY)) {
        expect(call, KERN_INVALID_ARGUMENT, EINVAL, "vm_protect(bad bits)");
        return;
    }
    unsigned int wanted = (unsigned int)change.protection & VM_PROT_ALL;
    bool has_permanent = false;
    /* The first problem in address order, as XNU reports it. */
    for (int page = change.first; page < change.first + change.count; page++) {
        const struct page *p = &w->pages[page];
        if (p->kind == UNMAPPED) {
            expect(call, KERN_INVALID_ADDRESS, ENOMEM, "vm_protect(hole)");
            return;
        }
        unsigned int maximum = p->maximum | (change.copy && p->kind == OWNED && p->backing < 0 ? VM_PROT_WRITE : 0);
        if (wanted & ~maximum) {
            expect(call, KERN_PROTECTION_FAILURE, EACCES, "vm_protect(above maximum)");
            return;
        }
        has_permanent |= p->kind == OWNED && p->permanent;
    }
#ifndef FUZZ_OLD_LIBRARY
    /* XNU carries out VM_PROT_COPY as an overwrite, which permanent memory
     * refuses, and is left inaccessible by; the rest is untouched. */
    if (change.copy && has_permanent) {
        expect(call, KERN_NO_SPACE, EEXIST, "vm_protect(COPY over permanent memory)");
        revoke_permanent(w, change.first, change.count);
        return;
    }
#else
    (void)has_permanent;
#endif
    expect(call, KERN_SUCCESS, 0, "vm_protect");
    for (int page = change.first; page < change.first + change.count; page++) {
        struct page *p = &w->pages[page];
        if (change.copy && p->kind == OWNED && p->backing < 0)
            p->maximum |= VM_PROT_WRITE;
        if (change.set_maximum) {
            if (p->kind == OWNED)
                p->maximum = wanted;
            p->protection &= wanted;
        } else {
            p->protection = wanted;
        }
    }
}

static void protect_scope(const struct world *w, const uint8_t arg[3], bool involved[PAGES])
{
    (void)w;
    struct protection_change change = decode_protection(arg);
    if (change.size != 0)
        mark_range(involved, change.first, change.count);
}

static bool object_writable(const struct world *w, int object)
{
    for (int page = 0; page < PAGES; page++)
        if (w->pages[page].kind == OWNED && w->pages[page].object == object &&
            !(w->pages[page].protection & VM_PROT_WRITE))
            return false;
    return true;
}

/* A page of the object holds a stranger's bytes where PageKit looks for
 * its purge marker: a page PageKit took from a stranger, or an ambiguous
 * one it may still count as the object's. PageKit reads the marker of a
 * page it records as readable; of any other it asks only whether the page
 * is resident, which a stranger's page, always written, is. */
static bool object_has_stranger_page(const struct world *w, int object)
{
    for (int page = 0; page < PAGES; page++) {
        const struct page *p = &w->pages[page];
        const struct page *record = p->kind == AMBIGUOUS && w->stale[page].kind == OWNED ? &w->stale[page]
                                    : p->kind == OWNED                                   ? p
                                                                                         : NULL;
        if (record != NULL && record->object == object && record->stranger_content &&
            (record->protection & (VM_PROT_READ | VM_PROT_WRITE)))
            return true;
    }
    return false;
}

static void empty_object(struct world *w, int object)
{
    w->objects[object].state = VM_PURGABLE_EMPTY;
    for (int page = 0; page < PAGES; page++)
        if (w->pages[page].kind == OWNED && w->pages[page].object == object)
            w->pages[page].content = 0;
}

/* state: 0x100 is accepted, 0x8 is not; control 3 is not a control. */
static int purgeable_state_argument(uint8_t c)
{
    return c % 4 | ((c & 0x40) ? 0x100 : 0) | ((c & 0x80) ? 0x8 : 0);
}

static void purgeable_perform(const uint8_t arg[3], struct call *call)
{
    call->state = purgeable_state_argument(arg[2]);
    errno = 0;
    call->result = vm_purgable_control(mach_task_self(), page_address(arg[0] % PAGES), arg[1] % 4, &call->state);
    call->error = errno;
}

static void purgeable_apply(struct world *w, const uint8_t arg[3], const struct call *call)
{
    int control = arg[1] % 4, requested = purgeable_state_argument(arg[2]);
    if (control == 3) {
        expect(call, KERN_INVALID_ARGUMENT, EINVAL, "vm_purgable_control(bad control)");
        return;
    }
    if (control == VM_PURGABLE_PURGE_ALL) {
        expect(call, KERN_SUCCESS, 0, "PURGE_ALL");
        for (int object = 0; object < w->next_object; object++)
            if (w->objects[object].state == VM_PURGABLE_VOLATILE)
                empty_object(w, object);
        return;
    }
    if (control == VM_PURGABLE_SET_STATE && (requested & ~VM_PURGABLE_ALL_MASKS)) {
        expect(call, KERN_INVALID_ARGUMENT, EINVAL, "SET_STATE(bad bits)");
        return;
    }
    const struct page *p = &w->pages[arg[0] % PAGES];
    if (p->kind == UNMAPPED) {
        expect(call, KERN_INVALID_ADDRESS, ENOMEM, "vm_purgable_control(unmapped)");
        return;
    }
    if (p->kind != OWNED || p->object < 0) {
        expect(call, KERN_INVALID_ARGUMENT, EINVAL, "vm_purgable_control(not purgeable)");
        return;
    }
    struct object *object = &w->objects[p->object];
    /* Reading the markers, PageKit finds a stranger's page purged. */
    if (object->state == VM_PURGABLE_VOLATILE && object_has_stranger_page(w, p->object))
        empty_object(w, p->object);
    if (control == VM_PURGABLE_GET_STATE) {
        expect(call, KERN_SUCCESS, 0, "GET_STATE");
        if (call->result == KERN_SUCCESS && call->state != object->state)
            differ("GET_STATE says %d, the model %d", call->state, object->state);
        return;
    }
    if (!object_writable(w, p->object)) {
        expect(call, KERN_PROTECTION_FAILURE, EACCES, "SET_STATE(read-only)");
        return;
    }
    int wanted = requested & VM_PURGABLE_STATE_MASK;
    if (wanted == VM_PURGABLE_DENY) {
        expect(call, KERN_INVALID_ARGUMENT, EINVAL, "SET_STATE(DENY)");
        return;
    }
    expect(call, KERN_SUCCESS, 0, "SET_STATE");
    if (call->result == KERN_SUCCESS && call->state != object->state)
        differ("SET_STATE returned the old state %d, the model %d", call->state, object->state);
    if (wanted == VM_PURGABLE_EMPTY || (wanted == VM_PURGABLE_VOLATILE && object->state == VM_PURGABLE_EMPTY)) {
        empty_object(w, p->object);
    } else {
        if (wanted == VM_PURGABLE_VOLATILE && object->state == VM_PURGABLE_NONVOLATILE)
            for (int page = 0; page < PAGES; page++)
                if (w->pages[page].kind == OWNED && w->pages[page].object == p->object)
                    w->pages[page].stranger_content = false;
        object->state = wanted;
    }
}

/* The page itself, and every ambiguous page PageKit may still count as
 * part of its object. */
static void purgeable_scope(const struct world *w, const uint8_t arg[3], bool involved[PAGES])
{
    int control = arg[1] % 4, target = arg[0] % PAGES;
    if (control != VM_PURGABLE_SET_STATE && control != VM_PURGABLE_GET_STATE)
        return;
    involved[target] = true;
    const struct page *p = &w->pages[target];
    int object = p->kind == OWNED ? p->object : p->kind == AMBIGUOUS ? w->stale[target].object : -1;
    for (int page = 0; page < PAGES && object >= 0; page++)
        if (w->pages[page].kind == AMBIGUOUS && w->stale[page].object == object)
            involved[page] = true;
}

/* A foreign page where the model has a hole. */
static void foreign_map(struct world *w, const uint8_t arg[3], const struct call *unused)
{
    (void)unused;
    int page = arg[0] % PAGES;
    if (w->pages[page].kind != UNMAPPED)
        return;
    enum mapping_kind mapping = (enum mapping_kind)(arg[2] % MAPPING_KINDS);
    map_foreign(page_address(page), 1, mapping, arg[1] % 8, 0x3C);
    fill_foreign(w, page, 1, mapping, arg[1] % 8, 0x3C);
}

/* A foreign mapping the kernel places: in the hostile arena it may fill a
 * hole. */
static void foreign_anywhere(struct world *w, const uint8_t arg[3], const struct call *unused)
{
    (void)unused;
    int count = 1 + arg[0] % 4;
    enum mapping_kind mapping = (enum mapping_kind)(arg[2] % MAPPING_KINDS);
    uintptr_t address = map_foreign(0, count, mapping, arg[1] % 8, 0x5A), end = address + count * page_size;
    if (end <= arena->base || address >= arena_end()) {
        munmap((void *)address, count * page_size);
        return;
    }
    if (address < arena->base || end > arena_end())
        fail("the kernel placed a mapping across the arena's guard pages");
    int first = (int)((address - arena->base) / page_size);
    for (int page = first; page < first + count; page++)
        if (w->pages[page].kind != UNMAPPED)
            fail("the kernel placed a mapping over pages the model says are in use");
    fill_foreign(w, first, count, mapping, arg[1] % 8, 0x5A);
}

/* munmap behind PageKit's back, then perhaps a mapping of another kind,
 * or of the same kind with the same or another protection, exactly there. */
static void raw_unmap(struct world *w, const uint8_t arg[3], const struct call *unused)
{
    (void)unused;
#ifdef FUZZ_OLD_LIBRARY
    (void)w;
    (void)arg;
#else
    int first = arg[0] % PAGES, count = clamp(first, 1 + arg[1] % 4);
    int replacement = arg[2] % 6;
    unsigned int before = w->pages[first].kind != UNMAPPED ? w->pages[first].protection : VM_PROT_DEFAULT;
    if (munmap((void *)page_address(first), (size_t)count * page_size) != 0)
        fail("the harness could not unmap pages");
    for (int page = first; page < first + count; page++) {
        /* A record of shared pages goes at the next region walk, since no
         * stranger's mapping looks like PageKit's memfd. */
        if (w->pages[page].kind == OWNED && w->pages[page].backing < 0)
            w->stale[page] = w->pages[page];
        w->pages[page] = unmapped;
    }
    if (replacement == 0)
        return;
    static const enum mapping_kind kinds[] = {PRIVATE_ANONYMOUS, PRIVATE_ANONYMOUS, SHARED_ANONYMOUS, SHARED_FILE,
                                              PRIVATE_FILE};
    unsigned int protection = replacement == 1 ? before : (arg[2] / 6) % 8;
    map_foreign(page_address(first), count, kinds[replacement - 1], protection, 0xA5);
    fill_foreign(w, first, count, kinds[replacement - 1], protection, 0xA5);
#endif
}

/* Writes a byte pattern into a writable, readable owned page whose object
 * (if any) is nonvolatile. */
static void write_page(struct world *w, const uint8_t arg[3], const struct call *unused)
{
    (void)unused;
    struct page *p = &w->pages[arg[0] % PAGES];
    if (p->kind != OWNED || (p->protection & (VM_PROT_READ | VM_PROT_WRITE)) != (VM_PROT_READ | VM_PROT_WRITE))
        return;
    if (p->object >= 0 && w->objects[p->object].state != VM_PURGABLE_NONVOLATILE)
        return;
    memset((void *)page_address(arg[0] % PAGES), arg[1], page_size);
    p->content = arg[1];
    p->content_known = true;
    /* Every view of a shared page sees it. */
    for (int page = 0; page < PAGES && p->backing >= 0; page++) {
        struct page *view = &w->pages[page];
        if (view->kind == OWNED && view->backing == p->backing && view->backing_page == p->backing_page) {
            view->content = arg[1];
            view->content_known = true;
        }
    }
}

/* A port other than mach_task_self(): every call fails to send and changes
 * nothing, outputs included. */
static void other_task(vm_address_t address, uint8_t b)
{
    static const mach_port_t ports[] = {MACH_PORT_NULL, PK_MACH_TASK_SELF + 1, PK_MACH_TASK_SELF - 1,
                                        (mach_port_t)-1};
    mach_port_t port = ports[(b >> 3) & 3];
#ifdef FUZZ_OLD_LIBRARY
    kern_return_t expected = KERN_INVALID_ARGUMENT;
    int expected_errno = EINVAL;
#else
    kern_return_t expected = MACH_SEND_INVALID_DEST;
    int expected_errno = ESRCH;
#endif
    vm_address_t where = address;
    mach_vm_address_t at = address;
    mach_vm_size_t size = 0;
    vm_size_t short_size = 0;
    int state = VM_PURGABLE_EMPTY;
    vm_region_basic_info_data_64_t info;
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    struct call call;
    errno = 0;
    switch (b >> 5) {
    case 0: call = called(vm_allocate(port, &where, page_size, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE)); break;
    case 1: call = called(mach_vm_allocate(port, &at, page_size, VM_FLAGS_ANYWHERE)); break;
    case 2: call = called(vm_deallocate(port, address, page_size)); break;
    case 3: call = called(mach_vm_protect(port, address, page_size, FALSE, VM_PROT_NONE)); break;
    case 4: call = called(vm_purgable_control(port, address, VM_PURGABLE_SET_STATE, &state)); break;
    case 5: call = called(mach_vm_purgable_control(port, address, VM_PURGABLE_PURGE_ALL, &state)); break;
    case 6: call = called(mach_vm_region(port, &at, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info,
                                         &count, NULL)); break;
    default: call = called(vm_region_64(port, &where, &short_size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info,
                                        &count, NULL)); break;
    }
    expect(&call, expected, expected_errno, "a call on another task's port");
    if (where != address || at != address || size != 0 || short_size != 0 || state != VM_PURGABLE_EMPTY)
        differ("a call on another task's port changed its outputs");
}

/* Hostile arguments that must change nothing. */
static void hostile_arguments(struct world *w, const uint8_t arg[3], const struct call *unused)
{
    (void)w;
    (void)unused;
    uint8_t a = arg[0], b = arg[1], c = arg[2];
    vm_address_t address = page_address(a % PAGES) + (b & 0x7);
    struct call call;
    errno = 0;
    switch (c % 6) {
    case 0:
        call = called(vm_protect(mach_task_self(), address, (vm_size_t)-1, FALSE, VM_PROT_READ));
        expect(&call, KERN_INVALID_ARGUMENT, EINVAL, "vm_protect(overflow)");
        break;
    case 1:
        call = called(vm_deallocate(mach_task_self(), (vm_address_t)-page_size + 1, page_size - 2));
        expect(&call, KERN_INVALID_ARGUMENT, EINVAL, "vm_deallocate(wrap)");
        break;
    case 2: {
        vm_address_t top = (vm_address_t)1 << 47;
        call = called(vm_allocate(mach_task_self(), &top, page_size, VM_FLAGS_FIXED));
        expect(&call, KERN_INVALID_ADDRESS, ENOMEM, "vm_allocate(above MAX)");
        break;
    }
    case 3: {
        vm_address_t zero = 0;
        call = called(vm_allocate(mach_task_self(), &zero, (vm_size_t)-1, VM_FLAGS_FIXED));
        expect(&call, KERN_INVALID_ARGUMENT, EINVAL, "vm_allocate(size wraps)");
        break;
    }
    case 4:
        other_task(address, b);
        break;
    default: {
        mach_vm_address_t at = (mach_vm_address_t)1 << 47;
        mach_vm_size_t size = 0;
        vm_region_basic_info_data_64_t info;
        mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
        call = called(mach_vm_region(mach_task_self(), &at, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info,
                                     &count, NULL));
        expect(&call, KERN_INVALID_ADDRESS, ENOMEM, "mach_vm_region(above everything)");
        break;
    }
    }
}

/* Names some pages (pk_name: PageKit's regions only, names checked). */
struct naming {
    int first, count, which; /* which 0-2: a name, 3: none, 4: a bad name */
};

static struct naming decode_naming(const uint8_t arg[3])
{
    int first = arg[0] % PAGES;
    return (struct naming){first, clamp(first, arg[1] % 4), arg[2] % 5};
}

static void name_perform(const uint8_t arg[3], struct call *call)
{
    struct naming n = decode_naming(arg);
    const char *name = n.which < 3 ? names[n.which] : n.which == 3 ? NULL : "bad$name";
    call->result = pk_name(page_address(n.first), (size_t)n.count * page_size, name);
}

static void name_apply(struct world *w, const uint8_t arg[3], const struct call *call)
{
    struct naming n = decode_naming(arg);
    int expected = 0;
    if (n.which == 4) { /* a bad name is refused even for an empty range */
        expected = -EINVAL;
    } else {
        for (int page = n.first; page < n.first + n.count && expected == 0; page++) {
            if (w->pages[page].kind == OWNED)
                continue;
            bool rest_mapped = true;
            for (int rest = page; rest < n.first + n.count; rest++)
                rest_mapped &= w->pages[rest].kind != UNMAPPED;
            expected = rest_mapped ? -EINVAL : -ENOMEM;
        }
    }
    if (call->result != expected)
        differ("pk_name returned %s, the model says %s", pk_error_name(call->result), pk_error_name(expected));
    if (expected == 0)
        for (int page = n.first; page < n.first + n.count; page++)
            w->pages[page].name = n.which < 3 ? n.which : -1;
}

static void name_scope(const struct world *w, const uint8_t arg[3], bool involved[PAGES])
{
    (void)w;
    struct naming n = decode_naming(arg);
    if (n.which != 4)
        mark_range(involved, n.first, n.count);
}

/* Sharing. The library before the arena had none of these calls. */
#ifndef FUZZ_OLD_LIBRARY

static const unsigned int inheritances[] = {VM_INHERIT_COPY, VM_INHERIT_SHARE, VM_INHERIT_NONE, VM_INHERIT_DEFAULT};

/* Each run of adjacent private pages of PageKit's in [first, first +
 * count) moves onto shared pages of its own, all else kept. A page that
 * was ambiguous, and that PageKit took for its own, is PageKit's memfd
 * now, which no stranger maps: no longer ambiguous. */
static void share_private_runs(struct world *w, int first, int count)
{
    for (int page = first, run = -1; page <= first + count; page++) {
        bool private_page = page < first + count && w->pages[page].kind == OWNED && w->pages[page].backing < 0;
        if (private_page && run < 0)
            run = w->next_backing++;
        if (!private_page) {
            run = -1;
            continue;
        }
        w->pages[page].backing = run;
        w->pages[page].backing_page = page - first;
        w->stale[page] = unmapped;
    }
}

static bool has_hole(const struct world *w, int first, int count)
{
    for (int page = first; page < first + count; page++)
        if (w->pages[page].kind == UNMAPPED)
            return true;
    return false;
}

/* Only PageKit's own pages, none purgeable, can be shared. */
static bool shareable(const struct world *w, int first, int count)
{
    for (int page = first; page < first + count; page++)
        if (w->pages[page].kind != OWNED || w->pages[page].object >= 0)
            return false;
    return true;
}

/* What the target of a fixed mapping of count pages at first gives, where
 * placing it fails: KERN_SUCCESS if it is free, or may be overwritten. */
static kern_return_t placing_fails(struct world *w, int first, int count, bool overwrite)
{
    bool occupied = false, has_permanent = false;
    for (int page = first; page < first + count; page++) {
        occupied |= w->pages[page].kind != UNMAPPED;
        has_permanent |= w->pages[page].kind == OWNED && w->pages[page].permanent;
    }
    if (!occupied || (overwrite && !has_permanent))
        return KERN_SUCCESS;
    if (overwrite)
        revoke_permanent(w, first, count);
    return KERN_NO_SPACE;
}

/* The pages a mapping places at first: source's, aliased or copied. */
static void place_pages(struct world *w, int first, const struct page *source, int count, bool copy,
                        unsigned int inheritance)
{
    int allocation = next_allocation++;
    for (int i = 0; i < count; i++) {
        const struct page *s = &source[i];
        bool unknown = s->kind == OWNED && s->object >= 0 && w->objects[s->object].state == VM_PURGABLE_VOLATILE;
        w->pages[first + i] = (struct page){
            .kind = OWNED, .protection = s->protection, .maximum = s->kind == OWNED ? s->maximum : VM_PROT_ALL,
            .allocation = allocation, .object = -1, .content = s->content,
            .content_known = s->content_known && !unknown, .name = -1, .backing = copy ? -1 : s->backing,
            .backing_page = copy ? 0 : s->backing_page,
            .inheritance = inheritance == VM_INHERIT_DEFAULT ? VM_INHERIT_COPY : inheritance};
        w->stale[first + i] = unmapped;
    }
    /* A private copy a child must share moves onto shared pages. */
    if (copy && inheritance == VM_INHERIT_SHARE)
        share_private_runs(w, first, count);
}

struct sharing {
    int source, target, count;
    bool copy, overwrite;
    unsigned int inheritance;
};

/* mach_vm_remap, fixed, of up to four pages to up to four pages. */
static struct sharing decode_remap(const uint8_t arg[3])
{
    uint8_t a = arg[0], b = arg[1], c = arg[2];
    int source = a % PAGES, target = c % PAGES, count = 1 + b % 4;
    count = clamp(source, clamp(target, count));
    return (struct sharing){source, target, count, b & 0x10, b & 0x20, inheritances[b >> 6]};
}

static void remap_perform(const uint8_t arg[3], struct call *call)
{
    struct sharing r = decode_remap(arg);
    mach_vm_address_t target = page_address(r.target);
    call->cur = call->max = 0x55;
    errno = 0;
    call->result = mach_vm_remap(mach_task_self(), &target, (mach_vm_size_t)r.count * page_size, 0,
                                 VM_FLAGS_FIXED | (r.overwrite ? VM_FLAGS_OVERWRITE : 0), mach_task_self(),
                                 page_address(r.source), r.copy, &call->cur, &call->max, r.inheritance);
    call->error = errno;
    call->address = (vm_address_t)target;
}

static void remap_apply(struct world *w, const uint8_t arg[3], const struct call *call)
{
    struct sharing r = decode_remap(arg);
    const char *what = r.copy ? "mach_vm_remap(copy)" : "mach_vm_remap(alias)";
    if (has_hole(w, r.source, r.count)) {
        expect(call, KERN_INVALID_ADDRESS, EFAULT, what);
        return;
    }
    if (!r.copy) {
        if (!shareable(w, r.source, r.count)) {
            expect(call, KERN_NOT_SUPPORTED, EOPNOTSUPP, what);
            return;
        }
        /* The source moves onto shared pages before the target is placed. */
        share_private_runs(w, r.source, r.count);
    }
    struct page source[4];
    unsigned int cur = VM_PROT_ALL, max = VM_PROT_ALL;
    for (int i = 0; i < r.count; i++) {
        source[i] = w->pages[r.source + i];
        cur &= source[i].protection;
        max &= source[i].kind == OWNED ? source[i].maximum : VM_PROT_ALL;
        /* A stranger's page where PageKit records a purgeable page: PageKit
         * may find the marker gone and copy zeros (check_owned). */
        if (w->stale[r.source + i].kind == OWNED && w->stale[r.source + i].object >= 0)
            source[i].content_known = false;
    }
    kern_return_t placed = placing_fails(w, r.target, r.count, r.overwrite);
    if (placed != KERN_SUCCESS) {
        expect(call, placed, EEXIST, what);
        return;
    }
    expect(call, KERN_SUCCESS, 0, what);
    if (call->result != KERN_SUCCESS)
        return;
    if (call->address != page_address(r.target))
        differ("%s placed the target elsewhere", what);
    if ((unsigned int)call->cur != cur || (unsigned int)call->max != max)
        differ("%s returned %d/%d, the model says %u/%u", what, call->cur, call->max, cur, max);
    place_pages(w, r.target, source, r.count, r.copy, r.inheritance);
}

static void two_ranges_scope(int source, int target, int count, bool involved[PAGES])
{
    mark_range(involved, source, count);
    mark_range(involved, target, count);
}

static void remap_scope(const struct world *w, const uint8_t arg[3], bool involved[PAGES])
{
    (void)w;
    struct sharing r = decode_remap(arg);
    two_ranges_scope(r.source, r.target, r.count, involved);
}

/* mach_make_memory_entry_64 with VM_SHARE of up to four pages, mapped
 * fixed with mach_vm_map, the entry released after. */
struct entry_mapping {
    struct sharing where;
    unsigned int permission, cur, max;
};

static struct entry_mapping decode_entry_mapping(const uint8_t arg[3])
{
    static const unsigned int permissions[] = {VM_PROT_READ, VM_PROT_DEFAULT, VM_PROT_DEFAULT, VM_PROT_ALL};
    uint8_t a = arg[0], b = arg[1], c = arg[2];
    int source = a % PAGES, target = c % PAGES, count = 1 + (a >> 4) % 4;
    count = clamp(source, clamp(target, count));
    unsigned int permission = permissions[b & 3], cur, max;
    switch ((b >> 2) & 3) {
    case 0: cur = max = permission; break;
    case 1: cur = max = VM_PROT_READ; break;
    case 2: cur = max = VM_PROT_DEFAULT; break;
    default: cur = VM_PROT_DEFAULT; max = VM_PROT_ALL; break;
    }
    return (struct entry_mapping){{source, target, count, b & 0x40, b & 0x80, inheritances[(c >> 4) & 3]},
                                  permission, cur, max};
}

static void entry_mapping_perform(const uint8_t arg[3], struct call *call)
{
    struct entry_mapping m = decode_entry_mapping(arg);
    mem_entry_name_port_t entry = MACH_PORT_NULL;
    call->entry_size = (memory_object_size_t)m.where.count * page_size;
    errno = 0;
    call->result = mach_make_memory_entry_64(mach_task_self(), &call->entry_size, page_address(m.where.source),
                                             MAP_MEM_VM_SHARE | (vm_prot_t)m.permission, &entry, MACH_PORT_NULL);
    call->error = errno;
    if (call->result != KERN_SUCCESS)
        return;
    mach_vm_address_t at = page_address(m.where.target);
    errno = 0;
    call->map_result = mach_vm_map(mach_task_self(), &at, (mach_vm_size_t)m.where.count * page_size, 0,
                                   VM_FLAGS_FIXED | (m.where.overwrite ? VM_FLAGS_OVERWRITE : 0), entry, 0,
                                   m.where.copy, (vm_prot_t)m.cur, (vm_prot_t)m.max, m.where.inheritance);
    call->map_error = errno;
    call->address = (vm_address_t)at;
    call->release_result = mach_port_deallocate(mach_task_self(), entry);
}

/* Whether [first, first + count) lies in order on one backing. */
static bool on_one_backing(const struct world *w, int first, int count)
{
    const struct page *start = &w->pages[first];
    for (int i = 0; i < count; i++)
        if (w->pages[first + i].backing != start->backing ||
            w->pages[first + i].backing_page != start->backing_page + i)
            return false;
    return true;
}

static void entry_mapping_apply(struct world *w, const uint8_t arg[3], const struct call *call)
{
    struct entry_mapping m = decode_entry_mapping(arg);
    struct sharing where = m.where;
    const char *what = "mach_make_memory_entry_64(VM_SHARE)";
    if (has_hole(w, where.source, where.count)) {
        expect(call, KERN_INVALID_ADDRESS, ENOMEM, what);
        return;
    }
    if (!shareable(w, where.source, where.count)) {
        expect(call, KERN_NOT_SUPPORTED, EOPNOTSUPP, what);
        return;
    }
    unsigned int allowed = VM_PROT_ALL;
    bool private_pages = true;
    for (int page = where.source; page < where.source + where.count; page++) {
        allowed &= w->pages[page].protection & w->pages[page].maximum;
        private_pages &= w->pages[page].backing < 0;
    }
    if (m.permission & ~allowed) {
        expect(call, KERN_PROTECTION_FAILURE, EACCES, what);
        return;
    }
    /* All private moves onto one backing; a mix is not supported. */
    if (!private_pages && !on_one_backing(w, where.source, where.count)) {
        expect(call, KERN_NOT_SUPPORTED, EOPNOTSUPP, what);
        return;
    }
    if (private_pages)
        share_private_runs(w, where.source, where.count);
    expect(call, KERN_SUCCESS, 0, what);
    if (call->result != KERN_SUCCESS)
        return;
    if (call->entry_size != (memory_object_size_t)where.count * page_size)
        differ("%s returned size %llu", what, (unsigned long long)call->entry_size);
    if (call->release_result != KERN_SUCCESS)
        differ("mach_port_deallocate of the entry failed");
    struct call mapping = {.result = call->map_result, .error = call->map_error};
    what = where.copy ? "mach_vm_map(entry, copy)" : "mach_vm_map(entry)";
    unsigned int cur = m.cur & m.max;
    if ((m.max | cur) & ~m.permission) {
        expect(&mapping, KERN_INVALID_RIGHT, EACCES, what);
        return;
    }
    kern_return_t placed = placing_fails(w, where.target, where.count, where.overwrite);
    if (placed != KERN_SUCCESS) {
        expect(&mapping, placed, EEXIST, what);
        return;
    }
    expect(&mapping, KERN_SUCCESS, 0, what);
    if (mapping.result != KERN_SUCCESS)
        return;
    if (call->address != page_address(where.target))
        differ("%s placed the view elsewhere", what);
    struct page source[4];
    for (int i = 0; i < where.count; i++) {
        source[i] = w->pages[where.source + i];
        source[i].protection = cur;
        source[i].maximum = m.max;
    }
    place_pages(w, where.target, source, where.count, where.copy, where.inheritance);
}

static void entry_mapping_scope(const struct world *w, const uint8_t arg[3], bool involved[PAGES])
{
    (void)w;
    struct entry_mapping m = decode_entry_mapping(arg);
    two_ranges_scope(m.where.source, m.where.target, m.where.count, involved);
}

/* mach_vm_inherit of up to four pages (or none), with a value or a bad one. */
struct inheriting {
    int first, count;
    unsigned int value;
};

static struct inheriting decode_inherit(const uint8_t arg[3])
{
    static const unsigned int values[] = {VM_INHERIT_SHARE, VM_INHERIT_COPY, VM_INHERIT_NONE,
                                          VM_INHERIT_DONATE_COPY, 7};
    int first = arg[0] % PAGES;
    return (struct inheriting){first, clamp(first, arg[1] % 5), values[arg[2] % 5]};
}

static void inherit_perform(const uint8_t arg[3], struct call *call)
{
    struct inheriting i = decode_inherit(arg);
    errno = 0;
    *call = called(mach_vm_inherit(mach_task_self(), page_address(i.first), (mach_vm_size_t)i.count * page_size,
                                   i.value));
}

static void inherit_apply(struct world *w, const uint8_t arg[3], const struct call *call)
{
    struct inheriting i = decode_inherit(arg);
    if (i.count == 0) {
        expect(call, KERN_SUCCESS, 0, "mach_vm_inherit(size 0)");
        return;
    }
    if (i.value > VM_INHERIT_LAST_VALID) {
        expect(call, KERN_INVALID_ARGUMENT, EINVAL, "mach_vm_inherit(bad value)");
        return;
    }
    for (int page = i.first; page < i.first + i.count && i.value == VM_INHERIT_SHARE; page++) {
        if (w->pages[page].kind == OWNED && w->pages[page].object >= 0) {
            expect(call, KERN_NOT_SUPPORTED, EOPNOTSUPP, "mach_vm_inherit(SHARE of purgeable memory)");
            return;
        }
    }
    expect(call, KERN_SUCCESS, 0, "mach_vm_inherit");
    if (i.value == VM_INHERIT_SHARE)
        share_private_runs(w, i.first, i.count);
    for (int page = i.first; page < i.first + i.count; page++)
        if (w->pages[page].kind == OWNED)
            w->pages[page].inheritance = i.value;
}

static void inherit_scope(const struct world *w, const uint8_t arg[3], bool involved[PAGES])
{
    (void)w;
    struct inheriting i = decode_inherit(arg);
    if (i.value <= VM_INHERIT_LAST_VALID)
        mark_range(involved, i.first, i.count);
}

#else
static void not_in_old_library(struct world *w, const uint8_t arg[3], const struct call *unused)
{
    (void)w;
    (void)arg;
    (void)unused;
}
#endif

/* As the first step: the input runs in the hostile arena. */
static void use_hostile_arena(struct world *w, const uint8_t arg[3], const struct call *unused)
{
    (void)w;
    (void)arg;
    (void)unused;
}

struct step {
    const char *name;
    /* The call into PageKit, made without looking at the model; NULL for
     * steps whose apply does all the work on the one model. */
    void (*perform)(const uint8_t arg[3], struct call *call);
    void (*apply)(struct world *w, const uint8_t arg[3], const struct call *call);
    void (*scope)(const struct world *w, const uint8_t arg[3], bool involved[PAGES]);
};

static const struct step steps[] = {
    /* Kind bytes below 220 pick one of these eleven, the kinds the corpus
     * was first grown with, by the byte modulo 11. */
    {"allocate_fixed", allocate_fixed_perform, allocate_fixed_apply, allocate_fixed_scope},
    {"allocate_fixed", allocate_fixed_perform, allocate_fixed_apply, allocate_fixed_scope},
    {"allocate_anywhere", NULL, allocate_anywhere, NULL},
    {"deallocate", deallocate_perform, deallocate_apply, deallocate_scope},
    {"protect", protect_perform, protect_apply, protect_scope},
    {"protect", protect_perform, protect_apply, protect_scope},
    {"purgeable_control", purgeable_perform, purgeable_apply, purgeable_scope},
    {"foreign_map", NULL, foreign_map, NULL},
    {"write_page", NULL, write_page, NULL},
    {"hostile_arguments", NULL, hostile_arguments, NULL},
    {"name_pages", name_perform, name_apply, name_scope},
    /* Kind bytes 220 to 243, by the byte modulo 3. */
    {"foreign_anywhere", NULL, foreign_anywhere, NULL},
    {"raw_unmap", NULL, raw_unmap, NULL},
    {"use_hostile_arena", NULL, use_hostile_arena, NULL},
    /* Kind bytes from 244 up, by the byte modulo 3: the sharing calls. */
#ifndef FUZZ_OLD_LIBRARY
    {"remap", remap_perform, remap_apply, remap_scope},
    {"share_and_map", entry_mapping_perform, entry_mapping_apply, entry_mapping_scope},
    {"inherit", inherit_perform, inherit_apply, inherit_scope},
#else
    {"remap (not in the old library)", NULL, not_in_old_library, NULL},
    {"share_and_map (not in the old library)", NULL, not_in_old_library, NULL},
    {"inherit (not in the old library)", NULL, not_in_old_library, NULL},
#endif
};

#define FIRST_KINDS 11
#define FIRST_KIND_BYTES (FIRST_KINDS * 20)
#define SECOND_KINDS 3
#define SECOND_KIND_BYTES (SECOND_KINDS * 8)

static const struct step *step_of(uint8_t kind)
{
    if (kind < FIRST_KIND_BYTES)
        return &steps[kind % FIRST_KINDS];
    if (kind < FIRST_KIND_BYTES + SECOND_KIND_BYTES)
        return &steps[FIRST_KINDS + (kind - FIRST_KIND_BYTES) % SECOND_KINDS];
    return &steps[FIRST_KINDS + SECOND_KINDS + (kind - FIRST_KIND_BYTES - SECOND_KIND_BYTES) % 3];
}

static const char *step_name(const struct step *step)
{
    return step->name;
}

/* The kernel's view of the arena, its guard pages and the canary, read
 * once per step: each mapping's range, rwx, whether it is shared and its
 * inode (0 for anonymous private memory). The other lines of the file are
 * skipped unparsed: reading it is most of what a step costs. */
struct kernel_mapping {
    unsigned long low, high, inode;
    unsigned int protection;
    bool shared;
};
static struct kernel_mapping kernel_view[2 * PAGES + 8];
static int kernel_view_count;

static void read_kernel_view(void)
{
    static char buffer[1 << 20];
    static int maps = -1;
    if (maps < 0 && (maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) < 0)
        fail("the harness could not open /proc/self/maps");
    size_t length = 0;
    for (ssize_t got; length < sizeof buffer - 1; length += (size_t)got)
        if ((got = pread(maps, buffer + length, sizeof buffer - 1 - length, (off_t)length)) <= 0)
            break;
    buffer[length] = '\0';
    unsigned long near_low = arena->base - page_size, near_high = arena_end() + page_size;
    kernel_view_count = 0;
    for (char *line = buffer; *line != '\0';) {
        char *rest, *next = strchr(line, '\n');
        unsigned long low = strtoul(line, &rest, 16), high = strtoul(rest + 1, NULL, 16);
        bool near = (low < near_high && high > near_low) || (low <= canary && canary < high);
        struct kernel_mapping *mapping = &kernel_view[kernel_view_count];
        char perms[5];
        if (near &&
            sscanf(line, "%lx-%lx %4s %*s %*s %lu", &mapping->low, &mapping->high, perms, &mapping->inode) == 4) {
            if (kernel_view_count == (int)(sizeof kernel_view / sizeof kernel_view[0]) - 1)
                fail("more mappings around the arena than there are pages");
            mapping->protection = (perms[0] == 'r' ? 1u : 0u) | (perms[1] == 'w' ? 2u : 0u) |
                                  (perms[2] == 'x' ? 4u : 0u);
            mapping->shared = perms[3] == 's';
            kernel_view_count++;
        }
        if (next == NULL)
            break;
        line = next + 1;
    }
}

static const struct kernel_mapping *kernel_mapping_at(uintptr_t address)
{
    for (int i = 0; i < kernel_view_count; i++)
        if (kernel_view[i].low <= address && address < kernel_view[i].high)
            return &kernel_view[i];
    return NULL;
}

static bool shared_kind(enum mapping_kind mapping)
{
    return mapping == SHARED_ANONYMOUS || mapping == SHARED_FILE;
}

static bool kernel_kind_is(const struct kernel_mapping *kernel, enum mapping_kind mapping)
{
    bool file = mapping == SHARED_FILE || mapping == PRIVATE_FILE;
    /* A shared anonymous mapping is a file of the kernel's own (an inode). */
    return kernel->shared == shared_kind(mapping) && (mapping == SHARED_ANONYMOUS || (kernel->inode != 0) == file);
}

/* Ambiguity: a reading resolves each involved ambiguous page either as
 * foreign memory (the kernel's protection, maximum ALL) or as PageKit's
 * stale record; bit n of readings is the n-th involved page's. */
static void resolve(struct world *w, const bool involved[PAGES], unsigned int readings)
{
    for (int page = 0, bit = 0; page < PAGES; page++) {
        if (!involved[page])
            continue;
        struct page *p = &w->pages[page];
        if (readings >> bit++ & 1) {
            struct page record = w->stale[page];
            record.content = p->content;
            record.content_known = p->content_known;
            *p = record;
        } else {
            p->kind = FOREIGN;
        }
    }
}

static bool reading_possible(const struct world *w, const bool involved[PAGES], unsigned int readings)
{
    for (int page = 0, bit = 0; page < PAGES; page++) {
        if (!involved[page])
            continue;
        bool owned = readings >> bit++ & 1;
        if (owned ? !w->pages[page].may_be_owned : !w->pages[page].may_be_foreign)
            return false;
    }
    return true;
}

/* Mapped where the reading says, and shared where it has PageKit move the
 * page onto shared pages. */
static bool kernel_agrees(const struct world *w, const bool involved[PAGES])
{
    for (int page = 0; page < PAGES; page++) {
        if (!involved[page])
            continue;
        const struct kernel_mapping *kernel = kernel_mapping_at(page_address(page));
        const struct page *p = &w->pages[page];
        if ((kernel != NULL) != (p->kind != UNMAPPED))
            return false;
        enum mapping_kind kind = p->kind != OWNED ? p->mapping : p->backing >= 0 ? SHARED_FILE : PRIVATE_ANONYMOUS;
        if (kernel != NULL && !kernel_kind_is(kernel, kind))
            return false;
    }
    return true;
}

/* PageKit's reports agree with a reading on every page the reading makes
 * PageKit's, the call's own pages included: a copy of an ambiguous page,
 * say, has the maximum of the reading PageKit took. */
static bool reports_agree(const struct world *w, const bool involved[PAGES])
{
    (void)involved;
    for (int page = 0; page < PAGES; page++) {
        const struct page *p = &w->pages[page];
        if (p->kind != OWNED)
            continue;
        uintptr_t where = page_address(page);
        struct pk_region_info info;
        if (pk_region(&where, &info) != 0 || info.start > page_address(page) || !(info.flags & PK_REGION_OWNED) ||
            info.protection != p->protection || info.max_protection != p->maximum ||
            ((info.flags & PK_REGION_SHARED) != 0) != (p->backing >= 0))
            return false;
    }
    return true;
}

/* The readings that fit a call's outcome, gathered page by page. Readings
 * with the same result that PageKit's reports agree with do the same to
 * every other page, so they differ only in what PageKit now records for
 * the ambiguous pages. */
struct fits {
    bool foreign[PAGES], owned[PAGES];
    struct page record[PAGES]; /* PageKit's record, where it read the page as its own */
};

static void note_fit(struct fits *fits, const struct world *trial, const bool involved[PAGES], unsigned int readings)
{
    for (int page = 0, bit = 0; page < PAGES; page++) {
        if (!involved[page])
            continue;
        if (readings >> bit++ & 1) {
            fits->owned[page] = true;
            fits->record[page] = trial->pages[page];
        } else {
            fits->foreign[page] = true;
        }
    }
}

/* After the call: a page it removed or replaced is no longer ambiguous; any
 * other stays so, with the contents it had (PageKit must not write there),
 * the kernel's protection, and what PageKit may now make of it. A page
 * PageKit can only have treated as foreign is foreign from now on. */
static void unresolve(struct world *w, const struct world *before, const bool involved[PAGES],
                      const struct fits *fits)
{
    for (int page = 0; page < PAGES; page++) {
        struct page *p = &w->pages[page];
        if (!involved[page] || p->kind == UNMAPPED || w->stale[page].kind != OWNED)
            continue;
        *p = before->pages[page];
        p->protection = kernel_mapping_at(page_address(page))->protection;
        p->may_be_foreign = fits->foreign[page];
        p->may_be_owned = fits->owned[page];
        if (p->may_be_owned) {
            w->stale[page] = fits->record[page];
            w->stale[page].kind = OWNED;
        } else {
            p->kind = FOREIGN;
            w->stale[page] = unmapped;
        }
    }
}

static void run_step(const struct step *step, const uint8_t arg[3])
{
    mismatch[0] = '\0';
    if (step->perform == NULL) {
        step->apply(&world, arg, NULL);
        if (mismatch[0] != '\0')
            fail(mismatch);
        return;
    }
    bool involved[PAGES] = {false};
    step->scope(&world, arg, involved);
    int ambiguous = 0;
    for (int page = 0; page < PAGES; page++) {
        involved[page] &= world.pages[page].kind == AMBIGUOUS;
        ambiguous += involved[page];
    }
    struct call call = {0};
    step->perform(arg, &call);
    if (ambiguous == 0) {
        step->apply(&world, arg, &call);
        if (mismatch[0] != '\0')
            fail(mismatch);
        return;
    }
    /* Every combination for a few pages, else all one way or all the other. */
    read_kernel_view();
    unsigned int all = (1u << ambiguous) - 1, tries = ambiguous <= 4 ? all + 1 : 2;
    static struct world trial, adopted;
    struct fits fits = {0};
    bool fitted = false;
    char as_foreign[sizeof mismatch] = "not possible", as_owned[sizeof mismatch] = "not possible";
    for (unsigned int n = 0; n < tries; n++) {
        unsigned int readings = ambiguous <= 4 ? n : n ? all : 0;
        if (!reading_possible(&world, involved, readings))
            continue;
        trial = world;
        resolve(&trial, involved, readings);
        mismatch[0] = '\0';
        step->apply(&trial, arg, &call);
        if (mismatch[0] == '\0' && !kernel_agrees(&trial, involved))
            differ("the kernel maps the ambiguous pages otherwise");
        if (mismatch[0] == '\0' && !reports_agree(&trial, involved))
            differ("PageKit reports the pages this reading leaves its own otherwise");
        if (mismatch[0] == '\0') {
            if (!fitted)
                adopted = trial;
            fitted = true;
            note_fit(&fits, &trial, involved, readings);
        } else if (readings == 0 || readings == all) {
            snprintf(readings == 0 ? as_foreign : as_owned, sizeof mismatch, "%s", mismatch);
        }
    }
    if (!fitted) {
        char text[3 * sizeof mismatch];
        snprintf(text, sizeof text, "no reading of the ambiguous pages fits; as foreign: %s; as PageKit's: %s",
                 as_foreign, as_owned);
        fail(text);
    }
    unresolve(&adopted, &world, involved, &fits);
    world = adopted;
}

/* Checks. */

/* PageKit's reports over the arena, once per step: pk_region from region
 * to region, each compared with mach_vm_region's. */
static struct pk_region_info regions[PAGES + 4];
static int region_count;

static void walk_regions(void)
{
    region_count = 0;
    for (uintptr_t at = arena->base; at < arena_end() && region_count < PAGES + 4;) {
        struct pk_region_info info;
        uintptr_t where = at;
        int error = pk_region(&where, &info);
        if (error == -ENOMEM)
            break;
        if (error != 0 || info.size == 0 || info.start + info.size <= at || where != info.start)
            fail("pk_region gave no region, or one that ends before the address asked about");
        if (info.start >= arena_end())
            break;
        if (info.flags & PK_REGION_INTERNAL)
            fail("pk_region reports PageKit's own bookkeeping inside the arena");
        mach_vm_address_t mach_at = at;
        mach_vm_size_t mach_size = 0;
        vm_region_basic_info_data_64_t basic = {0};
        mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
        errno = 0;
        struct call call = called(mach_vm_region(mach_task_self(), &mach_at, &mach_size, VM_REGION_BASIC_INFO_64,
                                                 (vm_region_info_t)&basic, &count, NULL));
        mismatch[0] = '\0';
        expect(&call, KERN_SUCCESS, 0, "mach_vm_region");
        if (mismatch[0] != '\0')
            fail(mismatch);
        if (mach_at != info.start || mach_size != info.size || (unsigned int)basic.protection != info.protection ||
            (unsigned int)basic.max_protection != info.max_protection)
            fail("mach_vm_region and pk_region describe a region differently");
        regions[region_count++] = info;
        at = info.start + info.size;
    }
}

static const struct pk_region_info *region_at(uintptr_t address)
{
    for (int i = 0; i < region_count; i++)
        if (regions[i].start <= address && address - regions[i].start < regions[i].size)
            return &regions[i];
    return NULL;
}

static void check_owned(int page, const struct page *p, const struct pk_region_info *region)
{
    if (!(region->flags & PK_REGION_OWNED))
        failf("pk_region does not report page %d, PageKit's, as PageKit's (flags %#x)", page, region->flags);
    if (region->protection != p->protection || region->max_protection != p->maximum)
        failf("pk_region's protections for page %d are %u/%u, the model's %u/%u", page, region->protection,
              region->max_protection, p->protection, p->maximum);
    if (((region->flags & PK_REGION_PERMANENT) != 0) != p->permanent)
        failf("pk_region's permanence for page %d differs from the model's", page);
    if (((region->flags & PK_REGION_SHARED) != 0) != (p->backing >= 0))
        failf("pk_region says page %d is %s, the model %s", page,
              (region->flags & PK_REGION_SHARED) ? "shared" : "private", p->backing >= 0 ? "shared" : "private");
    if (region->inheritance != p->inheritance)
        failf("pk_region's inheritance for page %d is %u, the model's %u", page, region->inheritance, p->inheritance);
    if ((region->purgeable_state >= 0) != (p->object >= 0))
        failf("pk_region's purgeability for page %d differs from the model's", page);
    if (p->object >= 0 && region->purgeable_state == VM_PURGABLE_EMPTY &&
        world.objects[p->object].state == VM_PURGABLE_VOLATILE && object_has_stranger_page(&world, p->object))
        empty_object(&world, p->object);
    if (p->object >= 0 && region->purgeable_state != world.objects[p->object].state)
        failf("pk_region's purgeable state for page %d is %d, the model's %d", page, region->purgeable_state,
              world.objects[p->object].state);
    char expected_name[PK_NAME_MAX + 1] = "";
    if (p->name >= 0)
        snprintf(expected_name, sizeof expected_name, "%s", names[p->name]);
    else if (p->tag != 0)
        snprintf(expected_name, sizeof expected_name, PK_TAG_DEFAULT_NAME_PREFIX "%u", p->tag);
    if (strcmp(region->name, expected_name) != 0)
        failf("pk_region's name for page %d is \"%s\", the model's \"%s\"", page, region->name, expected_name);
}

static void check_page(int page)
{
    const struct page *p = &world.pages[page];
    uintptr_t address = page_address(page);
    const struct kernel_mapping *kernel = kernel_mapping_at(address);
    const struct pk_region_info *region = region_at(address);
    if (p->kind == UNMAPPED) {
        if (kernel != NULL)
            failf(arena->hostile ? "something was mapped in page %d, a hole of the hostile arena, during the step "
                                   "(PageKit's bookkeeping?)"
                                 : "the kernel maps page %d, which the model says is unmapped",
                  page);
        if (region != NULL)
            failf("pk_region reports a region over page %d, which nothing maps (flags %#x)", page, region->flags);
        return;
    }
    if (kernel == NULL)
        failf("the kernel lost page %d", page);
    if (kernel->protection != p->protection)
        failf("the kernel's protection for page %d is %u, the model's %u", page, kernel->protection, p->protection);
    enum mapping_kind owned_kind = p->backing >= 0 ? SHARED_FILE : PRIVATE_ANONYMOUS;
    if (!kernel_kind_is(kernel, p->kind == OWNED ? owned_kind : p->mapping))
        failf("the kernel maps page %d as another kind of memory (shared, file) than the model", page);
    if (region == NULL)
        failf("pk_region does not report page %d, which is mapped", page);
    if (p->kind == OWNED) {
        check_owned(page, p, region);
    } else if (p->kind == FOREIGN) {
        if (region->flags & PK_REGION_OWNED)
            failf("pk_region reports page %d, which PageKit did not map, as PageKit's", page);
        if (region->protection != p->protection || region->max_protection != VM_PROT_ALL)
            failf("pk_region's protections for page %d, foreign, are %u/%u, the model's %u/7", page,
                  region->protection, region->max_protection, p->protection);
        if (((region->flags & PK_REGION_SHARED) != 0) != shared_kind(p->mapping))
            failf("pk_region's sharing for page %d, foreign, differs from the kernel's", page);
    }
    /* Ambiguous pages: nobody can say whose they are, so only what the
     * kernel shows is checked. Their contents are not: PageKit may still
     * take them for its own pages (README.md, memory unmapped behind
     * PageKit's back), and write purgeable markers into them. */
    if (p->kind == AMBIGUOUS)
        return;
    bool readable = p->protection & (VM_PROT_READ | VM_PROT_WRITE);
    bool volatile_contents = p->kind == OWNED && p->object >= 0 &&
                             world.objects[p->object].state == VM_PURGABLE_VOLATILE;
    if (readable && p->content_known && !volatile_contents) {
        const unsigned char *bytes = (const unsigned char *)address;
        for (size_t i = 0; i < page_size; i += 509)
            if (bytes[i] != p->content)
                failf(p->kind == AMBIGUOUS ? "page %d, ambiguous, holds %#04x at %zu, not %#04x: PageKit wrote into "
                                             "memory it cannot tell is its own"
                                           : "page %d holds %#04x at %zu, the model says %#04x",
                      page, bytes[i], i, p->content);
    }
}

static void check_canary(void)
{
    const struct kernel_mapping *kernel = kernel_mapping_at(canary);
    if (kernel == NULL || kernel->protection != PROT_READ)
        fail("the canary's protection changed");
    for (size_t i = 0; i < page_size; i++)
        if (((const unsigned char *)canary)[i] != 0xC5)
            fail("the canary's contents changed");
}

static void check_world(void)
{
    read_kernel_view();
    walk_regions();
    for (int page = 0; page < PAGES; page++)
        check_page(page);
    check_canary();
}

/* Inputs. */

static bool other_threads_asleep(void)
{
    bool asleep = true;
    DIR *tasks = opendir("/proc/self/task");
    for (struct dirent *task; tasks != NULL && (task = readdir(tasks)) != NULL;) {
        if (task->d_name[0] == '.' || atoi(task->d_name) == gettid())
            continue;
        char path[300], line[512] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", task->d_name);
        FILE *stat = fopen(path, "re");
        if (stat == NULL)
            continue; /* gone */
        if (fgets(line, sizeof line, stat) == NULL)
            line[0] = '\0';
        fclose(stat);
        const char *state = strrchr(line, ')');
        asleep &= state != NULL && state[1] == ' ' && state[2] == 'S';
    }
    if (tasks != NULL)
        closedir(tasks);
    return asleep;
}

/* libFuzzer's RSS-watch thread, as it starts, has the sanitizer map its
 * alternate signal stack (56 KiB) with mmap(NULL), concurrently with the
 * first inputs: were the hostile arena open then, it would fill the
 * arena's holes. So the first input waits until every other thread is
 * asleep (that thread sleeps a second at a time once started). */
static void wait_for_other_threads(void)
{
    for (int polls = 0, asleep = 0; polls < 2000 && asleep < 2; polls++) {
        asleep = other_threads_asleep() ? asleep + 1 : 0;
        usleep(500);
    }
}

static void set_up(void)
{
    wait_for_other_threads();
    page_size = pk_page_size();
    const char *setting = getenv("FUZZ_HOSTILE");
    hostility = setting == NULL || *setting == '\0' ? BY_INPUT : strcmp(setting, "0") == 0 ? NEVER : ALWAYS;
    describe = getenv("FUZZ_DESCRIBE") != NULL;
    void *mapped = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(mapped, 0xC5, page_size);
    mprotect(mapped, page_size, PROT_READ);
    canary = (uintptr_t)mapped;
    reserve_quiet_arena();
}

static void begin_input(bool hostile)
{
    if (hostile && (hostile_arena.base == 0 || hostile_arena.retired))
        reserve_hostile_arena();
    arena = hostile ? &hostile_arena : &quiet_arena;
    open_arena();
    for (int page = 0; page < PAGES; page++)
        world.pages[page] = world.stale[page] = unmapped;
    world.next_object = 0;
    world.next_backing = 0;
}

/* Takes pages back from PageKit that its calls cannot remove: permanent
 * ones, and stale records of pages unmapped behind its back. The harness
 * unmaps them itself, then allocates and deallocates over them, which
 * replaces whatever PageKit still records there. */
static void reclaim(int first, int count)
{
    vm_address_t address = page_address(first);
    vm_size_t size = (vm_size_t)count * page_size;
    munmap((void *)address, size);
    mismatch[0] = '\0';
    errno = 0;
    struct call call = called(vm_allocate(mach_task_self(), &address, size, VM_FLAGS_FIXED));
    expect(&call, KERN_SUCCESS, 0, "vm_allocate(FIXED) over pages the harness unmapped");
    if (call.result == KERN_SUCCESS && address != page_address(first))
        differ("vm_allocate(FIXED) over pages the harness unmapped moved the address");
    call = called(vm_deallocate(mach_task_self(), page_address(first), size));
    expect(&call, KERN_SUCCESS, 0, "vm_deallocate after reclaiming");
    if (mismatch[0] != '\0')
        fail(mismatch);
}

/* Empties the arena for the next input, so that each input starts from
 * the same state and the arena is used again, permanent pages or not. */
static void end_input(void)
{
    step_number = input_steps;
    if (arena->hostile && !arena->retired && stray_mapping())
        retire_arena();
    if (arena->retired) {
        /* Page by page, around what is not ours to unmap. */
        for (int page = 0; page < PAGES; page++) {
            if (world.pages[page].kind == UNMAPPED && world.stale[page].kind != OWNED)
                continue;
            if (vm_deallocate(mach_task_self(), page_address(page), page_size) != KERN_SUCCESS)
                fail("vm_deallocate of a page of a retired arena failed");
            reclaim(page, 1);
        }
        return;
    }
    mismatch[0] = '\0';
    errno = 0;
    struct call call = called(vm_deallocate(mach_task_self(), arena->base, PAGES * page_size));
    expect(&call, KERN_SUCCESS, 0, "vm_deallocate(the whole arena)");
    if (mismatch[0] != '\0')
        fail(mismatch);
    bool left = false;
    for (int page = 0; page < PAGES; page++)
        left |= world.stale[page].kind == OWNED || page_mapped(page);
    if (left)
        reclaim(0, PAGES);
    for (int page = 0; page < PAGES; page++)
        if (page_mapped(page))
            fail("a page is still mapped after the arena was emptied");
    uintptr_t where = arena->base;
    struct pk_region_info info;
    if (pk_region(&where, &info) == 0 && info.start < arena_end())
        failf("pk_region reports a region at page %ld (flags %#x) in the emptied arena",
              (long)(info.start - arena->base) / (long)page_size, info.flags);
    close_arena();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (page_size == 0)
        set_up();
    input = data;
    input_steps = (int)(size / 4 < MAX_STEPS ? size / 4 : MAX_STEPS);
    step_number = -1;
    bool hostile = hostility == ALWAYS ||
                   (hostility == BY_INPUT && input_steps > 0 && step_of(data[0])->apply == use_hostile_arena);
    begin_input(hostile);
    for (int n = 0; n < input_steps; n++) {
        step_number = n;
        if (arena->hostile && stray_mapping()) {
            retire_arena();
            break;
        }
        run_step(step_of(data[4 * n]), data + 4 * n + 1);
        check_world();
    }
    if (describe)
        describe_input();
    end_input();
    return 0;
}
