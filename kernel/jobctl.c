/*
 * kernel/jobctl.c - process groups, sessions, and stopped processes (job control).
 *
 * A process's pgid and sid (struct proc) name its process group and
 * session; a group or a session exists while some process carries its
 * number, and its id is the pid of the process that made it (setpgid,
 * setsid). Invariants, as on Linux: a process's group lies inside its
 * session; a session leader (pid == sid) never changes group.
 *
 * Stopping: signal_deliver() calls jobctl_stop() for a stop signal whose
 * action is the default; the process goes to PROC_STOPPED, which no
 * wakeup() touches, and only jobctl_continue() (SIGCONT) or a SIGKILL
 * makes it runnable again. Each change is left in jobctl_report for the
 * parent's wait4 (WUNTRACED / WCONTINUED), which takes it once.
 */
#include <kernel/errno.h>
#include <kernel/jobctl.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/syscall.h>
#include <kernel/tty.h>
#include <mm/usercopy.h>
#include <uapi/wait.h>

#define SIG_BIT(sig) (1ul << ((sig) - 1))
#define STOP_SIGNALS (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))

bool jobctl_is_stop_signal(int sig)
{
    return sig >= 1 && sig <= NSIG && (STOP_SIGNALS & SIG_BIT(sig));
}

/* The parent hears of a stop or a continue: SIGCHLD (unless it set SA_NOCLDSTOP) and a wakeup. */
static void notify_parent(struct proc *p)
{
    struct proc *parent = p->parent;
    if (!parent)
        return;
    if (!(parent->sig.actions[SIGCHLD].flags & SA_NOCLDSTOP))
        signal_send(parent, SIGCHLD);
    wakeup(parent);
}

void jobctl_stop(int sig)
{
    struct proc *p = proc_current();
    p->state = PROC_STOPPED;
    p->jobctl_report = W_STOPCODE(sig);
    notify_parent(p);
    schedule(); /* back here after SIGCONT or SIGKILL */
}

void jobctl_continue(struct proc *p)
{
    p->sig.pending &= ~STOP_SIGNALS;
    if (p->state != PROC_STOPPED)
        return;
    p->jobctl_report = W_CONTINUED;
    sched_make_runnable(p);
    notify_parent(p);
}

struct group_walk {
    int pgid, sid, sig;
    int found;
};

static void signal_member(struct proc *p, void *arg)
{
    struct group_walk *g = arg;
    /* zombies count, as on Linux: they keep their group until they are reaped */
    if (p->pgid != g->pgid || (g->sid > 0 && p->sid != g->sid))
        return;
    g->found++;
    if (g->sig)
        signal_send(p, g->sig);
}

long jobctl_signal_group(int pgid, int sig)
{
    struct group_walk g = { pgid, 0, sig, 0 };
    proc_for_each(signal_member, &g);
    return g.found ? 0 : -ESRCH;
}

bool jobctl_group_exists(int pgid, int sid)
{
    struct group_walk g = { pgid, sid, 0, 0 };
    proc_for_each(signal_member, &g);
    return g.found > 0;
}

struct orphan_walk {
    int pgid;
    bool has_outside_parent;
};

static void check_parent(struct proc *p, void *arg)
{
    struct orphan_walk *w = arg;
    struct proc *parent = p->parent;
    if (p->pgid != w->pgid || p->state == PROC_ZOMBIE || !parent || parent->pid == 1)
        return;
    if (parent->pgid != w->pgid && parent->sid == p->sid)
        w->has_outside_parent = true;
}

bool jobctl_group_orphaned(int pgid)
{
    struct orphan_walk w = { pgid, false };
    proc_for_each(check_parent, &w);
    return !w.has_outside_parent;
}

long jobctl_wait_report(struct proc *child, int options, vaddr_t status_ptr)
{
    int status = child->jobctl_report;
    int wanted = status == W_CONTINUED ? WCONTINUED : WUNTRACED;
    if (status == 0 || !(options & wanted))
        return 0;
    child->jobctl_report = 0;
    if (status_ptr && copy_to_user(status_ptr, &status, sizeof(status)) < 0)
        return -EFAULT;
    return child->pid;
}

/* ---- system calls ---------------------------------------------------------------------- */

/* The process pid names for the *id calls: 0 is the caller. NULL when there is none. */
static struct proc *proc_or_self(int pid)
{
    return pid == 0 ? proc_current() : proc_find(pid);
}

/* setpgid's checks on who may move p, in Linux's order (kernel/sys.c). */
static long may_set_pgid(struct proc *self, struct proc *p, int pgid)
{
    if (p->parent == self) {
        if (p->sid != self->sid)
            return -EPERM;
        if (p->did_exec)
            return -EACCES;
    } else if (p != self) {
        return -ESRCH;
    }
    if (p->pid == p->sid)
        return -EPERM; /* a session leader stays where it is */
    if (pgid != p->pid && !jobctl_group_exists(pgid, self->sid))
        return -EPERM; /* joining a group: it must exist, in our session */
    return 0;
}

SYSCALL(SYS_setpgid, setpgid)
{
    struct proc *self = proc_current();
    int pid = (int)a0 ? (int)a0 : self->pid;
    int pgid = (int)a1 ? (int)a1 : pid;
    if (pgid < 0)
        return -EINVAL;
    struct proc *p = proc_find(pid);
    if (!p)
        return -ESRCH;
    long err = may_set_pgid(self, p, pgid);
    if (err)
        return err;
    p->pgid = pgid;
    return 0;
}

SYSCALL(SYS_getpgid, getpgid)
{
    struct proc *p = proc_or_self((int)a0);
    return p ? p->pgid : -ESRCH;
}

SYSCALL(SYS_getpgrp, getpgrp)
{
    return proc_current()->pgid;
}

SYSCALL(SYS_getsid, getsid)
{
    struct proc *p = proc_or_self((int)a0);
    return p ? p->sid : -ESRCH;
}

/* A new session and group, both named after the caller, with no controlling terminal. */
SYSCALL(SYS_setsid, setsid)
{
    struct proc *self = proc_current();
    if (jobctl_group_exists(self->pid, 0))
        return -EPERM; /* a group (ours or another's) already has our id */
    self->sid = self->pgid = self->pid;
    return self->sid;
}
