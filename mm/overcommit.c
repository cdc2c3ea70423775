/*
 * mm/overcommit.c - Linux's overcommit policy for mmap, brk and mremap
 * (include/mm/overcommit.h says what each mode does).
 *
 * mica keeps no running Committed_AS counter: mode 2 adds up the charged
 * VMAs of every process when asked (the same rule /proc/meminfo uses),
 * which costs a walk of all VMAs per request but cannot drift. Modes 0
 * and 1 never need the total. Differences from Linux: no swap, so mode
 * 0's bound is RAM alone; mprotect that makes a mapping writable is not
 * charged; mode 2 keeps no admin reserve (everything runs as root) and a
 * user reserve of min(total_vm / 32, 128 MiB) as Linux does.
 */
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <mm/frame.h>
#include <mm/mm.h>
#include <mm/overcommit.h>
#include <mm/vma.h>
#include <mm/vmobject.h>
#include <uapi/mman.h>

#define USER_RESERVE_PAGES (MiB(128) >> PAGE_SHIFT)

uint64_t sysctl_overcommit_memory = OVERCOMMIT_GUESS; /* exposed at /proc/sys/vm/overcommit_memory */
uint64_t sysctl_overcommit_ratio = 50;              /* exposed at /proc/sys/vm/overcommit_ratio */

static uint64_t ram_pages(void)
{
    struct frame_stats stats;
    frame_get_stats(&stats);
    return stats.total_frames;
}

/* The charged VMAs: private writable ones and shared anonymous memory. */
static bool vma_charged(const struct vma *v)
{
    return (v->flags & (VM_WRITE | VM_SHARED)) == VM_WRITE ||
           (v->object && v->object->kind == VMOBJECT_SHARED_ANON);
}

static void add_committed(struct proc *p, void *arg)
{
    if (!p->mm)
        return;
    for (struct vma *v = vma_first(&p->mm->vmas); v; v = vma_next(v))
        if (vma_charged(v))
            *(uint64_t *)arg += (v->end - v->start) >> PAGE_SHIFT;
}

uint64_t overcommit_committed_pages(void)
{
    uint64_t pages = 0;
    proc_for_each(add_committed, &pages);
    return pages;
}

uint64_t overcommit_limit_pages(void)
{
    return ram_pages() * (uint64_t)sysctl_overcommit_ratio / 100;
}

/* Mode 2: the limit, less the user reserve Linux keeps for the process to recover. */
static int check_strict(uint64_t pages)
{
    struct mm *mm = proc_current() ? proc_current()->mm : NULL;
    uint64_t allowed = overcommit_limit_pages();
    uint64_t reserve = mm ? MIN(mm->total_vm_pages / 32, USER_RESERVE_PAGES) : 0;
    allowed = allowed > reserve ? allowed - reserve : 0;
    return overcommit_committed_pages() + pages <= allowed ? 0 : -ENOMEM;
}

int overcommit_check(uint64_t pages)
{
    switch (sysctl_overcommit_memory) {
    case OVERCOMMIT_ALWAYS:
        return 0;
    case OVERCOMMIT_NEVER:
        return check_strict(pages);
    default: /* the heuristic: only an obviously impossible request fails */
        return pages > ram_pages() ? -ENOMEM : 0;
    }
}

int overcommit_check_mmap(uint64_t vma_flags, uint64_t map_flags, bool anonymous, uint64_t len)
{
    bool charged = (vma_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE ||
                   ((vma_flags & VM_SHARED) && anonymous);
    if (!charged)
        return 0;
    if ((map_flags & MAP_NORESERVE) && sysctl_overcommit_memory != OVERCOMMIT_NEVER)
        return 0;
    return overcommit_check(len >> PAGE_SHIFT);
}

int overcommit_check_grow(const struct vma *vma, uint64_t extra)
{
    return vma_charged(vma) ? overcommit_check(extra >> PAGE_SHIFT) : 0;
}
