/*
 * include/mm/kmalloc.h - the kernel heap.
 *
 * Small requests (up to KMALLOC_MAX_SMALL bytes) come from per-size-class
 * caches of 4 KiB "slab" frames cut into equal objects; larger ones get
 * whole frames (rounded up to a power-of-two block). Objects are aligned to
 * their size class (16 bytes at least); memory is not zeroed unless asked.
 */
#ifndef MICA_MM_KMALLOC_H
#define MICA_MM_KMALLOC_H

#include <types.h>

#define KMALLOC_MIN_SIZE 16
#define KMALLOC_MAX_SMALL 2048
#define KMALLOC_CLASSES 8 /* 16, 32, 64, 128, 256, 512, 1024, 2048 */

struct kmalloc_class_stats {
    uint32_t object_size;
    uint64_t slabs;       /* frames held by this class */
    uint64_t objects_in_use;
    uint64_t allocs, frees;
};

struct kmalloc_stats {
    struct kmalloc_class_stats classes[KMALLOC_CLASSES];
    uint64_t large_allocs, large_frees, large_frames_in_use;
};

/* Returns size bytes (aligned to at least 16), or NULL when out of memory or size is 0. */
void *kmalloc(size_t size);
/* kmalloc, then zero-filled. */
void *kzalloc(size_t size);
/* Frees what kmalloc returned; kfree(NULL) does nothing. */
void kfree(void *ptr);
void kmalloc_get_stats(struct kmalloc_stats *stats);
/* Returns the empty slabs each class keeps for reuse to the frame allocator. */
void kmalloc_shrink(void);

#endif
