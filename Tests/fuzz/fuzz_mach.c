/*
 * fuzz_mach.c - a model-based fuzzer for the Mach header.
 *
 * The input is a sequence of 4-byte steps; each drives one Mach call (or a
 * name, or a foreign mmap) with hostile arguments on a 16-page arena. A small model of
 * the arena predicts every kern_return_t, protection, maximum, purgeable
 * state and page content; after each step the harness compares the model
 * with the call's result, with PageKit's region table and with the kernel's
 * own view in /proc/self/maps, and checks that a canary page PageKit never
 * owned is untouched. Any difference aborts, so libFuzzer keeps the input.
 *
 *   make fuzz               libFuzzer for FUZZ_SECONDS (60 by default)
 *   build/fuzz_mach CORPUS  replays inputs (make check does, for the corpus
 *                           in Tests/fuzz/corpus)
 */
#define _GNU_SOURCE
#include <pagekit/mach.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGES 16

enum page_kind { UNMAPPED, FOREIGN, OWNED };

struct page {
    enum page_kind kind;
    unsigned int protection, maximum; /* maximum is ALL for foreign pages */
    int allocation;                    /* which allocation; -1 for none */
    int object;                        /* purgeable object, -1 for none */
    bool permanent;
    unsigned char content;             /* every byte of the page, when known */
    bool content_known;
    unsigned int tag;
    int name;                          /* index into names, or -1 */
};

static const char *const names[] = {"cache", "jit code", "lookup table"};

struct object {
    int state;
};

static struct page model[PAGES];
static struct object objects[PAGES * 64];
static int next_allocation, next_object;
static uintptr_t arena, canary;
static size_t page_size;
static int step_number;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_mach: model and reality differ at step %d: %s\n", step_number, what);
    fprintf(stderr, "arena at %#lx; the kernel's mappings near it:\n", (unsigned long)arena);
    FILE *maps = fopen("/proc/self/maps", "re");
    char line[512];
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        unsigned long low = strtoul(line, NULL, 16);
        if (low + ((unsigned long)1 << 30) > arena && low < arena + ((unsigned long)1 << 30))
            fputs(line, stderr);
    }
    abort();
}

static uintptr_t page_address(int page)
{
    return arena + (uintptr_t)page * page_size;
}

/* An arena sits far below where mmap puts things (32 TiB up: above
 * AddressSanitizer's shadow, and terabytes below its allocator, the
 * libraries and the stacks), so that nothing else lands in its holes; two
 * guard pages no call of the fuzzer reaches enclose it. */
static void new_arena(void)
{
    static uintptr_t next = (uintptr_t)32 << 40;
    uintptr_t span = (PAGES + 2) * page_size;
    for (arena = 0; arena == 0;) {
        void *mapped = mmap((void *)next, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (mapped == (void *)next) {
            arena = next + page_size;
            next += span;
        } else {
            if (mapped != MAP_FAILED)
                munmap(mapped, span);
            next += (uintptr_t)1 << 30;
        }
    }
    munmap((void *)arena, PAGES * page_size);
}

static void set_up(void)
{
    page_size = pk_page_size();
    new_arena();
    void *mapped = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(mapped, 0xC5, page_size);
    mprotect(mapped, page_size, PROT_READ);
    canary = (uintptr_t)mapped;
}

/* Empties the arena for the next input. Permanent pages cannot be removed,
 * as on Mach, so an arena that has any is left as it is and a fresh one
 * taken. */
static void reset(void)
{
    bool permanent = false;
    for (int page = 0; page < PAGES; page++)
        permanent |= model[page].kind == OWNED && model[page].permanent;
    if (vm_deallocate(mach_task_self(), arena, PAGES * page_size) != KERN_SUCCESS)
        fail("reset");
    if (permanent)
        new_arena();
    for (int page = 0; page < PAGES; page++)
        model[page] = (struct page){.kind = UNMAPPED, .allocation = -1, .object = -1, .name = -1};
    next_object = 0;
}

static void expect(kern_return_t actual, kern_return_t expected, int expected_errno, const char *call)
{
    if (actual != expected) {
        char text[160];
        snprintf(text, sizeof text, "%s returned %s, the model says %s", call, mach_error_string(actual),
                 mach_error_string(expected));
        fail(text);
    }
    if (expected != KERN_SUCCESS && errno != expected_errno) {
        char text[160];
        snprintf(text, sizeof text, "%s left errno %s, the model says %s", call, pk_error_name(errno),
                 pk_error_name(expected_errno));
        fail(text);
    }
}

/* Steps. Each reads its arguments from three bytes. */

static void allocate_fixed(uint8_t a, uint8_t b, uint8_t c)
{
    int first = a % PAGES, count = 1 + b % 4;
    if (first + count > PAGES)
        count = PAGES - first;
    bool overwrite = c & 1, purgeable = c & 2, permanent = (c & 12) == 12;
    int flags = VM_FLAGS_FIXED | (overwrite ? VM_FLAGS_OVERWRITE : 0) | (purgeable ? VM_FLAGS_PURGABLE : 0) |
                (permanent ? VM_FLAGS_PERMANENT : 0) | (int)VM_MAKE_TAG(c >> 4);
    bool occupied = false, has_permanent = false;
    for (int page = first; page < first + count; page++) {
        occupied |= model[page].kind != UNMAPPED;
        has_permanent |= model[page].kind == OWNED && model[page].permanent;
    }
    /* An unaligned address inside the first page means the same range. */
    vm_address_t address = page_address(first) + (c & 0xF0 ? (c & 0xF0) : 0);
    errno = 0;
    kern_return_t result = vm_allocate(mach_task_self(), &address, (vm_size_t)count * page_size - (c >> 6), flags);
    if (occupied && (!overwrite || has_permanent)) {
        expect(result, KERN_NO_SPACE, EEXIST, "vm_allocate(FIXED)");
        if (overwrite)
            for (int page = first; page < first + count; page++)
                if (model[page].kind == OWNED && model[page].permanent)
                    model[page].protection = model[page].maximum = VM_PROT_NONE;
        return;
    }
    expect(result, KERN_SUCCESS, 0, "vm_allocate(FIXED)");
    if (address != page_address(first))
        fail("vm_allocate(FIXED) moved the address");
    int allocation = next_allocation++, object = purgeable ? next_object++ : -1;
    if (object >= 0)
        objects[object].state = VM_PURGABLE_NONVOLATILE;
    for (int page = first; page < first + count; page++)
        model[page] = (struct page){OWNED, VM_PROT_DEFAULT, VM_PROT_ALL, allocation, object, permanent, 0, true,
                                    (unsigned int)(c >> 4), -1};
}

static void allocate_anywhere(uint8_t a, uint8_t b, uint8_t c)
{
    vm_address_t address = 0x1234;
    vm_size_t size = (vm_size_t)(1 + a % 8) * page_size;
    int flags = VM_FLAGS_ANYWHERE;
    kern_return_t expected = KERN_SUCCESS;
    int expected_errno = 0;
    switch (b % 6) {
    case 0: size = (vm_size_t)-1 - (c % 64); expected = KERN_INVALID_ARGUMENT; expected_errno = EINVAL; break;
    case 1: size = (vm_size_t)1 << 62; expected = KERN_NO_SPACE; expected_errno = ENOMEM; break;
    case 2: flags |= (int[]){0x20, 0x40, 0x100}[c % 3]; expected = KERN_INVALID_ARGUMENT; expected_errno = EINVAL; break;
    case 3: flags |= VM_FLAGS_OVERWRITE; expected = KERN_INVALID_ARGUMENT; expected_errno = EINVAL; break;
    case 4: flags |= VM_FLAGS_PURGABLE | VM_FLAGS_SUPERPAGE_SIZE_ANY; expected = KERN_INVALID_ARGUMENT;
        expected_errno = EINVAL; break;
    default: flags |= (int)VM_MAKE_TAG(c); break;
    }
    errno = 0;
    kern_return_t result = vm_allocate(mach_task_self(), &address, size, flags);
    expect(result, expected, expected_errno, "vm_allocate(ANYWHERE)");
    if (result == KERN_SUCCESS) {
        /* The kernel may place it anywhere free, the arena's holes included;
         * it goes again at once, so the model is unaffected. */
        expect(vm_deallocate(mach_task_self(), address, size), KERN_SUCCESS, 0, "vm_deallocate");
    } else if (address != 0x1234) {
        fail("a failed vm_allocate changed the address");
    }
}

static void deallocate(uint8_t a, uint8_t b, uint8_t c)
{
    int first = a % PAGES, count = b % 5;
    if (first + count > PAGES)
        count = PAGES - first;
    vm_address_t address = page_address(first);
    vm_size_t size = (vm_size_t)count * page_size;
    kern_return_t expected = KERN_SUCCESS;
    int expected_errno = 0;
    bool removes = count > 0;
    switch (c % 5) {
    case 0: if (count > 0) { size = (vm_size_t)-1 - address + 2; expected = KERN_INVALID_ARGUMENT; expected_errno = EINVAL; removes = false; } break;
    case 1: if (count > 0) { size = ((vm_size_t)1 << 47) - address + page_size; removes = false; } break; /* beyond MAX: nothing */
    case 2: if (count > 0) { address += 1 + c % 100; size -= 1 + c % 100; } break;     /* unaligned, same pages */
    default: break;
    }
    errno = 0;
    expect(vm_deallocate(mach_task_self(), address, size), expected, expected_errno, "vm_deallocate");
    if (!removes)
        return;
    for (int page = first; page < first + count; page++) {
        if (model[page].kind == OWNED && model[page].permanent) {
            model[page].protection = model[page].maximum = VM_PROT_NONE;
        } else {
            model[page] = (struct page){.kind = UNMAPPED, .allocation = -1, .object = -1, .name = -1};
        }
    }
}

static void protect(uint8_t a, uint8_t b, uint8_t c)
{
    int first = a % PAGES, count = 1 + b % 4;
    if (first + count > PAGES)
        count = PAGES - first;
    bool set_maximum = c & 0x80;
    int protection = c & 0x1F; /* READ WRITE EXECUTE, 0x8 unknown, COPY */
    vm_size_t size = (vm_size_t)count * page_size;
    if ((c & 0x60) == 0x60)
        size = 0;
    errno = 0;
    kern_return_t result = vm_protect(mach_task_self(), page_address(first), size, set_maximum, protection);
    if (size == 0) {
        expect(result, KERN_SUCCESS, 0, "vm_protect(size 0)");
        return;
    }
    if (protection & ~(VM_PROT_ALL | VM_PROT_COPY)) {
        expect(result, KERN_INVALID_ARGUMENT, EINVAL, "vm_protect(bad bits)");
        return;
    }
    bool copy = protection & VM_PROT_COPY;
    unsigned int wanted = (unsigned int)protection & VM_PROT_ALL;
    for (int page = first; page < first + count; page++) {
        if (model[page].kind == UNMAPPED) {
            expect(result, KERN_INVALID_ADDRESS, ENOMEM, "vm_protect(hole)");
            return;
        }
        unsigned int maximum = model[page].maximum | (copy && model[page].kind == OWNED ? VM_PROT_WRITE : 0);
        if (wanted & ~maximum) {
            expect(result, KERN_PROTECTION_FAILURE, EACCES, "vm_protect(above maximum)");
            return;
        }
    }
    expect(result, KERN_SUCCESS, 0, "vm_protect");
    for (int page = first; page < first + count; page++) {
        struct page *p = &model[page];
        if (copy && p->kind == OWNED)
            p->maximum |= VM_PROT_WRITE;
        if (set_maximum) {
            if (p->kind == OWNED)
                p->maximum = wanted;
            p->protection &= wanted;
        } else {
            p->protection = wanted;
        }
    }
}

static bool object_writable(int object)
{
    for (int page = 0; page < PAGES; page++)
        if (model[page].kind == OWNED && model[page].object == object && !(model[page].protection & VM_PROT_WRITE))
            return false;
    return true;
}

static void purgeable_control(uint8_t a, uint8_t b, uint8_t c)
{
    int page = a % PAGES;
    int control = b % 4; /* 3 is not a control */
    int state = c % 4 | ((c & 0x40) ? 0x100 : 0) | ((c & 0x80) ? 0x8 : 0); /* 0x100 accepted, 0x8 not */
    int requested = state;
    errno = 0;
    kern_return_t result = vm_purgable_control(mach_task_self(), page_address(page), control, &state);
    if (control == 3) {
        expect(result, KERN_INVALID_ARGUMENT, EINVAL, "vm_purgable_control(bad control)");
        return;
    }
    if (control == VM_PURGABLE_PURGE_ALL) {
        expect(result, KERN_SUCCESS, 0, "PURGE_ALL");
        for (int object = 0; object < next_object; object++)
            if (objects[object].state == VM_PURGABLE_VOLATILE)
                objects[object].state = VM_PURGABLE_EMPTY;
        for (int p = 0; p < PAGES; p++)
            if (model[p].object >= 0 && objects[model[p].object].state == VM_PURGABLE_EMPTY)
                model[p].content = 0;
        return;
    }
    if (control == VM_PURGABLE_SET_STATE && (requested & ~VM_PURGABLE_ALL_MASKS)) {
        expect(result, KERN_INVALID_ARGUMENT, EINVAL, "SET_STATE(bad bits)");
        return;
    }
    struct page *p = &model[page];
    if (p->kind == UNMAPPED) {
        expect(result, KERN_INVALID_ADDRESS, ENOMEM, "vm_purgable_control(unmapped)");
        return;
    }
    if (p->kind == FOREIGN || p->object < 0) {
        expect(result, KERN_INVALID_ARGUMENT, EINVAL, "vm_purgable_control(not purgeable)");
        return;
    }
    struct object *object = &objects[p->object];
    if (control == VM_PURGABLE_GET_STATE) {
        expect(result, KERN_SUCCESS, 0, "GET_STATE");
        if (state != object->state)
            fail("GET_STATE disagrees with the model");
        return;
    }
    if (!object_writable(p->object)) {
        expect(result, KERN_PROTECTION_FAILURE, EACCES, "SET_STATE(read-only)");
        return;
    }
    int wanted = requested & VM_PURGABLE_STATE_MASK;
    if (wanted == VM_PURGABLE_DENY) {
        expect(result, KERN_INVALID_ARGUMENT, EINVAL, "SET_STATE(DENY)");
        return;
    }
    expect(result, KERN_SUCCESS, 0, "SET_STATE");
    if (state != object->state)
        fail("SET_STATE returned the wrong old state");
    if (wanted == VM_PURGABLE_EMPTY || (wanted == VM_PURGABLE_VOLATILE && object->state == VM_PURGABLE_EMPTY))
        object->state = VM_PURGABLE_EMPTY;
    else
        object->state = wanted;
    if (object->state == VM_PURGABLE_EMPTY)
        for (int q = 0; q < PAGES; q++)
            if (model[q].object == p->object)
                model[q].content = 0;
}

static void foreign_map(uint8_t a, uint8_t b, uint8_t c)
{
    (void)c;
    int page = a % PAGES;
    if (model[page].kind != UNMAPPED)
        return;
    int protection = b % 8;
    void *mapped = mmap((void *)page_address(page), page_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (mapped != (void *)page_address(page))
        fail("the harness could not map a foreign page");
    memset(mapped, 0x3C, page_size);
    mprotect(mapped, page_size, protection);
    model[page] = (struct page){FOREIGN, (unsigned int)protection, VM_PROT_ALL, -1, -1, false, 0x3C, true, 0, -1};
}

/* Names some pages (pk_name: PageKit's regions only, names checked). */
static void name_pages(uint8_t a, uint8_t b, uint8_t c)
{
    int first = a % PAGES, count = b % 4;
    if (first + count > PAGES)
        count = PAGES - first;
    int which = c % 5; /* 0-2: a name, 3: none, 4: a bad name */
    const char *name = which < 3 ? names[which] : which == 3 ? NULL : "bad$name";
    int result = pk_name(page_address(first), (size_t)count * page_size, name);
    int expected = 0;
    if (which == 4) { /* a bad name is refused even for an empty range */
        expected = -EINVAL;
    } else {
        for (int page = first; page < first + count && expected == 0; page++) {
            if (model[page].kind == OWNED)
                continue;
            bool rest_mapped = true;
            for (int rest = page; rest < first + count; rest++)
                rest_mapped &= model[rest].kind != UNMAPPED;
            expected = rest_mapped ? -EINVAL : -ENOMEM;
        }
    }
    if (result != expected) {
        char text[160];
        snprintf(text, sizeof text, "pk_name returned %s, the model says %s", pk_error_name(result),
                 pk_error_name(expected));
        fail(text);
    }
    if (result == 0)
        for (int page = first; page < first + count; page++)
            model[page].name = which < 3 ? which : -1;
}

/* Writes a byte pattern into a writable, readable owned page whose object
 * (if any) is nonvolatile. */
static void write_page(uint8_t a, uint8_t b, uint8_t c)
{
    (void)c;
    int page = a % PAGES;
    struct page *p = &model[page];
    if (p->kind != OWNED || (p->protection & (VM_PROT_READ | VM_PROT_WRITE)) != (VM_PROT_READ | VM_PROT_WRITE))
        return;
    if (p->object >= 0 && objects[p->object].state != VM_PURGABLE_NONVOLATILE)
        return;
    memset((void *)page_address(page), b, page_size);
    p->content = b;
    p->content_known = true;
}

/* Hostile arguments that must change nothing. */
static void hostile(uint8_t a, uint8_t b, uint8_t c)
{
    vm_address_t address = page_address(a % PAGES) + (b & 0x7);
    errno = 0;
    switch (c % 6) {
    case 0:
        expect(vm_protect(mach_task_self(), address, (vm_size_t)-1, FALSE, VM_PROT_READ), KERN_INVALID_ARGUMENT,
               EINVAL, "vm_protect(overflow)");
        break;
    case 1:
        expect(vm_deallocate(mach_task_self(), (vm_address_t)-page_size + 1, page_size - 2), KERN_INVALID_ARGUMENT,
               EINVAL, "vm_deallocate(wrap)");
        break;
    case 2: {
        vm_address_t top = (vm_address_t)1 << 47;
        expect(vm_allocate(mach_task_self(), &top, page_size, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS, ENOMEM,
               "vm_allocate(above MAX)");
        break;
    }
    case 3: {
        vm_address_t zero = 0;
        expect(vm_allocate(mach_task_self(), &zero, (vm_size_t)-1, VM_FLAGS_FIXED), KERN_INVALID_ARGUMENT, EINVAL,
               "vm_allocate(size wraps)");
        break;
    }
    case 4:
        expect(vm_protect(mach_task_self() + 1, address, page_size, FALSE, VM_PROT_READ), KERN_INVALID_ARGUMENT,
               EINVAL, "vm_protect(other task)");
        break;
    default: {
        mach_vm_address_t at = (mach_vm_address_t)1 << 47;
        mach_vm_size_t size = 0;
        vm_region_basic_info_data_64_t info;
        mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
        expect(mach_vm_region(mach_task_self(), &at, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info,
                              &count, NULL),
               KERN_INVALID_ADDRESS, ENOMEM, "mach_vm_region(above everything)");
        break;
    }
    }
}

/* Checks. */

/* The kernel's view, read once per step: each mapping's range and rwx. */
struct kernel_mapping {
    unsigned long low, high;
    unsigned int protection;
};
static struct kernel_mapping kernel_view[8192];
static int kernel_view_count;

static void read_kernel_view(void)
{
    static char buffer[1 << 20];
    FILE *maps = fopen("/proc/self/maps", "re");
    size_t length = fread(buffer, 1, sizeof buffer - 1, maps);
    fclose(maps);
    buffer[length] = '\0';
    kernel_view_count = 0;
    for (char *line = buffer; *line != '\0' && kernel_view_count < 8192;) {
        struct kernel_mapping *mapping = &kernel_view[kernel_view_count];
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &mapping->low, &mapping->high, perms) == 3) {
            mapping->protection = (perms[0] == 'r' ? 1u : 0u) | (perms[1] == 'w' ? 2u : 0u) |
                                  (perms[2] == 'x' ? 4u : 0u);
            kernel_view_count++;
        }
        char *next = strchr(line, '\n');
        if (next == NULL)
            break;
        line = next + 1;
    }
}

static unsigned int kernel_protection(uintptr_t address, bool *mapped)
{
    for (int i = 0; i < kernel_view_count; i++) {
        if (kernel_view[i].low <= address && address < kernel_view[i].high) {
            *mapped = true;
            return kernel_view[i].protection;
        }
    }
    *mapped = false;
    return 0;
}

static void check_page(int page)
{
    const struct page *p = &model[page];
    uintptr_t address = page_address(page);
    bool mapped;
    unsigned int kernel = kernel_protection(address, &mapped);
    if (mapped != (p->kind != UNMAPPED))
        fail(mapped ? "the kernel has a page the model says is unmapped" : "the kernel lost a page");
    if (p->kind == UNMAPPED)
        return;
    if (kernel != p->protection)
        fail("the kernel's protection differs from the model's");
    mach_vm_address_t at = address;
    mach_vm_size_t size = 0;
    vm_region_basic_info_data_64_t info;
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    errno = 0;
    expect(mach_vm_region(mach_task_self(), &at, &size, VM_REGION_BASIC_INFO_64, (vm_region_info_t)&info, &count,
                          NULL),
           KERN_SUCCESS, 0, "mach_vm_region");
    if (at > address || at + size <= address)
        fail("mach_vm_region reported a region that does not contain the page");
    if ((unsigned int)info.protection != p->protection || (unsigned int)info.max_protection != p->maximum)
        fail("mach_vm_region's protections differ from the model's");
    struct pk_region_info native;
    uintptr_t where = address;
    if (pk_region(&where, &native) != 0)
        fail("pk_region failed on a mapped page");
    if (((native.flags & PK_REGION_OWNED) != 0) != (p->kind == OWNED))
        fail("pk_region's ownership differs from the model's");
    if (p->kind == OWNED && (native.purgeable_state >= 0) != (p->object >= 0))
        fail("pk_region's purgeability differs from the model's");
    if (p->object >= 0 && native.purgeable_state != objects[p->object].state)
        fail("pk_region's purgeable state differs from the model's");
    if (p->kind == OWNED) {
        char expected_name[PK_NAME_MAX + 1] = "";
        if (p->name >= 0)
            snprintf(expected_name, sizeof expected_name, "%s", names[p->name]);
        else if (p->tag != 0)
            snprintf(expected_name, sizeof expected_name, PK_TAG_DEFAULT_NAME_PREFIX "%u", p->tag);
        if (strcmp(native.name, expected_name) != 0)
            fail("pk_region's name differs from the model's");
    }
    bool readable = p->protection & (VM_PROT_READ | VM_PROT_WRITE);
    bool volatile_contents = p->object >= 0 && objects[p->object].state == VM_PURGABLE_VOLATILE;
    if (readable && p->content_known && !volatile_contents) {
        const unsigned char *bytes = (const unsigned char *)address;
        for (size_t i = 0; i < page_size; i += 509)
            if (bytes[i] != p->content)
                fail("page contents differ from the model's");
    }
}

static void check_canary(void)
{
    bool mapped;
    if (kernel_protection(canary, &mapped) != PROT_READ || !mapped)
        fail("the canary's protection changed");
    for (size_t i = 0; i < page_size; i++)
        if (((const unsigned char *)canary)[i] != 0xC5)
            fail("the canary's contents changed");
}

typedef void (*step_function)(uint8_t, uint8_t, uint8_t);

static const step_function steps[] = {
    allocate_fixed, allocate_fixed, allocate_anywhere, deallocate, protect, protect,
    purgeable_control, foreign_map, write_page, hostile, name_pages,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (arena == 0)
        set_up();
    reset();
    for (size_t at = 0, n = 0; at + 4 <= size && n < 64; at += 4, n++) {
        step_number = (int)n;
        steps[data[at] % (sizeof steps / sizeof steps[0])](data[at + 1], data[at + 2], data[at + 3]);
        read_kernel_view();
        for (int page = 0; page < PAGES; page++)
            check_page(page);
        check_canary();
    }
    return 0;
}
