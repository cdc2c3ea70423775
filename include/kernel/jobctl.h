/*
 * include/kernel/jobctl.h - process groups, sessions, and stopping and
 * continuing processes (job control), as Linux does them.
 *
 * Every process belongs to a process group (pgid) inside a session (sid);
 * fork copies both, setpgid and setsid change them. A stop signal whose
 * action is the default puts a process in PROC_STOPPED; SIGCONT (or
 * SIGKILL) makes it run again. The parent learns of each change through
 * wait4 with WUNTRACED / WCONTINUED (one report per change) and SIGCHLD.
 */
#ifndef MICA_KERNEL_JOBCTL_H
#define MICA_KERNEL_JOBCTL_H

#include <kernel/proc.h>

/* True for the signals whose default action is to stop: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU. */
bool jobctl_is_stop_signal(int sig);
/*
 * Stops the current process for sig (its default action), tells the
 * parent, and returns once SIGCONT or SIGKILL has made it runnable again.
 */
void jobctl_stop(int sig);
/* What SIGCONT does whatever its handler: drops pending stops, resumes p if stopped. */
void jobctl_continue(struct proc *p);
/*
 * Sends sig to every process of group pgid. Returns 0, or -ESRCH when the
 * group has no member (a zombie member counts, as on Linux).
 */
long jobctl_signal_group(int pgid, int sig);
/* True when some process (zombies too) is in group pgid; sid > 0: and in session sid. */
bool jobctl_group_exists(int pgid, int sid);
/*
 * True when no member of group pgid has a parent in another group of the
 * same session (init does not count): nobody is left to continue a stopped
 * member, so the terminal's stop signals do not stop it (POSIX's orphaned
 * process group).
 */
bool jobctl_group_orphaned(int pgid);
/*
 * For wait4: if child has a stop (WUNTRACED) or continue (WCONTINUED)
 * not yet reported that options ask for, writes its status to status_ptr
 * (when non-zero), forgets it, and returns the child's pid (-EFAULT when
 * the status cannot be written); returns 0 when there is nothing to report.
 */
long jobctl_wait_report(struct proc *child, int options, vaddr_t status_ptr);

#endif
