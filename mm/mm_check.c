/*
 * mm/mm_check.c - the debug invariant checker for address spaces.
 *
 * mm_check() walks the VMAs and every present page of the address spaces
 * it is given and stops at the first broken rule:
 *   1. the VMA tree is sound (vma_tree_check);
 *   2. every present user PTE lies inside a VMA, is a user page, and grants
 *      no permission the VMA lacks;
 *   3. the frame of every private anonymous page has exactly as many
 *      references as PTEs map it in these address spaces (the zero frame
 *      and memory-object pages also have kernel references, so for them
 *      the count must only be at least that).
 * Rule 3 counts PTEs per frame in a temporary array (kmalloc, 2 bytes per
 * frame); when that cannot be had the rule is skipped, not failed.
 */
#include <lib/format.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>

struct check {
    struct mm *mm;
    uint16_t *pte_counts; /* per PFN, or NULL */
    char *why;
    size_t why_size;
    bool failed;
};

static void check_fail(struct check *c, vaddr_t va, const char *what)
{
    if (!c->failed)
        fmt_snprintf(c->why, c->why_size, "page %#lx: %s", va, what);
    c->failed = true;
}

static bool is_private_anon(const struct vma *vma)
{
    return !vma->object && !(vma->flags & VM_SHARED);
}

/* Rule 2 for one page, and the counting half of rule 3. */
static void check_pte(void *arg, vaddr_t va, pte_t pte)
{
    struct check *c = arg;
    struct vma *vma = vma_lookup(&c->mm->vmas, va);
    enum pt_prot prot = pte_prot(pte);
    const char *broken = NULL;
    if (!vma)
        broken = "mapped outside every VMA";
    else if (!(prot & PT_USER))
        broken = "user page without the user bit";
    else if (prot & ~vma_pt_prot(vma->flags) & (PT_WRITE | PT_EXEC))
        broken = "PTE allows more than its VMA";
    if (broken)
        check_fail(c, va, broken);
    else if (c->pte_counts)
        c->pte_counts[page_to_pfn(pte_frame(pte))]++;
}

/* The comparing half of rule 3. */
static void check_refcount(void *arg, vaddr_t va, pte_t pte)
{
    struct check *c = arg;
    struct page *frame = pte_frame(pte);
    uint32_t ptes = c->pte_counts[page_to_pfn(frame)];
    struct vma *vma = vma_lookup(&c->mm->vmas, va);
    bool exact = vma && is_private_anon(vma) && !(frame->flags & PG_ZERO);
    if (exact ? frame->refcount != ptes : frame->refcount < ptes)
        check_fail(c, va, exact ? "frame refcount != number of PTEs mapping it"
                                : "frame refcount below the number of PTEs mapping it");
}

int mm_check(struct mm *const *mms, size_t count, char *why, size_t why_size)
{
    struct check c = { .why = why, .why_size = why_size };
    for (size_t i = 0; i < count && !c.failed; i++) {
        if (vma_tree_check(&mms[i]->vmas, why, why_size) < 0)
            return -1;
    }
    c.pte_counts = kzalloc(frame_table_size * sizeof(uint16_t));
    for (size_t i = 0; i < count && !c.failed; i++) {
        c.mm = mms[i];
        pt_for_each_leaf(c.mm->pml4, 0, USER_TOP, check_pte, &c);
    }
    for (size_t i = 0; i < count && !c.failed && c.pte_counts; i++) {
        c.mm = mms[i];
        pt_for_each_leaf(c.mm->pml4, 0, USER_TOP, check_refcount, &c);
    }
    kfree(c.pte_counts);
    return c.failed ? -1 : 0;
}

int mm_check_page(struct mm *mm, vaddr_t va, char *why, size_t why_size)
{
    struct check c = { .mm = mm, .why = why, .why_size = why_size };
    pte_t *pte = pt_lookup(mm->pml4, ALIGN_DOWN(va, PAGE_SIZE));
    if (!pte) {
        fmt_snprintf(why, why_size, "page %#lx: not mapped after a resolved fault", va);
        return -1;
    }
    check_pte(&c, ALIGN_DOWN(va, PAGE_SIZE), *pte);
    if (!c.failed && pte_frame(*pte)->refcount == 0)
        check_fail(&c, va, "mapped frame has no references");
    return c.failed ? -1 : 0;
}
