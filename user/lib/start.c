/*
 * start.c - from the initial stack to main(), and back out through exit().
 *
 * crt0.S passes the address of the Linux initial stack: argc, then argv
 * (argc pointers and a NULL), then envp (pointers up to a NULL), then the
 * auxiliary vector. libc_start finds the three arrays, remembers environ
 * and the auxv, calls main(argc, argv, envp) and gives its result to exit,
 * which flushes stdio - so returning from main is the same as calling exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "libc.h"

char **environ;
unsigned long *libc_auxv;

int main(int argc, char **argv, char **envp);
__attribute__((noreturn)) void libc_start(long *initial_stack);

/* Called by _start (crt0.S) only; never returns. */
void libc_start(long *initial_stack)
{
    int argc = (int)initial_stack[0];
    char **argv = (char **)(initial_stack + 1);
    char **envp = argv + argc + 1;
    char **p = envp;

    while (*p != NULL)
        p++;
    libc_auxv = (unsigned long *)(p + 1); /* just past envp's NULL */
    environ = envp;
    exit(main(argc, argv, envp));
}

unsigned long getauxval(unsigned long type)
{
    for (unsigned long *a = libc_auxv; a != NULL && a[0] != AT_NULL; a += 2)
        if (a[0] == type)
            return a[1];
    errno = ENOENT;
    return 0;
}
