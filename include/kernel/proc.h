/*
 * include/kernel/proc.h - processes.
 *
 * A struct proc is one single-threaded process: its address space (mm),
 * its kernel stack (with the user registers, struct trapframe, at the top),
 * the saved kernel registers used to switch to it (context), its open
 * files, working directory, signal state and family (parent, children).
 *
 * Life cycle: proc_alloc -> RUNNABLE <-> RUNNING <-> SLEEPING -> ZOMBIE
 * (after exit: only its pid, exit status and resource usage remain, for
 * the parent's wait4) -> freed by the parent's wait4. Orphans are given to
 * init (pid 1), which reaps them. Job control adds RUNNING -> STOPPED ->
 * RUNNABLE (a stop signal, then SIGCONT or SIGKILL: kernel/jobctl.c).
 *
 * Concurrency: one CPU, and the kernel runs with interrupts off except in
 * the idle loop, so a process runs kernel code until it sleeps or returns
 * to user mode; user mode is preempted by the timer.
 */
#ifndef MICA_KERNEL_PROC_H
#define MICA_KERNEL_PROC_H

#include <arch/trapframe.h>
#include <lib/list.h>
#include <types.h>
#include <uapi/resource.h>
#include <uapi/signal.h>

#define PROC_NAME_MAX 16
#define PROC_CMDLINE_MAX 256
#define KSTACK_ORDER 2 /* 16 KiB kernel stack per process */
#define KSTACK_SIZE (4096ul << KSTACK_ORDER)

/* kernel.pid_max and kernel.threads-max (/proc/sys/kernel; kernel/proc.c says how they act). */
extern uint64_t pid_max;
extern uint64_t threads_max;

enum proc_state {
    PROC_RUNNABLE,
    PROC_RUNNING,
    PROC_SLEEPING,      /* woken by wakeup(channel), or by a signal */
    PROC_DISK_SLEEP,    /* waiting for I/O: only wakeup(channel) ends it ('D' in ps) */
    PROC_STOPPED,       /* job control: SIGSTOP/SIGTSTP/...; runs again on SIGCONT or SIGKILL */
    PROC_ZOMBIE,
};

struct rlimit_pair {
    uint64_t cur, max;
};

struct context;  /* kernel/switch.asm: callee-saved registers */
struct mm;       /* include/mm/mm.h */
struct files;    /* include/kernel/file.h: the open-file table */
struct inode;    /* include/kernel/vfs.h */

struct sig_state {
    struct linux_sigaction actions[NSIG + 1]; /* [1..64] */
    uint64_t blocked;  /* bit s-1 set: signal s is blocked */
    uint64_t pending;  /* bit s-1 set: signal s is waiting for delivery */
    /* what a fault signal carries to a SA_SIGINFO handler */
    int fault_code;
    vaddr_t fault_addr;
    /* ppoll/pselect6 wait with another mask: the one to put back, and whether to */
    uint64_t saved_blocked;
    bool wait_mask_active;
};

struct proc {
    int pid;
    char name[PROC_NAME_MAX];        /* the program's base name, for logs and ps */
    char cmdline[PROC_CMDLINE_MAX];  /* argv joined by NULs (/proc/PID/cmdline) */
    size_t cmdline_len;
    enum proc_state state;
    const void *wait_channel;        /* what a SLEEPING process waits for */

    struct mm *mm;
    void *kstack;                    /* lowest address of the kernel stack */
    struct trapframe *tf;            /* user registers, at the top of kstack */
    struct context *context;         /* where switch_to() left this process */
    uint64_t fs_base;                /* TLS base (arch_prctl ARCH_SET_FS) */
    uint8_t fpu_state[512] __attribute__((aligned(16))); /* x87/SSE registers (fxsave) */

    struct proc *parent;
    struct list_node children;       /* of struct proc, linked through sibling */
    struct list_node sibling;
    struct list_node all_link;       /* every process, by pid */
    struct list_node run_link;       /* the run queue, while RUNNABLE */

    int wait_status;                 /* for wait4, once a ZOMBIE */
    int pgid, sid;                   /* process group and session (kernel/jobctl.c) */
    int jobctl_report;               /* a stop/continue wait4 has not reported yet: its status, or 0 */
    bool did_exec;                   /* execve'd since fork (setpgid by the parent: EACCES) */
    unsigned int personality;        /* personality(2): ADDR_NO_RANDOMIZE or 0 (mm/aslr.c) */
    bool killed;                     /* a fatal signal is on its way */

    struct files *files;
    struct inode *cwd;
    uint32_t umask;
    struct sig_state sig;
    vaddr_t clear_child_tid;         /* set_tid_address */
    struct rlimit_pair rlimits[RLIMIT_NLIMITS]; /* include/uapi/resource.h */
    struct { int root_pid, fd; } trace; /* strace (include/kernel/strace.h): traced if root_pid != 0 */

    void (*kthread_fn)(void *arg);   /* a kernel thread: its body (and no mm, no files) */
    void *kthread_arg;

    uint64_t start_ticks;
    uint64_t user_ticks, system_ticks;
    uint64_t min_faults, maj_faults; /* copied from the mm when it goes, for wait4's rusage */
    uint64_t child_user_ticks, child_system_ticks; /* of reaped children */
    uint64_t child_min_faults, child_maj_faults;
};

/* The running process (NULL before the first one starts). */
struct proc *proc_current(void);
/* The process with pid, or NULL (zombies included). */
struct proc *proc_find(int pid);
/* Calls fn(p, arg) for every process in pid order (for /proc and ps). */
void proc_for_each(void (*fn)(struct proc *p, void *arg), void *arg);
/* How many processes exist (zombies included). */
int proc_count(void);
/* Processes created since boot (fork, clone and the first), for /proc/stat. */
uint64_t proc_created(void);

/*
 * Starts a kernel thread: a process with no address space or files that
 * runs fn(arg) in kernel mode, forever (fn must not return). ps shows it
 * as [name]. Returns it, or NULL when out of memory.
 */
struct proc *kthread_start(const char *name, void (*fn)(void *arg), void *arg);

/* Starts /init (or the given path) as pid 1; returns only if that fails. */
int proc_start_init(const char *path, const char *const argv[]);
/* Ends the current process with a Linux wait status; never returns. */
__noreturn void proc_exit(int wait_status);
/* Marks p to die of signal sig (default action) the next time it runs. */
void proc_kill(struct proc *p, int sig);

/* Sets the process name (and cmdline) shown by ps from an argv. */
void proc_set_cmdline(struct proc *p, const char *const argv[], int argc);

/*
 * Replaces p's program with the ELF file at path (kernel strings): builds
 * the new address space completely, and only then drops the old one, so a
 * failure leaves p as it was. Sets p's user registers for the new entry
 * point. Returns 0 or a negative errno (Linux's: ENOENT, EACCES, ENOEXEC,
 * EINVAL, E2BIG, ENOMEM...). (kernel/exec.c)
 */
int exec_load(struct proc *p, const char *path, const char *const argv[], int argc,
              const char *const envp[], int envc);

/* Work before returning to user mode: switch if the timer asked, deliver signals. */
void proc_return_to_user(struct trapframe *tf);

#endif
