/*
 * mm/fault.c - the page-fault handler: one small function per case.
 *
 * mm_fault() reads as the table in docs/ and DESIGN.md:
 *
 *   state at the faulting address                      handler
 *   -------------------------------------------------  -------------------
 *   no VMA (or below a stack VMA, beyond its limit)     -> FAULT_BAD_ADDRESS
 *   just below a GROWSDOWN VMA, within the stack limit  fault_grow_stack
 *   access the VMA's flags do not allow                 -> FAULT_BAD_ACCESS
 *   not present, private anonymous, read                fault_zero_page
 *   not present, private anonymous, write               fault_zero_fill
 *   not present, backed by a memory object              fault_object (private write: copy)
 *     ... and not cached: read from the disk (major)    fault_object -> vmobject_get_page
 *   present, read-only, write, private writable VMA     fault_cow (reuse or copy)
 *   present, read-only, write, shared writable VMA      fault_shared_write
 *
 * Invariant it keeps: after FAULT_RESOLVED the page is mapped with at most
 * the VMA's permissions, and each mapping holds one frame reference. The
 * zero frame is never written: it is only ever mapped read-only.
 */
#include <arch/x86.h>
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/fault.h>
#include <mm/frame.h>
#include <mm/vmobject.h>

static struct page *the_zero_frame;
static struct fault_totals totals; /* every address space's faults since boot */

void fault_init(void)
{
    the_zero_frame = frame_alloc(0, FRAME_ZERO);
    if (!the_zero_frame)
        panic("fault_init: no frame for the zero page");
    the_zero_frame->flags |= PG_ZERO;
}

struct page *zero_frame(void)
{
    return the_zero_frame;
}

struct fault fault_from_trapframe(const struct trapframe *tf, vaddr_t cr2)
{
    return (struct fault){
        .va = cr2,
        .ip = tf->rip,
        .present = tf->error_code & PF_PRESENT,
        .write = tf->error_code & PF_WRITE,
        .exec = tf->error_code & PF_FETCH,
        .user = tf->error_code & PF_USER,
    };
}

const char *fault_result_name(enum fault_result result)
{
    switch (result) {
    case FAULT_RESOLVED: return "resolved";
    case FAULT_BAD_ADDRESS: return "no mapping at that address";
    case FAULT_BAD_ACCESS: return "access not allowed by the mapping";
    case FAULT_BUS_ERROR: return "beyond the end of the mapped object";
    case FAULT_OUT_OF_MEMORY: return "out of memory";
    }
    return "?";
}

static bool access_allowed(const struct vma *vma, const struct fault *f)
{
    if (f->write)
        return vma->flags & VM_WRITE;
    if (f->exec)
        return vma->flags & VM_EXEC;
    return vma->flags & (VM_READ | VM_WRITE | VM_EXEC); /* x86: any access implies read */
}

void fault_get_totals(struct fault_totals *out)
{
    *out = totals;
}

/* One more fault of this kind, for the process and for /proc/vmstat. */
static void count_kind(struct mm *mm, enum fault_kind kind)
{
    mm->counters.faults[kind]++;
    totals.kinds[kind]++;
}

static enum fault_result count(struct mm *mm, enum fault_kind kind, enum fault_result result)
{
    count_kind(mm, kind);
    if (result == FAULT_RESOLVED) {
        uint64_t rss = mm->counters.rss_anon + mm->counters.rss_file + mm->counters.rss_shmem;
        mm->counters.minor_faults++;
        totals.minor++;
        mm->peak_rss_pages = MAX(mm->peak_rss_pages, rss);
    }
    return result;
}

/* Read of untouched anonymous memory: map the shared zero frame read-only. */
static enum fault_result fault_zero_page(struct mm *mm, struct vma *vma, vaddr_t page_va)
{
    struct page *zero = zero_frame();
    frame_get(zero);
    if (pt_map_page(mm->pml4, page_va, zero, vma_pt_prot(vma->flags) & ~PT_WRITE) < 0) {
        frame_put(zero);
        return FAULT_OUT_OF_MEMORY;
    }
    return count(mm, FAULT_KIND_ZERO_PAGE, FAULT_RESOLVED);
}

/*
 * Write to untouched anonymous memory, or to a page that maps the zero
 * frame: a fresh zeroed frame (pt_map_page drops the zero frame's reference).
 */
static enum fault_result fault_zero_fill(struct mm *mm, struct vma *vma, vaddr_t page_va)
{
    struct page *frame = frame_alloc(0, FRAME_ZERO);
    if (!frame)
        return FAULT_OUT_OF_MEMORY;
    if (pt_map_page(mm->pml4, page_va, frame, vma_pt_prot(vma->flags)) < 0) {
        frame_put(frame);
        return FAULT_OUT_OF_MEMORY;
    }
    mm->counters.rss_anon++;
    return count(mm, FAULT_KIND_ZERO_FILL, FAULT_RESOLVED);
}

/* A private copy of `shared` mapped writable at page_va (pt_map_page drops the old PTE's reference). */
static enum fault_result map_private_copy(struct mm *mm, struct vma *vma, vaddr_t page_va,
                                          struct page *shared)
{
    struct page *copy = frame_alloc(0, FRAME_NORMAL);
    if (!copy)
        return FAULT_OUT_OF_MEMORY;
    memcpy(page_to_virt(copy), page_to_virt(shared), PAGE_SIZE);
    if (pt_map_page(mm->pml4, page_va, copy, vma_pt_prot(vma->flags)) < 0) {
        frame_put(copy);
        return FAULT_OUT_OF_MEMORY;
    }
    return FAULT_RESOLVED;
}

/* Write to a copy-on-write page that others still map: copy it. */
static enum fault_result fault_cow_copy(struct mm *mm, struct vma *vma, vaddr_t page_va,
                                        struct page *shared)
{
    bool was_file_page = shared->flags & PG_CACHE;
    enum fault_result result = map_private_copy(mm, vma, page_va, shared);
    if (result == FAULT_RESOLVED && was_file_page) { /* a file page became our own */
        mm->counters.rss_file--;
        mm->counters.rss_anon++;
    }
    return count(mm, FAULT_KIND_COW_COPY, result);
}

/* A fault that waited for the disk: a major fault, as Linux counts them. */
static enum fault_result count_major(struct mm *mm, enum fault_result result)
{
    count_kind(mm, FAULT_KIND_FILE_READ);
    if (result == FAULT_RESOLVED) {
        mm->counters.major_faults++;
        totals.major++;
    }
    return result;
}

/* Maps the object's page itself (shared, or a private read): the PTE takes its own reference. */
static enum fault_result map_object_page(struct mm *mm, struct vma *vma, vaddr_t page_va,
                                         struct page *page, bool write)
{
    enum pt_prot prot = vma_pt_prot(vma->flags);
    /*
     * A private mapping maps it read-only so that a write copies it. A
     * shared mapping of a disk file also starts read-only, so that the
     * first store faults and the file can make room for the page on disk.
     */
    if (!(vma->flags & VM_SHARED) || (!write && vma->object->ops))
        prot &= ~PT_WRITE;
    frame_get(page);
    if (pt_map_page(mm->pml4, page_va, page, prot) < 0) {
        frame_put(page);
        return FAULT_OUT_OF_MEMORY;
    }
    if (vma->object->kind == VMOBJECT_SHARED_ANON)
        mm->counters.rss_shmem++;
    else
        mm->counters.rss_file++;
    return FAULT_RESOLVED;
}

/* A shared page is about to be stored to: the file gets disk space for it (0 or SIGBUS). */
static enum fault_result prepare_shared_write(struct vm_object *obj, uint64_t index)
{
    if (!obj->ops || !obj->ops->prepare_write)
        return FAULT_RESOLVED;
    uint64_t pos = index * PAGE_SIZE; /* the page, up to the end of the file */
    uint64_t len = obj->size > pos ? MIN((uint64_t)PAGE_SIZE, obj->size - pos) : 0;
    return obj->ops->prepare_write(obj, pos, len) < 0 ? FAULT_BUS_ERROR : FAULT_RESOLVED;
}

/*
 * Not present in a VMA backed by a memory object: map the object's page
 * (creating it, zeroed, or reading it from the disk, if it is not cached:
 * that may sleep). A private write copies it at once. Past the end of the
 * object (a file's length, or the size shared memory was created with,
 * which mremap does not grow), or when the disk cannot deliver the page:
 * SIGBUS, as Linux.
 */
static enum fault_result fault_object(struct mm *mm, struct vma *vma, vaddr_t page_va, bool write)
{
    struct vm_object *obj = vma->object;
    uint64_t index = (vma->offset + (page_va - vma->start)) / PAGE_SIZE;
    if (index >= ALIGN_UP(obj->size, PAGE_SIZE) / PAGE_SIZE)
        return FAULT_BUS_ERROR;
    struct page *page;
    bool major;
    int err = vmobject_get_page(obj, index, VMOBJECT_CREATE, &page, &major);
    if (err)
        return err == -EIO ? FAULT_BUS_ERROR : FAULT_OUT_OF_MEMORY;
    enum fault_result result;
    if (major && (pt_lookup(mm->pml4, page_va) || vmobject_peek(obj, index) != page)) {
        /* while we slept, the page was mapped, or truncated away: let the access retry */
        result = FAULT_RESOLVED;
    } else if (write && !(vma->flags & VM_SHARED)) {
        result = map_private_copy(mm, vma, page_va, page);
        if (result == FAULT_RESOLVED)
            mm->counters.rss_anon++;
    } else {
        result = write ? prepare_shared_write(obj, index) : FAULT_RESOLVED;
        if (result == FAULT_RESOLVED)
            result = map_object_page(mm, vma, page_va, page, write);
    }
    frame_put(page);
    return major ? count_major(mm, result) : count(mm, FAULT_KIND_FILE, result);
}

/* Write to a present read-only page of a private writable VMA: copy-on-write. */
static enum fault_result fault_cow(struct mm *mm, struct vma *vma, vaddr_t page_va, pte_t pte)
{
    struct page *frame = pte_frame(pte);
    if (frame == the_zero_frame)
        return fault_zero_fill(mm, vma, page_va);
    if (frame->refcount == 1) { /* nobody else maps it: reuse it */
        pt_make_writable(mm->pml4, page_va);
        return count(mm, FAULT_KIND_COW_REUSE, FAULT_RESOLVED);
    }
    return fault_cow_copy(mm, vma, page_va, frame);
}

/*
 * Write to a present read-only page of a shared writable VMA: allow it,
 * once a disk file has made room for the page.
 */
static enum fault_result fault_shared_write(struct mm *mm, struct vma *vma, vaddr_t page_va)
{
    if (vma->object) {
        uint64_t index = (vma->offset + (page_va - vma->start)) / PAGE_SIZE;
        enum fault_result result = prepare_shared_write(vma->object, index);
        if (result != FAULT_RESOLVED)
            return result;
    }
    pt_make_writable(mm->pml4, page_va);
    return FAULT_RESOLVED;
}

#define STACK_GUARD_GAP (256 * PAGE_SIZE) /* Linux's stack_guard_gap */

/*
 * The stack VMA grows down to cover va when va is below it, not more than
 * the stack limit below its top, and not into the VMA beneath.
 */
static struct vma *fault_grow_stack(struct mm *mm, struct vma *stack, vaddr_t va)
{
    vaddr_t new_start = ALIGN_DOWN(va, PAGE_SIZE);
    if (!(stack->flags & VM_GROWSDOWN) || stack->end - new_start > mm->stack_limit)
        return NULL;
    /*
     * Like Linux, keep stack_guard_gap (256 pages) from the mapping below,
     * but only from an accessible one that is not itself a stack.
     */
    struct vma *below = vma_prev(stack);
    if (below && below->end > new_start)
        return NULL;
    if (below && !(below->flags & VM_GROWSDOWN) &&
        (below->flags & (VM_READ | VM_WRITE | VM_EXEC)) &&
        new_start - below->end < STACK_GUARD_GAP)
        return NULL;
    vma_remove(&mm->vmas, stack);
    mm->total_vm_pages += (stack->start - new_start) >> PAGE_SHIFT;
    stack->start = new_start;
    int rc = vma_insert(&mm->vmas, stack);
    assert(rc == 0); /* the range below was free */
    count_kind(mm, FAULT_KIND_STACK_GROW);
    return stack;
}

/* The VMA that covers f->va, growing the stack to it if that is allowed. */
static struct vma *fault_find_vma(struct mm *mm, const struct fault *f)
{
    struct vma *vma = vma_find(&mm->vmas, f->va);
    if (!vma)
        return NULL;
    if (f->va >= vma->start)
        return vma;
    return fault_grow_stack(mm, vma, f->va);
}

enum fault_result mm_fault(struct mm *mm, const struct fault *f)
{
    if (!mm)
        return FAULT_BAD_ADDRESS;
    if (f->va >= USER_TOP) /* the kernel half, or a non-canonical address */
        return count(mm, FAULT_KIND_SIGSEGV, FAULT_BAD_ADDRESS);
    struct vma *vma = fault_find_vma(mm, f);
    if (!vma)
        return count(mm, FAULT_KIND_SIGSEGV, FAULT_BAD_ADDRESS);
    if (!access_allowed(vma, f))
        return count(mm, FAULT_KIND_SIGSEGV, FAULT_BAD_ACCESS);
    vaddr_t page_va = ALIGN_DOWN(f->va, PAGE_SIZE);
    pte_t *pte = pt_lookup(mm->pml4, page_va);
    if (!pte) {
        if (vma->object)
            return fault_object(mm, vma, page_va, f->write);
        return f->write ? fault_zero_fill(mm, vma, page_va)
                        : fault_zero_page(mm, vma, page_va);
    }
    if (f->write && !(pte_prot(*pte) & PT_WRITE))
        return (vma->flags & VM_SHARED) ? fault_shared_write(mm, vma, page_va)
                                        : fault_cow(mm, vma, page_va, *pte);
    return FAULT_RESOLVED; /* another path mapped it already (a stale TLB entry) */
}
