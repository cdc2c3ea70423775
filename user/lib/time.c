/*
 * time.c - clocks and sleeping: clock_gettime, time, nanosleep, sleep.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libc.h"

int clock_gettime(clockid_t id, struct timespec *ts)
{
    return (int)libc_result(syscall2(SYS_clock_gettime, id, (long)ts));
}

time_t time(time_t *t)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -1;
    if (t != NULL)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    return (int)libc_result(syscall2(SYS_nanosleep, (long)req, (long)rem));
}

unsigned int sleep(unsigned int seconds)
{
    struct timespec req = { .tv_sec = seconds, .tv_nsec = 0 };
    struct timespec rem = { 0, 0 };

    if (nanosleep(&req, &rem) < 0 && errno == EINTR)
        return (unsigned int)rem.tv_sec + (rem.tv_nsec > 0); /* round the rest up */
    return 0;
}
