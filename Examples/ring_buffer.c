// SPDX-License-Identifier: Apache-2.0
/*
 * ring_buffer.c - a "magic" ring buffer, written as a macOS programmer
 * writes one against the Mach calls: allocate twice the size, give back the
 * second half, and remap the first half right after itself without a copy.
 * Reads and writes that run past the end land at the start, so no access
 * ever wraps. On Linux it compiles unchanged, <mach/mach.h> found through
 * pkg-config --cflags pagekit-mach.
 */
#include <mach/mach.h>

#include <stdio.h>
#include <string.h>

struct ring {
    char *base;
    size_t size, head, tail;
};

/* The address the kernel handed out can be taken by another thread between
 * the deallocate and the remap, so the classic code tries a few times. */
static kern_return_t ring_create(struct ring *ring, size_t size)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        vm_address_t base = 0;
        kern_return_t kr = vm_allocate(mach_task_self(), &base, 2 * size, VM_FLAGS_ANYWHERE);
        if (kr != KERN_SUCCESS)
            return kr;
        kr = vm_deallocate(mach_task_self(), base + size, size);
        if (kr != KERN_SUCCESS)
            return kr;
        vm_address_t mirror = base + size;
        vm_prot_t cur, max;
        kr = vm_remap(mach_task_self(), &mirror, size, 0, VM_FLAGS_FIXED, mach_task_self(), base, FALSE, &cur, &max,
                      VM_INHERIT_DEFAULT);
        if (kr == KERN_SUCCESS) {
            *ring = (struct ring){(char *)base, size, 0, 0};
            return KERN_SUCCESS;
        }
        vm_deallocate(mach_task_self(), base, size);
        if (kr != KERN_NO_SPACE)
            return kr;
    }
    return KERN_NO_SPACE;
}

static void ring_write(struct ring *ring, const char *text, size_t length)
{
    memcpy(ring->base + ring->head % ring->size, text, length); /* never wraps */
    ring->head += length;
}

static void ring_read(struct ring *ring, char *text, size_t length)
{
    memcpy(text, ring->base + ring->tail % ring->size, length);
    ring->tail += length;
}

int main(void)
{
    size_t size = vm_page_size;
    struct ring ring;
    kern_return_t kr = ring_create(&ring, size);
    if (kr != KERN_SUCCESS) {
        printf("ring_create: %s\n", mach_error_string(kr));
        return 1;
    }
    char filler[64];
    memset(filler, '.', sizeof filler);
    /* Fill up to 10 bytes before the end, so the next message straddles it. */
    while (ring.head + sizeof filler <= size - 10) {
        ring_write(&ring, filler, sizeof filler);
        ring_read(&ring, filler, sizeof filler);
    }
    while (ring.head < size - 10) {
        ring_write(&ring, ".", 1);
        ring_read(&ring, filler, 1);
    }
    const char message[] = "across the end of the ring";
    ring_write(&ring, message, sizeof message);
    char back[sizeof message];
    ring_read(&ring, back, sizeof back);
    printf("read back: %s\n", back);
    printf("the start of the buffer holds: %.17s\n", ring.base);
    printf("first half and mirror are %s\n",
           memcmp(ring.base, ring.base + size, size) == 0 ? "the same pages" : "different");
    vm_deallocate(mach_task_self(), (vm_address_t)ring.base, 2 * size);
    return strcmp(back, message) == 0 ? 0 : 1;
}
