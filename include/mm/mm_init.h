/*
 * include/mm/mm_init.h - bringing up memory management at boot.
 */
#ifndef MICA_MM_MM_INIT_H
#define MICA_MM_MM_INIT_H

#include <mm/memmap.h>

/* What mm_init() found and did, for the boot log and the tests. */
struct mm_boot_report {
    struct memmap ram;          /* RAM according to the firmware map (page-aligned) */
    uint64_t usable_frames;     /* RAM minus the reserved ranges */
    uint64_t reserved_frames;   /* RAM frames kept back (first MiB, kernel, modules, ...) */
    uint64_t frame_table_bytes; /* the struct page array */
    uint64_t kmap_frames;       /* frames the kernel page table took */
    uint64_t free_frames_at_boot;
};

extern struct mm_boot_report mm_boot;

/*
 * Reads the memory map, reserves what is in use, sets up the frame
 * allocator, switches to the kernel page table (direct map, W^X kernel,
 * no identity map) and prints what it did. Panics when the map has no
 * usable RAM.
 */
void mm_init(void);
/*
 * Gives a reserved boot range (a module that has been unpacked) to the
 * frame allocator. Only whole pages inside [start, end) are released.
 */
void mm_release_boot_range(paddr_t start, paddr_t end);

#endif
