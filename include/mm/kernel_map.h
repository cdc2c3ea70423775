/*
 * include/mm/kernel_map.h - the kernel's own page table: direct map + kernel image.
 */
#ifndef MICA_MM_KERNEL_MAP_H
#define MICA_MM_KERNEL_MAP_H

#include <mm/memmap.h>

/*
 * Builds kernel_pml4 and switches to it: every range of `ram` (plus the
 * first 2 MiB, for the VGA buffer and firmware tables) mapped at
 * DIRECT_MAP_BASE + phys with 1 GiB pages where the CPU has them and the
 * range allows, else 2 MiB pages, non-executable and global; the kernel
 * image mapped W^X with 4 KiB pages; nothing at all in the user half (the
 * boot identity map is gone). Page-table frames come from frame_alloc(),
 * which at this point must only hold frames the boot tables map.
 * Returns the number of frames the tables used.
 */
uint64_t kmap_init(const struct memmap *ram);
/* True when the CPU supports 1 GiB pages (CPUID 0x80000001 EDX bit 26). */
bool cpu_has_1g_pages(void);

#endif
