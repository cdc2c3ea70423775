/*
 * include/kernel/time.h - the clock: nanoseconds since boot and since 1970,
 * read from the TSC (kernel/time.c), so that no lost timer tick can slow it.
 */
#ifndef MICA_KERNEL_TIME_H
#define MICA_KERNEL_TIME_H

#include <types.h>

#define NSEC_PER_SEC 1000000000ul

/* Measures the TSC's rate against the PIT (50-100 ms); after rtc_init(). */
void time_init(void);
/* Nanoseconds since time_init(): never goes back, counts while processes sleep. */
uint64_t time_monotonic_ns(void);
/* Nanoseconds since 1970-01-01 00:00 UTC (the RTC at boot + time_monotonic_ns()). */
uint64_t time_realtime_ns(void);
/*
 * Sleeps until time_monotonic_ns() reaches deadline (looking at the clock
 * on every timer tick). 0, or -EINTR when a signal comes first.
 */
int time_sleep_until_ns(uint64_t deadline);
/*
 * Reads a struct timespec from user memory at uts as nanoseconds, for every
 * syscall that takes a timeout or sleep length (a huge tv_sec is clamped
 * far into the future, never wrapped). 0, -EFAULT, or
 * -EINVAL for a negative time or tv_nsec outside [0, 1e9).
 */
int time_ns_from_user(vaddr_t uts, uint64_t *ns);
/* The TSC's measured rate in Hz (for the boot message and tests). */
uint64_t time_tsc_hz(void);

#endif
