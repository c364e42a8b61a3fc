// SPDX-License-Identifier: Apache-2.0
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const names[PK_FEATURE_COUNT] = {
    "anon_vma_name", "madv_free", "madv_pageout", "madv_populate",
    "mseal", "guard_regions", "memfd_secret", "procmap_query", "uffd_wp_unpopulated",
};

/* Per feature bit: 0, or the negative errno its probe got. */
static int status[PK_FEATURE_COUNT];
static unsigned int supported;
static _Atomic unsigned int hidden;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

/* EINVAL from an unknown advice or prctl, ENOSYS from an unknown system
 * call: both mean this kernel does not have the feature. */
static int missing(int error)
{
    return error == -EINVAL || error == -ENOSYS ? -EOPNOTSUPP : error;
}

static int probe_madvise(uintptr_t page, int advice)
{
    return missing(pk_sys_madvise(page, pk_page(), advice));
}

static int probe_memfd_secret(void)
{
    long fd = syscall(SYS_memfd_secret, 0UL);
    if (fd < 0)
        return missing(-errno);
    close((int)fd);
    return 0;
}

static int probe_procmap_query(void)
{
    struct pk_kernel_mapping mapping;
    int error = pk_procmap_query((uintptr_t)&mapping, &mapping);
    return error == -ENOTTY ? -EOPNOTSUPP : error;
}

/* userfaultfd write protection of unpopulated anonymous memory (Linux 6.4),
 * by a user-mode-only descriptor, which needs no privilege. */
static int probe_uffd_wp(void)
{
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | 1 /* UFFD_USER_MODE_ONLY */);
    if (fd < 0) {
        /* EPERM: userfaultfd is allowed to privileged processes only here. */
        int error = errno == EPERM ? -EOPNOTSUPP : missing(-errno);
        return error;
    }
    struct uffdio_api api = {.api = UFFD_API, .features = 1 << 13 /* UFFD_FEATURE_WP_UNPOPULATED */};
    int error = ioctl(fd, UFFDIO_API, &api) == 0 ? 0 : -EOPNOTSUPP;
    close(fd);
    return error;
}

static void probe(void)
{
    size_t size = pk_page();
    intptr_t page = pk_sys_mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    int page_error = page < 0 ? (int)page : 0;
    uintptr_t address = (uintptr_t)page;

    for (int i = 0; i < PK_FEATURE_COUNT; i++)
        status[i] = page_error;
    if (page_error == 0) {
        *(volatile char *)address = 1;
        status[0] = missing(pk_sys_name_anon(address, size, "pagekit-probe"));
        status[1] = probe_madvise(address, MADV_FREE);
        status[2] = probe_madvise(address, MADV_PAGEOUT);
        status[3] = probe_madvise(address, MADV_POPULATE_WRITE);
        status[5] = probe_madvise(address, MADV_GUARD_INSTALL);
        pk_sys_munmap(address, size);
    }
    /* A zero length seals nothing, yet a kernel with mseal accepts it. */
    status[4] = missing(pk_sys_mseal(pk_min_address(), 0));
    status[6] = probe_memfd_secret();
    status[7] = probe_procmap_query();
    status[8] = probe_uffd_wp();

    for (int i = 0; i < PK_FEATURE_COUNT; i++)
        if (status[i] == 0)
            supported |= 1u << i;
}

/* Probed when the library loads: the probe maps a page for a moment, which
 * must not land in a hole a caller's later fixed allocation expects free. */
__attribute__((constructor)) static void probe_at_load(void)
{
    pthread_once(&probe_once, probe);
}

unsigned int pk_features(void)
{
    pthread_once(&probe_once, probe);
    return supported & ~atomic_load_explicit(&hidden, memory_order_relaxed);
}

void pk_features_hide(unsigned int features)
{
    atomic_store(&hidden, features);
}

bool pk_has(unsigned int feature)
{
    return (pk_features() & feature) != 0;
}

static int feature_index(unsigned int feature)
{
    if (feature == 0 || (feature & (feature - 1)) != 0)
        return -1;
    int index = __builtin_ctz(feature);
    return index < PK_FEATURE_COUNT ? index : -1;
}

int pk_feature_status(unsigned int feature)
{
    int index = feature_index(feature);
    if (index < 0)
        return -EINVAL;
    pk_features();
    return status[index];
}

const char *pk_feature_name(unsigned int feature)
{
    int index = feature_index(feature);
    return index < 0 ? NULL : names[index];
}
