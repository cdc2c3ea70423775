/*
 * include/memlayout.h - the virtual address-space map, as a picture.
 *
 *   0xffffffffffffffff +---------------------------------+
 *                      | kernel image (text, rodata,     |  KERNEL_VMA + phys
 *   0xffffffff80000000 |  data, bss, ksyms)  -2 GiB      |  (-mcmodel=kernel)
 *                      +---------------------------------+
 *                      |             unused              |
 *                      +---------------------------------+
 *                      | direct map of all physical RAM  |  DIRECT_MAP_BASE + phys
 *   0xffff800000000000 | (2 MiB / 1 GiB pages, NX)       |
 *                      +---------------------------------+
 *                      |  non-canonical hole (#GP)       |
 *   0x0000800000000000 +---------------------------------+
 *   0x00007ffffffff000 | user stack (grows down, 8 MiB)  |  USER_STACK_TOP
 *                      |  ... 128 MiB gap ...            |
 *   0x00007ffff7fff000 | mmap areas (top-down)           |  USER_MMAP_BASE
 *                      |  ...                            |
 *                      | heap (brk, grows up)            |
 *                      | ELF segments                    |  from USER_MIN_ELF
 *   0x0000000000400000 +---------------------------------+
 *                      | never mapped: NULL faults       |
 *   0x0000000000000000 +---------------------------------+
 *
 * The kernel half (PML4 slots 256-511) is the same in every address space.
 */
#ifndef MICA_MEMLAYOUT_H
#define MICA_MEMLAYOUT_H

#include <types.h>

#define PAGE_SIZE 4096ul
#define PAGE_SHIFT 12
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define KERNEL_VMA 0xffffffff80000000ul
#define KERNEL_LOAD_PHYS 0x100000ul
#define DIRECT_MAP_BASE 0xffff800000000000ul
#define DIRECT_MAP_MAX GiB(512) /* one PML4 slot */

#define USER_MIN_ELF 0x400000ul
#define USER_TOP 0x0000800000000000ul /* first non-canonical address */
#define USER_STACK_TOP 0x00007ffffffff000ul   /* Linux's TASK_SIZE, without randomisation */
#define USER_TASK_SIZE USER_STACK_TOP         /* where mappings must end (Linux's TASK_SIZE: the
                                                 last page below USER_TOP is never mapped) */
#define USER_STACK_LIMIT_DEFAULT MiB(8)       /* RLIMIT_STACK's default soft limit */
#define USER_STACK_GAP MiB(128)               /* between the stack top and mmap_base (Linux's minimum) */
#define USER_MMAP_BASE (USER_STACK_TOP - USER_STACK_GAP) /* mmap areas go down from here */
#define USER_MMAP_MIN 0x10000ul               /* lowest address mmap hands out (vm.mmap_min_addr) */

/* Linker-script symbols (their addresses are what matters). */
extern char _kernel_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[],
    _bss_start[], _bss_end[], _ksyms_start[], _kernel_end[];

#ifndef MICA_HOST_TEST
/* The kernel-virtual address of physical address pa (through the direct map). */
static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(pa + DIRECT_MAP_BASE);
}

/* The physical address behind a direct-map or kernel-image address. */
static inline paddr_t virt_to_phys(const void *va)
{
    vaddr_t v = (vaddr_t)va;
    if (v >= KERNEL_VMA)
        return v - KERNEL_VMA;
    return v - DIRECT_MAP_BASE;
}

/* virt_to_phys for an address known to be in the direct map (one subtraction). */
static inline paddr_t direct_to_phys(const void *va)
{
    return (vaddr_t)va - DIRECT_MAP_BASE;
}
#else
/* Host unit tests (tests/): "physical memory" is an arena in the test process. */
extern unsigned char *host_phys_base;
static inline void *phys_to_virt(paddr_t pa)
{
    return host_phys_base + pa;
}
static inline paddr_t virt_to_phys(const void *va)
{
    return (paddr_t)((const unsigned char *)va - host_phys_base);
}
static inline paddr_t direct_to_phys(const void *va)
{
    return virt_to_phys(va);
}
#endif

#endif
