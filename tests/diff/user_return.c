/*
 * user_return - returning to user mode with registers the CPU refuses: a
 * non-canonical RIP (between 1 << 47 and the kernel half) makes iretq and
 * sysret fault in ring 0, so the kernel must turn it into SIGSEGV for the
 * process, as Linux does, on every way back: after rt_sigreturn, after a
 * signal frame whose handler is such an address, and after execve of a
 * program whose entry point is one. A non-canonical RSP and a kernel-half
 * RIP are checked too (iretq loads any RSP; its first use faults in user
 * mode). A ktest (signal_user_rip) checks the predicate itself, since QEMU's
 * TCG raises the #GP in user mode and would hide a missing check.
 *
 * Each case runs in a child; one line per case says how the child ended
 * ("exit N" or "killed by SIGNAME") and, where a SIGSEGV handler ran, the
 * si_code and si_addr it saw.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include <elf.h>

#include "errname.h"

#define NONCANON 0x800000000000ul
#define NONCANON_HIGH 0xffff7ffffffff000ul
#define KERNEL_HALF 0xffff800000001000ul

static unsigned long new_rip, new_rsp;

/* SIGUSR1's handler: changes the frame so rt_sigreturn returns to new_rip / new_rsp. */
static void rewrite_frame(int sig, siginfo_t *info, void *ucv)
{
    (void)sig, (void)info;
    ucontext_t *uc = ucv;
    if (new_rip)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)new_rip;
    if (new_rsp)
        uc->uc_mcontext.gregs[REG_RSP] = (greg_t)new_rsp;
}

static void segv_report(int sig, siginfo_t *info, void *ucv)
{
    (void)ucv;
    char line[96];
    int n = snprintf(line, sizeof(line), "  handler: sig %d code %d addr %s\n", sig,
                     info->si_code, info->si_addr ? "nonzero" : "0");
    write(1, line, (size_t)n);
    _exit(7);
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

/* A function to return into with a bad stack: its first push faults. */
static void __attribute__((noinline)) uses_stack(void)
{
    __asm__ volatile("push %%rax; pop %%rax" ::: "memory");
    _exit(3);
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default: return "another signal";
    }
}

static void run(const char *name, void (*child)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: killed by %s\n", name, sig_name(WTERMSIG(status)));
    else
        printf("%s: exit %d\n", name, WEXITSTATUS(status));
    fflush(stdout);
}

static void sigreturn_to(unsigned long rip, unsigned long rsp, bool segv_handler)
{
    new_rip = rip, new_rsp = rsp;
    on(SIGUSR1, rewrite_frame, 0);
    if (segv_handler)
        on(SIGSEGV, segv_report, 0);
    raise(SIGUSR1);
}

static void c_rip_noncanon(void) { sigreturn_to(NONCANON, 0, false); }
static void c_rip_noncanon_high(void) { sigreturn_to(NONCANON_HIGH, 0, false); }
static void c_rip_max(void) { sigreturn_to(-1ul, 0, false); }
static void c_rip_kernel(void) { sigreturn_to(KERNEL_HALF, 0, false); }
static void c_rip_noncanon_handled(void) { sigreturn_to(NONCANON, 0, true); }
static void c_rip_kernel_handled(void) { sigreturn_to(KERNEL_HALF, 0, true); }
static void c_rsp_noncanon(void) { sigreturn_to((unsigned long)uses_stack, NONCANON, false); }

static void c_handler_noncanon(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = (void (*)(int))NONCANON;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
}

static void c_handler_noncanon_segv_handled(void)
{
    on(SIGSEGV, segv_report, 0);
    c_handler_noncanon();
}

static void c_segv_handler_noncanon(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = (void (*)(int))NONCANON;
    sigaction(SIGSEGV, &sa, NULL);
    sigreturn_to(NONCANON, 0, false);
}

static void c_segv_handler_noncanon_nodefer(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = (void (*)(int))NONCANON;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigreturn_to(NONCANON, 0, false);
}

/* execve of a copy of this program whose entry point is entry. */
static unsigned long exec_entry;
static const char *self_path;

static void c_exec_entry(void)
{
    static char image[4 << 20];
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0)
        fd = open(self_path, O_RDONLY); /* mica has no /proc/self/exe yet */
    ssize_t n = read(fd, image, sizeof(image));
    close(fd);
    if (n < (ssize_t)sizeof(Elf64_Ehdr))
        _exit(90);
    ((Elf64_Ehdr *)image)->e_entry = exec_entry;
    fd = open("user_return.bad", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (write(fd, image, (size_t)n) != n)
        _exit(91);
    close(fd);
    char *argv[] = { "user_return.bad", NULL };
    execve("./user_return.bad", argv, NULL);
    printf("  execve: %s\n", errno_name(errno));
    _exit(92);
}

static void c_exec_noncanon(void) { exec_entry = NONCANON; c_exec_entry(); }
static void c_exec_kernel(void) { exec_entry = KERNEL_HALF; c_exec_entry(); }

int main(int argc, char **argv)
{
    (void)argc;
    self_path = argv[0];
    run("sigreturn rip=1<<47", c_rip_noncanon);
    run("sigreturn rip=0xffff7ffffffff000", c_rip_noncanon_high);
    run("sigreturn rip=-1", c_rip_max);
    run("sigreturn rip=kernel half", c_rip_kernel);
    run("sigreturn rip=1<<47, SIGSEGV handler", c_rip_noncanon_handled);
    run("sigreturn rip=kernel half, SIGSEGV handler", c_rip_kernel_handled);
    run("sigreturn rsp=1<<47", c_rsp_noncanon);
    run("handler at 1<<47", c_handler_noncanon);
    run("handler at 1<<47, SIGSEGV handler", c_handler_noncanon_segv_handled);
    run("SIGSEGV handler at 1<<47", c_segv_handler_noncanon);
    run("SIGSEGV handler at 1<<47, SA_NODEFER", c_segv_handler_noncanon_nodefer);
    run("execve, entry 1<<47", c_exec_noncanon);
    run("execve, entry in the kernel half", c_exec_kernel);
    unlink("user_return.bad");
    return 0;
}
