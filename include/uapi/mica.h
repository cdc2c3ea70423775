/*
 * include/uapi/mica.h - mica's own system call, for tests and tools.
 *
 * Linux has nothing like it, so it has a number Linux does not use (500).
 * A program that calls it is mica-specific; everything else in mica's ABI
 * is Linux's.
 *
 *   syscall(SYS_mica, MICA_FAIL_NTH_ALLOC, n)   the n-th frame allocation from now
 *                                                fails (0: off); returns 0
 *   syscall(SYS_mica, MICA_FREE_FRAMES)         free frames right now
 *   syscall(SYS_mica, MICA_MM_CHECK)            runs the invariant checker over every
 *                                                address space: 0, or -EIO (and the
 *                                                kernel prints what is broken)
 *   syscall(SYS_mica, MICA_TRACE, fd)           traces this process and the children it
 *                                                forks from now on: after each system call
 *                                                the kernel writes a line in strace's format
 *                                                to descriptor fd (it must stay open, so
 *                                                put it out of the program's way, say at
 *                                                1000); fd -1 stops. 0, or -EBADF when fd
 *                                                is not open for writing (user/bin/strace.c,
 *                                                kernel/strace.c)
 */
#ifndef MICA_UAPI_MICA_H
#define MICA_UAPI_MICA_H

#define SYS_mica 500

#define MICA_FAIL_NTH_ALLOC 1
#define MICA_FREE_FRAMES 2
#define MICA_MM_CHECK 3
#define MICA_TRACE 4

#endif
