/*
 * fault_stack - the stack grows on demand, up to RLIMIT_STACK (8 MiB):
 *   - a child moves its stack pointer down 4 MiB a page at a time,
 *     writing each page: it works, RssAnon grows by about 4 MiB, and
 *     MicaFaultStackGrow is above 0; 7 MiB works too;
 *   - a child that goes on past 8 MiB is killed by SIGSEGV (WTERMSIG 11);
 *   - so is one that has a SIGSEGV handler but no alternate stack: there
 *     is no room for the signal frame, so the handler cannot run and the
 *     kernel kills it with SIGSEGV (as Linux does).
 * The limit is set to 8 MiB explicitly (setrlimit), so the host's ulimit
 * does not matter when it runs on Linux.
 */
#include <uapi/resource.h>

#include "fault_util.h"

#define MiB (1ul << 20)

/*
 * Moves rsp down by bytes (a multiple of 4096), one page at a time,
 * writing a word at each new rsp; then puts rsp back. Nothing else runs
 * in between: the stack really is that deep at the lowest point.
 */
static void grow_stack(unsigned long bytes)
{
    __asm__ volatile("    mov %%rsp, %%rdx\n"
                     "1:  sub $4096, %%rsp\n"
                     "    movq $0, (%%rsp)\n"
                     "    sub $4096, %0\n"
                     "    jnz 1b\n"
                     "    mov %%rdx, %%rsp\n"
                     : "+r"(bytes)
                     :
                     : "rdx", "memory", "cc");
}

static int set_stack_limit(unsigned long bytes)
{
    struct linux_rlimit rl = { bytes, RLIM_INFINITY };

    return syscall2(SYS_setrlimit, RLIMIT_STACK, (long)&rl) == 0 ? 0 : -1;
}

/*
 * The child growing by bytes. Exit codes: 0 fine, 1 setrlimit failed,
 * 2 RssAnon did not grow enough, 3 no MicaFaultStackGrow.
 */
static void grow_child(unsigned long bytes, int mica)
{
    struct fault_counts c0, c1;

    if (set_stack_limit(8 * MiB) < 0)
        _exit(1);
    touch_proc_buffers();
    fault_counts_get(&c0);
    grow_stack(bytes);
    fault_counts_get(&c1);
    /* less the 16 KiB below us that touch_proc_buffers() wrote already, and some slack */
    if (c1.rss_anon_kb - c0.rss_anon_kb < (long)(bytes / 1024) - 64) {
        printf("  child: RssAnon %ld kB -> %ld kB after growing the stack %lu kB\n",
               c0.rss_anon_kb, c1.rss_anon_kb, bytes / 1024);
        exit(2);
    }
    if (mica) {
        printf("  stack grown by %lu MiB: MicaFaultStackGrow +%ld, MicaFaultZeroFill +%ld\n",
               bytes / MiB, fc_delta(&c0, &c1, FC_STACK_GROW), fc_delta(&c0, &c1, FC_ZERO_FILL));
        if (c1.c[FC_STACK_GROW] <= 0 || fc_delta(&c0, &c1, FC_STACK_GROW) <= 0)
            exit(3);
    }
    exit(0);
}

static void on_segv(int sig, void *info, void *uc)
{
    (void)sig, (void)info, (void)uc;
    _exit(4); /* must not run: there is no stack to run it on */
}

/* A child growing past the limit; with_handler: it has a SIGSEGV handler (no sigaltstack). */
static void overflow_child(int with_handler)
{
    if (set_stack_limit(8 * MiB) < 0)
        _exit(1);
    if (with_handler && set_handler(SIGSEGV, on_segv) < 0)
        _exit(2);
    grow_stack(9 * MiB);
    _exit(3); /* survived 9 MiB */
}

int main(void)
{
    int mica = on_mica();
    pid_t pid;

    pid = fork_flushed();
    if (pid == 0)
        grow_child(4 * MiB, mica);
    if (CHECK(pid > 0, "fork: %s", strerror(errno)))
        expect_exit0(pid, "growing the stack 4 MiB (1: setrlimit, 2: RssAnon, 3: no StackGrow)");

    pid = fork_flushed();
    if (pid == 0)
        grow_child(7 * MiB, mica);
    if (CHECK(pid > 0, "fork: %s", strerror(errno)))
        expect_exit0(pid, "growing the stack 7 MiB (1: setrlimit, 2: RssAnon, 3: no StackGrow)");

    pid = fork_flushed();
    if (pid == 0)
        overflow_child(0);
    if (CHECK(pid > 0, "fork: %s", strerror(errno)))
        expect_signal(pid, SIGSEGV, "growing the stack 9 MiB (exit 3: it worked)");

    pid = fork_flushed();
    if (pid == 0)
        overflow_child(1);
    if (CHECK(pid > 0, "fork: %s", strerror(errno)))
        expect_signal(pid, SIGSEGV,
                      "growing the stack 9 MiB with a handler (exit 4: the handler ran)");
    return utest_result();
}
