/*
 * include/kernel/rtc.h - the CMOS real-time clock, read once at boot.
 */
#ifndef MICA_KERNEL_RTC_H
#define MICA_KERNEL_RTC_H

#include <types.h>

/* Reads the RTC (called once at boot). */
void rtc_init(void);
/* Seconds since 1970-01-01 00:00 UTC at the moment the timer started. */
uint64_t rtc_boot_time(void);

#endif
