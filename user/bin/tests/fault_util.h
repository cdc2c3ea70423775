/*
 * fault_util.h - helpers the fault_* tests share (user/bin/tests/fault_*.c).
 *
 * What the tiny libc does not have and these tests need:
 *   - SYS_mica (include/uapi/mica.h): free frames, the fail-Nth-allocation
 *     switch and the invariant checker; on Linux the call fails with
 *     ENOSYS, and on_mica() tells a test to skip what only mica can show;
 *   - numbers from /proc/self/status (RssAnon, the Mica* fault counters)
 *     and /proc/meminfo (MemTotal, MemFree);
 *   - signal handlers: rt_sigaction with SA_SIGINFO|SA_RESTORER and a
 *     restorer that calls rt_sigreturn;
 *   - a setjmp that a SIGSEGV handler "returns" to by rewriting the saved
 *     registers in the ucontext, so the signal frame is unwound by
 *     rt_sigreturn as usual (mask restored) and the program carries on;
 *   - fork/wait helpers that describe a child's status in words.
 *
 * Every function is static inline (a test uses only some of them, and
 * -Werror forbids unused static functions). Only one .c file per program
 * includes this, so the top-level asm symbols are defined once.
 */
#ifndef MICA_USER_TESTS_FAULT_UTIL_H
#define MICA_USER_TESTS_FAULT_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <uapi/mica.h>
#include <unistd.h>

#include "utest.h"

#define PAGE 4096ul

/* ---- SYS_mica --------------------------------------------------------------------------- */

static inline long mica_call(long op, long arg)
{
    return syscall2(SYS_mica, op, arg);
}

/* 1 when running on mica (SYS_mica answers), 0 on Linux (ENOSYS). */
static inline int on_mica(void)
{
    return mica_call(MICA_FREE_FRAMES, 0) >= 0;
}

/* Free frames now, or -1 on Linux. */
static inline long free_frames(void)
{
    long n = mica_call(MICA_FREE_FRAMES, 0);
    return n < 0 ? -1 : n;
}

/* The n-th frame allocation from now fails (0: off). No-op on Linux. */
static inline void fail_nth_alloc(long n)
{
    mica_call(MICA_FAIL_NTH_ALLOC, n);
}

/* 0 when every address space is consistent, -EIO (the kernel printed why) if not, -ENOSYS on Linux. */
static inline long mm_check(void)
{
    return mica_call(MICA_MM_CHECK, 0);
}

/* ---- /proc ------------------------------------------------------------------------------- */

/*
 * The number after "key" (e.g. "RssAnon:") in file path, or -1 if the file
 * or the key is missing. The buffer is static, so that reading does not
 * touch new stack pages: tests that count faults call this between two
 * samples and must not fault in it (touch_proc_buffers() pre-faults it).
 */
static char proc_buf[8192];

static inline long proc_field(const char *path, const char *key)
{
    int fd = open(path, O_RDONLY);
    ssize_t n, got = 0;
    char *line;

    if (fd < 0)
        return -1;
    while ((n = read(fd, proc_buf + got, sizeof(proc_buf) - 1 - got)) > 0)
        got += n;
    close(fd);
    proc_buf[got] = '\0';
    for (line = proc_buf; line != NULL; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, key, strlen(key)) == 0)
            return strtol(line + strlen(key), NULL, 10);
    }
    return -1;
}

static inline long status_field(const char *key)
{
    return proc_field("/proc/self/status", key);
}

static inline long meminfo_kb(const char *key)
{
    return proc_field("/proc/meminfo", key);
}

/* Writes 16 KiB of stack below the caller, so calls that follow find those pages present and private. */
static __attribute__((noinline, unused)) void touch_stack_below(void)
{
    volatile char pad[16384];

    for (size_t i = 0; i < sizeof(pad); i += 512)
        pad[i] = 0;
}

/*
 * Writes every page of the /proc buffer and the stack the readers use, so
 * that sampling the counters afterwards cannot itself fault (or COW).
 */
static inline void touch_proc_buffers(void)
{
    for (size_t i = 0; i < sizeof(proc_buf); i += 512)
        ((volatile char *)proc_buf)[i] = 0;
    touch_stack_below();
    status_field("VmRSS:");
}

/* The fault counters of /proc/self/status, in one sample. */
enum fault_counter {
    FC_ZERO_FILL, FC_ZERO_PAGE, FC_COW_COPY, FC_COW_REUSE, FC_FILE, FC_STACK_GROW, FC_SIGSEGV,
    FC_COUNT
};
static const char *const fault_counter_names[FC_COUNT] = {
    "MicaFaultZeroFill:", "MicaFaultZeroPage:", "MicaFaultCowCopy:", "MicaFaultCowReuse:",
    "MicaFaultFile:", "MicaFaultStackGrow:", "MicaFaultSigsegv:",
};

struct fault_counts {
    long c[FC_COUNT]; /* -1: no such line (Linux) */
    long rss_anon_kb, vm_rss_kb;
};

/* Fills *fc from one read of /proc/self/status. */
static inline void fault_counts_get(struct fault_counts *fc)
{
    long unused = status_field("VmRSS:"); /* fills proc_buf */
    const char *p;

    (void)unused;
    for (int k = 0; k < FC_COUNT; k++) {
        p = strstr(proc_buf, fault_counter_names[k]);
        fc->c[k] = p ? strtol(p + strlen(fault_counter_names[k]), NULL, 10) : -1;
    }
    p = strstr(proc_buf, "RssAnon:");
    fc->rss_anon_kb = p ? strtol(p + strlen("RssAnon:"), NULL, 10) : -1;
    p = strstr(proc_buf, "VmRSS:");
    fc->vm_rss_kb = p ? strtol(p + strlen("VmRSS:"), NULL, 10) : -1;
}

/* after - before for counter k. */
static inline long fc_delta(const struct fault_counts *before, const struct fault_counts *after,
                            enum fault_counter k)
{
    return after->c[k] - before->c[k];
}

/* ---- signals ----------------------------------------------------------------------------- */

/* The restorer: the handler's `ret` lands here, which calls rt_sigreturn. */
void fault_util_restorer(void);
__asm__(".text\n"
        ".globl fault_util_restorer\n"
        "fault_util_restorer:\n"
        "    mov $15, %eax\n"
        "    syscall\n"
        "    hlt\n");

typedef void (*siginfo_handler)(int sig, void *info, void *uc);

/* Installs handler for sig with SA_SIGINFO (0, or -1 with errno); NULL restores SIG_DFL. */
static inline int set_handler(int sig, siginfo_handler handler)
{
    struct linux_sigaction act = { 0 };
    long rc;

    if (handler) {
        act.handler = (unsigned long)handler;
        act.flags = SA_SIGINFO | SA_RESTORER;
        act.restorer = (unsigned long)fault_util_restorer;
    } else {
        act.handler = SIG_DFL;
    }
    rc = syscall4(SYS_rt_sigaction, sig, (long)&act, 0, 8);
    if (syscall_failed(rc)) {
        errno = (int)-rc;
        return -1;
    }
    return 0;
}

/* siginfo fields (Linux x86-64 layout) */
static inline int si_signo(const void *info) { return *(const int *)info; }
static inline int si_code(const void *info) { return *(const int *)((const char *)info + 8); }
static inline unsigned long si_addr(const void *info)
{
    return *(const unsigned long *)((const char *)info + 16);
}

/* The saved registers in a ucontext: uc_mcontext at offset 40, in this order. */
enum uc_reg {
    UC_R8, UC_R9, UC_R10, UC_R11, UC_R12, UC_R13, UC_R14, UC_R15, UC_RDI, UC_RSI, UC_RBP,
    UC_RBX, UC_RDX, UC_RAX, UC_RCX, UC_RSP, UC_RIP
};

static inline unsigned long *uc_reg(void *uc, enum uc_reg r)
{
    return (unsigned long *)((char *)uc + 40) + r;
}

/*
 * A jump buffer: the callee-saved registers, the stack pointer after the
 * return and the return address of fault_setjmp.
 */
struct fault_jmp {
    unsigned long rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

/* Returns 0 when called; 1 when fault_longjmp_uc() made a handler resume here. */
__attribute__((returns_twice)) int fault_setjmp(struct fault_jmp *jb);
__asm__(".text\n"
        ".globl fault_setjmp\n"
        "fault_setjmp:\n"
        "    mov %rbx, 0(%rdi)\n"
        "    mov %rbp, 8(%rdi)\n"
        "    mov %r12, 16(%rdi)\n"
        "    mov %r13, 24(%rdi)\n"
        "    mov %r14, 32(%rdi)\n"
        "    mov %r15, 40(%rdi)\n"
        "    lea 8(%rsp), %rdx\n"
        "    mov %rdx, 48(%rdi)\n"
        "    mov (%rsp), %rdx\n"
        "    mov %rdx, 56(%rdi)\n"
        "    xor %eax, %eax\n"
        "    ret\n");

/*
 * Called in a signal handler: rewrites the interrupted context so that
 * rt_sigreturn resumes at jb's fault_setjmp, returning 1 there.
 */
static inline void fault_longjmp_uc(void *uc, const struct fault_jmp *jb)
{
    *uc_reg(uc, UC_RBX) = jb->rbx;
    *uc_reg(uc, UC_RBP) = jb->rbp;
    *uc_reg(uc, UC_R12) = jb->r12;
    *uc_reg(uc, UC_R13) = jb->r13;
    *uc_reg(uc, UC_R14) = jb->r14;
    *uc_reg(uc, UC_R15) = jb->r15;
    *uc_reg(uc, UC_RSP) = jb->rsp;
    *uc_reg(uc, UC_RIP) = jb->rip;
    *uc_reg(uc, UC_RAX) = 1;
}

/* ---- processes --------------------------------------------------------------------------- */

/* Describes a wait status in buf ("exit 3", "signal 9"); returns buf. */
static inline const char *status_str(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, size, "status %#x", status);
    return buf;
}

/* Waits for pid; its status, or -1 (reported) if waitpid failed. */
static inline int wait_child(pid_t pid)
{
    int status = 0;
    pid_t got = waitpid(pid, &status, 0);

    if (!CHECK(got == pid, "waitpid(%d) returned %d: %s", pid, got, strerror(errno)))
        return -1;
    return status;
}

/* Checks that pid exited with 0; what names the step in the message. */
static inline int expect_exit0(pid_t pid, const char *what)
{
    char buf[48];
    int status = wait_child(pid);

    if (status == -1)
        return 0;
    return CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child %s", what,
                 status_str(status, buf, sizeof(buf)));
}

/* Checks that pid was killed by signal sig. */
static inline int expect_signal(pid_t pid, int sig, const char *what)
{
    char buf[48];
    int status = wait_child(pid);

    if (status == -1)
        return 0;
    return CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sig, "%s: child %s, expected signal %d",
                 what, status_str(status, buf, sizeof(buf)), sig);
}

/*
 * Waits up to seconds for pid (polling with WNOHANG); a child still
 * running then is killed with SIGKILL, reaped, and reported as hung
 * (*hung = 1). Returns its status, or -1 if waitpid failed.
 */
static inline int wait_child_timeout(pid_t pid, int seconds, int *hung)
{
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    int status = 0;

    *hung = 0;
    for (int i = 0; i < seconds * 100; i++) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            return status;
        if (got < 0)
            return -1;
        nanosleep(&tick, NULL);
    }
    *hung = 1;
    kill(pid, SIGKILL);
    return waitpid(pid, &status, 0) == pid ? status : -1;
}

/* fork after flushing stdout (else the child prints the parent's buffered text again). */
static inline pid_t fork_flushed(void)
{
    fflush(stdout);
    return fork();
}

/* An anonymous private read-write mapping of len bytes, or NULL (reported). */
static inline char *map_anon(size_t len)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (!CHECK(p != MAP_FAILED, "mmap(%zu): %s", len, strerror(errno)))
        return NULL;
    return p;
}

#endif
