/*
 * kill [-SIGNAL] PID... - sends a signal (SIGTERM unless given, as a
 * number: kill -9 PID) to each process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int sig = SIGTERM, status = 0, i = 1;

    if (argc > 1 && argv[1][0] == '-') {
        sig = atoi(argv[1] + 1);
        i++;
    }
    if (i >= argc || sig <= 0 || sig >= NSIG) {
        fprintf(stderr, "usage: kill [-SIGNAL] PID...\n");
        return 2;
    }
    for (; i < argc; i++) {
        if (kill(atoi(argv[i]), sig) < 0) {
            fprintf(stderr, "kill: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        }
    }
    return status;
}
