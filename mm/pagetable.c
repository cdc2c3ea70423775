/*
 * mm/pagetable.c - building and walking x86-64 page tables.
 *
 * This is the only file that knows how a page-table entry is encoded
 * (include/arch/pte.h). A table is one frame of 512 entries, reached
 * through the direct map. An entry that points to a lower table is
 * PRESENT|WRITE (and USER in the user half): permissions are enforced at
 * the leaf, so a table can be shared by leaves of any protection.
 */
#include <arch/pte.h>
#include <arch/x86.h>
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <mm/frame.h>
#include <mm/pagetable.h>

pte_t *kernel_pml4;

pte_t pte_make(paddr_t pa, enum pt_prot prot, enum pt_level level)
{
    pte_t pte = (pa & X86_PTE_ADDR_MASK) | X86_PTE_PRESENT;
    if (prot & PT_WRITE)
        pte |= X86_PTE_WRITE;
    if (!(prot & PT_EXEC))
        pte |= X86_PTE_NO_EXEC;
    if (prot & PT_USER)
        pte |= X86_PTE_USER;
    if (prot & PT_GLOBAL)
        pte |= X86_PTE_GLOBAL;
    if (level != PT_LEVEL_PTE)
        pte |= X86_PTE_HUGE;
    return pte;
}

bool pte_present(pte_t pte)
{
    return pte & X86_PTE_PRESENT;
}

paddr_t pte_addr(pte_t pte)
{
    return pte & X86_PTE_ADDR_MASK;
}

enum pt_prot pte_prot(pte_t pte)
{
    enum pt_prot prot = 0;
    if (!pte_present(pte))
        return 0;
    prot |= PT_READ;
    if (pte & X86_PTE_WRITE)
        prot |= PT_WRITE;
    if (!(pte & X86_PTE_NO_EXEC))
        prot |= PT_EXEC;
    if (pte & X86_PTE_USER)
        prot |= PT_USER;
    if (pte & X86_PTE_GLOBAL)
        prot |= PT_GLOBAL;
    return prot;
}

static pte_t *table_of(pte_t entry)
{
    return phys_to_virt(pte_addr(entry));
}

/* Allocates a zeroed table and points *entry at it. Returns false when out of frames. */
static bool table_create(pte_t *entry, vaddr_t va)
{
    struct page *page = frame_alloc(0, FRAME_ZERO);
    if (!page)
        return false;
    pte_t link = page_to_phys(page) | X86_PTE_PRESENT | X86_PTE_WRITE;
    if (va < USER_TOP)
        link |= X86_PTE_USER;
    *entry = link;
    return true;
}

pte_t *pt_walk(pte_t *pml4, vaddr_t va, enum pt_level level, enum pt_walk_mode mode)
{
    pte_t *table = pml4;
    for (int l = PT_LEVEL_PML4; l > (int)level; l--) {
        pte_t *entry = &table[PX(l, va)];
        if (!pte_present(*entry)) {
            if (mode == WALK_LOOKUP || !table_create(entry, va))
                return NULL;
        } else if (*entry & X86_PTE_HUGE) {
            return NULL; /* a huge page already maps va above the wanted level */
        }
        table = table_of(*entry);
    }
    return &table[PX(level, va)];
}

int pt_map_range(pte_t *pml4, vaddr_t va, paddr_t pa, uint64_t len,
                 enum pt_prot prot, enum pt_level level)
{
    uint64_t step = PT_LEVEL_SIZE(level);
    assert(IS_ALIGNED(va, step) && IS_ALIGNED(pa, step) && IS_ALIGNED(len, step));
    for (uint64_t off = 0; off < len; off += step) {
        pte_t *pte = pt_walk(pml4, va + off, level, WALK_CREATE);
        if (!pte)
            return -ENOMEM;
        assert(!pte_present(*pte));
        *pte = pte_make(pa + off, prot, level);
    }
    return 0;
}

bool pt_translate(pte_t *pml4, vaddr_t va, paddr_t *pa)
{
    pte_t *table = pml4;
    for (int l = PT_LEVEL_PML4; l >= PT_LEVEL_PTE; l--) {
        pte_t entry = table[PX(l, va)];
        if (!pte_present(entry))
            return false;
        if (l == PT_LEVEL_PTE || (entry & X86_PTE_HUGE)) {
            *pa = pte_addr(entry) + (va & (PT_LEVEL_SIZE(l) - 1));
            return true;
        }
        table = table_of(entry);
    }
    return false;
}

void pt_activate(pte_t *pml4)
{
    write_cr3(virt_to_phys(pml4));
}
