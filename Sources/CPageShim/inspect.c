// SPDX-License-Identifier: Apache-2.0
/*
 * inspect.c - pk_inspect: another process's regions, from the kernel's
 * /proc/PID/smaps and, where the process uses PageKit, from its published
 * region table (publication.h).
 */
#include "internal.h"

#include <pagekit/inspect.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "publication.h"

/* A kernel mapping as smaps describes it. */
struct vma {
    uint64_t start, end;
    unsigned int protection;
    bool shared;
    uint64_t resident, dirty, swapped, lazy_free; /* bytes */
    char name[256];
};

struct vmas {
    struct vma *items;
    size_t count, capacity;
};

/* A PageKit entry of the other process, decoded. */
struct remote_entry {
    uint64_t start, end;
    unsigned int protection, max_protection, inheritance, tag, flags;
    int purgeable_state;
    char name[PK_NAME_MAX + 1];
};

struct entries {
    struct remote_entry *items;
    size_t count, capacity;
};

static int grow(void **items, size_t *capacity, size_t count, size_t size)
{
    if (count < *capacity)
        return 0;
    size_t wanted = *capacity ? *capacity * 2 : 64;
    void *grown = realloc(*items, wanted * size);
    if (grown == NULL)
        return -ENOMEM;
    *items = grown;
    *capacity = wanted;
    return 0;
}

/* ENOENT from /proc/PID means no such process (any more). */
static int proc_error(int error)
{
    return error == ENOENT ? -ESRCH : error == EPERM ? -EACCES : -error;
}

/* Per-page residency from /proc/PID/pagemap: bit 63 present, 62 swapped. */
struct pagemap {
    int fd;
    size_t page;
};

static void count_pages(const struct pagemap *pagemap, uint64_t start, uint64_t end, uint64_t *present,
                        uint64_t *swapped, uint64_t *dropped)
{
    uint64_t entries[512];
    *present = *swapped = *dropped = 0;
    for (uint64_t at = start; at < end;) {
        size_t pages = (size_t)((end - at) / pagemap->page);
        if (pages > 512)
            pages = 512;
        off_t offset = (off_t)(at / pagemap->page * sizeof entries[0]);
        ssize_t got = pagemap->fd < 0 ? -1 : pread(pagemap->fd, entries, pages * sizeof entries[0], offset);
        if (got <= 0)
            return;
        for (size_t i = 0; i < (size_t)got / sizeof entries[0]; i++) {
            *present += (entries[i] >> 63) & 1;
            *swapped += (entries[i] >> 62) & 1;
            *dropped += !((entries[i] >> 62) & 3);
        }
        at += (uint64_t)got / sizeof entries[0] * pagemap->page;
    }
}

/* Copies [address, address + size) of the other process, reading only
 * the pages it has (present or swapped) and zero-filling the rest: a read
 * of a page it never touched would make the kernel allocate one there,
 * and change what the inspection shows. */
static int peek(int pid, const struct pagemap *pagemap, uint64_t address, void *buffer, size_t size)
{
    unsigned char *bytes = buffer;
    size_t page = pagemap->page;
    while (size > 0) {
        uint64_t first = address / page;
        size_t pages = (size_t)((address + size - 1) / page - first + 1);
        uint64_t entries[512];
        size_t batch = pages < 512 ? pages : 512;
        bool known = pagemap->fd >= 0 && pread(pagemap->fd, entries, batch * sizeof entries[0],
                                               (off_t)(first * sizeof entries[0])) ==
                                             (ssize_t)(batch * sizeof entries[0]);
        for (size_t i = 0; i < batch && size > 0;) {
            bool has = !known || ((entries[i] >> 62) & 3) != 0;
            size_t run = i + 1;
            while (run < batch && (!known || (((entries[run] >> 62) & 3) != 0)) == has)
                run++;
            uint64_t run_end = (first + run) * page;
            size_t length = run_end - address < size ? (size_t)(run_end - address) : size;
            int error = has ? pk_sys_read_process(pid, (uintptr_t)address, bytes, length) : 0;
            if (error)
                return error;
            if (!has)
                memset(bytes, 0, length);
            bytes += length;
            address += length;
            size -= length;
            i = run;
        }
    }
    return 0;
}

static void parse_mapping_line(const char *line, struct vma *vma)
{
    struct pk_kernel_mapping mapping;
    *vma = (struct vma){0};
    if (!pk_kernel_maps_parse_line(line, &mapping))
        return;
    vma->start = mapping.start;
    vma->end = mapping.end;
    vma->protection = mapping.protection;
    vma->shared = mapping.shared;
    _Static_assert(sizeof vma->name == sizeof mapping.name, "names of one size");
    memcpy(vma->name, mapping.name, sizeof vma->name);
}

/* "Rss:   12 kB" into bytes, when the line has that key. */
static bool field(const char *line, const char *key, uint64_t *bytes)
{
    size_t length = strlen(key);
    if (strncmp(line, key, length) != 0 || line[length] != ':')
        return false;
    unsigned long long kilobytes = 0;
    if (sscanf(line + length + 1, "%llu", &kilobytes) == 1)
        *bytes += (uint64_t)kilobytes * 1024;
    return true;
}

/* Mapping lines start with the address in lowercase hexadecimal; the
 * lines about a mapping start with a capitalised key ("Rss:"). */
static bool is_mapping_line(const char *line)
{
    return (line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f');
}

static int read_smaps(int pid, struct vmas *vmas)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps", pid);
    FILE *file = fopen(path, "re");
    if (file == NULL)
        return proc_error(errno);
    char line[512];
    int error = 0;
    bool line_start = true;
    struct vma *current = NULL;
    while (error == 0 && fgets(line, sizeof line, file) != NULL) {
        bool starts_line = line_start;
        size_t length = strlen(line);
        line_start = length > 0 && line[length - 1] == '\n';
        /* The rest of a line longer than the buffer (a long path). */
        if (!starts_line)
            continue;
        if (is_mapping_line(line)) {
            if ((error = grow((void **)&vmas->items, &vmas->capacity, vmas->count, sizeof *vmas->items)) != 0)
                break;
            current = &vmas->items[vmas->count++];
            parse_mapping_line(line, current);
            continue;
        }
        if (current == NULL)
            continue;
        uint64_t dirty = 0;
        if (field(line, "Rss", &current->resident) || field(line, "Swap", &current->swapped) ||
            field(line, "LazyFree", &current->lazy_free))
            continue;
        if (field(line, "Private_Dirty", &dirty) || field(line, "Shared_Dirty", &dirty))
            current->dirty += dirty;
    }
    if (error == 0 && ferror(file))
        error = proc_error(errno);
    fclose(file);
    /* A live process always has mappings; one that exited (a zombie, or
     * gone during the read) has none left to show. */
    if (error == 0 && vmas->count == 0)
        error = -ESRCH;
    return error;
}

/* A copy of the other process's arena, with its addresses translated. */
struct arena_copy {
    unsigned int count;
    struct pk_arena_chunk chunks[PK_ARENA_MAX_CHUNKS];
    unsigned char *bytes[PK_ARENA_MAX_CHUNKS];
};

static void arena_copy_free(struct arena_copy *copy)
{
    for (unsigned int i = 0; i < copy->count; i++)
        free(copy->bytes[i]);
    copy->count = 0;
}

/* The local copy of [address, address + size) of the other process's
 * arena, or NULL when it lies outside it (a torn or hostile table). */
static const void *local(const struct arena_copy *copy, uint64_t address, size_t size)
{
    for (unsigned int i = 0; i < copy->count; i++) {
        const struct pk_arena_chunk *chunk = &copy->chunks[i];
        if (address >= chunk->base && address <= chunk->top && size <= chunk->top - address)
            return copy->bytes[i] + (address - chunk->base);
    }
    return NULL;
}

/* Older versions differ only where a little-endian reader cannot tell:
 * version 1 kept an object's state in an int, whose low byte is where
 * version 2 keeps it beside the queue and group that version 1 left zero;
 * versions 1 and 2 kept an entry's flags in 16 bits, whose low byte is
 * where version 3 keeps them beside the protection-run slot, which they
 * left zero. */
static bool valid(const struct pk_directory *directory)
{
    bool readable_version = directory->version == PK_DIRECTORY_VERSION ||
                            (directory->version >= 1 && directory->version < PK_DIRECTORY_VERSION &&
                             __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    return memcmp(directory->magic, PK_DIRECTORY_MAGIC, sizeof directory->magic) == 0 && readable_version &&
           directory->entry_size == sizeof(struct pk_entry) &&
           directory->object_size == sizeof(struct pk_object) &&
           directory->name_size == sizeof(struct pk_shared_name) &&
           directory->chunk_size == sizeof(struct pk_arena_chunk);
}

/* The directory and its address: the marker's first word, or the start of
 * the first arena chunk the kernel names. */
static bool find_directory(int pid, const struct pagemap *pagemap, const struct vmas *vmas,
                           struct pk_directory *directory, uint64_t *address)
{
    for (size_t i = 0; i < vmas->count; i++) {
        const struct vma *vma = &vmas->items[i];
        unsigned long long named;
        char tail[16];
        if (sscanf(vma->name, "/memfd:" PK_MARKER_NAME "@%llx %15s", &named, tail) == 2 &&
            strcmp(tail, "(deleted)") == 0) {
            *address = named;
        } else if (strcmp(vma->name, "[anon:" PK_MARKER_NAME "]") == 0) {
            *address = vma->start;
        } else {
            continue;
        }
        if (peek(pid, pagemap, *address, directory, sizeof *directory) == 0 && valid(directory))
            return true;
    }
    return false;
}

struct snapshot {
    struct arena_copy arena;
    uint64_t root;
    uint64_t tag_names[256];
};

static int copy_once(int pid, const struct pagemap *pagemap, const struct pk_directory *directory,
                     struct snapshot *snapshot)
{
    unsigned int count = 0;
    int error = peek(pid, pagemap, directory->chunk_count, &count, sizeof count);
    if (error == 0 && count > PK_ARENA_MAX_CHUNKS)
        error = -EAGAIN;
    if (error == 0)
        error = peek(pid, pagemap, directory->chunks, snapshot->arena.chunks, count * sizeof snapshot->arena.chunks[0]);
    for (unsigned int i = 0; error == 0 && i < count; i++) {
        /* Only what the arena handed out: reading pages the process never
         * touched would fault them in, there, and change what it shows. */
        const struct pk_arena_chunk *chunk = &snapshot->arena.chunks[i];
        size_t size = chunk->top - chunk->base;
        unsigned char *bytes = malloc(size);
        if (bytes == NULL) {
            error = -ENOMEM;
            break;
        }
        snapshot->arena.bytes[snapshot->arena.count++] = bytes;
        error = peek(pid, pagemap, chunk->base, bytes, size);
    }
    if (error == 0)
        error = peek(pid, pagemap, directory->tree, &snapshot->root, sizeof snapshot->root);
    if (error == 0)
        error = peek(pid, pagemap, directory->tag_names, snapshot->tag_names, sizeof snapshot->tag_names);
    return error;
}

/* A copy of the other process's table that no change tore: the
 * generation was the same even number before and after it. */
static int copy_table(int pid, const struct pagemap *pagemap, uint64_t directory_address,
                      const struct pk_directory *directory, struct snapshot *snapshot)
{
    uint64_t generation_at = directory_address + offsetof(struct pk_directory, generation);
    for (int attempt = 0; attempt < 1000; attempt++) {
        uint64_t before = 0, after = 0;
        int error = peek(pid, pagemap, generation_at, &before, sizeof before);
        if (error)
            return error;
        if (before % 2 == 0) {
            error = copy_once(pid, pagemap, directory, snapshot);
            if (error == 0)
                error = peek(pid, pagemap, generation_at, &after, sizeof after);
            if (error == 0 && after == before)
                return 0;
            arena_copy_free(&snapshot->arena);
            if (error != 0 && error != -EFAULT && error != -EAGAIN)
                return error;
        }
        sched_yield();
    }
    return -EAGAIN;
}

static void copy_text(char *destination, size_t capacity, const struct arena_copy *copy, uint64_t name)
{
    uint64_t text = name + offsetof(struct pk_shared_name, text);
    size_t length = 0;
    for (const char *c; length + 1 < capacity && (c = local(copy, text + length, 1)) != NULL && *c != '\0';)
        destination[length++] = *c;
    destination[length] = '\0';
}

static int decode(const struct snapshot *snapshot, const struct pk_entry *entry, struct entries *entries)
{
    int error = grow((void **)&entries->items, &entries->capacity, entries->count, sizeof *entries->items);
    if (error)
        return error;
    struct remote_entry *decoded = &entries->items[entries->count++];
    *decoded = (struct remote_entry){
        .start = entry->start,
        .end = entry->end,
        .protection = entry->protection,
        .max_protection = entry->max_protection,
        .inheritance = entry->inheritance,
        .tag = entry->tag,
        .flags = entry->flags,
        .purgeable_state = -1,
    };
    if (entry->flags & PK_ENTRY_INTERNAL) {
        strcpy(decoded->name, PK_INTERNAL_NAME);
    } else if (entry->name != NULL) {
        copy_text(decoded->name, sizeof decoded->name, &snapshot->arena, (uintptr_t)entry->name);
    } else if (entry->tag != 0 && snapshot->tag_names[entry->tag] != 0) {
        copy_text(decoded->name, sizeof decoded->name, &snapshot->arena, snapshot->tag_names[entry->tag]);
    } else if (entry->tag != 0) {
        snprintf(decoded->name, sizeof decoded->name, PK_TAG_DEFAULT_NAME_PREFIX "%u", entry->tag);
    }
    if (entry->object != NULL) {
        const struct pk_object *object = local(&snapshot->arena, (uintptr_t)entry->object, sizeof *object);
        decoded->purgeable_state = object != NULL ? object->state : PK_PURGEABLE_EMPTY;
    }
    return 0;
}

/* In address order, without recursion: the tree is the other process's,
 * so a loop bound guards against a corrupt one. */
static int walk(const struct snapshot *snapshot, struct entries *entries)
{
    const struct pk_entry *stack[128];
    int depth = 0;
    uint64_t at = snapshot->root;
    size_t steps = 0;
    while ((at != 0 || depth > 0) && steps++ < ((size_t)1 << 32)) {
        while (at != 0) {
            const struct pk_entry *entry = local(&snapshot->arena, at, sizeof *entry);
            if (entry == NULL || depth == (int)(sizeof stack / sizeof stack[0]))
                return -EAGAIN;
            stack[depth++] = entry;
            at = (uintptr_t)RB_LEFT(entry, link);
        }
        const struct pk_entry *entry = stack[--depth];
        int error = decode(snapshot, entry, entries);
        if (error)
            return error;
        at = (uintptr_t)RB_RIGHT(entry, link);
    }
    return 0;
}

static int read_table(int pid, const struct pagemap *pagemap, const struct vmas *vmas, struct entries *entries,
                      bool *found)
{
    struct pk_directory directory;
    uint64_t address = 0;
    *found = find_directory(pid, pagemap, vmas, &directory, &address);
    if (!*found)
        return 0;
    struct snapshot *snapshot = calloc(1, sizeof *snapshot);
    if (snapshot == NULL)
        return -ENOMEM;
    int error = copy_table(pid, pagemap, address, &directory, snapshot);
    if (error == 0)
        error = walk(snapshot, entries);
    arena_copy_free(&snapshot->arena);
    free(snapshot);
    return error;
}

static int add_row(struct pk_process_report *report, size_t *capacity, const struct vma *vma, uint64_t start,
                   uint64_t end, const struct remote_entry *entry)
{
    int error = grow((void **)&report->regions, capacity, report->count, sizeof *report->regions);
    if (error)
        return error;
    struct pk_process_region *row = &report->regions[report->count++];
    *row = (struct pk_process_region){
        .start = start,
        .size = end - start,
        .protection = vma->protection,
        .max_protection = PK_PROT_ALL,
        .inheritance = vma->shared ? PK_INHERIT_SHARE : PK_INHERIT_COPY,
        .purgeable_state = -1,
        .flags = vma->shared ? PK_REGION_SHARED : 0,
    };
    snprintf(row->mapping, sizeof row->mapping, "%s", vma->name);
    if (entry != NULL) {
        row->max_protection = entry->max_protection;
        row->inheritance = entry->inheritance;
        row->tag = entry->tag;
        row->purgeable_state = entry->purgeable_state;
        row->flags = (entry->flags & PK_ENTRY_INTERNAL) ? PK_REGION_INTERNAL
                     : PK_REGION_OWNED | (entry->purgeable_state >= 0 ? PK_REGION_PURGEABLE : 0) |
                           ((entry->flags & PK_ENTRY_PERMANENT) ? PK_REGION_PERMANENT : 0) |
                           ((entry->flags & PK_ENTRY_SEALED) ? PK_REGION_SEALED : 0) |
                           ((entry->flags & PK_ENTRY_NO_CACHE) ? PK_REGION_NO_CACHE : 0) |
                           ((entry->flags & PK_ENTRY_4GB_CHUNK) ? PK_REGION_4GB_CHUNK : 0) |
                           ((entry->flags & PK_ENTRY_SUPERPAGE) ? PK_REGION_SUPERPAGE : 0);
        row->flags |= vma->shared ? PK_REGION_SHARED : 0;
        snprintf(row->name, sizeof row->name, "%s", entry->name);
    }
    return 0;
}

/* Shares total out over rows in proportion to each row's room (its
 * resident bytes not yet given to another share), in whole kilobytes as
 * the kernel counts, then hands what rounding left to rows with room left.
 * The sum is exact; no row gets more than its room. */
static void distribute(struct pk_process_region *rows, size_t count, uint64_t total, uint64_t room_total,
                       const uint64_t *taken, uint64_t *share)
{
    uint64_t left = total;
    for (size_t i = 0; i < count && room_total > 0; i++) {
        uint64_t room = rows[i].resident - taken[i];
        uint64_t part = (uint64_t)((double)total * (double)room / (double)room_total) & ~(uint64_t)1023;
        part = part < room ? part : room;
        share[i] = part < left ? part : left;
        left -= share[i];
    }
    for (size_t i = 0; i < count && left > 0; i++) {
        uint64_t room = rows[i].resident - taken[i] - share[i];
        uint64_t more = room < left ? room : left;
        share[i] += more;
        left -= more;
    }
    /* Only if the kernel's figures disagree with the page counts. */
    if (left > 0 && count > 0)
        share[count - 1] += left;
}

/* Sizes for the rows one mapping was cut into: resident and swapped bytes
 * counted per page; lazily freed bytes go first to volatile purgeable rows
 * (whose pages PageKit freed lazily), the rest and the dirty bytes are
 * shared out by resident pages. Every total stays the kernel's. */
static void share_out(struct pk_process_region *rows, size_t count, const struct vma *vma,
                      const struct pagemap *pagemap)
{
    if (count == 1) {
        rows[0].resident = vma->resident;
        rows[0].dirty = vma->dirty;
        rows[0].swapped = vma->swapped;
        rows[0].lazy_free = vma->lazy_free;
        return;
    }
    uint64_t *scratch = calloc(3 * count, sizeof *scratch);
    if (scratch == NULL)
        return;
    uint64_t *lazy = scratch, *more_lazy = scratch + count, *dirty = scratch + 2 * count;
    uint64_t resident_left = vma->resident, swapped_left = vma->swapped, lazy_left = vma->lazy_free;
    for (size_t i = 0; i < count; i++) {
        uint64_t present, swapped, dropped;
        count_pages(pagemap, rows[i].start, rows[i].start + rows[i].size, &present, &swapped, &dropped);
        rows[i].resident = i + 1 == count || present * pagemap->page > resident_left ? resident_left
                                                                                     : present * pagemap->page;
        rows[i].swapped = i + 1 == count || swapped * pagemap->page > swapped_left ? swapped_left
                                                                                   : swapped * pagemap->page;
        resident_left -= rows[i].resident;
        swapped_left -= rows[i].swapped;
        if (rows[i].purgeable_state == PK_PURGEABLE_VOLATILE) {
            lazy[i] = rows[i].resident < lazy_left ? rows[i].resident : lazy_left;
            lazy_left -= lazy[i];
        }
    }
    uint64_t room = 0;
    for (size_t i = 0; i < count; i++)
        room += rows[i].resident - lazy[i];
    distribute(rows, count, lazy_left, room, lazy, more_lazy);
    for (size_t i = 0; i < count; i++) {
        rows[i].lazy_free = lazy[i] + more_lazy[i];
        lazy[i] = rows[i].lazy_free > rows[i].resident ? rows[i].resident : rows[i].lazy_free;
    }
    room = 0;
    for (size_t i = 0; i < count; i++)
        room += rows[i].resident - lazy[i];
    distribute(rows, count, vma->dirty, room, lazy, dirty);
    for (size_t i = 0; i < count; i++)
        rows[i].dirty = dirty[i];
    free(scratch);
}

/* A volatile object whose pages the kernel dropped is EMPTY, as
 * pk_purgeable_control would find: every page of a volatile object was
 * written, so one neither present nor swapped was reclaimed. */
static void notice_purges(struct pk_process_report *report, const struct pagemap *pagemap)
{
    for (size_t i = 0; i < report->count; i++) {
        struct pk_process_region *row = &report->regions[i];
        if (row->purgeable_state != PK_PURGEABLE_VOLATILE)
            continue;
        uint64_t present, swapped, dropped;
        count_pages(pagemap, row->start, row->start + row->size, &present, &swapped, &dropped);
        if (pagemap->fd >= 0 && dropped > 0)
            row->purgeable_state = PK_PURGEABLE_EMPTY;
    }
}

/* Cuts each mapping at the entries that cover parts of it. */
static int merge(const struct vmas *vmas, const struct entries *entries, const struct pagemap *pagemap,
                 struct pk_process_report *report)
{
    size_t capacity = 0, next = 0;
    for (size_t v = 0; v < vmas->count; v++) {
        const struct vma *vma = &vmas->items[v];
        size_t first_row = report->count;
        uint64_t at = vma->start;
        while (next < entries->count && entries->items[next].end <= vma->start)
            next++;
        for (size_t e = next; at < vma->end; e++) {
            const struct remote_entry *entry = e < entries->count ? &entries->items[e] : NULL;
            uint64_t stop = entry != NULL && entry->start < vma->end ? (entry->start > at ? entry->start : at)
                                                                     : vma->end;
            int error = stop > at ? add_row(report, &capacity, vma, at, stop, NULL) : 0;
            if (error)
                return error;
            at = stop;
            if (at >= vma->end || entry == NULL)
                break;
            uint64_t end = entry->end < vma->end ? entry->end : vma->end;
            if ((error = add_row(report, &capacity, vma, at, end, entry)) != 0)
                return error;
            at = end;
        }
        share_out(&report->regions[first_row], report->count - first_row, vma, pagemap);
        report->virtual_size += vma->end - vma->start;
        report->resident += vma->resident;
        report->dirty += vma->dirty;
        report->swapped += vma->swapped;
        report->lazy_free += vma->lazy_free;
        if (!vma->shared)
            report->footprint += vma->dirty + vma->swapped;
    }
    return 0;
}

int pk_inspect(int pid, struct pk_process_report **report)
{
    if (report == NULL)
        return -EINVAL;
    *report = NULL;
    if (pid <= 0)
        return -EINVAL;
    struct vmas vmas = {0};
    struct entries entries = {0};
    struct pk_process_report *result = calloc(1, sizeof *result);
    int error = result == NULL ? -ENOMEM : read_smaps(pid, &vmas);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
    struct pagemap pagemap = {open(path, O_RDONLY | O_CLOEXEC), pk_page()};
    bool found = false;
    if (error == 0)
        error = read_table(pid, &pagemap, &vmas, &entries, &found);
    if (error == 0) {
        result->pid = pid;
        result->page_size = pk_page();
        result->pagekit = found;
        error = merge(&vmas, &entries, &pagemap, result);
    }
    if (error == 0)
        notice_purges(result, &pagemap);
    if (pagemap.fd >= 0)
        close(pagemap.fd);
    free(vmas.items);
    free(entries.items);
    if (error) {
        pk_inspect_free(result);
        return error;
    }
    *report = result;
    return 0;
}

void pk_inspect_free(struct pk_process_report *report)
{
    if (report != NULL)
        free(report->regions);
    free(report);
}
