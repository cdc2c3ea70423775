/*
 * mm/mmap.c - the memory system calls: mmap, munmap, mprotect, brk, mremap, mincore,
 * msync (madvise is in mm/madvise.c).
 *
 * They change the VMAs only; pages come later, one fault at a time
 * (mm/fault.c), except where a call must drop pages (munmap, a shrinking
 * brk) or asks for them up front (MAP_POPULATE). Argument
 * checks and errno follow Linux's: when in doubt, compare with the same
 * call on Linux.
 *
 * Placement: MAP_FIXED takes the address it is given (replacing whatever
 * was there); otherwise a free hint is honoured, and failing that the
 * highest free range below mm->mmap_base is used (top-down, like Linux).
 */
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <kernel/file.h>
#include <kernel/vfs.h>
#include <uapi/fcntl.h>
#include <kernel/proc.h>
#include <kernel/syscall.h>
#include <mm/fault.h>
#include <mm/frame.h>
#include <mm/mm.h>
#include <mm/overcommit.h>
#include <mm/usercopy.h>
#include <mm/vmobject.h>
#include <uapi/mman.h>
#include <uapi/mount.h>

#define MAP_KNOWN_FLAGS                                                               \
    (MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE |           \
     MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |      \
     MAP_STACK | MAP_HUGETLB | MAP_FIXED_NOREPLACE)
#define PROT_KNOWN (PROT_READ | PROT_WRITE | PROT_EXEC)
#define PROT_SEM 0x8 /* accepted by mprotect, and ignored */
#define MAP_32BIT 0x40 /* x86-64: place the mapping in [1 GiB, 2 GiB) */

uint64_t mmap_min_addr = USER_MMAP_MIN;

static struct mm *current_mm(void)
{
    return proc_current()->mm;
}

static uint32_t prot_to_vma_flags(uint64_t prot)
{
    uint32_t flags = 0;
    if (prot & PROT_READ)
        flags |= VM_READ;
    if (prot & PROT_WRITE)
        flags |= VM_WRITE;
    if (prot & PROT_EXEC)
        flags |= VM_EXEC;
    return flags;
}

/* Whether [addr, addr+len) is a range mmap may use at all. */
static bool range_in_user_space(vaddr_t addr, uint64_t len)
{
    return addr < USER_TASK_SIZE && len <= USER_TASK_SIZE - addr;
}

/* Where a new mapping of len bytes goes, or 0 (then -ENOMEM). */
static vaddr_t choose_address(struct mm *mm, vaddr_t hint, uint64_t len, uint64_t map_flags)
{
    hint = ALIGN_DOWN(hint, PAGE_SIZE);
    if (hint && hint < mmap_min_addr) /* Linux's round_hint_to_min */
        hint = ALIGN_UP(mmap_min_addr, PAGE_SIZE);
    if (hint && range_in_user_space(hint, len) &&
        !vma_find_overlap(&mm->vmas, hint, hint + len))
        return hint;
    if (map_flags & MAP_32BIT)
        return vma_find_gap(&mm->vmas, len, 1ULL << 30, 2ULL << 30, 0);
    return vma_find_gap(&mm->vmas, len, MAX(mmap_min_addr, PAGE_SIZE), mm->mmap_base, 0);
}

/* Faults in every page of [start, end) now (MAP_POPULATE); stops quietly at the first failure. */
static void populate(struct mm *mm, vaddr_t start, vaddr_t end, bool write)
{
    for (vaddr_t va = start; va < end; va += PAGE_SIZE) {
        struct fault f = { .va = va, .write = write, .user = true };
        if (!pt_lookup(mm->pml4, va) && mm_fault(mm, &f) != FAULT_RESOLVED)
            return;
    }
}

struct mmap_request {
    vaddr_t addr;
    uint64_t len;
    uint32_t vma_flags;
    uint64_t map_flags;
    enum vma_kind kind;
    struct vm_object *object; /* a reference the new VMA takes over, or NULL */
    uint64_t offset;
};

/* Puts the VMA in place (replacing what MAP_FIXED covers) and merges it. */
static long mmap_install(struct mm *mm, struct mmap_request *req)
{
    int err = 0;
    if (req->map_flags & MAP_FIXED) {
        err = mm_unmap(mm, req->addr, req->addr + req->len);
        if (err < 0)
            return err;
    }
    struct vma *vma = mm_add_vma(mm, req->addr, req->addr + req->len, req->vma_flags,
                                 req->kind, &err);
    if (!vma)
        return err;
    vma->object = req->object;
    vma->offset = req->offset;
    req->object = NULL; /* the VMA holds the reference now */
    vma = vma_merge_neighbours(&mm->vmas, vma);
    if (req->map_flags & MAP_POPULATE)
        populate(mm, req->addr, req->addr + req->len, req->vma_flags & VM_WRITE);
    return (long)req->addr;
}

/* The address for the request, checking MAP_FIXED(_NOREPLACE) rules. */
static long mmap_place(struct mm *mm, struct mmap_request *req)
{
    bool fixed = req->map_flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed) {
        if (req->addr & (PAGE_SIZE - 1))
            return -EINVAL;
        if (!range_in_user_space(req->addr, req->len))
            return -ENOMEM;
        if (req->addr < mmap_min_addr)
            return -EPERM; /* vm.mmap_min_addr; mica has no CAP_SYS_RAWIO to exempt anyone */
        if ((req->map_flags & MAP_FIXED_NOREPLACE) && !(req->map_flags & MAP_FIXED) &&
            vma_find_overlap(&mm->vmas, req->addr, req->addr + req->len))
            return -EEXIST;
        if (req->map_flags & MAP_FIXED_NOREPLACE)
            req->map_flags &= ~(uint64_t)MAP_FIXED;
        return 0;
    }
    req->addr = choose_address(mm, req->addr, req->len, req->map_flags);
    return req->addr ? 0 : -ENOMEM;
}

/*
 * Linux's file_mmap_ok(): the last byte's offset must fit in the file's
 * maximum size (2^63 - 1 for a regular file, 2^64 - 1 for others).
 */
static bool file_offset_fits(const struct file *file, uint64_t offset, uint64_t len)
{
    uint64_t max_size = inode_is_regular(file->inode) ? INT64_MAX : UINT64_MAX;
    if (len > max_size)
        return false;
    return offset / PAGE_SIZE <= (max_size - len) / PAGE_SIZE;
}

/* Linux's path_noexec(): pipes live on a filesystem mounted noexec. */
/* Linux's path_noexec: a pipe, or a file on a filesystem mounted noexec. */
static bool file_noexec(const struct file *file)
{
    return file->inode && (file->inode->kind == INODE_FIFO ||
                           (inode_sb(file->inode)->flags & MS_NOEXEC));
}

/*
 * Checks a file mapping in Linux's order (the offset's range, the map
 * type, the open mode, noexec, whether the file has pages at all) and
 * takes the file's memory object.
 */
static long mmap_prepare_file(struct mmap_request *req, struct file *file, uint64_t type)
{
    if (!file_offset_fits(file, req->offset, req->len))
        return -EOVERFLOW;
    int mode = file->flags & O_ACCMODE;
    if (type == MAP_SHARED || type == MAP_SHARED_VALIDATE) {
        /* MAP_SHARED ignores unknown flags; MAP_SHARED_VALIDATE refuses them */
        if (type == MAP_SHARED_VALIDATE && (req->map_flags & ~(uint64_t)MAP_KNOWN_FLAGS))
            return -EOPNOTSUPP;
        if ((req->vma_flags & VM_WRITE) && mode != O_RDWR && mode != O_WRONLY)
            return -EACCES;
        req->vma_flags |= VM_SHARED;
    } else if (type != MAP_PRIVATE) {
        return -EINVAL;
    }
    if (mode == O_WRONLY)
        return -EACCES; /* every mapping reads */
    if (file_noexec(file) && (req->vma_flags & VM_EXEC))
        return -EPERM;
    if (!file->inode || !inode_is_regular(file->inode))
        return -ENODEV; /* pipes, directories, devices without pages */
    if (req->vma_flags & VM_GROWSDOWN)
        return -EINVAL;
    if (type == MAP_PRIVATE || mode == O_RDWR)
        req->vma_flags |= VM_MAYWRITE;
    req->vma_flags |= VM_MAYREAD | VM_MAYEXEC;
    req->kind = VMA_KIND_FILE;
    req->object = inode_object(file->inode);
    vmobject_get(req->object);
    return 0;
}

static long mmap_prepare_anon(struct mmap_request *req, uint64_t type)
{
    if (type != MAP_SHARED && type != MAP_PRIVATE)
        return -EINVAL; /* MAP_SHARED_VALIDATE included */
    if (type == MAP_SHARED && (req->vma_flags & VM_GROWSDOWN))
        return -EINVAL;
    req->vma_flags |= VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
    req->kind = VMA_KIND_ANON;
    req->offset = 0;
    if (type == MAP_PRIVATE)
        return 0;
    req->vma_flags |= VM_SHARED;
    /* shared anonymous memory: pages that fork keeps shared live in an object */
    req->object = vmobject_create(VMOBJECT_SHARED_ANON);
    if (!req->object)
        return -ENOMEM;
    req->object->size = req->len;
    return 0;
}

/* Pages of private writable memory other than stacks: Linux's data_vm. */
static uint64_t data_pages(struct mm *mm)
{
    uint64_t pages = 0;
    for (struct vma *v = vma_first(&mm->vmas); v; v = vma_next(v))
        if ((v->flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) == VM_WRITE)
            pages += (v->end - v->start) >> PAGE_SHIFT;
    return pages;
}

/* RLIMIT_AS, and RLIMIT_DATA for private writable memory (Linux's may_expand_vm). */
static long mmap_check_rlimits(struct mm *mm, const struct mmap_request *req)
{
    struct proc *p = proc_current();
    uint64_t pages = req->len >> PAGE_SHIFT;
    if (pages + mm->total_vm_pages > p->rlimits[RLIMIT_AS].cur / PAGE_SIZE)
        return -ENOMEM;
    /* data_pages() walks every VMA: only pay for it when there is a limit to check */
    if ((req->vma_flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) == VM_WRITE &&
        p->rlimits[RLIMIT_DATA].cur != RLIM_INFINITY &&
        pages + data_pages(mm) > p->rlimits[RLIMIT_DATA].cur / PAGE_SIZE)
        return -ENOMEM;
    return 0;
}

/* Checks in Linux's order: offset, fd, length, placement, map type, limits. */
SYSCALL(SYS_mmap, mmap)
{
    uint64_t flags = a3, offset = a5;
    struct mm *mm = current_mm();
    struct file *file = NULL;
    if (offset & (PAGE_SIZE - 1))
        return -EINVAL;
    if (!(flags & MAP_ANONYMOUS) && !(file = file_from_fd((int)a4)))
        return -EBADF;
    struct mmap_request req = { .addr = a0, .len = ALIGN_UP(a1, PAGE_SIZE),
                                .vma_flags = prot_to_vma_flags(a2), .map_flags = flags,
                                .offset = offset };
    if (flags & MAP_GROWSDOWN)
        req.vma_flags |= VM_GROWSDOWN;
    long rc = a1 == 0 ? -EINVAL : a1 > USER_TASK_SIZE ? -ENOMEM : 0;
    if (rc == 0)
        rc = mmap_place(mm, &req);
    if (rc == 0)
        rc = file ? mmap_prepare_file(&req, file, flags & MAP_TYPE)
                  : mmap_prepare_anon(&req, flags & MAP_TYPE);
    if (rc == 0)
        rc = mmap_check_rlimits(mm, &req);
    if (rc == 0)
        rc = overcommit_check_mmap(req.vma_flags, flags, !file, req.len);
    if (rc == 0)
        rc = mmap_install(mm, &req);
    if (file)
        file_put(file);
    if (req.object)
        vmobject_put(req.object);
    return rc;
}

SYSCALL(SYS_munmap, munmap)
{
    if ((a0 & (PAGE_SIZE - 1)) || a1 == 0)
        return -EINVAL;
    uint64_t len = ALIGN_UP(a1, PAGE_SIZE);
    if (!range_in_user_space(a0, len) || len == 0)
        return -EINVAL;
    return mm_unmap(current_mm(), a0, a0 + len);
}

/* ---- mprotect --------------------------------------------------------------------- */

/* True when [start, end) is covered by VMAs with no hole (else mprotect gives -ENOMEM). */
static bool range_fully_mapped(struct mm *mm, vaddr_t start, vaddr_t end)
{
    vaddr_t covered = start;
    for (struct vma *v = vma_find(&mm->vmas, start); v && v->start <= covered && covered < end;
         v = vma_next(v))
        covered = v->end;
    return covered >= end;
}

/* Whether the VMA's VM_MAY* flags allow the access flags in want. */
static bool protect_allowed(const struct vma *v, uint32_t want)
{
    if ((want & VM_WRITE) && !(v->flags & VM_MAYWRITE))
        return false;
    return !(want & VM_READ) || (v->flags & VM_MAYREAD);
}

/* Splits at start and end so that [start, end) is made of whole VMAs. */
static int split_edges(struct mm *mm, vaddr_t start, vaddr_t end)
{
    struct vma *first = vma_lookup(&mm->vmas, start);
    if (first && first->start < start && !vma_split(&mm->vmas, first, start))
        return -ENOMEM;
    struct vma *last = vma_lookup(&mm->vmas, end - 1);
    if (last && last->end > end && !vma_split(&mm->vmas, last, end))
        return -ENOMEM;
    return 0;
}

/*
 * Like Linux: the range is changed VMA by VMA, and the first hole (ENOMEM)
 * or VMA that may not have the new permissions (EACCES) stops it, leaving
 * the VMAs before it changed.
 */
SYSCALL(SYS_mprotect, mprotect)
{
    struct mm *mm = current_mm();
    uint64_t grows = a2 & (PROT_GROWSDOWN | PROT_GROWSUP);
    if (grows == (PROT_GROWSDOWN | PROT_GROWSUP) || (a0 & (PAGE_SIZE - 1)))
        return -EINVAL;
    uint64_t len = ALIGN_UP(a1, PAGE_SIZE);
    if (a1 == 0)
        return 0;
    if (a0 + len <= a0)
        return -ENOMEM;
    if ((a2 & ~grows) & ~(uint64_t)(PROT_KNOWN | PROT_SEM))
        return -EINVAL; /* before the range is looked at, as Linux */
    if (!range_in_user_space(a0, len))
        return -ENOMEM;
    vaddr_t start = a0, end = a0 + len;
    uint32_t want = prot_to_vma_flags(a2);
    struct vma *v = vma_find(&mm->vmas, start);
    if (!v || v->start >= end)
        return -ENOMEM;
    if (grows & PROT_GROWSDOWN) {
        if (!(v->flags & VM_GROWSDOWN))
            return -EINVAL;
        start = v->start; /* from the start of the stack, like Linux */
    } else if (v->start > start) {
        return -ENOMEM;
    } else if (grows & PROT_GROWSUP) {
        return -EINVAL; /* x86 has no VM_GROWSUP */
    }
    for (vaddr_t at = start; at < end;) {
        v = vma_find(&mm->vmas, at);
        if (!v || v->start > at)
            return -ENOMEM;
        if (!protect_allowed(v, want))
            return -EACCES;
        vaddr_t stop = MIN(end, v->end);
        int rc = split_edges(mm, at, stop);
        if (rc < 0)
            return rc;
        v = vma_lookup(&mm->vmas, at);
        v->flags = (v->flags & ~(uint32_t)(VM_READ | VM_WRITE | VM_EXEC)) | want;
        pt_protect_range(mm->pml4, v->start, v->end, vma_pt_prot(v->flags));
        vma_merge_neighbours(&mm->vmas, v);
        at = stop;
    }
    return 0;
}

/* ---- brk ------------------------------------------------------------------------ */

#define STACK_GUARD_GAP MiB(1) /* Linux's stack_guard_gap: 256 pages kept free below a stack */

/*
 * Linux's brk checks: the heap keeps a page from the next mapping, and
 * STACK_GUARD_GAP more from a stack (vm_start_gap()); RLIMIT_DATA; and the
 * overcommit policy (vm.overcommit_memory, mm/overcommit.c).
 */
static bool heap_may_grow(struct mm *mm, vaddr_t old_end, vaddr_t new_end)
{
    struct proc *p = proc_current();
    if (new_end > USER_TASK_SIZE - PAGE_SIZE)
        return false;
    struct vma *next = vma_find(&mm->vmas, old_end);
    if (next) {
        vaddr_t gap_start = next->start;
        if (next->flags & VM_GROWSDOWN)
            gap_start = gap_start > STACK_GUARD_GAP ? gap_start - STACK_GUARD_GAP : 0;
        if (new_end + PAGE_SIZE > gap_start)
            return false;
    }
    if (new_end - mm->brk_start > p->rlimits[RLIMIT_DATA].cur)
        return false;
    return overcommit_check((new_end - old_end) >> PAGE_SHIFT) == 0; /* mm/overcommit.c */
}

/* Grows the heap to cover [old_end, new_end); false if it may not (heap_may_grow). */
static bool heap_grow(struct mm *mm, vaddr_t old_end, vaddr_t new_end)
{
    if (!heap_may_grow(mm, old_end, new_end))
        return false;
    int err;
    struct vma *heap = mm_add_vma(mm, old_end, new_end, VM_READ | VM_WRITE | VM_MAYREAD |
                                  VM_MAYWRITE | VM_MAYEXEC, VMA_KIND_HEAP, &err);
    if (!heap)
        return false;
    vma_merge_neighbours(&mm->vmas, heap);
    return true;
}

SYSCALL(SYS_brk, brk)
{
    struct mm *mm = current_mm();
    vaddr_t want = a0;
    if (want < mm->brk_start || want > USER_TASK_SIZE)
        return (long)mm->brk; /* brk(0) and nonsense both just ask */
    vaddr_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE), new_end = ALIGN_UP(want, PAGE_SIZE);
    if (new_end > old_end && !heap_grow(mm, old_end, new_end))
        return (long)mm->brk;
    if (new_end < old_end && mm_unmap(mm, new_end, old_end) < 0)
        return (long)mm->brk;
    mm->brk = want;
    return (long)want;
}

/* ---- mremap ------------------------------------------------------------------------ */

/*
 * The rule that keeps mremap safe: no `struct vma *` is held across a call
 * that removes or splits VMAs (mm_unmap, vma_split). The target and the
 * shrunk tail are unmapped FIRST, and only then is the source looked up
 * (mremap_source). Unmapping a target inside the source's own VMA splits
 * that VMA and frees the piece under the target, so a pointer taken
 * before would point at freed memory (issue 19). Linux 6.1's order
 * (mremap_to: do_munmap of the target, of the tail, then vma_to_resize).
 *
 * The reference is Linux 6.1: a source range that does not lie inside
 * one VMA is EFAULT (newer Linux moves several VMAs at once with
 * MREMAP_FIXED), see docs/mmap.md.
 */

/* Counts a page that now has one more PTE in vma, like mm_unmap_pages will uncount it. */
static void count_moved_page(struct mm *mm, const struct vma *vma, const struct page *frame)
{
    if (frame->flags & PG_CACHE) {
        if (vma->object && vma->object->kind == VMOBJECT_SHARED_ANON)
            mm->counters.rss_shmem++;
        else
            mm->counters.rss_file++;
    } else if (!(frame->flags & PG_ZERO)) {
        mm->counters.rss_anon++;
    }
}

/* Maps at [to, to+len) the pages of [from, from+len) (the VMA `moved` is already at to). */
static void move_pages(struct mm *mm, const struct vma *moved, vaddr_t from, vaddr_t to,
                       uint64_t len)
{
    for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
        pte_t *pte = pt_lookup(mm->pml4, from + off);
        if (!pte)
            continue;
        struct page *frame = pte_frame(*pte);
        enum pt_prot prot = pte_prot(*pte);
        frame_get(frame); /* the new PTE's reference; the old one goes with the unmap */
        if (pt_map_page(mm->pml4, to + off, frame, prot) < 0) {
            frame_put(frame);
            continue; /* out of page tables: this page reads back as a fresh one */
        }
        count_moved_page(mm, moved, frame);
    }
}

/* Extends vma's end to new_end in place (the range above it is free). */
static void vma_grow_in_place(struct mm *mm, struct vma *vma, vaddr_t new_end)
{
    vma_remove(&mm->vmas, vma);
    mm->total_vm_pages += (new_end - vma->end) >> PAGE_SHIFT;
    if (mm->total_vm_pages > mm->peak_vm_pages)
        mm->peak_vm_pages = mm->total_vm_pages;
    vma->end = new_end;
    int rc = vma_insert(&mm->vmas, vma);
    assert(rc == 0);
}

/*
 * The VMA holding the source [old, old+old_len), looked up now (Linux's
 * vma_to_resize): NULL with *err = -EFAULT when there is none or the range
 * runs past it, -EINVAL for old_len 0 on private memory, -ENOMEM over
 * RLIMIT_AS.
 */
static struct vma *mremap_source(struct mm *mm, vaddr_t old, uint64_t old_len,
                                 uint64_t new_len, long *err)
{
    struct vma *vma = vma_lookup(&mm->vmas, old);
    *err = -EFAULT;
    if (!vma)
        return NULL;
    *err = -EINVAL;
    if (old_len == 0 && !(vma->flags & VM_SHARED))
        return NULL; /* Linux: "duplicating" private memory is refused */
    *err = -EFAULT;
    if (old_len > vma->end - old)
        return NULL; /* "we can't remap across vm area boundaries" */
    *err = -ENOMEM;
    if (new_len > old_len && ((new_len - old_len) >> PAGE_SHIFT) + mm->total_vm_pages >
                                 proc_current()->rlimits[RLIMIT_AS].cur / PAGE_SIZE)
        return NULL;
    if (new_len > old_len && overcommit_check_grow(vma, new_len - old_len) < 0)
        return NULL; /* the commit limit (mm/overcommit.c) */
    *err = 0;
    return vma;
}

/*
 * A new VMA like `vma` at `to` (a free range), the pages moved there, the
 * old range unmapped (MREMAP_DONTUNMAP, keep_old: left mapped but without
 * its pages; shared and file mappings fault them in again from the object).
 * `vma` is not used after the final unmap, which may free it.
 */
static long mremap_move(struct mm *mm, struct vma *vma, vaddr_t old, uint64_t old_len,
                        vaddr_t to, uint64_t new_len, bool keep_old)
{
    int err = 0;
    struct vma *moved = mm_add_vma(mm, to, to + new_len, vma->flags, vma->kind, &err);
    if (!moved)
        return err;
    moved->object = vma->object;
    if (moved->object)
        vmobject_get(moved->object);
    moved->offset = vma->offset + (old - vma->start);
    move_pages(mm, moved, old, to, MIN(old_len, new_len));
    if (keep_old) {
        mm_unmap_pages(mm, vma, old, old + old_len);
        return (long)to;
    }
    err = old_len ? mm_unmap(mm, old, old + old_len) : 0; /* length 0: a second mapping */
    return err < 0 ? err : (long)to;
}

/*
 * MREMAP_FIXED or MREMAP_DONTUNMAP (Linux's mremap_to): the target is
 * checked, then unmapped (FIXED), then the tail of a shrinking source, and
 * only then is the source VMA looked up: either unmap may have split or
 * freed the VMA the source was in.
 */
static long mremap_to(struct mm *mm, vaddr_t old, uint64_t old_len, vaddr_t to,
                      uint64_t new_len, uint64_t flags)
{
    bool fixed = flags & MREMAP_FIXED;
    if (fixed) {
        if ((to & (PAGE_SIZE - 1)) || !range_in_user_space(to, new_len))
            return -EINVAL;
        if (to < old + old_len && old < to + new_len)
            return -EINVAL; /* the ranges may not overlap */
        int rc = mm_unmap(mm, to, to + new_len);
        if (rc < 0)
            return rc;
    }
    if (old_len > new_len) {
        if (!range_in_user_space(old, old_len))
            return -EINVAL; /* Linux's do_munmap of the tail refuses it */
        int rc = mm_unmap(mm, old + new_len, old + old_len);
        if (rc < 0)
            return rc;
        old_len = new_len;
    }
    long err;
    struct vma *vma = mremap_source(mm, old, old_len, new_len, &err);
    if (!vma)
        return err;
    if (fixed && to < mmap_min_addr)
        return -EPERM; /* where Linux checks it (get_unmapped_area): after the unmaps */
    if (!fixed) { /* MREMAP_DONTUNMAP alone: `to` is a hint */
        vaddr_t hint = to >= mmap_min_addr ? ALIGN_DOWN(to, PAGE_SIZE) : 0;
        to = vma_find_gap(&mm->vmas, new_len, MAX(mmap_min_addr, PAGE_SIZE), mm->mmap_base, hint);
        if (!to)
            return -ENOMEM;
    }
    return mremap_move(mm, vma, old, old_len, to, new_len, flags & MREMAP_DONTUNMAP);
}

/* Growing without MREMAP_FIXED: in place when the range above is free, else moved. */
static long mremap_grow(struct mm *mm, vaddr_t old, uint64_t old_len, uint64_t new_len,
                        uint64_t flags)
{
    long err;
    struct vma *vma = mremap_source(mm, old, old_len, new_len, &err);
    if (!vma)
        return err;
    if (old + old_len == vma->end && range_in_user_space(old, new_len) &&
        !vma_find_overlap(&mm->vmas, vma->end, old + new_len)) {
        vma_grow_in_place(mm, vma, old + new_len);
        return (long)old;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    vaddr_t to = vma_find_gap(&mm->vmas, new_len, MAX(mmap_min_addr, PAGE_SIZE),
                              mm->mmap_base, 0);
    return to ? mremap_move(mm, vma, old, old_len, to, new_len, false) : -ENOMEM;
}

#define MREMAP_KNOWN (MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)

/* Checks in Linux 6.1's order: flags, alignment, new_len, a VMA at old, then the moves. */
SYSCALL(SYS_mremap, mremap)
{
    struct mm *mm = current_mm();
    vaddr_t old = a0;
    uint64_t flags = a3;
    if ((flags & ~(uint64_t)MREMAP_KNOWN) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) ||
        ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || a1 != a2)) ||
        (old & (PAGE_SIZE - 1)))
        return -EINVAL;
    uint64_t old_len = ALIGN_UP(a1, PAGE_SIZE), new_len = ALIGN_UP(a2, PAGE_SIZE);
    if (new_len == 0)
        return -EINVAL; /* an old_len that wraps to 0 is old_len 0, as in Linux */
    if (!vma_lookup(&mm->vmas, old))
        return -EFAULT; /* kernel and non-canonical addresses included */
    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
        return mremap_to(mm, old, old_len, a4, new_len, flags);
    if (old_len >= new_len) { /* shrinking only unmaps the tail, whatever it covers */
        if (old_len == new_len)
            return (long)old;
        if (!range_in_user_space(old, old_len))
            return -EINVAL;
        int rc = mm_unmap(mm, old + new_len, old + old_len);
        return rc < 0 ? rc : (long)old;
    }
    return mremap_grow(mm, old, old_len, new_len, flags);
}

/* ---- truncate ---------------------------------------------------------------------- */

struct truncate_request {
    const struct vm_object *object;
    uint64_t first; /* the first page index past the new end of file */
};

/* Unmaps, in p's address space, the pages of mappings of the object past the end. */
static void unmap_object_tail(struct proc *p, void *arg)
{
    const struct truncate_request *req = arg;
    if (!p->mm)
        return;
    for (struct vma *v = vma_first(&p->mm->vmas); v; v = vma_next(v)) {
        if (v->object != req->object)
            continue;
        uint64_t cut = req->first * PAGE_SIZE; /* offset in the object */
        vaddr_t from = cut > v->offset ? v->start + (cut - v->offset) : v->start;
        if (from < v->end)
            mm_unmap_pages(p->mm, v, from, v->end);
    }
}

void mm_truncate_object(struct vm_object *obj, uint64_t size)
{
    struct truncate_request req = { obj, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE };
    proc_for_each(unmap_object_tail, &req);
}

/* ---- mincore and msync ------------------------------------------------------------- */

/*
 * Linux's access_ok(): [uaddr, uaddr+len) does not wrap and ends at or
 * below TASK_SIZE. (mincore's order of errors depends on it.)
 */
static bool access_ok(vaddr_t uaddr, uint64_t len)
{
    return uaddr + len >= uaddr && uaddr + len <= USER_TASK_SIZE;
}

/* Writes the residency bytes of [va, va + pages pages), all in one VMA, to user vec. */
static int mincore_copy(struct mm *mm, vaddr_t va, uint64_t pages, vaddr_t vec)
{
    uint8_t chunk[64];
    while (pages) {
        uint64_t n = MIN(pages, sizeof(chunk));
        for (uint64_t i = 0; i < n; i++)
            chunk[i] = pt_lookup(mm->pml4, va + i * PAGE_SIZE) != NULL;
        if (copy_to_user(vec, chunk, n) < 0)
            return -EFAULT;
        va += n * PAGE_SIZE;
        vec += n;
        pages -= n;
    }
    return 0;
}

/*
 * Linux's order: alignment (EINVAL), the range (ENOMEM), the whole vector
 * (EFAULT), then VMA by VMA: the bytes of each are written before the next
 * is looked at, so a hole (ENOMEM) or a bad vector (EFAULT) can come after
 * some bytes were written.
 */
SYSCALL(SYS_mincore, mincore)
{
    struct mm *mm = current_mm();
    vaddr_t va = a0, vec = a2;
    if (va & (PAGE_SIZE - 1))
        return -EINVAL;
    if (!access_ok(va, a1))
        return -ENOMEM;
    uint64_t pages = (a1 >> PAGE_SHIFT) + ((a1 & (PAGE_SIZE - 1)) != 0);
    if (!access_ok(vec, pages))
        return -EFAULT;
    while (pages) {
        struct vma *v = vma_lookup(&mm->vmas, va);
        if (!v)
            return -ENOMEM;
        uint64_t n = MIN(pages, (v->end - va) >> PAGE_SHIFT);
        int rc = mincore_copy(mm, va, n, vec);
        if (rc < 0)
            return rc;
        va += n * PAGE_SIZE;
        vec += n;
        pages -= n;
    }
    return 0;
}

/*
 * msync checks its arguments like Linux's; there is nothing to write back:
 * a MAP_SHARED mapping writes straight into the file's pages (the
 * in-memory filesystem has no disk behind it).
 */
SYSCALL(SYS_msync, msync)
{
    struct mm *mm = current_mm();
    uint64_t flags = a2;
    if ((flags & ~(uint64_t)(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) || (a0 & (PAGE_SIZE - 1)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    uint64_t len = ALIGN_UP(a1, PAGE_SIZE); /* Linux: a length that rounds up to 0 is 0 */
    if (a0 + len < a0)
        return -ENOMEM;
    if (len == 0)
        return 0;
    return range_fully_mapped(mm, a0, a0 + len) ? 0 : -ENOMEM;
}
