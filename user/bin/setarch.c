/*
 * setarch [ARCH] -R PROGRAM [ARGS...] - runs PROGRAM with address-space
 * randomization turned off (personality ADDR_NO_RANDOMIZE), so its stack,
 * heap and mappings land at the same addresses every run, as in the tour.
 * ARCH may be x86_64 or linux64 (the only one there is); -R is
 * --addr-no-randomize. util-linux's other options are not supported.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ADDR_NO_RANDOMIZE 0x0040000

static int usage(void)
{
    fprintf(stderr, "usage: setarch [x86_64] -R PROGRAM [ARGS...]\n");
    return 1;
}

int main(int argc, char **argv)
{
    int i = 1, no_randomize = 0;

    if (i < argc && (strcmp(argv[i], "x86_64") == 0 || strcmp(argv[i], "linux64") == 0))
        i++;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-R") == 0 || strcmp(argv[i], "--addr-no-randomize") == 0)
            no_randomize = 1;
        else
            return usage();
    }
    if (i == argc || !no_randomize)
        return usage();
    long rc = syscall1(SYS_personality, ADDR_NO_RANDOMIZE);
    if (syscall_failed(rc)) {
        fprintf(stderr, "setarch: personality: %s\n", strerror((int)-rc));
        return 1;
    }
    execvp(argv[i], argv + i);
    fprintf(stderr, "setarch: %s: %s\n", argv[i], strerror(errno));
    return 127;
}
