/*
 * kernel/drivers/timer.c - the 8254 PIT as a fixed-rate tick.
 *
 * Channel 0 in mode 3 (square wave) divides the PIT's 1.193182 MHz input
 * down to TIMER_HZ interrupts a second. `ticks` only ever increases. Each
 * tick is charged to the running process (user or system time), ends its
 * time slice if it was in user mode, and wakes processes that sleep on
 * timer_channel() (nanosleep) and the poll/select and futex waiters that
 * have a timeout. Ticks are not a clock (QEMU can lose them): time is
 * read from the TSC (kernel/time.c).
 */
#include <arch/x86.h>
#include <kernel/timer.h>
#include <kernel/cpu.h>
#include <kernel/file.h>
#include <kernel/futex.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/trap.h>

#define PIT_INPUT_HZ 1193182
#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43
#define PIT_CH0_LOHI_MODE3 0x36
#define IRQ_TIMER 0

static volatile uint64_t ticks;

static void timer_tick(struct trapframe *tf)
{
    ticks++;
    struct proc *p = proc_current();
    if (p) {
        if (trapframe_from_user(tf)) {
            p->user_ticks++;
            cpu0.need_resched = true; /* a time slice is one tick */
        } else {
            p->system_ticks++;
        }
    }
    sched_tick();
    wakeup(timer_channel());
    poll_timer_tick();
    futex_timer_tick();
}

const void *timer_channel(void)
{
    return (const void *)&ticks;
}

void timer_init(void)
{
    uint16_t divisor = PIT_INPUT_HZ / TIMER_HZ;
    outb(PIT_COMMAND, PIT_CH0_LOHI_MODE3);
    outb(PIT_CHANNEL0, (uint8_t)divisor);
    outb(PIT_CHANNEL0, (uint8_t)(divisor >> 8));
    irq_register(IRQ_TIMER, timer_tick);
}

uint64_t timer_ticks(void)
{
    return ticks;
}
