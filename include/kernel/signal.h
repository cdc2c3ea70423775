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
#include <memlayout.h>

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
/*
 * Whether user mode may be entered at rip: iretq (and sysret) to a
 * non-canonical address faults in ring 0, on the user's registers. (Inline:
 * it is on every way back to user mode.)
 */
static inline bool signal_user_rip_ok(uint64_t rip)
{
    return rip < USER_TOP || rip >= DIRECT_MAP_BASE; /* the kernel half faults in user mode */
}
/*
 * Called last on every way back to user mode (after a syscall, exec,
 * rt_sigreturn, a handler's frame): a non-canonical tf->rip becomes what
 * Linux makes of it, a SIGSEGV (SI_KERNEL, address 0) for the process.
 */
void signal_check_user_return(struct trapframe *tf);
/*
 * Blocks mask (SIGKILL and SIGSTOP excepted) while a call waits, keeping
 * the current mask to put back (ppoll, pselect6).
 */
void signal_set_wait_mask(uint64_t mask);
/*
 * Ends the wait: the old mask comes back now, or, when a signal
 * interrupted the wait, after that signal's handler (its frame carries the
 * old mask, so rt_sigreturn restores it), as Linux does.
 */
void signal_end_wait_mask(bool interrupted);
/* Resets handlers to their defaults (execve keeps SIG_IGN ones, as Linux does). */
void signal_reset_on_exec(struct proc *p);

#endif
