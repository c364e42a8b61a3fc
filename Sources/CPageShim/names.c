// SPDX-License-Identifier: Apache-2.0
/*
 * names.c - tags and names, shown as [anon:NAME] in /proc/PID/maps where the
 * kernel can name anonymous memory (CONFIG_ANON_VMA_NAME), and kept in the
 * region table either way.
 */
#include "internal.h"

#include "publication.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Names given to tags with pk_tag_name(); guarded by the table lock. */
static struct pk_shared_name *tag_names[256];

const void *pk_tag_names_address(void)
{
    return tag_names;
}

int pk_name_check(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return -EINVAL;
    size_t length = 0;
    for (const char *c = name; *c != '\0'; c++, length++) {
        /* The kernel's own rule for anonymous VMA names. */
        if (*c < 0x20 || *c > 0x7e || strchr("\\`$[]", *c) != NULL || length >= PK_NAME_MAX)
            return -EINVAL;
    }
    return 0;
}

const char *pk_entry_kernel_name(const struct pk_entry *entry, char buffer[PK_NAME_MAX + 1])
{
    if (entry->flags & PK_ENTRY_INTERNAL)
        return PK_INTERNAL_NAME;
    if (entry->name != NULL)
        return entry->name->text;
    if (entry->tag == 0)
        return NULL;
    if (tag_names[entry->tag] != NULL)
        return tag_names[entry->tag]->text;
    snprintf(buffer, PK_NAME_MAX + 1, PK_TAG_DEFAULT_NAME_PREFIX "%u", entry->tag);
    return buffer;
}

void pk_names_apply(uintptr_t start, uintptr_t end)
{
    if (!pk_has(PK_FEATURE_ANON_VMA_NAME))
        return;
    char buffer[PK_NAME_MAX + 1];
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        uintptr_t from = entry->start > start ? entry->start : start;
        uintptr_t to = entry->end < end ? entry->end : end;
        pk_sys_name_anon(from, to - from, pk_entry_kernel_name(entry, buffer));
    }
}

/* Checks that [start, end) is all PageKit's: ENOMEM for a hole (PageKit's
 * own memory is one, to the caller), EINVAL for memory someone else mapped. */
static int check_owned(uintptr_t start, uintptr_t end)
{
    uintptr_t covered = start;
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        if (entry->flags & PK_ENTRY_INTERNAL)
            return -ENOMEM;
        if (entry->start > covered)
            break;
        covered = entry->end;
    }
    if (covered >= end)
        return 0;
    return pk_sys_mapped(covered, end - covered) == 0 ? -EINVAL : -ENOMEM;
}

static void set_name(uintptr_t start, uintptr_t end, struct pk_shared_name *shared, struct pk_spares *spares)
{
    pk_table_clip(start, end, spares);
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        if (entry->name != NULL)
            pk_shared_name_release(entry->name);
        entry->name = shared;
        if (shared != NULL)
            pk_shared_name_retain(shared);
    }
    pk_names_apply(start, end);
    pk_table_coalesce(start, end);
}

int pk_name(uintptr_t address, size_t size, const char *name)
{
    uintptr_t start, end;
    int error = pk_page_range(address, size, &start, &end);
    if (error == 0 && name != NULL)
        error = pk_name_check(name);
    if (error || start == end)
        return error;

    if ((error = pk_table_lock()) != 0)
        return error;
    /* Naming claims the memory is PageKit's: the table must still say so. */
    pk_table_verify(start, end);
    struct pk_spares spares = {0};
    struct pk_shared_name *shared = NULL;
    error = check_owned(start, end);
    if (error == 0 && pk_spares_reserve(&spares, 2) != 0)
        error = -ENOMEM;
    if (error == 0 && name != NULL && (shared = pk_shared_name_create(name)) == NULL)
        error = -ENOMEM;
    if (error == 0)
        set_name(start, end, shared, &spares);
    /* The entries hold their own references now. */
    if (shared != NULL)
        pk_shared_name_release(shared);
    pk_spares_release(&spares);
    pk_table_unlock();
    return error;
}

int pk_tag_name(unsigned int tag, const char *name)
{
    if (tag == 0 || tag > 255 || (name != NULL && pk_name_check(name) != 0))
        return -EINVAL;
    int error = pk_table_lock();
    if (error)
        return error;
    struct pk_shared_name *shared = NULL;
    if (name != NULL && (shared = pk_shared_name_create(name)) == NULL) {
        pk_table_unlock();
        return -ENOMEM;
    }
    if (tag_names[tag] != NULL)
        pk_shared_name_release(tag_names[tag]);
    tag_names[tag] = shared;
    if (pk_has(PK_FEATURE_ANON_VMA_NAME)) {
        for (struct pk_entry *entry = pk_table_ceiling(0); entry != NULL; entry = pk_table_next(entry))
            if (entry->tag == tag && entry->name == NULL && !(entry->flags & PK_ENTRY_INTERNAL))
                pk_names_apply(entry->start, entry->end);
    }
    pk_table_unlock();
    return 0;
}
