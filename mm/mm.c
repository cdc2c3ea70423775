/*
 * mm/mm.c - address spaces: creating, forking (mm_fork: VMAs copied, pages
 * shared copy-on-write), switching, adding and removing VMAs.
 *
 * A struct mm owns its page table's user half (every table and one frame
 * reference per present PTE) and its VMAs (kmalloc'd). Invariant kept by
 * every function here: a page is mapped only inside a VMA, with no more
 * permission than the VMA allows (mm_check() verifies it). `current` is
 * the address space in CR3 (NULL: the kernel's own table).
 */
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <lib/format.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/vmobject.h>

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
void mm_unmap_pages(struct mm *mm, const struct vma *vma, vaddr_t start, vaddr_t end)
{
    struct pt_unmapped gone = pt_unmap_range(mm->pml4, start, end);
    mm->counters.rss_anon -= gone.private_pages;
    if (vma->object && vma->object->kind == VMOBJECT_SHARED_ANON)
        mm->counters.rss_shmem -= gone.cache_pages;
    else
        mm->counters.rss_file -= gone.cache_pages;
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
        mm_unmap_pages(mm, vma, vma->start, vma->end);
        vm_pages_add(mm, -(int64_t)((vma->end - vma->start) >> PAGE_SHIFT));
        vma_remove(&mm->vmas, vma);
        vma_free(vma);
        vma = next;
    }
    return 0;
}

/* Resident pages found by count_resident(), split the way mm->counters splits them. */
struct resident_count {
    uint64_t anon, cache;
};

static void count_resident_page(void *arg, vaddr_t va, pte_t pte)
{
    (void)va;
    struct resident_count *count = arg;
    struct page *frame = pte_frame(pte);
    if (frame->flags & PG_CACHE)
        count->cache++;
    else if (!(frame->flags & PG_ZERO))
        count->anon++;
}

/* Takes the pages of parent's vma, which fork does not copy, out of the child's counters. */
static void uncount_vma(struct mm *child, struct mm *parent, const struct vma *vma)
{
    struct resident_count count = { 0, 0 };
    pt_for_each_leaf(parent->pml4, vma->start, vma->end, count_resident_page, &count);
    child->counters.rss_anon -= count.anon;
    if (vma->object && vma->object->kind == VMOBJECT_SHARED_ANON)
        child->counters.rss_shmem -= count.cache;
    else
        child->counters.rss_file -= count.cache;
}

/*
 * Copies one VMA and its pages into child: shared pages stay shared,
 * private ones COW. MADV_DONTFORK (VM_DONTCOPY) leaves the VMA out,
 * MADV_WIPEONFORK gives the child the VMA without its pages.
 */
static int fork_vma(struct mm *child, struct mm *parent, const struct vma *vma)
{
    if (vma->flags & VM_DONTCOPY) {
        uncount_vma(child, parent, vma);
        return 0;
    }
    int err = 0;
    struct vma *copy = mm_add_vma(child, vma->start, vma->end, vma->flags, vma->kind, &err);
    if (!copy)
        return err;
    copy->object = vma->object;
    copy->offset = vma->offset;
    if (copy->object)
        vmobject_get(copy->object);
    if (vma->flags & VM_WIPEONFORK) {
        uncount_vma(child, parent, vma);
        return 0;
    }
    enum pt_copy_mode mode = (vma->flags & VM_SHARED) ? PT_COPY_SHARED : PT_COPY_COW;
    return pt_copy_range(child->pml4, parent->pml4, vma->start, vma->end, mode);
}

struct mm *mm_fork(struct mm *parent)
{
    struct mm *child = mm_create();
    if (!child)
        return NULL;
    /* the counters first: fork_vma takes out what it does not copy */
    child->counters.rss_anon = parent->counters.rss_anon;
    child->counters.rss_file = parent->counters.rss_file;
    child->counters.rss_shmem = parent->counters.rss_shmem;
    for (struct vma *vma = vma_first(&parent->vmas); vma; vma = vma_next(vma)) {
        if (fork_vma(child, parent, vma) < 0) {
            mm_destroy(child);
            return NULL;
        }
    }
    child->brk_start = parent->brk_start;
    child->brk = parent->brk;
    child->stack_top = parent->stack_top;
    child->stack_limit = parent->stack_limit;
    child->mmap_base = parent->mmap_base;
    child->peak_vm_pages = parent->peak_vm_pages; /* total_vm_pages: counted by mm_add_vma */
    child->peak_rss_pages = parent->peak_rss_pages;
    return child;
}

/* Moves the dirty bits of p's shared mappings of obj (arg) to the page cache. */
static void collect_dirty_in(struct proc *p, void *arg)
{
    if (!p->mm)
        return;
    for (struct vma *v = vma_first(&p->mm->vmas); v; v = vma_next(v))
        if (v->object == arg && (v->flags & VM_SHARED))
            pt_collect_dirty(p->mm->pml4, v->start, v->end);
}

void mm_collect_dirty(struct vm_object *obj)
{
    proc_for_each(collect_dirty_in, obj);
}
