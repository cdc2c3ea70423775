/*
 * include/kernel/futex.h - futex() (kernel/futex.c): the timer's part.
 */
#ifndef MICA_KERNEL_FUTEX_H
#define MICA_KERNEL_FUTEX_H

/* Called every timer tick: wakes the futex waiters that have a timeout to look at the clock. */
void futex_timer_tick(void);

#endif
