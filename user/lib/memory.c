/*
 * memory.c - system calls on the address space: brk/sbrk (the heap's end)
 * and mmap/munmap/mprotect.
 *
 * brk is the odd one out: the kernel never returns an error code for it.
 * It always answers with the break as it now is, so a request that could
 * not be granted shows up as "the break did not move to where I asked".
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libc.h"

/* The break as last seen (0: not asked yet). */
static unsigned long current_break;

int brk(void *addr)
{
    unsigned long now = (unsigned long)syscall1(SYS_brk, (long)addr);

    current_break = now;
    if (now != (unsigned long)addr) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void *sbrk(long increment)
{
    unsigned long old;

    if (current_break == 0)
        current_break = (unsigned long)syscall1(SYS_brk, 0); /* brk(0) just reports */
    old = current_break;
    if (increment == 0)
        return (void *)old;
    if (brk((void *)(old + increment)) < 0)
        return (void *)-1;
    return (void *)old;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
    long ret = syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, offset);

    if (syscall_failed(ret)) {
        errno = (int)-ret;
        return MAP_FAILED;
    }
    return (void *)ret;
}

int munmap(void *addr, size_t len)
{
    return (int)libc_result(syscall2(SYS_munmap, (long)addr, (long)len));
}

int mprotect(void *addr, size_t len, int prot)
{
    return (int)libc_result(syscall3(SYS_mprotect, (long)addr, (long)len, prot));
}
