/*
 * mm/mm.c - address spaces: creating, switching, adding and removing VMAs.
 *
 * A struct mm owns its page table's user half (every table and one frame
 * reference per present PTE) and its VMAs (kmalloc'd). Invariant kept by
 * every function here: a page is mapped only inside a VMA, with no more
 * permission than the VMA allows (mm_check() verifies it). `current` is
 * the address space in CR3 (NULL: the kernel's own table).
 */
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <lib/format.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>

static struct mm *current;

struct mm *mm_create(void)
{
    struct mm *mm = kzalloc(sizeof(*mm));
    if (!mm)
        return NULL;
    mm->pml4 = pt_create();
    if (!mm->pml4) {
        kfree(mm);
        return NULL;
    }
    vma_tree_init(&mm->vmas, USER_MIN_ELF, USER_TOP);
    mm->stack_top = USER_STACK_TOP;
    mm->stack_limit = USER_STACK_LIMIT_DEFAULT;
    mm->mmap_base = USER_MMAP_BASE;
    return mm;
}

void mm_destroy(struct mm *mm)
{
    assert(mm != current);
    struct vma *vma = vma_first(&mm->vmas);
    while (vma) {
        struct vma *next = vma_next(vma);
        vma_remove(&mm->vmas, vma);
        vma_free(vma);
        vma = next;
    }
    pt_destroy(mm->pml4);
    kfree(mm);
}

void mm_switch(struct mm *mm)
{
    current = mm;
    pt_activate(mm ? mm->pml4 : kernel_pml4);
}

struct mm *mm_current(void)
{
    return current;
}

enum pt_prot vma_pt_prot(uint32_t vma_flags)
{
    enum pt_prot prot = PT_USER;
    if (vma_flags & (VM_READ | VM_WRITE | VM_EXEC))
        prot |= PT_READ; /* x86 cannot map write-only or execute-only */
    if (vma_flags & VM_WRITE)
        prot |= PT_WRITE;
    if (vma_flags & VM_EXEC)
        prot |= PT_EXEC;
    return prot;
}

static void vm_pages_add(struct mm *mm, int64_t pages)
{
    mm->total_vm_pages += pages;
    if (mm->total_vm_pages > mm->peak_vm_pages)
        mm->peak_vm_pages = mm->total_vm_pages;
}

struct vma *mm_add_vma(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t flags,
                       enum vma_kind kind, int *err)
{
    assert(start < end && IS_ALIGNED(start, PAGE_SIZE) && IS_ALIGNED(end, PAGE_SIZE));
    struct vma *vma = vma_alloc(start, end, flags, kind);
    if (!vma) {
        *err = -ENOMEM;
        return NULL;
    }
    int rc = vma_insert(&mm->vmas, vma);
    if (rc < 0) {
        vma_free(vma);
        *err = rc;
        return NULL;
    }
    vm_pages_add(mm, (int64_t)((end - start) >> PAGE_SHIFT));
    return vma;
}

/* Unmaps the pages of [start, end) inside vma, keeping the resident counters right. */
static void unmap_pages_of(struct mm *mm, const struct vma *vma, vaddr_t start, vaddr_t end)
{
    uint64_t pages = pt_unmap_range(mm->pml4, start, end);
    if (vma->kind == VMA_KIND_FILE)
        mm->counters.rss_file -= pages;
    else if (vma->flags & VM_SHARED)
        mm->counters.rss_shmem -= pages;
    else
        mm->counters.rss_anon -= pages;
}

/* Splits the VMAs that straddle start or end, so [start, end) is whole VMAs. */
static int split_at_edges(struct mm *mm, vaddr_t start, vaddr_t end)
{
    struct vma *first = vma_find(&mm->vmas, start);
    if (first && first->start < start && first->end > start) {
        if (!vma_split(&mm->vmas, first, start))
            return -ENOMEM;
    }
    struct vma *last = vma_find(&mm->vmas, end - 1);
    if (last && last->start < end && last->end > end) {
        if (!vma_split(&mm->vmas, last, end)) {
            /* undo the first split so nothing visible changed */
            struct vma *upper = vma_lookup(&mm->vmas, start);
            if (upper)
                vma_merge_neighbours(&mm->vmas, upper);
            return -ENOMEM;
        }
    }
    return 0;
}

int mm_unmap(struct mm *mm, vaddr_t start, vaddr_t end)
{
    assert(IS_ALIGNED(start, PAGE_SIZE) && IS_ALIGNED(end, PAGE_SIZE) && start < end);
    if (!vma_find_overlap(&mm->vmas, start, end))
        return 0;
    int rc = split_at_edges(mm, start, end);
    if (rc < 0)
        return rc;
    struct vma *vma = vma_find(&mm->vmas, start);
    while (vma && vma->start < end) {
        struct vma *next = vma_next(vma);
        unmap_pages_of(mm, vma, vma->start, vma->end);
        vm_pages_add(mm, -(int64_t)((vma->end - vma->start) >> PAGE_SHIFT));
        vma_remove(&mm->vmas, vma);
        vma_free(vma);
        vma = next;
    }
    return 0;
}
