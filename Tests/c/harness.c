// SPDX-License-Identifier: Apache-2.0
#include "harness.h"

#include <errno.h>
#include <execinfo.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>


#define MAX_TESTS 512

struct test {
    const char *name;
    test_function function;
};

static struct test tests[MAX_TESTS];
static int test_count;
static int current_failures;
static const char *current_skip;

void harness_register(const char *name, test_function function)
{
    if (test_count == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
    tests[test_count++] = (struct test){name, function};
}

void harness_fail(const char *file, int line, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fprintf(stdout, "    %s:%d: ", file, line);
    vfprintf(stdout, format, arguments);
    fputc('\n', stdout);
    va_end(arguments);
    current_failures++;
}

int run_in_child(void (*body)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        current_failures = 0;
        body();
        fflush(stdout);
        _exit(current_failures < 100 ? current_failures : 100);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

void harness_skip(const char *reason)
{
    current_skip = reason;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct test *)a)->name, ((const struct test *)b)->name);
}

/* As /init of a test initramfs (make check-kernels) the suite is process 1
 * on a bare kernel: it mounts what it needs itself, and ends by rebooting,
 * which qemu's -no-reboot turns into an exit (tinyconfig has no ACPI
 * power-off). */
/* As init, a fatal signal panics the kernel with nothing but its number:
 * say which test died, where, and end the run as a failure. */
static const char *running_test = "(none yet)";

static void on_fatal_signal(int number, siginfo_t *info, void *context)
{
    if (getpid() != 1) {
        /* A child the test forked: it dies of its signal, as it would. */
        signal(number, SIG_DFL);
        raise(number);
        return;
    }
    const ucontext_t *uc = context;
#if defined(__x86_64__)
    unsigned long long pc = (unsigned long long)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    unsigned long long pc = (unsigned long long)uc->uc_mcontext.pc;
#else
    unsigned long long pc = 0;
    (void)uc;
#endif
    printf("FAIL %s: signal %d at pc %#llx, address %p; called from", running_test, number, pc, info->si_addr);
    void *frames[24];
    int depth = backtrace(frames, 24);
    for (int i = 0; i < depth; i++)
        printf(" %p", frames[i]);
    printf("\n");
    printf("c-suite: the run died in %s\n", running_test);
    fflush(stdout);
    sync();
    reboot(RB_AUTOBOOT);
}

static bool running_as_init(void)
{
    if (getpid() != 1)
        return false;
    static const int fatal[] = {SIGTRAP, SIGILL, SIGABRT, SIGFPE, SIGSEGV, SIGBUS, SIGSYS};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &(struct sigaction){.sa_sigaction = on_fatal_signal, .sa_flags = SA_SIGINFO}, NULL);
    mkdir("/proc", 0555);
    mkdir("/tmp", 01777);
    if (mount("proc", "/proc", "proc", 0, NULL) != 0)
        perror("mount /proc");
    FILE *release = fopen("/proc/sys/kernel/osrelease", "re");
    char version[128] = "?";
    if (release != NULL) {
        if (fgets(version, sizeof version, release) != NULL)
            version[strcspn(version, "\n")] = '\0';
        fclose(release);
    }
    printf("pagekit c-suite as /init on Linux %s\n", version);
    return true;
}

/* As init, with the fuzz model's driver at /fuzz and its corpus at
 * /corpus (make check-kernels on arm64): replays the corpus and runs
 * FUZZ_SECONDS of mutated inputs, as one more test. */
#define FUZZ_SECONDS "10"
static bool fuzz_as_init(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/fuzz", "/fuzz", "-seconds=" FUZZ_SECONDS, "/corpus", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    bool passed = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    printf("%s fuzz_model_replay_and_mutation\n", passed ? "ok  " : "FAIL");
    return passed;
}

static void end_as_init(void)
{
    fflush(stdout);
    sync();
    reboot(RB_AUTOBOOT);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    bool init = running_as_init();
    int passed = 0, failed = 0, skipped = 0;
    qsort(tests, (size_t)test_count, sizeof tests[0], by_name);
    pk_features(); /* probe before any test injects errors into the seam */
    pk_sys_record(true);
    for (int i = 0; i < test_count; i++) {
        if (only != NULL && strstr(tests[i].name, only) == NULL)
            continue;
        current_failures = 0;
        current_skip = NULL;
        running_test = tests[i].name;
        tests[i].function();
        pk_sys_inject_clear();
        pk_features_hide(0);
        pk_kernel_maps_force_scan(false);
        fflush(stdout);
        if (current_failures > 0) {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        } else if (current_skip != NULL) {
            printf("skip %s: %s\n", tests[i].name, current_skip);
            skipped++;
        } else {
            printf("ok   %s\n", tests[i].name);
            passed++;
        }
    }
    if (init && only == NULL && access("/fuzz", X_OK) == 0) {
        if (fuzz_as_init())
            passed++;
        else
            failed++;
    }
    printf("c-suite: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (init)
        end_as_init();
    return failed == 0 ? 0 : 1;
}

/* Faults. */

static sigjmp_buf fault_jump;

static void on_fault(int signal)
{
    siglongjmp(fault_jump, signal);
}

typedef void (*access_function)(uintptr_t address);

static bool survives(access_function access, uintptr_t address)
{
    struct sigaction action = {.sa_handler = on_fault}, old_segv, old_bus;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &old_segv);
    sigaction(SIGBUS, &action, &old_bus);
    bool survived = false;
    if (sigsetjmp(fault_jump, 1) == 0) {
        access(address);
        survived = true;
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return survived;
}

static void read_byte(uintptr_t address)
{
    (void)*(volatile unsigned char *)address;
}

static void write_byte(uintptr_t address)
{
    volatile unsigned char *byte = (volatile unsigned char *)address;
    *byte = *byte;
}

static void execute(uintptr_t address)
{
    void (*function)(void);
    memcpy(&function, &address, sizeof function);
    function();
}

bool can_read(uintptr_t address)
{
    return survives(read_byte, address);
}

bool can_write(uintptr_t address)
{
    return survives(write_byte, address);
}

bool can_execute(uintptr_t address)
{
    return survives(execute, address);
}

/* Snapshots. */

static uint64_t mix(uint64_t hash, uint64_t value)
{
    return (hash ^ value) * 0x100000001B3ULL;
}

static void take(uintptr_t start, uintptr_t end, bool contents, struct snapshot *snapshot);

void snapshot_take(uintptr_t start, uintptr_t end, struct snapshot *snapshot)
{
    take(start, end, true, snapshot);
}

void snapshot_take_all(struct snapshot *snapshot)
{
    take(0, UINTPTR_MAX, false, snapshot);
}

static void take(uintptr_t start, uintptr_t end, bool contents, struct snapshot *snapshot)
{
    memset(snapshot, 0, sizeof *snapshot);
    snapshot->checksum = 0xCBF29CE484222325ULL;
    enum { INTERNAL_MAX = 16 };
    struct {
        uintptr_t low, high;
    } internal[INTERNAL_MAX];
    int internal_count = 0;
    uintptr_t at = start;
    while (at < end && snapshot->regions < SNAPSHOT_REGIONS) {
        struct pk_region_info *info = &snapshot->region[snapshot->regions];
        if (pk_region(&at, info) != 0 || info->start >= end)
            break;
        at = info->start + info->size;
        /* The stack and the heap move on their own, and so does PageKit's
         * own bookkeeping as it grows; whole-space snapshots leave them
         * out. */
        if (!contents && (strcmp(info->name, "[stack]") == 0 || strcmp(info->name, "[heap]") == 0))
            continue;
        if (info->flags & PK_REGION_INTERNAL) {
            if (internal_count < INTERNAL_MAX) {
                internal[internal_count].low = info->start;
                internal[internal_count++].high = info->start + info->size;
            }
            continue;
        }
        snapshot->regions++;
        uintptr_t from = info->start > start ? info->start : start;
        uintptr_t to = info->start + info->size < end ? info->start + info->size : end;
        if (contents && (info->protection & (PK_PROT_READ | PK_PROT_WRITE)))
            for (uintptr_t byte = from; byte < to; byte += sizeof(uint64_t))
                snapshot->checksum = mix(snapshot->checksum, *(const uint64_t *)byte);
        at = info->start + info->size;
    }
    snapshot->table_entries = pk_table_count();
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    /* A sanitizer's allocator maps memory of its own as any malloc runs, so
     * under one the whole-space view compares PageKit's side only; the plain
     * and the kernel runs compare the kernel's too. */
    if (!contents)
        return;
#endif
    FILE *maps = fopen("/proc/self/maps", "re");
    char line[512];
    size_t used = 0;
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        uintptr_t low, high;
        if (!contents && (strstr(line, "[stack]") != NULL || strstr(line, "[heap]") != NULL))
            continue;
        bool inside_pagekit = false;
        if (sscanf(line, "%lx-%lx", &low, &high) == 2)
            for (int i = 0; i < internal_count; i++)
                inside_pagekit |= low >= internal[i].low && high <= internal[i].high;
        if (!inside_pagekit && high > start && low < end) {
            size_t length = strlen(line);
            if (used + length < sizeof snapshot->kernel_maps) {
                memcpy(snapshot->kernel_maps + used, line, length + 1);
                used += length;
            }
        }
    }
    if (maps != NULL)
        fclose(maps);
}

bool snapshot_equal(const struct snapshot *before, const struct snapshot *after)
{
    return before->regions == after->regions &&
           memcmp(before->region, after->region, sizeof before->region[0] * (size_t)before->regions) == 0 &&
           before->table_entries == after->table_entries &&
           strcmp(before->kernel_maps, after->kernel_maps) == 0 && before->checksum == after->checksum;
}

void snapshot_compare(const char *file, int line, const struct snapshot *before, const struct snapshot *after)
{
    if (before->regions != after->regions ||
        memcmp(before->region, after->region, sizeof before->region[0] * (size_t)before->regions) != 0)
        harness_fail(file, line, "the region table changed (%d regions before, %d after)", before->regions,
                     after->regions);
    if (before->table_entries != after->table_entries)
        harness_fail(file, line, "the table has %lu entries, %lu before", after->table_entries,
                     before->table_entries);
    if (strcmp(before->kernel_maps, after->kernel_maps) != 0)
        harness_fail(file, line, "the kernel's mappings changed:\nbefore:\n%safter:\n%s", before->kernel_maps,
                     after->kernel_maps);
    if (before->checksum != after->checksum)
        harness_fail(file, line, "memory contents changed");
}

/* The table against the kernel. */

struct kernel_vma {
    uintptr_t start, end;
    unsigned int protection;
    bool anonymous, shared;
};

static int read_kernel_vmas(struct kernel_vma *vmas, int capacity)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    char line[512], perms[8];
    int count = 0;
    while (maps != NULL && count < capacity && fgets(line, sizeof line, maps) != NULL) {
        uintptr_t low, high;
        unsigned long inode;
        int name_at = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %lu %n", &low, &high, perms, &inode, &name_at) < 4)
            continue;
        const char *name = name_at > 0 ? line + name_at : "";
        vmas[count++] = (struct kernel_vma){
            low, high,
            (perms[0] == 'r' ? 1u : 0u) | (perms[1] == 'w' ? 2u : 0u) | (perms[2] == 'x' ? 4u : 0u),
            perms[3] == 'p' && inode == 0 && (name[0] == '\n' || name[0] == '\0' || strncmp(name, "[anon:", 6) == 0),
            perms[3] == 's',
        };
    }
    if (maps != NULL)
        fclose(maps);
    return count;
}

int table_kernel_mismatches(void)
{
    static struct kernel_vma vmas[8192];
    int count = read_kernel_vmas(vmas, 8192);
    int mismatches = 0;
    uintptr_t at = 0, last_end = 0;
    struct pk_region_info info;
    while (pk_region(&at, &info) == 0) {
        if (info.start < last_end)
            mismatches++;
        last_end = info.start + info.size;
        if (info.flags & (PK_REGION_OWNED | PK_REGION_INTERNAL)) {
            for (uintptr_t page = info.start; page < last_end; page += PAGE) {
                int found = -1;
                for (int i = 0; i < count && found < 0; i++)
                    if (vmas[i].start <= page && page < vmas[i].end)
                        found = i;
                /* PageKit's own memory need only be there: its marker page
                 * is a shared memfd mapping. */
                bool owned = (info.flags & PK_REGION_OWNED) != 0;
                bool kind = found >= 0 &&
                            ((info.flags & PK_REGION_SHARED) ? vmas[found].shared : vmas[found].anonymous);
                if (found < 0 || (owned && (!kind || vmas[found].protection != info.protection))) {
                    fprintf(stderr, "    table and kernel differ at %#lx (region %#lx+%#zx, flags %#x)\n",
                            (unsigned long)page, (unsigned long)info.start, info.size, info.flags);
                    mismatches++;
                    break;
                }
                /* Skip to the end of this kernel mapping. */
                if (vmas[found].end < last_end)
                    page = vmas[found].end - PAGE;
                else
                    break;
            }
        }
        at = last_end;
    }
    return mismatches;
}

/* Helpers. */

uintptr_t allocate_or_die(size_t size, unsigned int flags)
{
    uintptr_t address = 0;
    int error = pk_allocate(&address, size, flags | PK_ALLOC_ANYWHERE, NULL);
    if (error != 0) {
        fprintf(stderr, "pk_allocate(%zu, %#x) failed: %s\n", size, flags, pk_error_name(error));
        abort();
    }
    return address;
}

uintptr_t foreign_map(size_t size, int prot)
{
    void *mapped = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
        abort();
    return (uintptr_t)mapped;
}

void fill_pattern(uintptr_t address, size_t size, unsigned char seed)
{
    for (size_t i = 0; i < size; i++)
        ((unsigned char *)address)[i] = (unsigned char)(seed + i * 7 + (i >> 12));
}

bool has_pattern(uintptr_t address, size_t size, unsigned char seed)
{
    for (size_t i = 0; i < size; i++)
        if (((const unsigned char *)address)[i] != (unsigned char)(seed + i * 7 + (i >> 12)))
            return false;
    return true;
}

bool is_zero(uintptr_t address, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (((const unsigned char *)address)[i] != 0)
            return false;
    return true;
}

void maps_line(uintptr_t address, char *line, size_t size)
{
    line[0] = '\0';
    FILE *maps = fopen("/proc/self/maps", "re");
    char buffer[512];
    while (maps != NULL && fgets(buffer, sizeof buffer, maps) != NULL) {
        uintptr_t low, high;
        if (sscanf(buffer, "%lx-%lx", &low, &high) == 2 && low <= address && address < high) {
            snprintf(line, size, "%s", buffer);
            break;
        }
    }
    if (maps != NULL)
        fclose(maps);
}

uintptr_t free_range(size_t size)
{
    uintptr_t address = foreign_map(size, PROT_NONE);
    munmap((void *)address, size);
    return address;
}

uintptr_t remote_reservation(size_t size)
{
#if defined(__x86_64__)
    /* 0x7e90_0000_0000 and up: application memory for AddressSanitizer and
     * ThreadSanitizer alike, and terabytes below where mmap places things. */
    uintptr_t first = 0x7e9000000000, last = 0x7f0000000000, step = (uintptr_t)1 << 32;
#else
    /* Half to seven eighths of the way up: below mmap's base, however far
     * the kernel randomises it, with 39 to 48 bits of address space. */
    uintptr_t top = pk_max_address(), first = top / 2, last = top - top / 8, step = top / 1024;
#endif
    for (uintptr_t address = first; address < last; address += step) {
        void *mapped = mmap((void *)address, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (mapped == (void *)address)
            return address;
        if (mapped != MAP_FAILED)
            munmap(mapped, size);
    }
    abort();
}
