/*
 * clock_sleep - the guest's side of scripts/clock-test.py: prints the
 * monotonic and wall-clock time, sleeps SECONDS (argv[1]) with nanosleep,
 * and prints them again. The script timestamps both lines on the host as
 * they arrive on the serial line and compares the elapsed times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void stamp(const char *what)
{
    struct timespec mono, real;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    printf("clock: %s %lld.%09ld %lld.%09ld\n", what, (long long)mono.tv_sec, mono.tv_nsec,
           (long long)real.tv_sec, real.tv_nsec);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    long seconds = argc > 1 ? atol(argv[1]) : 5;
    struct timespec req = { seconds, 0 };
    stamp("start");
    if (nanosleep(&req, NULL) != 0) {
        perror("nanosleep");
        return 1;
    }
    stamp("end");
    return 0;
}
