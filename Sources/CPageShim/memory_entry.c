// SPDX-License-Identifier: Apache-2.0
/*
 * memory_entry.c - memory entries (mach_make_memory_entry_64) and the names
 * that stand for them, as port names do on Mach.
 *
 * An entry names pages of a backing: new ones (NAMED_CREATE), a snapshot
 * (VM_COPY), or this process's own memory (VM_SHARE and the default),
 * which moves onto a backing the first time it is shared. Mapping the entry
 * maps that backing.
 */
#include "internal.h"

#include <pagekit/sharing.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "memory_entry.h"
#include "segments.h"

/* XNU's ANON_MAX_SIZE: 2^32 - 1 pages. */
#define ANON_MAX_PAGES 0xFFFFFFFFull

struct slot {
    struct pk_memory_entry *entry; /* NULL: free */
    uint8_t generation;
};

static struct slot *slots;
static uint32_t slot_count, slot_capacity;

/* mach_task_self() and mach_host_self() in <pagekit/mach.h>. */
#define PK_ENTRY_NAME_TASK_SELF 0x203u
#define PK_ENTRY_NAME_HOST_SELF 0x103u

static pk_entry_name_t name_of(uint32_t index)
{
    return ((index + 1) << 8) | slots[index].generation;
}

struct pk_memory_entry *pk_memory_entry_lookup(pk_entry_name_t name)
{
    uint32_t index = (name >> 8) - 1;
    if (name == 0 || index >= slot_count || slots[index].entry == NULL ||
        slots[index].generation != (name & 0xFF))
        return NULL;
    return slots[index].entry;
}

/* A name for entry; the lowest free slot, with a new generation, so that a
 * released name is not soon handed out again. */
static int name_entry(struct pk_memory_entry *entry, pk_entry_name_t *name)
{
    uint32_t index = 0;
    while (index < slot_count && slots[index].entry != NULL)
        index++;
    if (index == slot_capacity) {
        uint32_t capacity = slot_capacity ? slot_capacity * 2 : 64;
        if (capacity > 0xFFFFFF)
            return -EMFILE;
        struct slot *grown = pk_arena_alloc(capacity * sizeof *grown);
        if (grown == NULL)
            return -ENOMEM;
        memset(grown, 0, capacity * sizeof *grown);
        if (slots != NULL) {
            memcpy(grown, slots, slot_count * sizeof *slots);
            pk_arena_free(slots, slot_capacity * sizeof *slots);
        }
        slots = grown;
        slot_capacity = capacity;
    }
    if (index == slot_count)
        slot_count++;
    slots[index].entry = entry;
    /* Never the names the Mach header gives the task and the host. */
    do
        slots[index].generation = (uint8_t)(slots[index].generation % 0xFF + 1);
    while (name_of(index) == PK_ENTRY_NAME_TASK_SELF || name_of(index) == PK_ENTRY_NAME_HOST_SELF);
    *name = name_of(index);
    return 0;
}

static int new_entry(struct pk_backing *backing, uint64_t offset, uint64_t size, uint64_t data_offset,
                     unsigned int protection, bool is_copy, pk_entry_name_t *name)
{
    struct pk_memory_entry *entry = pk_arena_alloc(sizeof *entry);
    if (entry == NULL)
        return -ENOMEM;
    *entry = (struct pk_memory_entry){
        .backing = backing,
        .offset = offset,
        .size = size,
        .data_offset = data_offset,
        .protection = protection,
        .references = 1,
        .is_copy = is_copy,
    };
    int error = name_entry(entry, name);
    if (error) {
        pk_arena_free(entry, sizeof *entry);
        return error;
    }
    pk_backing_retain(backing);
    return 0;
}

/* The page range [*start, *end) of offset and size, or EINVAL when it wraps
 * or rounds to nothing. */
static int page_span(uint64_t offset, uint64_t size, uintptr_t *start, uintptr_t *end)
{
    if (offset > UINT64_MAX - size)
        return -EINVAL;
    uintptr_t first = pk_trunc(offset), last;
    if (!pk_round(offset + size, &last) || last <= first)
        return -EINVAL;
    *start = first;
    *end = last;
    return 0;
}

static int named_create(uint64_t *size, uint64_t offset, unsigned int permission, pk_entry_name_t *name)
{
    if (*size == 0) {
        *name = 0;
        return 0;
    }
    uintptr_t start, end;
    int error = page_span(offset, *size, &start, &end);
    if (error)
        return error;
    if (permission & (PK_MEM_USE_DATA_ADDR | PK_MEM_4K_DATA_ADDR))
        return -EINVAL;
    if ((end - start) / pk_page() > ANON_MAX_PAGES)
        return -EFBIG;
    if ((permission & PK_MEM_PURGABLE) && !(permission & PK_PROT_WRITE))
        return -EINVAL;
    /* MADV_FREE cannot serve shared pages. */
    if (permission & PK_MEM_PURGABLE)
        return -EOPNOTSUPP;
    struct pk_backing *backing = pk_backing_create(end - start, &error);
    if (backing == NULL)
        return error;
    error = new_entry(backing, 0, end - start, 0, permission & PK_PROT_ALL, false, name);
    if (error) {
        pk_backing_close(backing);
        return error;
    }
    *size = end - start;
    return 0;
}

/* The range as the calls below see it: every page mapped (else ENOMEM at
 * the first hole, PageKit's own memory counting as one) and, for a share,
 * all PageKit's. */
static int collect(uintptr_t start, uintptr_t end, struct pk_segments *segments)
{
    pk_table_verify(start, end);
    int error = pk_segments_collect(start, end, segments);
    for (size_t i = 0; i < segments->count; i++) {
        const struct pk_entry *entry = segments->items[i].entry;
        if (entry != NULL && (entry->flags & PK_ENTRY_INTERNAL)) {
            segments->count = i;
            return -ENOMEM;
        }
    }
    return error;
}

static int vm_copy(uint64_t *size, uint64_t offset, unsigned int permission, pk_entry_name_t *name)
{
    uintptr_t start, end;
    int error = *size == 0 ? -EINVAL : page_span(offset, *size, &start, &end);
    if (error)
        return error;
    struct pk_segments segments;
    error = collect(start, end, &segments);
    for (size_t i = 0; error == 0 && i < segments.count; i++) {
        const struct pk_segment *segment = &segments.items[i];
        unsigned int maximum = segment->entry != NULL ? segment->entry->max_protection : PK_PROT_ALL;
        if (!(segment->protection & PK_PROT_READ) || !(maximum & PK_PROT_READ))
            error = -EACCES;
    }
    pk_segments_free(&segments);
    if (error)
        return error;
    struct pk_backing *backing = pk_backing_create(end - start, &error);
    if (backing == NULL)
        return error;
    error = pk_copy_pages_to_file(start, end, backing->fd, 0);
    uint64_t data_offset = (permission & PK_MEM_USE_DATA_ADDR) ? offset - start : 0;
    if (error == 0)
        error = new_entry(backing, 0, end - start, data_offset, permission & PK_PROT_ALL, true, name);
    if (error) {
        pk_backing_close(backing);
        return error;
    }
    *size = end - start - data_offset;
    return 0;
}

/* Without VM_SHARE, Mach names one VM object: the range stops where the
 * first allocation (or shared object) does. */
static uintptr_t first_object_end(uintptr_t start, uintptr_t end)
{
    struct pk_entry *entry = pk_table_lookup(start);
    if (entry == NULL)
        return end;
    uintptr_t at = entry->end;
    for (struct pk_entry *next = pk_table_next(entry);
         next != NULL && next->start == at && at < end &&
         (entry->backing != NULL ? next->backing == entry->backing : next->allocation == entry->allocation);
         next = pk_table_next(next))
        at = next->end;
    return at < end ? at : end;
}

/* The backing and byte offset of [start, end) when it all lies, in order,
 * on one backing; NULL when it is all private; EOPNOTSUPP when it mixes
 * them. The range is all PageKit's (check_share). */
static int existing_backing(uintptr_t start, uintptr_t end, struct pk_backing **backing, uint64_t *offset)
{
    struct pk_entry *first = pk_table_lookup(start);
    size_t page = pk_page();
    *backing = first->backing;
    *offset = *backing != NULL ? (uint64_t)first->backing_page * page + (start - first->start) : 0;
    for (struct pk_entry *entry = first; entry != NULL && entry->start < end; entry = pk_table_next(entry)) {
        uintptr_t at = entry->start > start ? entry->start : start;
        if (entry->backing != *backing ||
            (*backing != NULL && (uint64_t)entry->backing_page * page + (at - entry->start) != *offset + (at - start)))
            return -EOPNOTSUPP;
    }
    return 0;
}

static int check_share(const struct pk_segments *segments, unsigned int *protection, bool is_mask)
{
    unsigned int shared = PK_PROT_ALL;
    for (size_t i = 0; i < segments->count; i++) {
        const struct pk_entry *entry = segments->items[i].entry;
        if (entry == NULL)
            return -EOPNOTSUPP;
        if (entry->object != NULL)
            return -EOPNOTSUPP;
        if ((entry->flags & PK_ENTRY_SEALED) && entry->backing == NULL)
            return -EPERM;
        shared &= entry->protection & entry->max_protection;
    }
    if (is_mask) {
        *protection &= shared;
        return *protection == PK_PROT_NONE ? -EACCES : 0;
    }
    return (*protection & ~shared) != 0 ? -EACCES : 0;
}

static int vm_share(uint64_t *size, uint64_t offset, unsigned int permission, pk_entry_name_t *name,
                    struct pk_memory_entry *parent)
{
    uintptr_t start, end;
    int error = *size == 0 ? -EINVAL : page_span(offset, *size, &start, &end);
    if (error)
        return error;
    if (!(permission & PK_MEM_VM_SHARE)) {
        if (pk_table_lookup(start) == NULL && pk_sys_mapped(start, pk_page()) != 0)
            return -ENOMEM;
        end = first_object_end(start, end);
    }
    unsigned int protection = permission & PK_PROT_ALL;
    struct pk_segments segments;
    error = collect(start, end, &segments);
    if (error == 0)
        error = check_share(&segments, &protection, (permission & PK_PROT_IS_MASK) != 0);
    pk_segments_free(&segments);
    struct pk_backing *backing = NULL;
    uint64_t backing_offset = 0;
    if (error == 0)
        error = existing_backing(start, end, &backing, &backing_offset);
    if (error == 0 && backing == NULL) {
        struct pk_spares spares;
        if ((error = pk_spares_reserve(&spares, 2)) == 0) {
            error = pk_share_range(start, end, &spares, &backing);
            pk_spares_release(&spares);
        }
    }
    if (error)
        return error;
    uint64_t data_offset = (permission & PK_MEM_USE_DATA_ADDR) ? offset - start : 0;
    if ((permission & PK_MEM_NAMED_REUSE) && parent != NULL && !parent->is_copy && parent->backing == backing &&
        parent->offset == backing_offset && parent->size == end - start && parent->data_offset == data_offset) {
        parent->references++;
        *name = pk_memory_entry_name(parent);
        *size = parent->size - data_offset;
        return 0;
    }
    error = new_entry(backing, backing_offset, end - start, data_offset, protection,
                      (permission & PK_MEM_VM_SHARE) != 0, name);
    if (error == 0)
        *size = end - start - data_offset;
    return error;
}

static int from_parent(uint64_t *size, uint64_t offset, unsigned int permission, pk_entry_name_t *name,
                       const struct pk_memory_entry *parent)
{
    if (permission & (PK_MEM_USE_DATA_ADDR | PK_MEM_4K_DATA_ADDR)) {
        if (offset > UINT64_MAX - parent->data_offset)
            return -EINVAL;
        offset += parent->data_offset;
    }
    if (offset > UINT64_MAX - *size)
        return -EINVAL;
    uintptr_t start = pk_trunc(offset), end;
    if (!pk_round(offset + *size, &end) || (*size != 0 && end <= start) || end > parent->size)
        return -EINVAL;
    unsigned int protection = permission & PK_PROT_ALL;
    if (permission & PK_PROT_IS_MASK)
        protection &= parent->protection;
    if (protection & ~parent->protection)
        return -EACCES;
    uint64_t data_offset = (permission & (PK_MEM_USE_DATA_ADDR | PK_MEM_4K_DATA_ADDR)) ? offset - start : 0;
    int error = new_entry(parent->backing, parent->offset + start, end - start, data_offset, protection, false, name);
    if (error == 0)
        *size = end - start - data_offset;
    return error;
}

pk_entry_name_t pk_memory_entry_name(const struct pk_memory_entry *entry)
{
    for (uint32_t index = 0; index < slot_count; index++)
        if (slots[index].entry == entry)
            return name_of(index);
    return 0;
}

static int create(uint64_t *size, uint64_t offset, unsigned int permission, pk_entry_name_t *name,
                  pk_entry_name_t parent_name)
{
    struct pk_memory_entry *parent = NULL;
    if (parent_name != 0 && (parent = pk_memory_entry_lookup(parent_name)) == NULL)
        return -EBADF;
    if (parent != NULL && parent->is_copy)
        return -EINVAL;
    if (permission & PK_MEM_ONLY) {
        /* Cache modes mean nothing to Linux: nothing to change. */
        if (parent == NULL || (permission & (PK_MEM_USE_DATA_ADDR | PK_MEM_4K_DATA_ADDR)))
            return -EINVAL;
        *name = 0;
        return 0;
    }
    if (permission & PK_MEM_NAMED_CREATE)
        return named_create(size, offset, permission, name);
    if (permission & PK_MEM_VM_COPY)
        return vm_copy(size, offset, permission, name);
    if ((permission & (PK_MEM_VM_SHARE | PK_MEM_NAMED_REUSE)) || parent == NULL)
        return vm_share(size, offset, permission, name, parent);
    return from_parent(size, offset, permission, name, parent);
}

int pk_memory_entry_create(uint64_t *size, uint64_t offset, unsigned int permission, pk_entry_name_t *name,
                           pk_entry_name_t parent)
{
    if (size == NULL || name == NULL)
        return -EINVAL;
    if ((permission & PK_MEM_FLAGS_MASK & ~PK_MEM_FLAGS_USER) != 0)
        return -EDOM;
    int error = pk_table_lock();
    if (error)
        return error;
    uint64_t new_size = *size;
    pk_entry_name_t new_name = 0;
    error = create(&new_size, offset, permission, &new_name, parent);
    pk_table_unlock();
    /* As on Mach, a failed call leaves both where they were. */
    if (error == 0) {
        *size = new_size;
        *name = new_name;
    }
    return error;
}

/* As XNU's MACH_PORT_UREFS_MAX: more user references than this overflow. */
#define PK_ENTRY_REFERENCES_MAX 0xffffu

int pk_memory_entry_mod_refs(pk_entry_name_t name, int delta)
{
    int error = pk_table_lock();
    if (error)
        return error;
    struct pk_memory_entry *entry = pk_memory_entry_lookup(name);
    if (entry == NULL) {
        error = -EBADF;
    } else if (delta < 0 && (unsigned int)-delta > entry->references) {
        error = -ERANGE;
    } else if (delta > 0 && (unsigned int)delta > PK_ENTRY_REFERENCES_MAX - entry->references) {
        error = -EOVERFLOW;
    } else {
        entry->references += (unsigned int)delta;
        if (entry->references == 0) {
            struct pk_orphans orphans = PK_ORPHANS_INITIALIZER(orphans);
            slots[(name >> 8) - 1].entry = NULL;
            pk_backing_release(entry->backing, &orphans);
            pk_arena_free(entry, sizeof *entry);
            pk_orphans_release(&orphans);
        }
    }
    pk_table_unlock();
    return error;
}

/* A read-only descriptor of the same memfd: a new open file description,
 * so the receiver's mappings are read-only whatever the sender's are. */
static int read_only_copy(int fd)
{
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int copy = open(path, O_RDONLY | O_CLOEXEC);
    return copy < 0 ? -errno : copy;
}

int pk_memory_entry_export(pk_entry_name_t name, int *fd, uint64_t *offset, uint64_t *size)
{
    if (fd == NULL || offset == NULL || size == NULL)
        return -EINVAL;
    int error = pk_table_lock();
    if (error)
        return error;
    struct pk_memory_entry *entry = pk_memory_entry_lookup(name);
    int exported = -EBADF;
    if (entry != NULL && (entry->protection & PK_PROT_WRITE)) {
        exported = fcntl(entry->backing->fd, F_DUPFD_CLOEXEC, 0);
        exported = exported < 0 ? -errno : exported;
    } else if (entry != NULL) {
        /* Even a descriptor reopened for writing cannot write then; pages
         * that cannot be sealed (a descriptor adopted from elsewhere) are
         * not handed out read-only at all. */
        exported = fcntl(entry->backing->fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) != 0 ? -errno
                                                                                : read_only_copy(entry->backing->fd);
    }
    if (exported >= 0) {
        *fd = exported;
        *offset = entry->offset + entry->data_offset;
        *size = entry->size - entry->data_offset;
    }
    pk_table_unlock();
    return exported < 0 ? exported : 0;
}

int pk_memory_entry_import(int fd, uint64_t offset, uint64_t size, unsigned int protection, pk_entry_name_t *name)
{
    if (name == NULL || (protection & ~PK_PROT_ALL) != 0)
        return -EINVAL;
    struct stat status;
    int mode = fcntl(fd, F_GETFL);
    if (mode < 0 || fstat(fd, &status) != 0)
        return -EBADF;
    if ((protection & PK_PROT_WRITE) && (mode & O_ACCMODE) == O_RDONLY)
        return -EACCES;
    uintptr_t start, end;
    if (size == 0 || page_span(offset, size, &start, &end) != 0 || end > (uint64_t)status.st_size)
        return -EINVAL;
    int error = pk_table_lock();
    if (error)
        return error;
    struct pk_backing *backing = pk_backing_adopt(fd, (uint64_t)status.st_size, &error);
    if (backing != NULL) {
        error = new_entry(backing, start, end - start, offset - start, protection, false, name);
        if (error)
            pk_backing_close(backing);
    }
    pk_table_unlock();
    return error;
}
