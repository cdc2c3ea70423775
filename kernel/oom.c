/*
 * kernel/oom.c - the OOM killer: whom to kill when a page fault finds no free frame.
 *
 * Like Linux's oom_badness(), a process's score is the memory that killing
 * it would give back: its resident pages, the frames of its page tables and
 * its kernel stack. (Counting only resident pages made a fork bomb's
 * processes look free: each costs a kernel stack and a few page tables, and
 * the killer kept picking the 56 kB process that happened to fault.) init
 * (pid 1) is never chosen; on a tie the process whose fault failed is (a
 * forked child that shares all its parent's pages scores the same as the
 * parent: it is the child that asked for more).
 *
 * One victim at a time (Linux's oom_victims): while the last one has not
 * exited, a process whose fault fails again sleeps until it has, then
 * retries the fault, instead of killing a second process for memory that
 * is about to come back.
 */
#include <kernel/console.h>
#include <kernel/oom.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <mm/mm.h>

static struct proc *victim; /* killed, not yet exited; NULL: none */

uint64_t oom_badness(struct proc *p)
{
    struct mm *mm = p->mm;
    if (!mm)
        return 0;
    uint64_t rss = mm->counters.rss_anon + mm->counters.rss_file + mm->counters.rss_shmem;
    return rss + pt_count_tables(mm->pml4) + KSTACK_SIZE / PAGE_SIZE;
}

struct choice {
    struct proc *best;
    uint64_t best_score;
};

static void consider(struct proc *p, void *arg)
{
    struct choice *c = arg;
    if (p->pid == 1 || p->state == PROC_ZOMBIE || !p->mm || p->killed)
        return;
    uint64_t score = oom_badness(p);
    if (score > c->best_score) {
        c->best = p;
        c->best_score = score;
    }
}

struct proc *oom_choose_victim(void)
{
    struct proc *self = proc_current();
    struct choice c = { NULL, 0 };
    if (self && self->pid != 1 && !self->killed) /* ties go to the process that ran out */
        c = (struct choice){ self, oom_badness(self) };
    proc_for_each(consider, &c);
    return c.best;
}

void oom_kill(void)
{
    struct proc *self = proc_current();
    if (victim == self)
        return; /* already killed: SIGKILL is delivered on the way out */
    if (victim) { /* memory is on its way back: wait for it, then fault again */
        sleep_on(&victim);
        return;
    }
    struct proc *p = oom_choose_victim();
    if (!p)
        p = self; /* only init is left, and it is the one faulting */
    struct mm *mm = p->mm;
    kprintf_always("Out of memory: killed %s[%d], badness %lu pages (rss %lu kB, page tables %lu kB, "
            "kernel stack %lu kB)\n", p->name, p->pid, oom_badness(p),
            (mm->counters.rss_anon + mm->counters.rss_file + mm->counters.rss_shmem) * 4,
            pt_count_tables(mm->pml4) * 4, KSTACK_SIZE / 1024);
    signal_send(p, SIGKILL);
    if (p != self) {
        victim = p;
        sleep_on(&victim);
    }
}

void oom_note_exit(struct proc *p)
{
    if (p == victim) {
        victim = NULL;
        wakeup(&victim);
    }
}
