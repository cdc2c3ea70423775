/*
 * include/kernel/timer.h - the periodic tick (PIT channel 0 on IRQ 0).
 */
#ifndef MICA_KERNEL_TIMER_H
#define MICA_KERNEL_TIMER_H

#include <types.h>

#define TIMER_HZ 100

/* Programs the PIT for TIMER_HZ and registers the tick handler. */
void timer_init(void);
/* Ticks since timer_init(). */
uint64_t timer_ticks(void);
/* The channel (sched.h) woken at every tick. */
const void *timer_channel(void);

#endif
