// SPDX-License-Identifier: Apache-2.0
/*
 * version.c - the version compiled into the library, for programs to
 * compare with the header they were built with.
 */
#include "internal.h"

unsigned int pk_version(void)
{
    return PAGEKIT_VERSION;
}
