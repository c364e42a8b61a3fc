// SPDX-License-Identifier: Apache-2.0
/*
 * permanent.c - what becomes of VM_FLAGS_PERMANENT memory when a call would
 * replace or remove it.
 *
 * XNU never unmaps a permanent entry: a deallocate, an overwriting
 * allocation or a copy-on-write protect (VM_PROT_COPY, which XNU carries
 * out as an overwrite) leaves it mapped with current and maximum
 * protection NONE. The entries are clipped to the range first.
 */
#include "internal.h"

#include <sys/mman.h>

void pk_permanent_revoke(uintptr_t start, uintptr_t end, struct pk_spares *spares)
{
    pk_table_clip(start, end, spares);
    for (struct pk_entry *entry = pk_table_ceiling(start); entry != NULL && entry->start < end;
         entry = pk_table_next(entry)) {
        if ((entry->flags & PK_ENTRY_PERMANENT) &&
            pk_sys_mprotect(entry->start, entry->end - entry->start, PROT_NONE) == 0)
            entry->protection = entry->max_protection = PK_PROT_NONE;
    }
    pk_table_coalesce(start, end);
}
