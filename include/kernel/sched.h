/*
 * include/kernel/sched.h - switching between processes, sleeping and waking.
 *
 * Round-robin: a FIFO run queue of RUNNABLE processes. schedule() gives
 * the CPU to the next one (or to the idle loop when there is none). A
 * process blocks with sleep_on(channel) and wakes when someone calls
 * wakeup(channel) with the same channel (any address that names the event:
 * a pipe, the console, a parent waiting for children).
 */
#ifndef MICA_KERNEL_SCHED_H
#define MICA_KERNEL_SCHED_H

#include <kernel/proc.h>

/* Puts p on the run queue (state RUNNABLE). */
void sched_make_runnable(struct proc *p);
/*
 * Gives up the CPU: the current process (if still RUNNING) goes to the back
 * of the run queue and the next one runs. Returns when this process runs again.
 */
void schedule(void);
/*
 * Sleeps until wakeup(channel). Returns 0, or -EINTR when a signal
 * arrived (the caller returns -EINTR, or restarts).
 */
int sleep_on(const void *channel);
/*
 * Sleeps until wakeup(channel), and signals do not end the sleep: for
 * waits that must finish (disk I/O, a page being read in). The process
 * shows as 'D' in ps.
 */
void sleep_uninterruptible(const void *channel);
/* Makes every process sleeping on channel RUNNABLE. */
void wakeup(const void *channel);
/* Switches from one process (or the idle loop) to another since boot (/proc/stat ctxt). */
uint64_t sched_context_switches(void);
/*
 * Called by the timer every tick: every 5 seconds, folds the number of
 * runnable processes into the 1, 5 and 15 minute load averages.
 */
void sched_tick(void);
/* The load averages in Linux's fixed point (FSHIFT 11 bits of fraction: 2048 = 1.0). */
void sched_loadavg(unsigned long avg[3]);

/* The idle loop that runs when nothing else can: enables interrupts and halts. */
__noreturn void sched_idle(void);

#endif
