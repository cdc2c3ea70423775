/*
 * aslr - address-space layout randomization: this program runs itself
 * twice (execve) and compares where the two runs had their stack, their
 * first anonymous mapping and their program break. With the default
 * randomize_va_space (2) all three differ; after personality(ADDR_NO_RANDOMIZE)
 * (what `setarch -R` does), which execve keeps, they are the same.
 * Prints only whether they differ, never the addresses.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

struct layout {
    unsigned long stack, mapping, brk;
};

/* Runs this program again with "report" and reads back its layout. */
static struct layout run_child(const char *self)
{
    struct layout l = { 0, 0, 0 };
    int fds[2];
    pipe(fds);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        execl(self, self, "report", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    if (fscanf(in, "%lx %lx %lx", &l.stack, &l.mapping, &l.brk) != 3)
        printf("child: no report\n");
    fclose(in);
    waitpid(pid, NULL, 0);
    return l;
}

static void compare(const char *when, const char *self)
{
    struct layout a = run_child(self), b = run_child(self);
    printf("%s: stack differs: %s\n", when, a.stack != b.stack ? "yes" : "no");
    printf("%s: mmap differs: %s\n", when, a.mapping != b.mapping ? "yes" : "no");
    printf("%s: brk differs: %s\n", when, a.brk != b.brk ? "yes" : "no");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "report") == 0) {
        int local;
        void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("%lx %lx %lx\n", (unsigned long)&local, (unsigned long)m,
               (unsigned long)syscall(SYS_brk, 0));
        return 0;
    }
    int old = personality(0xffffffff);
    printf("personality at start: %s\n", old & ADDR_NO_RANDOMIZE ? "no randomization" : "0");
    compare("randomized", argv[0]);
    printf("personality(ADDR_NO_RANDOMIZE): %s\n",
           personality(ADDR_NO_RANDOMIZE) == old ? "old value back" : "?");
    printf("now: %s\n", personality(0xffffffff) & ADDR_NO_RANDOMIZE ? "ADDR_NO_RANDOMIZE" : "?");
    compare("ADDR_NO_RANDOMIZE", argv[0]);
    return 0;
}
