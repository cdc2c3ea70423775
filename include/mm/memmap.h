/*
 * include/mm/memmap.h - sets of physical address ranges, for boot-time bookkeeping.
 *
 * A struct memmap is a sorted array of disjoint, non-adjacent half-open
 * ranges [start, end). mm_init() builds one for "RAM" from the firmware
 * memory map (which may have holes, overlaps and unaligned entries) and
 * subtracts what is not free (first MiB, kernel, boot information,
 * modules) to get what the frame allocator may hand out.
 */
#ifndef MICA_MM_MEMMAP_H
#define MICA_MM_MEMMAP_H

#include <types.h>

#define MEMMAP_MAX_RANGES 128

struct prange {
    paddr_t start, end;
};

struct memmap {
    struct prange ranges[MEMMAP_MAX_RANGES];
    size_t count;
};

void memmap_clear(struct memmap *map);
/* Adds [start, end) (union with what is there). Returns -ENOMEM when the array is full. */
int memmap_add(struct memmap *map, paddr_t start, paddr_t end);
/*
 * Removes [start, end) from every range it overlaps (a range may split in
 * two). Returns 0, or -ENOMEM when a split needs a slot the array does not
 * have (then the set is unchanged).
 */
int memmap_remove(struct memmap *map, paddr_t start, paddr_t end);
/* Total bytes in the set. */
uint64_t memmap_total(const struct memmap *map);
/* The end of the highest range (0 when empty). */
paddr_t memmap_end(const struct memmap *map);
/*
 * Finds `size` bytes, aligned to `align` (a power of two), that lie wholly below `limit`,
 * removes them from the set and returns their start; returns 0 when there
 * is no such place (0 is never handed out: the first MiB is not usable).
 */
paddr_t memmap_take(struct memmap *map, uint64_t size, uint64_t align, paddr_t limit);

#endif
