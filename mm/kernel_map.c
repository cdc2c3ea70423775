/*
 * mm/kernel_map.c - building the kernel's page table (kernel_pml4).
 *
 * Two regions, both in the kernel half and so shared by every address space:
 *   direct map    DIRECT_MAP_BASE + pa for all RAM: read-write, no-exec,
 *                 global, with the largest pages that fit (1 GiB / 2 MiB);
 *   kernel image  KERNEL_VMA + pa, 4 KiB pages, W^X by section:
 *                   .text r-x   .rodata r--   .data/.bss rw-   .ksyms r--
 *                 and the guard page under the boot stack left unmapped, so
 *                 a stack overflow faults instead of overwriting .bss.
 * The user half (PML4 slots 0-255) is empty: the boot identity map is gone.
 */
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/panic.h>
#include <mm/frame.h>
#include <mm/kernel_map.h>
#include <mm/pagetable.h>

#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_EDX_PAGE1GB (1u << 26)

extern char boot_stack_guard[];

bool cpu_has_1g_pages(void)
{
    return cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EDX_PAGE1GB;
}

static void map_or_panic(vaddr_t va, paddr_t pa, uint64_t len, enum pt_prot prot,
                         enum pt_level level)
{
    if (pt_map_range(kernel_pml4, va, pa, len, prot, level) < 0)
        panic("kmap: out of frames while building the kernel page table");
}

/* Maps [start, end) (2 MiB aligned) of physical memory into the direct map. */
static void map_direct_range(paddr_t start, paddr_t end, bool use_1g)
{
    const enum pt_prot prot = PT_READ | PT_WRITE | PT_GLOBAL;
    const uint64_t huge = PT_LEVEL_SIZE(PT_LEVEL_PDPT), large = PT_LEVEL_SIZE(PT_LEVEL_PD);
    paddr_t pa = start;
    while (pa < end) {
        if (use_1g && IS_ALIGNED(pa, huge) && pa + huge <= end) {
            map_or_panic(DIRECT_MAP_BASE + pa, pa, huge, prot, PT_LEVEL_PDPT);
            pa += huge;
        } else {
            map_or_panic(DIRECT_MAP_BASE + pa, pa, large, prot, PT_LEVEL_PD);
            pa += large;
        }
    }
}

static void map_direct(const struct memmap *ram)
{
    /* Round every RAM range out to 2 MiB; the union avoids mapping a page twice. */
    static struct memmap rounded; /* static: too big for the boot stack */
    const uint64_t large = PT_LEVEL_SIZE(PT_LEVEL_PD);
    memmap_clear(&rounded);
    memmap_add(&rounded, 0, large);
    for (size_t i = 0; i < ram->count; i++)
        memmap_add(&rounded, ALIGN_DOWN(ram->ranges[i].start, large),
                   ALIGN_UP(ram->ranges[i].end, large));
    bool use_1g = cpu_has_1g_pages();
    for (size_t i = 0; i < rounded.count; i++) {
        struct prange r = rounded.ranges[i];
        map_direct_range(r.start, r.end, use_1g);
        kprintf("  direct map: [%#lx-%#lx) -> %#lx (%s pages)\n", r.start, r.end,
                DIRECT_MAP_BASE + r.start, use_1g ? "1 GiB + 2 MiB" : "2 MiB");
    }
}

static void map_kernel_section(const char *name, const char *start, const char *end,
                               enum pt_prot prot)
{
    vaddr_t va = (vaddr_t)start;
    uint64_t len = ALIGN_UP((vaddr_t)end, PAGE_SIZE) - va;
    map_or_panic(va, va - KERNEL_VMA, len, prot | PT_GLOBAL, PT_LEVEL_PTE);
    kprintf("  kernel %-7s [%#lx-%#lx) %c%c%c\n", name, va, va + len,
            (prot & PT_READ) ? 'r' : '-', (prot & PT_WRITE) ? 'w' : '-',
            (prot & PT_EXEC) ? 'x' : '-');
}

static void map_kernel_image(void)
{
    map_kernel_section(".text", _kernel_start, _text_end, PT_READ | PT_EXEC);
    map_kernel_section(".rodata", _rodata_start, _rodata_end, PT_READ);
    /* data and bss, minus the boot stack's guard page */
    map_kernel_section(".data", _data_start, boot_stack_guard, PT_READ | PT_WRITE);
    map_kernel_section(".bss", boot_stack_guard + PAGE_SIZE, _bss_end, PT_READ | PT_WRITE);
    map_kernel_section(".ksyms", _ksyms_start, _kernel_end, PT_READ);
    kprintf("  guard page at %p (below the boot stack) left unmapped\n",
            (void *)boot_stack_guard);
}

uint64_t kmap_init(const struct memmap *ram)
{
    uint64_t free_before = frame_free_count();
    struct page *root = frame_alloc(0, FRAME_ZERO);
    if (!root)
        panic("kmap: no frame for the kernel PML4");
    kernel_pml4 = page_to_virt(root);
    kprintf("kernel page table:\n");
    map_direct(ram);
    map_kernel_image();
    write_cr4(read_cr4() | CR4_PGE);
    pt_activate(kernel_pml4);
    return free_before - frame_free_count();
}

