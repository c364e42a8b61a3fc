// SPDX-License-Identifier: Apache-2.0
/*
 * <mach/mach.h>, and every other header of this directory (they are links
 * to this one), at macOS's paths, so that code written for macOS includes
 * <mach/mach.h>, <mach/mach_vm.h>, <mach/vm_statistics.h> and the rest
 * unchanged. All they name is in <pagekit/mach.h>, the one place PageKit's
 * Mach interface is defined. The directory is on the include path only for
 * programs that ask for it (pkg-config --cflags pagekit-mach), so it never
 * shadows anything for the others.
 */
#ifndef PAGEKIT_COMPAT_MACH_H
#define PAGEKIT_COMPAT_MACH_H

/* As on macOS, the types and limits real code expects come along. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <pagekit/mach.h>

#endif
