/*
 * mm/memmap.c - a set of physical ranges: add (union), remove (difference), take.
 *
 * Invariant: ranges[0..count) are sorted by start, each non-empty, and no
 * two overlap or touch (touching ranges are merged). Operations rebuild
 * the array in place; sizes are small (tens of ranges), so O(n) per call is
 * the clear choice over anything cleverer.
 */
#include <kernel/errno.h>
#include <lib/string.h>
#include <mm/memmap.h>

void memmap_clear(struct memmap *map)
{
    map->count = 0;
}

static void remove_at(struct memmap *map, size_t i)
{
    memmove(&map->ranges[i], &map->ranges[i + 1],
            (map->count - i - 1) * sizeof(map->ranges[0]));
    map->count--;
}

static int insert_at(struct memmap *map, size_t i, paddr_t start, paddr_t end)
{
    if (map->count == MEMMAP_MAX_RANGES)
        return -ENOMEM;
    memmove(&map->ranges[i + 1], &map->ranges[i],
            (map->count - i) * sizeof(map->ranges[0]));
    map->ranges[i] = (struct prange){ start, end };
    map->count++;
    return 0;
}

int memmap_add(struct memmap *map, paddr_t start, paddr_t end)
{
    if (start >= end)
        return 0;
    /* Absorb every range that overlaps or touches [start, end). */
    size_t i = 0;
    while (i < map->count && map->ranges[i].end < start)
        i++;
    while (i < map->count && map->ranges[i].start <= end) {
        start = MIN(start, map->ranges[i].start);
        end = MAX(end, map->ranges[i].end);
        remove_at(map, i);
    }
    return insert_at(map, i, start, end);
}

int memmap_remove(struct memmap *map, paddr_t start, paddr_t end)
{
    if (start >= end)
        return 0;
    for (size_t i = 0; i < map->count;) {
        struct prange r = map->ranges[i];
        if (r.end <= start || r.start >= end) {
            i++;
            continue;
        }
        /* cutting a hole in the middle needs one more slot: check before changing anything */
        if (r.start < start && r.end > end && map->count == MEMMAP_MAX_RANGES)
            return -ENOMEM;
        remove_at(map, i);
        /* Put back what sticks out on either side. */
        if (r.start < start) {
            if (insert_at(map, i, r.start, start) < 0)
                return -ENOMEM;
            i++;
        }
        if (r.end > end) {
            if (insert_at(map, i, end, r.end) < 0)
                return -ENOMEM;
            i++;
        }
    }
    return 0;
}

uint64_t memmap_total(const struct memmap *map)
{
    uint64_t total = 0;
    for (size_t i = 0; i < map->count; i++)
        total += map->ranges[i].end - map->ranges[i].start;
    return total;
}

paddr_t memmap_end(const struct memmap *map)
{
    return map->count ? map->ranges[map->count - 1].end : 0;
}

paddr_t memmap_take(struct memmap *map, uint64_t size, uint64_t align, paddr_t limit)
{
    if (align == 0 || (align & (align - 1)) != 0 || size == 0)
        return 0; /* align must be a power of two */
    for (size_t i = 0; i < map->count; i++) {
        paddr_t start = MAX(map->ranges[i].start, align); /* 0 means failure: skip it */
        paddr_t end = MIN(map->ranges[i].end, limit);
        if (start > ~0ul - (align - 1))
            continue; /* rounding up would wrap */
        start = ALIGN_UP(start, align);
        if (start >= end || size > end - start)
            continue;
        if (memmap_remove(map, start, start + size) < 0)
            return 0;
        return start;
    }
    return 0;
}
