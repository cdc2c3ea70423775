/*
 * kernel/sys_misc.c - the small system calls: identity, time, limits, randomness, TLS.
 *
 * Each follows the Linux x86-64 system call of the same name: same
 * arguments, same structures, same errno. Time comes from the clock of
 * kernel/time.c (the TSC, with the RTC's time at boot for the wall clock);
 * CPU time is counted in timer ticks (TIMER_HZ).
 */
#include <arch/x86.h>
#include <kernel/cpu.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/proc.h>
#include <kernel/rtc.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <lib/string.h>
#include <mm/mm.h>
#include <mm/usercopy.h>
#include <uapi/wait.h>

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1
#define NSEC_PER_TICK (1000000000ul / TIMER_HZ)
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

/* ---- identity ------------------------------------------------------------- */

SYSCALL(SYS_getpid, getpid)
{
    return proc_current()->pid;
}

SYSCALL(SYS_gettid, gettid)
{
    return proc_current()->pid; /* one thread per process */
}

SYSCALL(SYS_getppid, getppid)
{
    struct proc *parent = proc_current()->parent;
    return parent ? parent->pid : 0;
}

/* Everyone is root: mica has no users. */
SYSCALL(SYS_getuid, getuid) { return 0; }
SYSCALL(SYS_geteuid, geteuid) { return 0; }
SYSCALL(SYS_getgid, getgid) { return 0; }
SYSCALL(SYS_getegid, getegid) { return 0; }

SYSCALL(SYS_set_tid_address, set_tid_address)
{
    proc_current()->clear_child_tid = a0;
    return proc_current()->pid;
}

struct utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

SYSCALL(SYS_uname, uname)
{
    struct utsname u;
    memset(&u, 0, sizeof(u));
    strlcpy(u.sysname, "mica", sizeof(u.sysname));
    strlcpy(u.nodename, "mica", sizeof(u.nodename));
    strlcpy(u.release, "0.1", sizeof(u.release));
    strlcpy(u.version, "#1 " __DATE__, sizeof(u.version));
    strlcpy(u.machine, "x86_64", sizeof(u.machine));
    strlcpy(u.domainname, "(none)", sizeof(u.domainname));
    return copy_to_user(a0, &u, sizeof(u));
}

/* ---- time ------------------------------------------------------------------ */

static struct linux_timespec ticks_to_timespec(uint64_t ticks)
{
    return (struct linux_timespec){ (long)(ticks / TIMER_HZ),
                                    (long)((ticks % TIMER_HZ) * NSEC_PER_TICK) };
}

static struct linux_timespec process_cpu_time(const struct proc *p)
{
    return ticks_to_timespec(p->user_ticks + p->system_ticks);
}

static struct linux_timespec ns_to_timespec(uint64_t ns)
{
    return (struct linux_timespec){ (long)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
}

/* The time of clock id, or -EINVAL. The wall and monotonic clocks come from the TSC (kernel/time.c). */
static int clock_now(uint64_t id, struct linux_timespec *ts)
{
    switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        *ts = ns_to_timespec(time_realtime_ns());
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        *ts = ns_to_timespec(time_monotonic_ns());
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        *ts = process_cpu_time(proc_current());
        return 0;
    }
    return -EINVAL;
}

SYSCALL(SYS_clock_gettime, clock_gettime)
{
    struct linux_timespec ts;
    int rc = clock_now(a0, &ts);
    if (rc < 0)
        return rc;
    return copy_to_user(a1, &ts, sizeof(ts));
}

/* 1 ns for the TSC clocks (Linux's high-resolution ones), a tick for the coarse and CPU-time ones. */
SYSCALL(SYS_clock_getres, clock_getres)
{
    struct linux_timespec ts;
    int rc = clock_now(a0, &ts);
    if (rc < 0)
        return rc;
    bool tick = a0 == CLOCK_REALTIME_COARSE || a0 == CLOCK_MONOTONIC_COARSE ||
                a0 == CLOCK_PROCESS_CPUTIME_ID || a0 == CLOCK_THREAD_CPUTIME_ID;
    ts = (struct linux_timespec){ 0, tick ? (long)NSEC_PER_TICK : 1 };
    return a1 ? copy_to_user(a1, &ts, sizeof(ts)) : 0;
}

SYSCALL(SYS_gettimeofday, gettimeofday)
{
    struct linux_timespec ts;
    clock_now(CLOCK_REALTIME, &ts);
    struct linux_timeval tv = { ts.tv_sec, ts.tv_nsec / 1000 };
    if (a0 && copy_to_user(a0, &tv, sizeof(tv)) < 0)
        return -EFAULT;
    if (a1 && clear_user(a1, 8) < 0) /* struct timezone: all zero */
        return -EFAULT;
    return 0;
}

SYSCALL(SYS_time, time)
{
    struct linux_timespec ts;
    clock_now(CLOCK_REALTIME, &ts);
    if (a0 && copy_to_user(a0, &ts.tv_sec, sizeof(ts.tv_sec)) < 0)
        return -EFAULT;
    return ts.tv_sec;
}

/* Writes what is left of a sleep interrupted now (for nanosleep's rem). */
static int write_remaining(vaddr_t urem, uint64_t deadline)
{
    uint64_t now = time_monotonic_ns();
    struct linux_timespec rem = ns_to_timespec(deadline > now ? deadline - now : 0);
    return urem && copy_to_user(urem, &rem, sizeof(rem)) < 0 ? -EFAULT : 0;
}

SYSCALL(SYS_nanosleep, nanosleep)
{
    uint64_t ns;
    int rc = time_ns_from_user(a0, &ns);
    if (rc < 0)
        return rc;
    uint64_t deadline = time_monotonic_ns() + ns;
    if (time_sleep_until_ns(deadline) < 0) {
        write_remaining(a1, deadline);
        return -ERESTARTNOHAND; /* Linux: EINTR for a handler, even with SA_RESTART */
    }
    return 0;
}

SYSCALL(SYS_clock_nanosleep, clock_nanosleep)
{
    struct linux_timespec now;
    if (clock_now(a0, &now) < 0 || a0 == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    uint64_t ns;
    int rc = time_ns_from_user(a2, &ns);
    if (rc < 0)
        return rc;
    if (a1 & TIMER_ABSTIME) {
        uint64_t now_ns = (uint64_t)now.tv_sec * NSEC_PER_SEC + (uint64_t)now.tv_nsec;
        ns = ns > now_ns ? ns - now_ns : 0;
    }
    uint64_t deadline = time_monotonic_ns() + ns;
    if (time_sleep_until_ns(deadline) < 0) {
        if (!(a1 & TIMER_ABSTIME))
            write_remaining(a3, deadline);
        return -ERESTARTNOHAND; /* Linux: EINTR for a handler, even with SA_RESTART */
    }
    return 0;
}

SYSCALL(SYS_sched_yield, sched_yield)
{
    schedule();
    return 0;
}

/* ---- resource usage and limits ------------------------------------------------ */

static struct linux_timeval ticks_to_timeval(uint64_t ticks)
{
    return (struct linux_timeval){ (long)(ticks / TIMER_HZ),
                                   (long)((ticks % TIMER_HZ) * (1000000 / TIMER_HZ)) };
}

SYSCALL(SYS_getrusage, getrusage)
{
    struct proc *p = proc_current();
    struct linux_rusage ru;
    memset(&ru, 0, sizeof(ru));
    if ((int)a0 == RUSAGE_SELF) {
        ru.ru_utime = ticks_to_timeval(p->user_ticks);
        ru.ru_stime = ticks_to_timeval(p->system_ticks);
        ru.ru_minflt = (long)p->mm->counters.minor_faults;
        ru.ru_majflt = (long)p->mm->counters.major_faults;
        ru.ru_maxrss = (long)(p->mm->counters.rss_anon + p->mm->counters.rss_file +
                              p->mm->counters.rss_shmem) * 4;
    } else if ((int)a0 == RUSAGE_CHILDREN) {
        ru.ru_utime = ticks_to_timeval(p->child_user_ticks);
        ru.ru_stime = ticks_to_timeval(p->child_system_ticks);
        ru.ru_minflt = (long)p->child_min_faults;
        ru.ru_majflt = (long)p->child_maj_faults;
    } else {
        return -EINVAL;
    }
    return copy_to_user(a1, &ru, sizeof(ru));
}

/* Applies a new limit to what already depends on it. */
static void rlimit_changed(struct proc *p, int resource)
{
    if (resource == RLIMIT_STACK && p->mm)
        p->mm->stack_limit = p->rlimits[RLIMIT_STACK].cur;
}

/* prlimit64 for the calling process (pid 0 or our own). */
static long rlimit_get_set(int pid, int resource, vaddr_t unew, vaddr_t uold)
{
    struct proc *p = proc_current();
    if (pid != 0 && pid != p->pid)
        return proc_find(pid) ? -EPERM : -ESRCH; /* only our own limits */
    if (resource < 0 || resource >= RLIMIT_NLIMITS)
        return -EINVAL;
    struct linux_rlimit lim;
    if (unew) {
        if (copy_from_user(&lim, unew, sizeof(lim)) < 0)
            return -EFAULT;
        if (lim.rlim_cur > lim.rlim_max)
            return -EINVAL;
        if (resource == RLIMIT_NOFILE && lim.rlim_max > FILES_MAX)
            return -EPERM; /* above fs.nr_open, as Linux */
    }
    if (uold) {
        struct linux_rlimit old = { p->rlimits[resource].cur, p->rlimits[resource].max };
        if (copy_to_user(uold, &old, sizeof(old)) < 0)
            return -EFAULT;
    }
    if (unew) {
        p->rlimits[resource] = (struct rlimit_pair){ lim.rlim_cur, lim.rlim_max };
        rlimit_changed(p, resource);
    }
    return 0;
}

SYSCALL(SYS_prlimit64, prlimit64)
{
    return rlimit_get_set((int)a0, (int)a1, a2, a3);
}

/* Unlike prlimit64, where NULL means "not this one", these two must be given a buffer. */
SYSCALL(SYS_getrlimit, getrlimit)
{
    return a1 ? rlimit_get_set(0, (int)a0, 0, a1) : -EFAULT;
}

SYSCALL(SYS_setrlimit, setrlimit)
{
    return a1 ? rlimit_get_set(0, (int)a0, a1, 0) : -EFAULT;
}

/* ---- randomness and thread-local storage -------------------------------------- */

static uint64_t random_state;

static uint64_t random_next(void)
{
    if (!random_state)
        random_state = rdtsc() | 1;
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

SYSCALL(SYS_getrandom, getrandom)
{
    if (a2 & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    size_t len = MIN(a1, (uint64_t)32 * 1024 * 1024);
    for (size_t done = 0; done < len; done++) {
        uint8_t r = (uint8_t)random_next();
        if (copy_to_user(a0 + done, &r, 1) < 0)
            return done ? (long)done : -EFAULT; /* a partial copy counts, as on Linux */
    }
    return (long)len;
}

/* Linux refuses an FS base at or above TASK_SIZE_MAX (the last page below 1 << 47 included). */
static bool user_canonical(uint64_t addr)
{
    return addr < USER_TASK_SIZE;
}

SYSCALL(SYS_arch_prctl, arch_prctl)
{
    struct proc *p = proc_current();
    switch (a0) {
    case ARCH_SET_FS:
        if (!user_canonical(a1))
            return -EPERM;
        p->fs_base = a1;
        wrmsr(MSR_FS_BASE, a1);
        return 0;
    case ARCH_GET_FS:
        return copy_to_user(a1, &p->fs_base, sizeof(p->fs_base));
    }
    return -EINVAL; /* GS bases are not kept per process */
}
