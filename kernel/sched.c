/*
 * kernel/sched.c - the run queue, switching, sleeping and waking.
 *
 * run_queue holds RUNNABLE processes in FIFO order (round-robin). The
 * running process is cpu0.current (NULL while the idle loop runs on the
 * boot stack). schedule() picks the next process and switch_to() moves
 * the CPU to it: its address space (CR3), its kernel stack for the next
 * trap (TSS.rsp0 and cpu0.kernel_rsp), its TLS base and FPU registers,
 * and finally its kernel registers (switch_context).
 *
 * Kernel code runs with interrupts off; only the idle loop (and user
 * mode) enables them. So no process can be interrupted between checking
 * a condition and calling sleep_on(), and wakeup() from an interrupt
 * handler can only happen while idle or in user mode.
 */
#include <arch/gdt.h>
#include <arch/x86.h>
#include <kernel/cpu.h>
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/timer.h>
#include <mm/mm.h>

struct context;
void switch_context(struct context **save, struct context *next);

static struct list_node run_queue = { &run_queue, &run_queue };
static struct context *idle_context;
static uint64_t context_switches;

/* Load averages as Linux computes them (kernel/sched/loadavg.c): fixed point, every 5 s. */
#define LOAD_FSHIFT 11
#define LOAD_FIXED_1 (1ul << LOAD_FSHIFT)
#define LOAD_FREQ_TICKS (5 * TIMER_HZ + 1)
static const unsigned long load_exp[3] = { 1884, 2014, 2037 }; /* 2048 / e^(5s / 1, 5, 15 min) */
static unsigned long load_avg[3];
static uint64_t load_countdown = LOAD_FREQ_TICKS;

struct proc *proc_current(void)
{
    return cpu0.current;
}

void sched_make_runnable(struct proc *p)
{
    p->state = PROC_RUNNABLE;
    list_push_back(&run_queue, &p->run_link);
}

static struct proc *run_queue_take(void)
{
    if (list_empty(&run_queue))
        return NULL;
    struct proc *p = container_of(run_queue.next, struct proc, run_link);
    list_remove(&p->run_link);
    return p;
}

/* Everything about the CPU that belongs to the process, except its registers. */
static void load_process_state(struct proc *next)
{
    uint64_t kstack_top = (uint64_t)next->kstack + KSTACK_SIZE;
    cpu0.current = next;
    cpu0.kernel_rsp = kstack_top;
    tss_set_kernel_stack(kstack_top);
    if (next->mm != mm_current())
        mm_switch(next->mm);
    wrmsr(MSR_FS_BASE, next->fs_base);
    fpu_restore(next->fpu_state);
}

/* Leaves prev (or the idle loop, when prev is NULL) and runs next (or the idle loop). */
static void switch_to(struct proc *prev, struct proc *next)
{
    struct context **save = &idle_context;
    if (prev) {
        prev->fs_base = rdmsr(MSR_FS_BASE);
        fpu_save(prev->fpu_state);
        save = &prev->context;
    }
    if (next) {
        next->state = PROC_RUNNING;
        load_process_state(next);
        switch_context(save, next->context);
    } else {
        cpu0.current = NULL;
        switch_context(save, idle_context);
    }
}

void schedule(void)
{
    struct proc *prev = cpu0.current;
    cpu0.need_resched = false;
    if (prev && prev->state == PROC_RUNNING)
        sched_make_runnable(prev);
    struct proc *next = run_queue_take();
    if (next == prev) {
        if (next)
            next->state = PROC_RUNNING;
        return;
    }
    if (!next && !prev)
        return; /* the idle loop asked, and there is nothing to run */
    context_switches++;
    switch_to(prev, next);
}

int sleep_on(const void *channel)
{
    struct proc *p = cpu0.current;
    assert(p);
    if (signal_pending(p))
        return -EINTR;
    p->state = PROC_SLEEPING;
    p->wait_channel = channel;
    schedule();
    p->wait_channel = NULL;
    return signal_pending(p) ? -EINTR : 0;
}

void sleep_uninterruptible(const void *channel)
{
    struct proc *p = cpu0.current;
    assert(p);
    p->state = PROC_DISK_SLEEP;
    p->wait_channel = channel;
    schedule();
    p->wait_channel = NULL;
}

static void wake_if_waiting(struct proc *p, void *channel)
{
    if ((p->state == PROC_SLEEPING || p->state == PROC_DISK_SLEEP) && p->wait_channel == channel)
        sched_make_runnable(p);
}

void wakeup(const void *channel)
{
    proc_for_each((void (*)(struct proc *, void *))wake_if_waiting, (void *)channel);
}

uint64_t sched_context_switches(void)
{
    return context_switches;
}

static void count_active(struct proc *p, void *arg)
{
    if (p->state == PROC_RUNNABLE || p->state == PROC_RUNNING)
        (*(unsigned long *)arg)++;
}

void sched_tick(void)
{
    if (--load_countdown > 0)
        return;
    load_countdown = LOAD_FREQ_TICKS;
    unsigned long active = 0;
    proc_for_each(count_active, &active);
    active *= LOAD_FIXED_1;
    for (int i = 0; i < 3; i++) {
        unsigned long next = load_avg[i] * load_exp[i] + active * (LOAD_FIXED_1 - load_exp[i]);
        if (active >= load_avg[i])
            next += LOAD_FIXED_1 - 1; /* round up while rising, as Linux's calc_load */
        load_avg[i] = next / LOAD_FIXED_1;
    }
}

void sched_loadavg(unsigned long avg[3])
{
    for (int i = 0; i < 3; i++)
        avg[i] = load_avg[i];
}

void sched_idle(void)
{
    for (;;) {
        schedule(); /* returns when nothing is runnable */
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
}
