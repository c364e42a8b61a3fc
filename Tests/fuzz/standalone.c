// SPDX-License-Identifier: Apache-2.0
/*
 * standalone.c - runs fuzz_mach.c without libFuzzer, where the compiler
 * has no libFuzzer runtime (the arm64 cross-compiler, whose programs run
 * under qemu): replays every file of the directories given, then, with
 * -seconds=N, runs N seconds of inputs mutated from them by a generator
 * with a fixed seed, so a failing run can be repeated. A model mismatch
 * aborts, as under libFuzzer, after printing the input.
 *
 * usage: fuzz_standalone [-seconds=N] DIRECTORY...
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LEN 256

struct input {
    size_t size;
    uint8_t bytes[MAX_LEN];
};

static struct input *inputs;
static size_t input_count, input_capacity;

static void keep(const uint8_t *bytes, size_t size)
{
    if (input_count == input_capacity) {
        input_capacity = input_capacity ? 2 * input_capacity : 256;
        inputs = realloc(inputs, input_capacity * sizeof *inputs);
        if (inputs == NULL) {
            perror("fuzz_standalone");
            exit(2);
        }
    }
    struct input *input = &inputs[input_count++];
    input->size = size < MAX_LEN ? size : MAX_LEN;
    memcpy(input->bytes, bytes, input->size);
}

/* The input being run, written out in hex when the harness aborts, so a
 * run under qemu leaves it on the console to replay. */
static const uint8_t *running;
static size_t running_size;
static unsigned long mutated_runs;

static void run(const uint8_t *data, size_t size)
{
    running = data;
    running_size = size;
    LLVMFuzzerTestOneInput(data, size);
}

static void on_abort(int number)
{
    (void)number;
    fprintf(stderr, "fuzz: the failing input (after %lu mutated inputs), in hex:\n", mutated_runs);
    for (size_t i = 0; i < running_size; i++)
        fprintf(stderr, "%02x%s", running[i], i + 1 == running_size || i % 32 == 31 ? "\n" : "");
    signal(SIGABRT, SIG_DFL);
}

/* Replays every regular file of the directory, and keeps its first
 * MAX_LEN bytes to mutate: the number replayed. */
static size_t replay(const char *directory)
{
    DIR *dir = opendir(directory);
    if (dir == NULL) {
        perror(directory);
        exit(2);
    }
    size_t count = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        if (entry->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
        FILE *file = fopen(path, "rb");
        if (file == NULL)
            continue;
        static uint8_t buffer[1 << 16];
        size_t size = fread(buffer, 1, sizeof buffer, file);
        fclose(file);
        run(buffer, size);
        keep(buffer, size);
        count++;
    }
    closedir(dir);
    return count;
}

static uint64_t state = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* A kept input with a few bytes changed, steps inserted, dropped or
 * swapped (inputs are 4-byte steps), or a fresh random one. */
static size_t mutate(uint8_t *out)
{
    size_t size;
    if (input_count == 0 || next() % 8 == 0) {
        size = 4 * (1 + next() % (MAX_LEN / 4));
        for (size_t i = 0; i < size; i++)
            out[i] = (uint8_t)next();
        return size;
    }
    const struct input *base = &inputs[next() % input_count];
    size = base->size;
    memcpy(out, base->bytes, size);
    for (int changes = 1 + (int)(next() % 4); changes > 0; changes--) {
        size_t steps = size / 4;
        switch (next() % 4) {
        case 0:
            if (size > 0)
                out[next() % size] = (uint8_t)next();
            break;
        case 1:
            if (size + 4 <= MAX_LEN) {
                size_t at = steps > 0 ? 4 * (next() % (steps + 1)) : 0;
                memmove(out + at + 4, out + at, size - at);
                for (int i = 0; i < 4; i++)
                    out[at + (size_t)i] = (uint8_t)next();
                size += 4;
            }
            break;
        case 2:
            if (steps > 1) {
                size_t at = 4 * (next() % steps);
                memmove(out + at, out + at + 4, size - at - 4);
                size -= 4;
            }
            break;
        default:
            if (steps > 1) {
                size_t a = 4 * (next() % steps), b = 4 * (next() % steps);
                uint8_t step[4];
                memcpy(step, out + a, 4);
                memcpy(out + a, out + b, 4);
                memcpy(out + b, step, 4);
            }
            break;
        }
    }
    return size;
}

int main(int argc, char **argv)
{
    double seconds = 0;
    size_t replayed = 0;
    signal(SIGABRT, on_abort);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-seconds=", 9) == 0)
            seconds = atof(argv[i] + 9);
        else
            replayed += replay(argv[i]);
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned long runs = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed >= seconds)
            break;
        uint8_t data[MAX_LEN];
        size_t size = mutate(data);
        run(data, size);
        mutated_runs = ++runs;
    }
    printf("fuzz: %zu inputs replayed, %lu mutated inputs run in %.0f s, no mismatch\n", replayed, runs, seconds);
    return 0;
}
