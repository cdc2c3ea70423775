/*
 * time.h - clocks and sleeping.
 *
 * struct timespec is the kernel's struct linux_timespec under its
 * standard name (checked at compile time).
 */
#ifndef MICA_USER_TIME_H
#define MICA_USER_TIME_H

#include <sys/types.h>
#include <uapi/wait.h>

struct timespec {
    time_t tv_sec;
    long tv_nsec; /* 0 .. 999,999,999 */
};

_Static_assert(sizeof(struct timespec) == sizeof(struct linux_timespec),
               "struct timespec must match the kernel's struct linux_timespec");

#define CLOCK_REALTIME 0   /* wall-clock time, can jump */
#define CLOCK_MONOTONIC 1  /* time since boot, never goes back */

/* Seconds since the epoch; also stored in *t unless t is NULL. -1 on error. */
time_t time(time_t *t);
/* Reads clock id into *ts; 0, or -1 with errno (EINVAL for an unknown clock). */
int clock_gettime(clockid_t id, struct timespec *ts);
/*
 * Sleeps for *req. 0 when the whole time passed; -1 with errno EINTR when
 * a signal cut it short, and then *rem (unless NULL) holds what was left.
 */
int nanosleep(const struct timespec *req, struct timespec *rem);

#endif
