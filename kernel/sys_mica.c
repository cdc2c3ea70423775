/*
 * kernel/sys_mica.c - mica's own system call (include/uapi/mica.h).
 *
 * Test programs use it to drive the kernel's debug switches from user
 * space: make the n-th frame allocation fail (to walk every error path of
 * fork, faults and the memory calls), read the free-frame count, and run
 * the address-space invariant checker on demand. The strace tool uses it
 * to have the kernel print a program's system calls (kernel/strace.c).
 */
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <kernel/strace.h>
#include <kernel/syscall.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <uapi/mica.h>

struct mm_list {
    struct mm **mms;
    size_t count, capacity;
};

static void collect_mm(struct proc *p, void *arg)
{
    struct mm_list *list = arg;
    if (p->mm && list->count < list->capacity)
        list->mms[list->count++] = p->mm;
}

int mm_check_all(void)
{
    struct mm_list list = { NULL, 0, (size_t)proc_count() };
    list.mms = kmalloc(list.capacity * sizeof(struct mm *) + 1);
    if (!list.mms)
        return 0; /* no memory to check with: not a failure of the invariants */
    proc_for_each(collect_mm, &list);
    char why[200];
    int rc = mm_check(list.mms, list.count, why, sizeof(why));
    kfree(list.mms);
    if (rc < 0)
        kprintf("mm_check: %s\n", why);
    return rc;
}

SYSCALL(SYS_mica, mica)
{
    switch (a0) {
    case MICA_FAIL_NTH_ALLOC:
        frame_fail_nth_alloc(a1);
        return 0;
    case MICA_FREE_FRAMES:
        kmalloc_shrink();
        return (long)frame_free_count();
    case MICA_MM_CHECK:
        return mm_check_all() < 0 ? -EIO : 0;
    case MICA_TRACE:
        return strace_start(proc_current(), (int)a1);
    }
    return -EINVAL;
}
