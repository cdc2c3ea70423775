/*
 * include/kernel/signal.h - signals: sending, blocking, and delivery on the way back to user mode.
 *
 * A signal sent to a process sets its bit in sig.pending. Before the
 * process next returns to user mode, signal_deliver() takes each pending
 * signal that is not blocked: a handler gets a Linux-compatible
 * rt_sigframe on the user stack (rt_sigreturn undoes it); the default
 * action ends the process, stops it (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU:
 * kernel/jobctl.c), or is nothing (SIGCHLD, SIGURG, SIGWINCH, SIGCONT).
 */
#ifndef MICA_KERNEL_SIGNAL_H
#define MICA_KERNEL_SIGNAL_H

#include <arch/trapframe.h>
#include <kernel/proc.h>

/* Marks sig pending for p and wakes p if it sleeps. */
void signal_send(struct proc *p, int sig);
/*
 * A fault signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) for the
 * current process, with the si_code and address a handler will see.
 */
void signal_send_fault(int sig, int code, vaddr_t addr);
/* True when p has a pending signal that is not blocked (or is being killed). */
bool signal_pending(const struct proc *p);
/* Delivers pending signals to the current process before it returns to user mode. */
void signal_deliver(struct trapframe *tf);
/* Resets handlers to their defaults (execve keeps SIG_IGN ones, as Linux does). */
void signal_reset_on_exec(struct proc *p);

#endif
