// SPDX-License-Identifier: Apache-2.0
/*
 * purgeable.c - purgeable objects (vm_purgable_control) over MADV_FREE.
 *
 * MADV_FREE lets the kernel drop pages but never says which ones it dropped.
 * Making an object volatile saves each page's first word and stores a marker
 * there before the madvise. Making it nonvolatile compare-and-exchanges the
 * marker back: a dropped page reads as zero, so the exchange fails, and a
 * page still present is dirtied by the exchange itself, which cancels its
 * pending free, so it cannot be dropped after the check. If any page was
 * dropped, the whole object is zeroed and reported EMPTY, as Mach purges
 * whole objects.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"

/* "PKVOLATL": what the first word of every page of a volatile object holds
 * until the kernel drops the page. */
#define MARKER ((uintptr_t)0x4C5441544C4F564BULL)

/* The object and its side array of one word per page are one block of
 * PageKit's arena: a one-page object costs 48 bytes, and no mapping. */
static size_t object_bytes(size_t pages)
{
    return sizeof(struct pk_object) + pages * sizeof(uintptr_t);
}

struct pk_object *pk_object_create(size_t size)
{
    size_t pages = size / pk_page();
    if (pages > (SIZE_MAX - sizeof(struct pk_object)) / sizeof(uintptr_t))
        return NULL;
    struct pk_object *object = pk_arena_alloc(object_bytes(pages));
    if (object != NULL)
        *object = (struct pk_object){.end = size, .state = PK_PURGEABLE_NONVOLATILE};
    return object;
}

void pk_object_destroy(struct pk_object *object)
{
    if (object != NULL)
        pk_arena_free(object, object_bytes((object->end - object->start) / pk_page()));
}

#define FOR_EACH_ENTRY(entry, object)                                                            \
    for (struct pk_entry *entry = pk_table_ceiling((object)->start); entry != NULL && entry->start < (object)->end; \
         entry = pk_table_next(entry))                                                           \
        if (entry->object == (object))

static uintptr_t *first_word(uintptr_t page)
{
    return (uintptr_t *)page;
}

static size_t page_index(const struct pk_object *object, uintptr_t page)
{
    return (page - object->start) / pk_page();
}

void pk_object_empty(struct pk_object *object)
{
    FOR_EACH_ENTRY(entry, object)
        pk_sys_madvise(entry->start, entry->end - entry->start, MADV_DONTNEED);
    object->state = PK_PURGEABLE_EMPTY;
}

/* Write-only memory is readable on Linux; execute-only memory is not where
 * the CPU has protection keys, so it counts as unreadable. */
static bool readable(const struct pk_entry *entry)
{
    return (entry->protection & (PK_PROT_READ | PK_PROT_WRITE)) != 0;
}

/* Without read access the marker cannot be checked, but a dropped page is
 * no longer resident and nothing could have faulted it back in. */
static bool entry_dropped_unreadable(const struct pk_entry *entry)
{
    size_t page = pk_page();
    unsigned char vector[256];
    for (uintptr_t at = entry->start; at < entry->end; at += sizeof vector * page) {
        uintptr_t length = entry->end - at < sizeof vector * page ? entry->end - at : sizeof vector * page;
        if (pk_sys_mincore(at, length, vector) != 0)
            return true;
        for (size_t i = 0; i < length / page; i++)
            if (!(vector[i] & 1))
                return true;
    }
    return false;
}

static bool any_page_dropped(const struct pk_object *object)
{
    size_t page = pk_page();
    FOR_EACH_ENTRY(entry, object) {
        if (!readable(entry)) {
            if (entry_dropped_unreadable(entry))
                return true;
            continue;
        }
        for (uintptr_t at = entry->start; at < entry->end; at += page)
            if (__atomic_load_n(first_word(at), __ATOMIC_RELAXED) != MARKER)
                return true;
    }
    return false;
}

/* Puts each page's first word back where the marker still is; false if a
 * page was dropped. Every page is visited, so none keeps the marker. */
static bool restore_words(struct pk_object *object)
{
    size_t page = pk_page();
    bool intact = true;
    FOR_EACH_ENTRY(entry, object) {
        for (uintptr_t at = entry->start; at < entry->end; at += page) {
            uintptr_t expected = MARKER;
            /* One locked read-modify-write: the kernel either dropped the
             * page before it (the word reads zero) or cannot drop it after
             * (the write dirtied it). */
            intact &= __atomic_compare_exchange_n(first_word(at), &expected, object->saved[page_index(object, at)],
                                                  false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        }
    }
    return intact;
}

static int make_volatile(struct pk_object *object)
{
    size_t page = pk_page();
    FOR_EACH_ENTRY(entry, object) {
        for (uintptr_t at = entry->start; at < entry->end; at += page) {
            object->saved[page_index(object, at)] = *first_word(at);
            /* A plain store: the madvise below orders it before the kernel
             * may drop anything. */
            __atomic_store_n(first_word(at), MARKER, __ATOMIC_RELAXED);
        }
    }
    if (pk_has(PK_FEATURE_MADV_FREE)) {
        FOR_EACH_ENTRY(entry, object) {
            int error = pk_sys_madvise(entry->start, entry->end - entry->start, MADV_FREE);
            if (error) {
                restore_words(object);
                return error;
            }
        }
    }
    object->state = PK_PURGEABLE_VOLATILE;
    return 0;
}

bool pk_object_saved_word(const struct pk_object *object, uintptr_t page, uintptr_t *word)
{
    /* Pages the kernel dropped read as zero; the object is EMPTY then,
     * which the caller found before it copied. */
    if (object->state != PK_PURGEABLE_VOLATILE || *word != MARKER)
        return false;
    *word = object->saved[page_index(object, page)];
    return true;
}

/* The object's state, after noticing pages the kernel dropped. */
int pk_object_state(struct pk_object *object)
{
    if (object->state == PK_PURGEABLE_VOLATILE && any_page_dropped(object))
        pk_object_empty(object);
    return object->state;
}

/* Where Mach queues a volatile object, from SET_STATE's word: the
 * obsolete ordering wins over the behaviour, and its queue has group 0
 * only. Asked again, it moves. */
static void record_queue(struct pk_object *object, int state)
{
    if ((state & PK_PURGEABLE_ORDERING_OBSOLETE) != 0)
        object->queue = PK_QUEUE_OBSOLETE;
    else
        object->queue = (state & PK_PURGEABLE_BEHAVIOR_LIFO) != 0 ? PK_QUEUE_LIFO : PK_QUEUE_FIFO;
    object->group = object->queue == PK_QUEUE_OBSOLETE
                        ? 0
                        : (uint8_t)((state & PK_PURGEABLE_GROUP_MASK) >> PK_PURGEABLE_GROUP_SHIFT);
}

static int set_state(struct pk_object *object, int state, int *old_state)
{
    int old, requested = state & PK_PURGEABLE_STATE_MASK;
    /* XNU's debugging bit, sticky: volatile goes straight to empty. */
    if (state & PK_PURGEABLE_DEBUG_EMPTY)
        object->debug_empty = 1;
    if (requested == PK_PURGEABLE_VOLATILE && object->debug_empty)
        requested = PK_PURGEABLE_EMPTY;
    if (requested == PK_PURGEABLE_NONVOLATILE) {
        old = object->state;
        if (old == PK_PURGEABLE_VOLATILE && !restore_words(object)) {
            pk_object_empty(object);
            old = PK_PURGEABLE_EMPTY;
        }
        object->state = PK_PURGEABLE_NONVOLATILE;
    } else if (requested == PK_PURGEABLE_VOLATILE) {
        old = pk_object_state(object);
        int error = old == PK_PURGEABLE_NONVOLATILE ? make_volatile(object) : 0;
        if (error)
            return error;
        record_queue(object, state);
    } else {
        old = pk_object_state(object);
        pk_object_empty(object);
    }
    *old_state = old;
    return 0;
}

static bool writable(struct pk_object *object)
{
    FOR_EACH_ENTRY(entry, object)
        if (!(entry->protection & PK_PROT_WRITE))
            return false;
    return true;
}

/* The purgeable object at address: ENOMEM where nothing is mapped (or
 * PageKit's own memory is), EINVAL where the memory is not a purgeable
 * allocation. The object's pages are about to be read and written, so its
 * entries must still describe the kernel. */
static int find_object(uintptr_t address, struct pk_object **object)
{
    struct pk_entry *entry = pk_table_lookup(address);
    if (entry != NULL && entry->object != NULL && pk_table_verify(entry->object->start, entry->object->end))
        entry = pk_table_lookup(address);
    if (entry == NULL)
        return pk_sys_mapped(pk_trunc(address), pk_page()) == 0 ? -EINVAL : -ENOMEM;
    if (entry->flags & PK_ENTRY_INTERNAL)
        return -ENOMEM;
    *object = entry->object;
    return *object != NULL ? 0 : -EINVAL;
}

void pk_objects_verify_volatile(void)
{
    struct pk_object *object = pk_objects_first();
    while (object != NULL) {
        if (object->state == PK_PURGEABLE_VOLATILE && pk_table_verify(object->start, object->end)) {
            object = pk_objects_first(); /* the list may have lost objects */
            continue;
        }
        object = pk_objects_next(object);
    }
}

/* Empties every volatile object, after dropping what was unmapped behind
 * PageKit's back: MADV_DONTNEED on a stranger's pages would destroy them. */
static void purge_all(void)
{
    pk_objects_verify_volatile();
    for (struct pk_object *object = pk_objects_first(); object != NULL; object = pk_objects_next(object))
        if (object->state == PK_PURGEABLE_VOLATILE)
            pk_object_empty(object);
}

int pk_purgeable_control(uintptr_t address, int control, int *state)
{
    if (control != PK_PURGEABLE_SET_STATE && control != PK_PURGEABLE_GET_STATE &&
        control != PK_PURGEABLE_PURGE_ALL)
        return -EINVAL;
    if (control != PK_PURGEABLE_PURGE_ALL && state == NULL)
        return -EINVAL;
    if (control == PK_PURGEABLE_SET_STATE && (*state & ~PK_PURGEABLE_ACCEPTED) != 0)
        return -EINVAL;

    int error = pk_table_lock();
    if (error)
        return error;
    struct pk_object *object = NULL;
    if (control == PK_PURGEABLE_PURGE_ALL) {
        purge_all();
    } else if ((error = find_object(address, &object)) == 0 && control == PK_PURGEABLE_GET_STATE) {
        *state = pk_object_state(object);
    } else if (error == 0) {
        if (!writable(object))
            error = -EACCES;
        else if ((*state & PK_PURGEABLE_STATE_MASK) == PK_PURGEABLE_DENY)
            error = -EINVAL;
        else
            error = set_state(object, *state, state);
    }
    pk_table_unlock();
    return error;
}

/* Resident bytes of a volatile object, from mincore a chunk at a time. */
static uint64_t resident_bytes(const struct pk_object *object)
{
    unsigned char vector[4096];
    size_t page = pk_page();
    uint64_t pages = 0;
    FOR_EACH_ENTRY(entry, object) {
        for (uintptr_t at = entry->start; at < entry->end;) {
            size_t count = (entry->end - at) / page < sizeof vector ? (entry->end - at) / page : sizeof vector;
            if (pk_sys_mincore(at, count * page, vector) == 0)
                for (size_t i = 0; i < count; i++)
                    pages += vector[i] & 1;
            at += count * page;
        }
    }
    return pages * page;
}

int pk_purgeable_info(struct pk_purgeable_info *info)
{
    if (info == NULL)
        return -EINVAL;
    int error = pk_table_lock();
    if (error)
        return error;
    *info = (struct pk_purgeable_info){0};
    /* Each object's pages are about to be read: they must still be
     * PageKit's. */
    pk_objects_verify_volatile();
    for (struct pk_object *object = pk_objects_first(); object != NULL; object = pk_objects_next(object)) {
        /* A purged object has left its queue, as on XNU. */
        if (pk_object_state(object) != PK_PURGEABLE_VOLATILE)
            continue;
        struct pk_purgeable_stat *stat = object->queue == PK_QUEUE_OBSOLETE ? &info->obsolete
                                         : object->queue == PK_QUEUE_LIFO   ? &info->lifo[object->group]
                                                                            : &info->fifo[object->group];
        stat->count++;
        stat->size += resident_bytes(object);
    }
    pk_table_unlock();
    return 0;
}

int pk_purge_now(uintptr_t address, size_t size)
{
    uintptr_t start, end;
    int error = pk_page_range(address, size, &start, &end);
    if (error || start == end)
        return error;
    if (!pk_has(PK_FEATURE_MADV_PAGEOUT))
        return -EOPNOTSUPP;
    return pk_sys_madvise(start, end - start, MADV_PAGEOUT);
}
