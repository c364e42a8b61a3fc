// SPDX-License-Identifier: Apache-2.0
/*
 * memory_entry.h - what a memory entry's name stands for (memory_entry.c).
 * Every function here runs with the table lock held.
 */
#ifndef PAGEKIT_MEMORY_ENTRY_H
#define PAGEKIT_MEMORY_ENTRY_H

#include <pagekit/sharing.h>

#include <stdbool.h>
#include <stdint.h>

struct pk_memory_entry {
    struct pk_backing *backing;
    uint64_t offset;      /* where its pages start in the backing, page-aligned */
    uint64_t size;        /* bytes, a page multiple */
    uint64_t data_offset; /* the caller's offset within the first page */
    unsigned int protection; /* the most a mapping of it may allow */
    unsigned int references; /* user references to its name */
    bool is_copy;            /* made by VM_SHARE or VM_COPY: never a parent */
};

/* The entry a name stands for, or NULL. */
struct pk_memory_entry *pk_memory_entry_lookup(pk_entry_name_t name);
pk_entry_name_t pk_memory_entry_name(const struct pk_memory_entry *entry);

#endif
