/*
 * mm/mm_init.c - from the firmware memory map to a running frame allocator.
 *
 * The order matters because of what is mapped when:
 *   1. ram = available entries of the map (rounded inward to pages) minus
 *      every non-available entry (rounded outward): holes, overlaps and
 *      unaligned entries all come out right this way;
 *   2. usable = ram minus the reserved ranges; the struct page array is
 *      carved from `usable` below 4 GiB, the part boot.asm mapped (above
 *      the boot modules when they fill the low memory: a big initramfs);
 *   3. only frames below 4 GiB go to the allocator at first, since only
 *      those can be zeroed for page tables before the switch;
 *   4. kmap_init() builds the kernel page table and switches to it;
 *   5. now every frame is reachable through the direct map: add the rest.
 */
#include <kernel/console.h>
#include <kernel/multiboot.h>
#include <kernel/panic.h>
#include <mm/fault.h>
#include <mm/frame.h>
#include <mm/kernel_map.h>
#include <mm/mm_init.h>
#include <mm/vmobject.h>

#define EARLY_MAP_LIMIT GiB(4) /* what boot.asm's tables map (EARLY_PDS) */
#define LOW_MEMORY_END MiB(1)  /* BIOS data, real-mode IVT, VGA, option ROMs */

struct mm_boot_report mm_boot;
static struct memmap usable;

static void build_ram_map(struct memmap *ram)
{
    memmap_clear(ram);
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct boot_mmap_entry *e = &boot_info.mmap[i];
        paddr_t end = e->addr + e->len < e->addr ? ~0ul : e->addr + e->len; /* overflow */
        if (e->type == BOOT_MEM_AVAILABLE)
            memmap_add(ram, ALIGN_UP(e->addr, PAGE_SIZE), ALIGN_DOWN(end, PAGE_SIZE));
    }
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct boot_mmap_entry *e = &boot_info.mmap[i];
        paddr_t end = e->addr + e->len < e->addr ? ~0ul : e->addr + e->len;
        if (e->type != BOOT_MEM_AVAILABLE)
            memmap_remove(ram, ALIGN_DOWN(e->addr, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE));
    }
    if (memmap_end(ram) > DIRECT_MAP_MAX) {
        kprintf("mm: ignoring RAM above %lu GiB (beyond the direct map)\n", DIRECT_MAP_MAX >> 30);
        memmap_remove(ram, DIRECT_MAP_MAX, ~0ul);
    }
    if (memmap_total(ram) == 0)
        panic("mm: the memory map has no usable RAM (%lu entries); cannot continue",
              boot_info.mmap_count);
}

static void reserve(paddr_t start, paddr_t end, const char *why)
{
    start = ALIGN_DOWN(start, PAGE_SIZE);
    end = ALIGN_UP(end, PAGE_SIZE);
    kprintf("  reserved [0x%08lx-0x%08lx) %6lu KiB  %s\n", start, end, (end - start) >> 10, why);
    memmap_remove(&usable, start, end);
}

static void reserve_in_use(void)
{
    kprintf("reserved physical memory:\n");
    reserve(0, LOW_MEMORY_END, "first MiB (BIOS, VGA, option ROMs)");
    reserve(virt_to_phys(_kernel_start), virt_to_phys(_kernel_end), "kernel image");
    reserve(boot_info.info_phys, boot_info.info_phys + boot_info.info_size,
            "multiboot2 information");
    for (size_t i = 0; i < boot_info.module_count; i++)
        reserve(boot_info.modules[i].start, boot_info.modules[i].end, "boot module");
}

static void frame_table_create(void)
{
    pfn_t nframes = memmap_end(&mm_boot.ram) >> PAGE_SHIFT;
    uint64_t bytes = ALIGN_UP(nframes * sizeof(struct page), PAGE_SIZE);
    paddr_t pa = memmap_take(&usable, bytes, PAGE_SIZE, EARLY_MAP_LIMIT);
    if (!pa)
        panic("mm: no room below %lu GiB for the frame table (%lu KiB)", EARLY_MAP_LIMIT >> 30,
              bytes >> 10);
    kprintf("  reserved [0x%08lx-0x%08lx) %6lu KiB  frame table (struct page[%lu])\n",
            pa, pa + bytes, bytes >> 10, nframes);
    frame_init(phys_to_virt(pa), nframes);
    mm_boot.frame_table_bytes = bytes;
}

/* Hands the usable ranges that lie within [lo, hi) to the frame allocator. */
static void add_usable_between(paddr_t lo, paddr_t hi)
{
    for (size_t i = 0; i < usable.count; i++) {
        paddr_t start = MAX(usable.ranges[i].start, lo);
        paddr_t end = MIN(usable.ranges[i].end, hi);
        if (start < end)
            frame_add_range(start, end);
    }
}

static void print_summary(void)
{
    uint64_t ram = memmap_total(&mm_boot.ram);
    uint64_t per_10000 = mm_boot.frame_table_bytes * 10000 / ram;
    kprintf("frames: %lu KiB of RAM, %lu frames usable, %lu reserved, "
            "%lu used by the kernel page table\n",
            ram >> 10, mm_boot.usable_frames, mm_boot.reserved_frames, mm_boot.kmap_frames);
    kprintf("frames: struct page is %lu bytes: %lu KiB of metadata = %lu.%02lu%% of RAM "
            "(Linux: 64 bytes, 1.56%%)\n",
            sizeof(struct page), mm_boot.frame_table_bytes >> 10, per_10000 / 100,
            per_10000 % 100);
    kprintf("frames: %lu free (%lu KiB) = usable %lu - kernel page table %lu - zero frame 1\n",
            mm_boot.free_frames_at_boot, mm_boot.free_frames_at_boot * 4,
            mm_boot.usable_frames, mm_boot.kmap_frames);
}

void mm_init(void)
{
    build_ram_map(&mm_boot.ram);
    usable = mm_boot.ram;
    reserve_in_use();
    frame_table_create();
    mm_boot.usable_frames = memmap_total(&usable) >> PAGE_SHIFT;
    mm_boot.reserved_frames = (memmap_total(&mm_boot.ram) >> PAGE_SHIFT) - mm_boot.usable_frames;

    add_usable_between(0, EARLY_MAP_LIMIT);
    mm_boot.kmap_frames = kmap_init(&mm_boot.ram);
    add_usable_between(EARLY_MAP_LIMIT, ~0ul);
    fault_init(); /* the zero frame */
    frame_set_reclaim(vmobject_reclaim); /* nothing free: clean page cache goes first */
    mm_boot.free_frames_at_boot = frame_free_count();
    print_summary();
}

void mm_release_boot_range(paddr_t start, paddr_t end)
{
    start = ALIGN_UP(start, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (start >= end)
        return;
    frame_add_range(start, end);
    mm_boot.usable_frames += (end - start) >> PAGE_SHIFT;
    mm_boot.reserved_frames -= (end - start) >> PAGE_SHIFT;
    mm_boot.free_frames_at_boot += (end - start) >> PAGE_SHIFT;
    kprintf("frames: %lu KiB of boot data given back\n", (end - start) >> 10);
}
