/*
 * kernel/signal.c - signals: sending, masks, handlers and their stack frames.
 *
 * State per process (struct sig_state in proc.h): an action per signal
 * (Linux's struct sigaction layout), a blocked mask and a pending mask
 * (bit s-1 for signal s). Sending only sets a pending bit (and wakes a
 * sleeper); everything else happens in signal_deliver(), on the way back
 * to user mode, where the trap frame can be changed:
 *   - default action: end the process ("killed by signal") or nothing;
 *   - a handler: push a struct rt_sigframe (Linux's layout, so libc's
 *     restorer and ucontext work unchanged) and enter the handler;
 *     rt_sigreturn restores the registers, the mask and the FPU state saved
 *     in the frame.
 * SIGKILL and SIGSTOP cannot be caught, blocked or ignored. The stop
 * signals' default action stops the process and SIGCONT resumes it
 * (kernel/jobctl.c).
 */
#include <arch/gdt.h>
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/cpu.h>
#include <kernel/errno.h>
#include <kernel/jobctl.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/syscall.h>
#include <kernel/trap.h>
#include <memlayout.h>
#include <lib/string.h>
#include <mm/usercopy.h>
#include <uapi/wait.h>

#define SIG_BIT(sig) (1ul << ((sig) - 1))
#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
/* RFLAGS bits a program may set through rt_sigreturn: CF PF AF ZF SF TF DF OF AC */
#define RFLAGS_USER_CHANGEABLE 0x40dd5ul
#define MXCSR_OFFSET 24        /* in the fxsave image */
#define MXCSR_VALID_BITS 0xffff

/* Linux x86-64 signal frame pieces (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h). */
struct sigcontext64 {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate; /* user address of the fxsave image */
    uint64_t reserved1[8];
};

struct ucontext64 {
    uint64_t uc_flags;
    uint64_t uc_link;
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
    struct sigcontext64 mcontext;
    uint64_t sigmask;
};

struct siginfo64 {
    int32_t si_signo, si_errno, si_code, pad;
    union {
        uint64_t si_addr;             /* SIGSEGV, SIGBUS, ... */
        struct { int32_t pid; uint32_t uid; } kill;
        uint8_t bytes[112];
    };
};

struct rt_sigframe {
    uint64_t pretcode;  /* the handler "returns" here: sa_restorer */
    struct ucontext64 uc;
    struct siginfo64 info;
};

_Static_assert(sizeof(struct siginfo64) == 128, "siginfo is 128 bytes");
_Static_assert(sizeof(struct sigcontext64) == 256, "sigcontext is 256 bytes");

static bool valid_signal(int sig)
{
    return sig >= 1 && sig <= NSIG;
}

static bool default_is_ignore(int sig);

/* An ignored signal that is not blocked is dropped when sent, as Linux does. */
static bool signal_ignored(const struct proc *p, int sig)
{
    uint64_t handler = p->sig.actions[sig].handler;
    if (sig == SIGKILL || sig == SIGSTOP || (p->sig.blocked & SIG_BIT(sig)))
        return false;
    return handler == SIG_IGN || (handler == SIG_DFL && default_is_ignore(sig));
}

void signal_send(struct proc *p, int sig)
{
    if (!p || !valid_signal(sig) || p->state == PROC_ZOMBIE)
        return;
    if (sig == SIGCONT)
        jobctl_continue(p); /* whatever its handler: continuing is done on sending */
    else if (jobctl_is_stop_signal(sig))
        p->sig.pending &= ~SIG_BIT(SIGCONT);
    if (signal_ignored(p, sig))
        return;
    p->sig.pending |= SIG_BIT(sig);
    if (sig == SIGKILL) {
        p->killed = true;
        if (p->state == PROC_STOPPED)
            sched_make_runnable(p);
    }
    if (p->state == PROC_SLEEPING && signal_pending(p))
        sched_make_runnable(p);
}

void signal_send_fault(int sig, int code, vaddr_t addr)
{
    struct proc *p = proc_current();
    struct linux_sigaction *act = &p->sig.actions[sig];
    /* A fault that is blocked or ignored cannot be survived: back to the default. */
    if ((p->sig.blocked & SIG_BIT(sig)) || act->handler == SIG_IGN) {
        p->sig.blocked &= ~SIG_BIT(sig);
        act->handler = SIG_DFL;
    }
    p->sig.fault_code = code;
    p->sig.fault_addr = addr;
    signal_send(p, sig);
}

bool signal_pending(const struct proc *p)
{
    return p->killed || (p->sig.pending & ~(p->sig.blocked & ~UNBLOCKABLE)) != 0;
}

static bool default_is_ignore(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

void signal_reset_on_exec(struct proc *p)
{
    for (int sig = 1; sig <= NSIG; sig++) {
        struct linux_sigaction *act = &p->sig.actions[sig];
        if (act->handler != SIG_IGN)
            memset(act, 0, sizeof(*act));
    }
}

/* ---- building and undoing a handler's frame ---------------------------------- */

static void save_registers(struct sigcontext64 *sc, const struct trapframe *tf)
{
    *sc = (struct sigcontext64){
        .r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11,
        .r12 = tf->r12, .r13 = tf->r13, .r14 = tf->r14, .r15 = tf->r15,
        .rdi = tf->rdi, .rsi = tf->rsi, .rbp = tf->rbp, .rbx = tf->rbx,
        .rdx = tf->rdx, .rax = tf->rax, .rcx = tf->rcx, .rsp = tf->rsp,
        .rip = tf->rip, .eflags = tf->rflags,
        .cs = GDT_USER_CODE | SEL_RPL_USER, .ss = GDT_USER_DATA | SEL_RPL_USER,
        .err = tf->vector == T_PAGE_FAULT ? tf->error_code : 0,
        .trapno = tf->vector < 32 ? tf->vector : 0,
    };
}

static void restore_registers(struct trapframe *tf, const struct sigcontext64 *sc)
{
    tf->r8 = sc->r8, tf->r9 = sc->r9, tf->r10 = sc->r10, tf->r11 = sc->r11;
    tf->r12 = sc->r12, tf->r13 = sc->r13, tf->r14 = sc->r14, tf->r15 = sc->r15;
    tf->rdi = sc->rdi, tf->rsi = sc->rsi, tf->rbp = sc->rbp, tf->rbx = sc->rbx;
    tf->rdx = sc->rdx, tf->rax = sc->rax, tf->rcx = sc->rcx, tf->rsp = sc->rsp;
    tf->rip = sc->rip;
    tf->rflags = (tf->rflags & ~RFLAGS_USER_CHANGEABLE) | (sc->eflags & RFLAGS_USER_CHANGEABLE);
    tf->cs = GDT_USER_CODE | SEL_RPL_USER; /* whatever the frame says */
    tf->ss = GDT_USER_DATA | SEL_RPL_USER;
    tf->vector = T_SIGRETURN;       /* not a syscall frame any more: no restart */
}

static void fill_siginfo(struct siginfo64 *info, const struct proc *p, int sig)
{
    memset(info, 0, sizeof(*info));
    info->si_signo = sig;
    bool fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
                 sig == SIGTRAP;
    if (fault && p->sig.fault_code) {
        info->si_code = p->sig.fault_code;
        info->si_addr = p->sig.fault_addr;
    } else {
        info->si_code = SI_USER;
    }
}

/*
 * Makes a syscall interrupted by this signal start again (SA_RESTART), or
 * return -EINTR: the syscall number was kept in the frame's error_code.
 */
static void restart_interrupted_syscall(struct trapframe *tf, const struct linux_sigaction *act)
{
    if (tf->vector != T_SYSCALL)
        return;
    if ((long)tf->rax == -ERESTARTNOHAND) { /* EINTR for a handler, else again */
        if (act) {
            tf->rax = (uint64_t)-EINTR;
            return;
        }
        tf->rax = tf->error_code;
        tf->rip -= 2;
        return;
    }
    if ((long)tf->rax != -EINTR)
        return;
    if (act && (act->flags & SA_RESTART)) {
        tf->rax = tf->error_code;
        tf->rip -= 2; /* the syscall instruction is 2 bytes */
    }
}

/* Pushes an rt_sigframe (and an FPU image) for sig and points tf at the handler. */
static bool push_handler_frame(struct proc *p, struct trapframe *tf, int sig)
{
    struct linux_sigaction *act = &p->sig.actions[sig];
    restart_interrupted_syscall(tf, act);
    vaddr_t sp = tf->rsp - 128;                 /* skip the red zone */
    vaddr_t fpstate = ALIGN_DOWN(sp - 512, 64);
    vaddr_t frame_va = ALIGN_DOWN(fpstate - sizeof(struct rt_sigframe), 16) - 8;
    struct rt_sigframe frame;
    memset(&frame, 0, sizeof(frame));
    frame.pretcode = act->restorer;
    frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    save_registers(&frame.uc.mcontext, tf);
    frame.uc.mcontext.cr2 = p->sig.fault_addr;
    frame.uc.mcontext.fpstate = fpstate;
    frame.uc.sigmask = p->sig.wait_mask_active ? p->sig.saved_blocked : p->sig.blocked;
    p->sig.wait_mask_active = false; /* the frame puts the old mask back */
    fill_siginfo(&frame.info, p, sig);
    uint8_t fpu[512] __attribute__((aligned(16)));
    fpu_save(fpu);
    if (copy_to_user(frame_va, &frame, sizeof(frame)) < 0 ||
        copy_to_user(fpstate, fpu, sizeof(fpu)) < 0)
        return false;
    tf->rsp = frame_va;
    tf->rip = act->handler;
    tf->rdi = (uint64_t)sig;
    tf->rsi = frame_va + offsetof(struct rt_sigframe, info);
    tf->rdx = frame_va + offsetof(struct rt_sigframe, uc);
    tf->rax = 0;
    tf->rflags &= ~(1ul << 10); /* DF clear on entry, as the ABI wants */
    p->sig.blocked |= act->mask & ~UNBLOCKABLE;
    if (!(act->flags & SA_NODEFER))
        p->sig.blocked |= SIG_BIT(sig) & ~UNBLOCKABLE;
    if (act->flags & SA_RESETHAND)
        act->handler = SIG_DFL;
    return true;
}

/* Printed even with "quiet": the user must learn why the program died (run-elf shows it on stderr). */
static void log_fatal_fault(struct proc *p, const struct trapframe *tf, int sig)
{
    if (sig == SIGSEGV || sig == SIGBUS)
        kprintf_always("%s[%d]: %s at %lx ip %016lx sp %016lx error %lx\n", p->name, p->pid,
                       sig == SIGSEGV ? "segfault" : "bus error", p->sig.fault_addr, tf->rip,
                       tf->rsp, tf->vector == T_PAGE_FAULT ? tf->error_code : 0);
    else
        kprintf_always("%s[%d]: killed by signal %d at ip %016lx\n", p->name, p->pid, sig,
                       tf->rip);
}

/* Takes the lowest pending, unblocked signal; 0 when there is none. */
static int take_signal(struct proc *p)
{
    uint64_t ready = p->sig.pending & ~(p->sig.blocked & ~UNBLOCKABLE);
    if (p->killed)
        ready |= SIG_BIT(SIGKILL);
    if (!ready)
        return 0;
    int sig = __builtin_ctzl(ready) + 1;
    p->sig.pending &= ~SIG_BIT(sig);
    return sig;
}

/* A syscall a stop interrupted starts again once continued, as Linux's -ERESTARTSYS does. */
static const struct linux_sigaction restart_after_stop = { .flags = SA_RESTART };

void signal_deliver(struct trapframe *tf)
{
    struct proc *p = proc_current();
    bool stopped = false;
    int sig;
    while ((sig = take_signal(p)) != 0) {
        struct linux_sigaction *act = &p->sig.actions[sig];
        bool catchable = sig != SIGKILL && sig != SIGSTOP;
        if (catchable && act->handler == SIG_IGN)
            continue;
        if (catchable && act->handler != SIG_DFL) {
            if (push_handler_frame(p, tf, sig))
                return;
            sig = SIGSEGV; /* no room for the frame: Linux kills with SIGSEGV */
            p->sig.fault_code = 0;
        } else if (default_is_ignore(sig)) {
            continue;
        } else if (jobctl_is_stop_signal(sig)) {
            if (sig != SIGSTOP && jobctl_group_orphaned(p->pgid))
                continue; /* as Linux: nobody would continue it */
            jobctl_stop(sig);
            stopped = true;
            continue;
        }
        if (p->sig.fault_code)
            log_fatal_fault(p, tf, sig);
        proc_exit(W_EXITCODE(0, sig));
    }
    restart_interrupted_syscall(tf, stopped ? &restart_after_stop : NULL);
    p->sig.fault_code = 0;
    if (p->sig.wait_mask_active) { /* no handler ran: the old mask comes back now */
        p->sig.blocked = p->sig.saved_blocked;
        p->sig.wait_mask_active = false;
    }
}

void signal_set_wait_mask(uint64_t mask)
{
    struct proc *p = proc_current();
    p->sig.saved_blocked = p->sig.blocked;
    p->sig.wait_mask_active = true;
    p->sig.blocked = mask & ~UNBLOCKABLE;
}

void signal_end_wait_mask(bool interrupted)
{
    struct proc *p = proc_current();
    if (!p->sig.wait_mask_active || interrupted)
        return; /* interrupted: signal_deliver() puts it back */
    p->sig.blocked = p->sig.saved_blocked;
    p->sig.wait_mask_active = false;
}

void signal_check_user_return(struct trapframe *tf)
{
    struct proc *p = proc_current();
    for (int tries = 0; !signal_user_rip_ok(tf->rip); tries++) {
        if (tries > 0) /* the SIGSEGV handler is itself at such an address */
            p->sig.actions[SIGSEGV].handler = SIG_DFL;
        signal_send_fault(SIGSEGV, SI_KERNEL, 0);
        signal_deliver(tf); /* ends the process, or points tf at the handler */
    }
}

/* ---- system calls ------------------------------------------------------------ */

SYSCALL(SYS_rt_sigaction, rt_sigaction)
{
    int sig = (int)a0;
    struct proc *p = proc_current();
    if (!valid_signal(sig) || a3 != sizeof(uint64_t))
        return -EINVAL;
    struct linux_sigaction act;
    if (a1 && copy_from_user(&act, a1, sizeof(act)) < 0)
        return -EFAULT;
    if (a1 && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    if (a2 && copy_to_user(a2, &p->sig.actions[sig], sizeof(act)) < 0)
        return -EFAULT;
    if (a1) {
        act.mask &= ~UNBLOCKABLE;
        p->sig.actions[sig] = act;
    }
    return 0;
}

SYSCALL(SYS_rt_sigprocmask, rt_sigprocmask)
{
    int how = (int)a0;
    struct proc *p = proc_current();
    uint64_t set, old = p->sig.blocked;
    if (a3 != sizeof(uint64_t))
        return -EINVAL;
    if (a1) {
        if (copy_from_user(&set, a1, sizeof(set)) < 0)
            return -EFAULT;
        if (how == SIG_BLOCK)
            p->sig.blocked |= set;
        else if (how == SIG_UNBLOCK)
            p->sig.blocked &= ~set;
        else if (how == SIG_SETMASK)
            p->sig.blocked = set;
        else
            return -EINVAL;
        p->sig.blocked &= ~UNBLOCKABLE;
    }
    if (a2 && copy_to_user(a2, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

SYSCALL(SYS_rt_sigreturn, rt_sigreturn)
{
    struct proc *p = proc_current();
    struct trapframe *tf = p->tf;
    vaddr_t frame_va = tf->rsp - 8; /* the handler's ret popped pretcode */
    struct rt_sigframe frame;
    if (copy_from_user(&frame, frame_va, sizeof(frame)) < 0) {
        signal_send_fault(SIGSEGV, 0, 0);
        return tf->rax;
    }
    restore_registers(tf, &frame.uc.mcontext);
    p->sig.blocked = frame.uc.sigmask & ~UNBLOCKABLE;
    uint8_t fpu[512] __attribute__((aligned(16)));
    if (frame.uc.mcontext.fpstate &&
        copy_from_user(fpu, frame.uc.mcontext.fpstate, sizeof(fpu)) == 0) {
        *(uint32_t *)(fpu + MXCSR_OFFSET) &= MXCSR_VALID_BITS & ~0x10000u;
        fpu_restore(fpu);
    }
    return (long)tf->rax; /* the dispatcher stores this back: rax as it was */
}

static long send_to(int pid, int sig)
{
    struct proc *target = proc_find(pid);
    if (!target || target->state == PROC_ZOMBIE)
        return target ? 0 : -ESRCH;
    if (sig)
        signal_send(target, sig);
    return 0;
}

struct kill_all {
    int sig, sent;
    struct proc *self;
};

static void kill_one(struct proc *p, void *arg)
{
    struct kill_all *k = arg;
    if (p->pid == 1 || p == k->self || p->state == PROC_ZOMBIE)
        return;
    if (k->sig)
        signal_send(p, k->sig);
    k->sent++;
}

SYSCALL(SYS_kill, kill)
{
    int pid = (int)a0, sig = (int)a1;
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if (pid == -1) { /* everyone we may signal, except init and ourselves */
        struct kill_all k = { sig, 0, proc_current() };
        proc_for_each(kill_one, &k);
        return k.sent ? 0 : -ESRCH;
    }
    if (pid == 0)
        return jobctl_signal_group(proc_current()->pgid, sig);
    if (pid < 0)
        return jobctl_signal_group(-pid, sig);
    return send_to(pid, sig);
}

SYSCALL(SYS_tgkill, tgkill)
{
    if ((int)a2 < 0 || (int)a2 > NSIG || (int)a0 <= 0 || (int)a1 <= 0)
        return -EINVAL;
    if (a0 != a1)
        return -ESRCH; /* one thread per process: tid == pid */
    return send_to((int)a1, (int)a2);
}

SYSCALL(SYS_tkill, tkill)
{
    if ((int)a1 < 0 || (int)a1 > NSIG || (int)a0 <= 0)
        return -EINVAL;
    return send_to((int)a0, (int)a1);
}

SYSCALL(SYS_pause, pause)
{
    struct proc *p = proc_current();
    while (sleep_on(p) == 0)
        ;
    return -EINTR;
}
