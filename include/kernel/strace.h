/*
 * include/kernel/strace.h - printing a process's system calls, for the
 * strace tool (user/bin/strace.c).
 *
 * mica has no ptrace. Instead a process asks the kernel to trace itself,
 * syscall(SYS_mica, MICA_TRACE, fd), and from then on the kernel writes
 * one line per system call, in strace's format, to that process's
 * descriptor fd:
 *
 *     open("/tmp/x", O_RDONLY) = -1 ENOENT (No such file or directory)
 *
 * The state is p->trace (include/kernel/proc.h): root_pid != 0 means
 * traced; fd is the descriptor, in the process's own table, the lines go
 * to; root_pid is the process that asked, whose lines have no "[pid N] "
 * prefix. A forked child inherits it (proc_fork), and fd with it. Holding
 * a descriptor number rather than a file reference means nothing needs
 * undoing when a traced process dies: its descriptors close as usual.
 */
#ifndef MICA_KERNEL_STRACE_H
#define MICA_KERNEL_STRACE_H

#include <arch/trapframe.h>
#include <types.h>

struct proc;
struct strace_call; /* one system call in progress: kernel/strace.c */

/*
 * MICA_TRACE: traces p (and its future children) into p's descriptor fd,
 * which must be open for writing; fd < 0 stops the trace. 0 or -EBADF.
 */
long strace_start(struct proc *p, int fd);

/*
 * Before traced process p makes the system call in tf: remembers it and
 * returns the record strace_leave needs, or NULL (nothing to print later,
 * or no memory). exit and exit_group are printed here, since they never
 * return; execve's arguments are read here, before the old memory goes.
 */
struct strace_call *strace_enter(struct proc *p, const struct trapframe *tf);

/* After the call: prints its line with result and frees call. NULL: does nothing. */
void strace_leave(struct strace_call *call, long result);

#endif
