/*
 * malloc.h - looking inside the allocator (user/lib/malloc.c).
 *
 * Not standard C: these exist so tests and curious students can see what
 * malloc did with its memory and check that its invariants hold.
 */
#ifndef MICA_USER_MALLOC_H
#define MICA_USER_MALLOC_H

#include <stddef.h>

struct malloc_stats {
    size_t heap_bytes;     /* bytes between the heap's start and its end (the break) */
    size_t used_blocks;    /* heap blocks handed out and not yet freed */
    size_t used_bytes;     /* their sizes, headers included */
    size_t free_blocks;    /* blocks on the free list */
    size_t free_bytes;     /* their sizes, headers included */
    size_t mmap_blocks;    /* large blocks, each its own mapping */
    size_t mmap_bytes;     /* the length of those mappings */
};

/* Fills *st with the allocator's current numbers. */
void malloc_stats_get(struct malloc_stats *st);

/*
 * Walks the whole heap and the free list checking every invariant listed
 * at the top of malloc.c. Returns NULL if all hold, else a sentence saying
 * which one is broken.
 */
const char *malloc_check(void);

#endif
