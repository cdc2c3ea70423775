/*
 * kernel/proc.c - creating processes, fork, exit, wait4, and the process table.
 *
 * all_procs lists every process (zombies too) in increasing pid order; a
 * process is on it from proc_alloc() until its parent reaps it in wait4,
 * which frees what exit could not free while running on it: the kernel
 * stack and the struct proc itself. Each process's kernel stack holds its
 * user registers (struct trapframe) at the top; a process that has never
 * run has a struct context just below that which "returns" into
 * trap_return, so its first switch_context lands straight in user mode.
 */
#include <arch/x86.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/cpu.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/jobctl.h>
#include <kernel/oom.h>
#include <kernel/panic.h>
#include <kernel/power.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/syscall.h>
#include <kernel/timer.h>
#include <kernel/tty.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <memlayout.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/usercopy.h>
#include <uapi/wait.h>

/*
 * Process limits (/proc/sys/kernel, kernel/fs/procfs_sys.c):
 *   pid_max      pids wrap around below it (Linux's default, 32768);
 *   threads_max  a fork past this many processes (zombies count) fails with
 *                EAGAIN; set at boot like Linux's set_max_threads: the
 *                kernel stacks may take at most 1/8 of RAM;
 *   RLIMIT_NPROC  init starts with threads_max / 2 (Linux's fork_init).
 *                Linux exempts root from it (and CAP_SYS_RESOURCE/ADMIN);
 *                every mica process is root, so that would make the limit
 *                and `ulimit -u` do nothing: mica enforces it for everyone,
 *                a deliberate difference (docs/mmap.md).
 */
uint64_t pid_max = 32768;
uint64_t threads_max = 20; /* Linux's MIN_THREADS until proc_limits_init */

extern char trap_return[];

/* What switch_context pops: see kernel/switch.asm. */
struct context {
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t return_address;
};

static struct list_node all_procs = { &all_procs, &all_procs };
static int nprocs;
static int last_pid;
static uint64_t created; /* processes made since boot */
static struct proc *init_proc;

struct proc *proc_find(int pid)
{
    list_for_each(pos, &all_procs) {
        struct proc *p = container_of(pos, struct proc, all_link);
        if (p->pid == pid)
            return p;
    }
    return NULL;
}

void proc_for_each(void (*fn)(struct proc *p, void *arg), void *arg)
{
    struct list_node *pos = all_procs.next;
    while (pos != &all_procs) {
        struct list_node *next = pos->next; /* fn may not remove p, but be safe */
        fn(container_of(pos, struct proc, all_link), arg);
        pos = next;
    }
}

int proc_count(void)
{
    return nprocs;
}

uint64_t proc_created(void)
{
    return created;
}

/* The next free pid, and where in all_procs (sorted by pid) it goes. */
static int pid_allocate(struct list_node **insert_after)
{
    for (uint64_t tries = 0; tries < pid_max; tries++) {
        int pid = (uint64_t)last_pid + 1 > pid_max - 1 ? 300 : last_pid + 1; /* Linux restarts at 300 */
        if (last_pid == 0)
            pid = 1;
        last_pid = pid;
        if (proc_find(pid))
            continue;
        struct list_node *pos = &all_procs;
        while (pos->next != &all_procs &&
               container_of(pos->next, struct proc, all_link)->pid < pid)
            pos = pos->next;
        *insert_after = pos;
        return pid;
    }
    return -EAGAIN;
}

static void rlimits_default(struct proc *p)
{
    for (int r = 0; r < RLIMIT_NLIMITS; r++)
        p->rlimits[r] = (struct rlimit_pair){ RLIM_INFINITY, RLIM_INFINITY };
    p->rlimits[RLIMIT_STACK].cur = USER_STACK_LIMIT_DEFAULT;
    p->rlimits[RLIMIT_NOFILE] = (struct rlimit_pair){ 1024, 4096 };
    p->rlimits[RLIMIT_CORE].cur = 0;
}

/*
 * A new process: pid, kernel stack, a context that enters user mode via
 * trap_return. Its memory, files and registers are up to the caller.
 * Returns NULL with *err set (-ENOMEM, -EAGAIN).
 */
static struct proc *proc_alloc(int *err)
{
    struct proc *p = kzalloc(sizeof(*p));
    struct page *stack = p ? frame_alloc(KSTACK_ORDER, FRAME_NORMAL) : NULL;
    struct list_node *where;
    int pid = stack ? pid_allocate(&where) : -ENOMEM;
    if (pid < 0) {
        if (stack)
            frame_free(stack);
        kfree(p);
        *err = pid;
        return NULL;
    }
    p->pid = pid;
    created++;
    p->kstack = page_to_virt(stack);
    p->tf = (struct trapframe *)((char *)p->kstack + KSTACK_SIZE) - 1;
    struct context *ctx = (struct context *)p->tf - 1;
    memset(ctx, 0, sizeof(*ctx));
    ctx->return_address = (uint64_t)trap_return;
    p->context = ctx;
    list_init(&p->children);
    list_insert_after(where, &p->all_link);
    nprocs++;
    rlimits_default(p);
    fpu_init_state(p->fpu_state);
    p->umask = 022;
    p->start_ticks = timer_ticks();
    return p;
}

/* Frees what is left of a reaped zombie (or a process that never ran). */
static void proc_free(struct proc *p)
{
    list_remove(&p->all_link);
    nprocs--;
    frame_free(virt_to_page(p->kstack));
    kfree(p);
}

void proc_set_cmdline(struct proc *p, const char *const argv[], int argc)
{
    size_t len = 0;
    for (int i = 0; i < argc && len < PROC_CMDLINE_MAX; i++) {
        size_t n = strnlen(argv[i], PROC_CMDLINE_MAX - len - 1);
        memcpy(p->cmdline + len, argv[i], n);
        len += n;
        p->cmdline[len++] = '\0';
    }
    p->cmdline_len = len;
    const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
    strlcpy(p->name, base ? base + 1 : (argc > 0 ? argv[0] : "?"), PROC_NAME_MAX);
}

static void adopt(struct proc *parent, struct proc *child)
{
    child->parent = parent;
    list_push_back(&parent->children, &child->sibling);
}

/* ---- kernel threads ------------------------------------------------------------ */

/* Where a kernel thread's first switch_context lands. */
static __noreturn void kthread_entry(void)
{
    struct proc *p = cpu0.current;
    p->kthread_fn(p->kthread_arg);
    panic("kernel thread %s returned", p->name);
}

struct proc *kthread_start(const char *name, void (*fn)(void *arg), void *arg)
{
    int err = 0;
    struct proc *p = proc_alloc(&err);
    if (!p)
        return NULL;
    p->kthread_fn = fn;
    p->kthread_arg = arg;
    p->context->return_address = (uint64_t)kthread_entry;
    strlcpy(p->name, name, PROC_NAME_MAX); /* no cmdline: ps shows [name], as for Linux's */
    sched_make_runnable(p);
    return p;
}

/* threads_max from the memory size (Linux's set_max_threads). */
static void proc_limits_init(void)
{
    struct frame_stats stats;
    frame_get_stats(&stats);
    threads_max = MAX(20, stats.total_frames * PAGE_SIZE / (8 * KSTACK_SIZE));
}

/*
 * Whether one more process may be made (Linux's copy_process checks):
 * -EAGAIN past the caller's RLIMIT_NPROC (every process counts: they all
 * belong to root) or past kernel.threads-max; 0 otherwise.
 */
static int fork_allowed(const struct proc *parent)
{
    if ((uint64_t)nprocs >= parent->rlimits[RLIMIT_NPROC].cur)
        return -EAGAIN;
    if ((uint64_t)nprocs >= threads_max)
        return -EAGAIN;
    return 0;
}

/* ---- starting init ---------------------------------------------------------- */

int proc_start_init(const char *path, const char *const argv[])
{
    int err = 0;
    proc_limits_init();
    struct proc *p = proc_alloc(&err);
    if (!p)
        return err;
    p->rlimits[RLIMIT_NPROC] = (struct rlimit_pair){ threads_max / 2, threads_max / 2 };
    p->files = files_create();
    p->cwd = vfs_root();
    if (!p->files || files_open_console(p->files) < 0) {
        kprintf("init: cannot open /dev/console\n");
        return -ENOMEM;
    }
    p->pgid = p->sid = p->pid; /* init leads session 1 */
    cpu0.current = p; /* exec_load works on the current process */
    int argc = 0;
    while (argv[argc])
        argc++;
    err = exec_load(p, path, argv, argc, (const char *const[]){ "HOME=/", "TERM=linux", NULL }, 2);
    cpu0.current = NULL;
    if (err < 0) {
        kprintf("init: cannot run %s: error %d\n", path, -err);
        return err;
    }
    init_proc = p;
    mm_switch(NULL);
    sched_make_runnable(p);
    return 0;
}

/* ---- fork --------------------------------------------------------------------- */

/*
 * A copy of the current process: memory copy-on-write, open files shared,
 * the same registers except rax = 0 (and rsp = child_stack when given).
 * Returns the child's pid or a negative errno (-ENOMEM, -EAGAIN), with
 * everything undone.
 */
static long proc_fork(vaddr_t child_stack)
{
    struct proc *parent = cpu0.current;
    int err = fork_allowed(parent);
    if (err < 0)
        return err;
    struct proc *child = proc_alloc(&err);
    if (!child)
        return err;
    child->mm = mm_fork(parent->mm);
    child->files = child->mm ? files_fork(parent->files) : NULL;
    if (!child->files) {
        if (child->mm)
            mm_destroy(child->mm);
        proc_free(child);
        return -ENOMEM;
    }
    *child->tf = *parent->tf;
    child->tf->rax = 0;
    if (child_stack)
        child->tf->rsp = child_stack;
    child->fs_base = rdmsr(MSR_FS_BASE);
    fpu_save(child->fpu_state);
    inode_get(parent->cwd);
    child->cwd = parent->cwd;
    child->umask = parent->umask;
    child->sig = parent->sig;
    child->sig.pending = 0;
    child->personality = parent->personality;
    child->pgid = parent->pgid;
    child->sid = parent->sid;
    memcpy(child->rlimits, parent->rlimits, sizeof(child->rlimits));
    memcpy(child->name, parent->name, sizeof(child->name));
    memcpy(child->cmdline, parent->cmdline, parent->cmdline_len);
    child->cmdline_len = parent->cmdline_len;
    child->trace = parent->trace; /* strace follows children (its fd was copied with the files) */
    adopt(parent, child);
    sched_make_runnable(child);
    return child->pid;
}

SYSCALL(SYS_fork, fork)
{
    return proc_fork(0);
}

SYSCALL(SYS_vfork, vfork)
{
    return proc_fork(0); /* a full copy-on-write fork does what vfork promises */
}

#define CSIGNAL 0xff
#define CLONE_VM 0x100
#define CLONE_VFORK 0x4000

/*
 * clone with fork-like flags only: mica has no threads. CLONE_VM|CLONE_VFORK
 * (posix_spawn's choice) is served by a copy-on-write fork on the given
 * stack, which a child that only calls execve or _exit cannot tell apart.
 */
SYSCALL(SYS_clone, clone)
{
    uint64_t flags = a0;
    if (flags & ~(uint64_t)(CSIGNAL | CLONE_VM | CLONE_VFORK))
        return -EINVAL;
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
        return -EINVAL; /* a thread */
    return proc_fork(a1);
}

/* ---- exit ------------------------------------------------------------------- */

static void reparent_to_init(struct proc *p)
{
    while (!list_empty(&p->children)) {
        struct proc *child = container_of(p->children.next, struct proc, sibling);
        list_remove(&child->sibling);
        adopt(init_proc, child);
        if (child->state == PROC_ZOMBIE)
            wakeup(init_proc);
    }
}

static void release_resources(struct proc *p)
{
    if (p->files) {
        files_put(p->files);
        p->files = NULL;
    }
    if (p->cwd) {
        inode_put(p->cwd);
        p->cwd = NULL;
    }
    if (p->mm) {
        struct mm *mm = p->mm;
        p->min_faults = mm->counters.minor_faults;
        p->maj_faults = mm->counters.major_faults;
        p->mm = NULL;
        mm_switch(NULL);
        mm_destroy(mm);
    }
}

/*
 * When init ends, so does the machine: that is how `init test` and
 * `init run` (scripts/run-elf) finish; QEMU reports init's verdict
 * through isa-debug-exit when it has the device, else it powers off.
 */
static __noreturn void init_exited(int wait_status)
{
    kprintf("mica: init exited (wait status %#x)\n", wait_status);
    if (vfs_sync_all() < 0) /* power-off writes every dirty page first */
        kprintf("mica: writing back the disks failed\n");
    qemu_exit_if_present(wait_status == 0 ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
    power_off();
}

void proc_exit(int wait_status)
{
    struct proc *p = cpu0.current;
    if (p == init_proc)
        init_exited(wait_status);
    if (p->pid == p->sid)
        tty_session_ended(p->sid);
    release_resources(p);
    oom_note_exit(p);
    reparent_to_init(p);
    p->wait_status = wait_status;
    p->state = PROC_ZOMBIE;
    signal_send(p->parent, SIGCHLD);
    wakeup(p->parent);
    schedule();
    panic("a zombie ran again");
}

SYSCALL(SYS_exit, exit)
{
    proc_exit(W_EXITCODE((int)a0, 0));
}

SYSCALL(SYS_exit_group, exit_group)
{
    proc_exit(W_EXITCODE((int)a0, 0));
}

/* ---- wait4 ------------------------------------------------------------------ */

/* wait4's pid: -1 any child, > 0 that one, 0 our process group, < -1 group -pid. */
static bool child_matches(const struct proc *self, const struct proc *child, int pid)
{
    if (pid == -1 || pid > 0)
        return pid == -1 || pid == child->pid;
    return child->pgid == (pid == 0 ? self->pgid : -pid);
}

/* Fills a struct linux_rusage of a zombie for wait4. */
static void rusage_of(const struct proc *p, struct linux_rusage *ru)
{
    memset(ru, 0, sizeof(*ru));
    uint64_t user = p->user_ticks + p->child_user_ticks;
    uint64_t sys = p->system_ticks + p->child_system_ticks;
    ru->ru_utime = (struct linux_timeval){ (long)(user / TIMER_HZ), (long)(user % TIMER_HZ) * 10000 };
    ru->ru_stime = (struct linux_timeval){ (long)(sys / TIMER_HZ), (long)(sys % TIMER_HZ) * 10000 };
    ru->ru_minflt = (long)(p->min_faults + p->child_min_faults);
    ru->ru_majflt = (long)(p->maj_faults + p->child_maj_faults);
}

/*
 * Reaps a zombie child: reports it, frees it. Returns its pid, or -EFAULT
 * when the status or rusage cannot be written -- the child is reaped all
 * the same, as Linux does.
 */
static long reap(struct proc *parent, struct proc *child, vaddr_t status_ptr, vaddr_t rusage_ptr)
{
    int status = child->wait_status;
    bool fault = false;
    if (status_ptr && copy_to_user(status_ptr, &status, sizeof(status)) < 0)
        fault = true;
    if (rusage_ptr && !fault) {
        struct linux_rusage ru;
        rusage_of(child, &ru);
        fault = copy_to_user(rusage_ptr, &ru, sizeof(ru)) < 0;
    }
    parent->child_user_ticks += child->user_ticks + child->child_user_ticks;
    parent->child_system_ticks += child->system_ticks + child->child_system_ticks;
    parent->child_min_faults += child->min_faults + child->child_min_faults;
    parent->child_maj_faults += child->maj_faults + child->child_maj_faults;
    int pid = child->pid;
    list_remove(&child->sibling);
    proc_free(child);
    return fault ? -EFAULT : pid;
}

SYSCALL(SYS_wait4, wait4)
{
    int pid = (int)a0, options = (int)a2;
    struct proc *self = cpu0.current;
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL))
        return -EINVAL;
    for (;;) {
        bool any = false;
        list_for_each(pos, &self->children) {
            struct proc *child = container_of(pos, struct proc, sibling);
            if (!child_matches(self, child, pid))
                continue;
            any = true;
            if (child->state == PROC_ZOMBIE)
                return reap(self, child, a1, a3);
            long stopped_or_continued = jobctl_wait_report(child, options, a1);
            if (stopped_or_continued)
                return stopped_or_continued;
        }
        if (!any)
            return -ECHILD;
        if (options & WNOHANG)
            return 0;
        if (sleep_on(self) < 0)
            return -EINTR;
    }
}

/* ---- signals to processes --------------------------------------------------- */

void proc_kill(struct proc *p, int sig)
{
    signal_send(p, sig);
}

void proc_return_to_user(struct trapframe *tf)
{
    if (cpu0.need_resched)
        schedule();
    if (signal_pending(cpu0.current))
        signal_deliver(tf);
    if (!signal_user_rip_ok(tf->rip))
        signal_check_user_return(tf);
}
