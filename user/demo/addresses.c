/*
 * addresses - where a program's things live in its address space.
 *
 * Prints the address of main's code, a global, a zeroed global (.bss), a
 * small and a large malloc block and a stack variable, then waits, so you
 * can find each one in the process's map from the shell:
 *
 *     $ /bin/demo/addresses &
 *     $ pmap -x $!              (or: cat /proc/$!/maps)
 *     $ kill $!
 *
 * Each address falls inside one line of the map: the code in the r-xp
 * mapping of /bin/demo/addresses, the global in its rw-p mapping, the
 * zeroed array from the end of that page on into the anonymous mapping
 * after it, the small block in [heap], the large block in an anonymous
 * mapping of its own (malloc mmaps blocks of 128 KiB and more), the local
 * in [stack].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LARGE (256 * 1024)

int global_counter = 42;  /* .data: initialised, so its bytes are in the file */
static char zeroed[8192]; /* .bss: all zero, so nothing in the file; anonymous memory */

static void show(const char *what, const void *addr, const char *where)
{
    printf("  %-18s %-16p %s\n", what, addr, where);
}

int main(void)
{
    int local = 7;
    char *small = malloc(64);
    char *large = malloc(LARGE);

    if (small == NULL || large == NULL) {
        perror("addresses: malloc");
        return 1;
    }
    memset(large, 1, 16 * 1024); /* touch 4 of its 64 pages: pmap -x shows RSS 16 (kB) there */
    zeroed[0] = 1;

    int pid = getpid();
    printf("addresses (pid %d): where things live\n", pid);
    show("main (code)", (void *)main, "the program's code: r-xp, mapped from the file");
    show("global_counter", &global_counter, ".data: rw-p, mapped from the file (private)");
    show("zeroed[] (bss)", zeroed, ".bss: starts in .data's last page, goes on in anonymous rw-p");
    show("malloc(64)", small, "[heap]: below the program break, sbrk(0)");
    show("sbrk(0)", sbrk(0), "the program break: the end of the heap");
    show("malloc(256 KiB)", large, "an anonymous mapping of its own (>= 128 KiB: mmap)");
    show("local (stack)", &local, "[stack]: near the top of user space");
    printf("Find each address in a line of: pmap -x %d   or   cat /proc/%d/maps\n", pid, pid);
    printf("(waiting; stop me with: kill %d)\n", pid);
    fflush(stdout);
    for (;;)
        syscall0(SYS_pause);
}
