/*
 * mm/tests/kernel_map_test.c - the kernel page table: W^X, direct map, no identity map.
 */
#include <arch/x86.h>
#include <kernel/ktest.h>
#include <mm/mm_init.h>
#include <mm/pagetable.h>

void kmain(uint32_t magic, paddr_t info_phys);
extern char boot_stack_guard[];
static const char some_rodata[] = "read-only";
static int some_data = 1;

static enum pt_prot kernel_prot(const void *va)
{
    pte_t *pte = pt_walk(kernel_pml4, (vaddr_t)va, PT_LEVEL_PTE, WALK_LOOKUP);
    return pte ? pte_prot(*pte) : 0;
}

KTEST(kernel_image_is_w_xor_x)
{
    enum pt_prot text = kernel_prot((const void *)kmain);
    enum pt_prot rodata = kernel_prot(some_rodata);
    enum pt_prot data = kernel_prot(&some_data);
    KEXPECT(text & PT_EXEC);
    KEXPECT(!(text & PT_WRITE));
    KEXPECT(rodata & PT_READ);
    KEXPECT(!(rodata & (PT_WRITE | PT_EXEC)));
    KEXPECT(data & PT_WRITE);
    KEXPECT(!(data & PT_EXEC));
    KEXPECT(text & PT_GLOBAL);
    KEXPECT(!(text & PT_USER));
}

KTEST(boot_stack_guard_is_unmapped)
{
    paddr_t pa;
    KEXPECT(!pt_translate(kernel_pml4, (vaddr_t)boot_stack_guard, &pa));
    KEXPECT(pt_translate(kernel_pml4, (vaddr_t)boot_stack_guard + PAGE_SIZE, &pa));
}

KTEST(identity_map_is_gone)
{
    paddr_t pa;
    KEXPECT(!pt_translate(kernel_pml4, 0x100000, &pa));
    int user_slots = 0;
    for (int i = 0; i < PT_ENTRIES / 2; i++)
        user_slots += pte_present(kernel_pml4[i]);
    KEXPECT_EQ(user_slots, 0);
    KEXPECT_EQ(read_cr3(), virt_to_phys(kernel_pml4));
}

KTEST(direct_map_covers_all_ram)
{
    const struct memmap *ram = &mm_boot.ram;
    for (size_t i = 0; i < ram->count; i++) {
        paddr_t pa;
        vaddr_t first = DIRECT_MAP_BASE + ram->ranges[i].start;
        vaddr_t last = DIRECT_MAP_BASE + ram->ranges[i].end - 1;
        KEXPECT(pt_translate(kernel_pml4, first, &pa) && pa == ram->ranges[i].start);
        KEXPECT(pt_translate(kernel_pml4, last, &pa) && pa == ram->ranges[i].end - 1);
        pte_t *leaf = pt_walk(kernel_pml4, first, PT_LEVEL_PD, WALK_LOOKUP);
        /* a NULL walk to the PD level means a 1 GiB page maps it: also fine */
        if (leaf)
            KEXPECT(!(pte_prot(*leaf) & PT_EXEC));
    }
}
