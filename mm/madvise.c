/*
 * mm/madvise.c - madvise(): advice about a range of the address space.
 *
 * Linux's order of checks: the advice value first, then the range (aligned
 * start, a length that does not wrap when rounded up); an empty range is 0.
 * Then most advice is applied VMA by VMA over [start, end): holes are
 * skipped and reported as ENOMEM at the end, an error in a VMA stops the
 * walk there (the VMAs before it keep the advice). MADV_POPULATE_* instead
 * walks page by page and stops at the first hole (ENOMEM).
 *
 * What each advice does here:
 *   NORMAL, RANDOM, SEQUENTIAL, WILLNEED  nothing to do: no readahead, no swap
 *   DONTNEED, DONTNEED_LOCKED             drop the pages (nothing is mlocked)
 *   FREE                                  drop now (no reclaim to wait for); private anon only
 *   REMOVE                                punch a hole in a shared object
 *   DONTFORK / DOFORK                     VM_DONTCOPY on / off (mm_fork skips the VMA)
 *   WIPEONFORK / KEEPONFORK               VM_WIPEONFORK on / off (the child's copy is empty)
 *   POPULATE_READ / POPULATE_WRITE        fault the pages in now
 * MADV_COLD and MADV_PAGEOUT come with page reclaim (issue 13): EINVAL until
 * then, as on a Linux without them. The rest (KSM, THP, core dumps,
 * hwpoison, guard pages) is EINVAL too.
 */
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <kernel/syscall.h>
#include <mm/fault.h>
#include <mm/frame.h>
#include <mm/mm.h>
#include <mm/vmobject.h>
#include <uapi/mman.h>

static bool advice_known(uint64_t advice)
{
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
    case MADV_DONTNEED_LOCKED:
        return true;
    default: /* MADV_COLD, MADV_PAGEOUT: with page reclaim (issue 13) */
        return false;
    }
}

/* ---- MADV_REMOVE ----------------------------------------------------------------- */

struct remove_request {
    const struct vm_object *object;
    uint64_t first, end; /* page indexes in the object */
};

/*
 * Unmaps, in p's address space, the object's pages in the request's range:
 * all of them in shared mappings, only the object's own frames (not the
 * private copies made by COW) in private ones.
 */
static void unmap_object_range(struct proc *p, void *arg)
{
    const struct remove_request *req = arg;
    if (!p->mm)
        return;
    for (struct vma *v = vma_first(&p->mm->vmas); v; v = vma_next(v)) {
        if (v->object != req->object)
            continue;
        uint64_t vfirst = v->offset / PAGE_SIZE, vend = vfirst + (v->end - v->start) / PAGE_SIZE;
        uint64_t from = MAX(vfirst, req->first), to = MIN(vend, req->end);
        for (uint64_t index = from; index < to; index++) {
            vaddr_t va = v->start + (index - vfirst) * PAGE_SIZE;
            pte_t *pte = pt_lookup(p->mm->pml4, va);
            if (pte && ((v->flags & VM_SHARED) || (pte_frame(*pte)->flags & PG_CACHE)))
                mm_unmap_pages(p->mm, v, va, va + PAGE_SIZE);
        }
    }
}

/* Linux: only a shared, writable-capable mapping of an object may punch a hole in it. */
static int madvise_remove(struct vma *v, vaddr_t start, vaddr_t end)
{
    if (!v->object)
        return -EINVAL; /* private anonymous memory */
    if (!(v->flags & VM_SHARED) || !(v->flags & VM_MAYWRITE))
        return -EACCES;
    if (v->object->ops)
        return -EOPNOTSUPP; /* ext2 cannot punch holes (Linux's answer too) */
    struct remove_request req = {
        .object = v->object,
        .first = (v->offset + (start - v->start)) / PAGE_SIZE,
        .end = (v->offset + (end - v->start)) / PAGE_SIZE,
    };
    proc_for_each(unmap_object_range, &req);
    vmobject_remove_range(v->object, req.first, req.end);
    return 0;
}

/* ---- advice kept in the VMA's flags ---------------------------------------------- */

/* Sets flags to (flags & ~clear) | set on [start, end) of v, splitting it as needed. */
static int madvise_set_flags(struct mm *mm, struct vma *v, vaddr_t start, vaddr_t end,
                             uint32_t clear, uint32_t set)
{
    if (((v->flags & ~clear) | set) == v->flags)
        return 0;
    if (v->start < start && !(v = vma_split(&mm->vmas, v, start)))
        return -ENOMEM;
    if (v->end > end && !vma_split(&mm->vmas, v, end))
        return -ENOMEM;
    v->flags = (v->flags & ~clear) | set;
    vma_merge_neighbours(&mm->vmas, v);
    return 0;
}

/* One VMA's part [start, end) of the range. */
static int madvise_vma(struct mm *mm, struct vma *v, vaddr_t start, vaddr_t end, uint64_t advice)
{
    switch (advice) {
    case MADV_DONTNEED:
    case MADV_DONTNEED_LOCKED:
        mm_unmap_pages(mm, v, start, end);
        return 0;
    case MADV_FREE: /* without memory pressure to wait for, free now */
        if (v->object)
            return -EINVAL;
        mm_unmap_pages(mm, v, start, end);
        return 0;
    case MADV_REMOVE:
        return madvise_remove(v, start, end);
    case MADV_DONTFORK:
        return madvise_set_flags(mm, v, start, end, 0, VM_DONTCOPY);
    case MADV_DOFORK:
        return madvise_set_flags(mm, v, start, end, VM_DONTCOPY, 0);
    case MADV_WIPEONFORK:
        if (v->object || (v->flags & VM_SHARED))
            return -EINVAL; /* private anonymous memory only */
        return madvise_set_flags(mm, v, start, end, 0, VM_WIPEONFORK);
    case MADV_KEEPONFORK:
        return madvise_set_flags(mm, v, start, end, VM_WIPEONFORK, 0);
    default: /* NORMAL, RANDOM, SEQUENTIAL, WILLNEED: hints with nothing to act on */
        return 0;
    }
}

/* Linux's madvise_walk_vmas(): holes are skipped and give -ENOMEM at the end. */
static int madvise_walk(struct mm *mm, vaddr_t start, vaddr_t end, uint64_t advice)
{
    int unmapped = 0;
    vaddr_t at = start;
    while (at < end) {
        struct vma *v = vma_find(&mm->vmas, at); /* the first VMA ending above at */
        if (!v)
            return -ENOMEM;
        if (v->start > at) {
            unmapped = -ENOMEM;
            at = v->start;
            if (at >= end)
                break;
        }
        vaddr_t stop = MIN(end, v->end);
        int rc = madvise_vma(mm, v, at, stop, advice);
        if (rc < 0)
            return rc;
        at = stop;
    }
    return unmapped;
}

/* ---- MADV_POPULATE_* ------------------------------------------------------------- */

/*
 * Faults in every page of [start, end) as a read or a write would, page by
 * page: a hole is -ENOMEM, a VMA that does not allow the access -EINVAL, a
 * page that cannot be had -EFAULT (SIGBUS/SIGSEGV cases) or -ENOMEM.
 */
static int madvise_populate(struct mm *mm, vaddr_t start, vaddr_t end, bool write)
{
    for (vaddr_t va = start; va < end; va += PAGE_SIZE) {
        struct vma *v = vma_lookup(&mm->vmas, va);
        if (!v)
            return -ENOMEM;
        if (write ? !(v->flags & VM_WRITE) : !(v->flags & VM_READ))
            return -EINVAL;
        pte_t *pte = pt_lookup(mm->pml4, va);
        if (pte && (!write || (pte_prot(*pte) & PT_WRITE)))
            continue;
        struct fault f = { .va = va, .present = pte != NULL, .write = write, .user = true };
        switch (mm_fault(mm, &f)) {
        case FAULT_RESOLVED:
            break;
        case FAULT_OUT_OF_MEMORY:
            return -ENOMEM;
        default:
            return -EFAULT;
        }
    }
    return 0;
}

SYSCALL(SYS_madvise, madvise)
{
    struct mm *mm = proc_current()->mm;
    vaddr_t start = a0;
    uint64_t advice = a2;
    if (!advice_known(advice) || (start & (PAGE_SIZE - 1)))
        return -EINVAL;
    uint64_t len = ALIGN_UP(a1, PAGE_SIZE);
    if ((a1 && len == 0) || start + len < start)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE)
        return madvise_populate(mm, start, start + len, advice == MADV_POPULATE_WRITE);
    return madvise_walk(mm, start, start + len, advice);
}
