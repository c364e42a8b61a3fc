// SPDX-License-Identifier: Apache-2.0
/* The harness's own promises: snapshots notice what they must notice, so a
 * CHECK_UNCHANGED that passes means something. */
#include "harness.h"

#include <stdlib.h>

static struct snapshot before, after;

TEST(harness_snapshots_notice_each_kind_of_change)
{
    uintptr_t region = allocate_or_die(2 * PAGE, 0);
    snapshot_take(region, region + 2 * PAGE, &before);
    ((volatile char *)region)[PAGE + 5] = 1;
    snapshot_take(region, region + 2 * PAGE, &after);
    CHECK(!snapshot_equal(&before, &after)); /* contents */

    snapshot_take(region, region + 2 * PAGE, &before);
    CHECK_ERRNO(pk_protect(region, PAGE, false, PK_PROT_READ), 0);
    snapshot_take(region, region + 2 * PAGE, &after);
    CHECK(!snapshot_equal(&before, &after)); /* protections and the table */

    snapshot_take_all(&before);
    uintptr_t other = allocate_or_die(PAGE, 0);
    snapshot_take_all(&after);
    CHECK(!snapshot_equal(&before, &after)); /* a new mapping anywhere */

    snapshot_take_all(&before);
    snapshot_take_all(&after);
    CHECK(snapshot_equal(&before, &after)); /* and nothing when nothing changed */
    CHECK_ERRNO(pk_deallocate(other, PAGE), 0);
    CHECK_ERRNO(pk_deallocate(region, 2 * PAGE), 0);
}

TEST(harness_faults_are_caught_and_reported)
{
    uintptr_t region = allocate_or_die(PAGE, 0);
    CHECK(can_read(region) && can_write(region));
    CHECK_ERRNO(pk_protect(region, PAGE, false, PK_PROT_NONE), 0);
    CHECK(!can_read(region) && !can_write(region));
    CHECK_ERRNO(pk_deallocate(region, PAGE), 0);
}
