/*
 * faults - what a program sees of page faults, printed as "what: result"
 * lines (relations and values only, never an address):
 *   - untouched anonymous memory, .bss and fresh brk memory read zero;
 *     what is written reads back;
 *   - fork: neither side sees the other's writes; three generations each
 *     keep their own data; read() (from a pipe and from a file) into a
 *     copy-on-write page leaves the parent's copy alone; so does a write
 *     after mprotect(PROT_READ) and mprotect(PROT_READ|PROT_WRITE) of a
 *     copy-on-write page, in the child and in the parent; PROT_NONE and
 *     back keeps a page's data (also in a child after fork);
 *   - bad accesses, caught by a SA_SIGINFO handler (signal, si_code, and
 *     whether si_addr is the address touched or 0), then the same
 *     uncaught in a child (WIFSIGNALED, WTERMSIG): a write to the
 *     program's text, executing on the stack, in a malloc'd block and in
 *     brk memory (NX),
 *     reading NULL, an unmapped page, 0xffff800000000000 (kernel half),
 *     0x8000000000000000 (non-canonical: a #GP, SI_KERNEL and si_addr 0),
 *     a PROT_NONE page (one never touched, one written before mprotect),
 *     writing a PROT_READ page, and touching a file
 *     mapping a whole page beyond the end of the file (SIGBUS);
 *   - the stack grows by 4 MiB in a child (RLIMIT_STACK set to 8 MiB
 *     first); growing it past 8 MiB kills the child with SIGSEGV;
 *   - memory from brk and malloc survives fork, on both sides.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

#define PAGE 4096ul
#define MiB (1ul << 20)
#define KERNEL_ADDR 0xffff800000000000ul
#define NONCANONICAL_ADDR 0x8000000000000000ul

static const char *yes(int cond)
{
    return cond ? "yes" : "no";
}

static pid_t fork_flushed(void)
{
    fflush(NULL);
    return fork();
}

static void show_status(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("%s: WIFEXITED yes, WEXITSTATUS %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: WIFSIGNALED yes, WTERMSIG %d\n", what, WTERMSIG(status));
    else
        printf("%s: neither exited nor signaled\n", what);
}

/* Waits for pid: its status, or -1 (printed) if waitpid failed. */
static int reap(const char *what, pid_t pid)
{
    int status = 0;

    if (pid < 0) {
        printf("%s: fork: %s\n", what, errno_name(errno));
        return -1;
    }
    if (waitpid(pid, &status, 0) != pid) {
        printf("%s: waitpid: %s\n", what, errno_name(errno));
        return -1;
    }
    return status;
}

static void reap_and_show(const char *what, pid_t pid)
{
    int status = reap(what, pid);

    if (status != -1)
        show_status(what, status);
}

/* The exit code of a child that ended normally, or -1. */
static int exit_code(int status)
{
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int all_bytes(const volatile char *p, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static volatile char *map_page(char fill)
{
    char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        printf("mmap: %s\n", errno_name(errno));
        exit(1);
    }
    memset(p, fill, PAGE);
    return p;
}

/* ---- plain memory ---------------------------------------------------------------------- */

static char bss_block[3 * 4096];
static volatile char *brk_block; /* 3 pages from brk, made before malloc ran */

static void plain_memory(void)
{
    size_t len = 64 * PAGE, nonzero = 0;
    volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        printf("mmap: %s\n", errno_name(errno));
        return;
    }
    for (size_t i = 0; i < len; i += 64)
        nonzero += p[i] != 0;
    printf("untouched anonymous memory (64 pages) reads zero: %s\n", yes(nonzero == 0));
    for (size_t i = 0; i < len; i += 512)
        p[i] = (char)(i / 512 * 7 + 1);
    nonzero = 0;
    for (size_t i = 0; i < len; i += 512)
        nonzero += p[i] == (char)(i / 512 * 7 + 1);
    printf("written bytes read back: %s\n", yes(nonzero == len / 512));
    printf("bytes next to the written ones still read zero: %s\n",
           yes(p[1] == 0 && p[511] == 0 && p[len - 1] == 0));
    munmap((void *)p, len);
    printf("untouched .bss reads zero: %s\n", yes(all_bytes(bss_block, sizeof(bss_block), 0)));
    if (brk_block)
        printf("fresh brk memory reads zero: %s\n", yes(all_bytes(brk_block, 3 * PAGE, 0)));
    else
        printf("brk: could not grow\n");
}

/* ---- fork ------------------------------------------------------------------------------ */

static volatile int shared_global = 1;

/* The child must not see the parent's writes after fork, nor the parent the child's. */
static void fork_isolation(void)
{
    volatile char *page = map_page('a');
    int go[2];
    char c;
    pid_t pid;

    shared_global = 1;
    if (pipe(go) != 0) {
        printf("pipe: %s\n", errno_name(errno));
        return;
    }
    pid = fork_flushed();
    if (pid == 0) {
        int code = 0;
        close(go[1]);
        if (read(go[0], &c, 1) != 1) /* the parent has written its copies */
            _exit(100);
        if (page[0] != 'a' || page[PAGE - 1] != 'a' || shared_global != 1)
            code |= 1; /* saw the parent's write */
        page[0] = 'c';
        shared_global = 3;
        if (page[0] != 'c' || shared_global != 3)
            code |= 2; /* its own write did not stick */
        _exit(code);
    }
    close(go[0]);
    page[0] = 'p';
    page[PAGE - 1] = 'p';
    shared_global = 2;
    write(go[1], "g", 1);
    close(go[1]);
    int code = exit_code(reap("fork isolation child", pid));
    printf("child sees the parent's data from before fork, not its later writes: %s\n",
           yes(code >= 0 && !(code & 1)));
    printf("child's own writes stick: %s\n", yes(code >= 0 && !(code & 2)));
    printf("parent does not see the child's writes: %s\n",
           yes(page[0] == 'p' && page[PAGE - 1] == 'p' && page[1] == 'a' && shared_global == 2));
    munmap((void *)page, PAGE);
}

/*
 * Parent, child and grandchild write the same page and global after each
 * fork; each must see only its own value. The grandchild exits 3 if it saw
 * the child's value (2) then its own; the child exits 2 if the grandchild
 * exited 3 and its own value is still 22.
 */
static void three_generations(void)
{
    volatile char *page = map_page(1);
    pid_t pid;

    shared_global = 1;
    pid = fork_flushed();
    if (pid == 0) {
        int ok = page[0] == 1 && shared_global == 1;
        page[0] = 2;
        shared_global = 2;
        pid_t grandchild = fork();
        if (grandchild == 0) {
            int ok3 = page[0] == 2 && shared_global == 2;
            page[0] = 3;
            shared_global = 3;
            _exit(ok3 && page[0] == 3 && shared_global == 3 && page[1] == 1 ? 3 : 30);
        }
        page[0] = 22;
        shared_global = 22;
        int status = 0;
        if (grandchild < 0 || waitpid(grandchild, &status, 0) != grandchild)
            _exit(40);
        if (!WIFEXITED(status))
            _exit(41);
        if (WEXITSTATUS(status) != 3)
            _exit(WEXITSTATUS(status));
        _exit(ok && page[0] == 22 && shared_global == 22 && page[1] == 1 ? 2 : 20);
    }
    page[0] = 11;
    shared_global = 11;
    int code = exit_code(reap("three generations", pid));
    printf("three generations: child exit %d (2: it and the grandchild kept their own data)\n", code);
    printf("three generations: the parent kept its own data: %s\n",
           yes(page[0] == 11 && shared_global == 11 && page[1] == 1));
    munmap((void *)page, PAGE);
}

static const char message[] = "data read into a copy-on-write page";
#define MSG_LEN ((ssize_t)sizeof(message) - 1)
#define OFFSET 1000

/* A child read()s from fd into a page the parent maps too. */
static void read_into_cow(const char *what, int fd)
{
    volatile char *page = map_page('p');
    pid_t pid = fork_flushed();

    if (pid == 0) {
        ssize_t n = read(fd, (char *)page + OFFSET, MSG_LEN);
        if (n != MSG_LEN)
            _exit(1);
        if (memcmp((const char *)page + OFFSET, message, MSG_LEN) != 0)
            _exit(2);
        _exit(all_bytes(page, OFFSET, 'p') && all_bytes(page + OFFSET + MSG_LEN,
                                                        PAGE - OFFSET - MSG_LEN, 'p') ? 0 : 3);
    }
    int code = exit_code(reap(what, pid));
    printf("%s: the child got the data: %s (exit %d)\n", what, yes(code == 0), code);
    printf("%s: the parent's copy is unchanged: %s\n", what, yes(all_bytes(page, PAGE, 'p')));
    munmap((void *)page, PAGE);
}

static void read_cow(void)
{
    int fds[2];
    char path[64];
    int fd;

    if (pipe(fds) != 0) {
        printf("pipe: %s\n", errno_name(errno));
        return;
    }
    write(fds[1], message, MSG_LEN);
    read_into_cow("read() from a pipe into a COW page", fds[0]);
    close(fds[0]);
    close(fds[1]);

    snprintf(path, sizeof(path), "/tmp/diff-faults-read.%d", (int)getpid());
    fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0) {
        printf("open /tmp/...: %s\n", errno_name(errno));
        return;
    }
    write(fd, message, MSG_LEN);
    lseek(fd, 0, SEEK_SET);
    read_into_cow("read() from a file into a COW page", fd);
    close(fd);
    unlink(path);
}

/* mprotect R, then RW, then write: 0, or -1 if mprotect failed. */
static int protect_dance_and_write(volatile char *p, char c)
{
    if (mprotect((void *)p, PAGE, PROT_READ) != 0 ||
        mprotect((void *)p, PAGE, PROT_READ | PROT_WRITE) != 0)
        return -1;
    p[0] = c;
    p[PAGE - 1] = c;
    return 0;
}

static void mprotect_cow(void)
{
    volatile char *page = map_page('m');
    int go[2];
    char c;
    pid_t pid = fork_flushed();

    if (pid == 0) {
        if (protect_dance_and_write(page, 'c') != 0)
            _exit(1);
        _exit(page[0] == 'c' && page[1] == 'm' && page[PAGE - 1] == 'c' ? 0 : 2);
    }
    int code = exit_code(reap("mprotect in the child", pid));
    printf("mprotect R, RW, write in the child: the child sees its write: %s (exit %d)\n",
           yes(code == 0), code);
    printf("mprotect R, RW, write in the child: the parent's copy is unchanged: %s\n",
           yes(all_bytes(page, PAGE, 'm')));

    /* now the parent writes while the child still maps the page */
    if (pipe(go) != 0)
        return;
    pid = fork_flushed();
    if (pid == 0) {
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        _exit(all_bytes(page, PAGE, 'm') ? 0 : 2);
    }
    close(go[0]);
    int rc = protect_dance_and_write(page, 'P');
    printf("mprotect R, RW, write in the parent: %s, the parent sees its write: %s\n", result(rc),
           yes(page[0] == 'P' && page[1] == 'm' && page[PAGE - 1] == 'P'));
    write(go[1], "g", 1);
    close(go[1]);
    code = exit_code(reap("mprotect in the parent", pid));
    printf("mprotect R, RW, write in the parent: the child's copy is unchanged: %s (exit %d)\n",
           yes(code == 0), code);
    munmap((void *)page, PAGE);
}

/* PROT_NONE hides a written page's data, it does not drop it; also across fork. */
static void prot_none_keeps_data(void)
{
    volatile char *page = map_page('n');
    pid_t pid;

    printf("mprotect(PROT_NONE) of a written page: %s\n",
           result(mprotect((void *)page, PAGE, PROT_NONE)));
    printf("mprotect(PROT_READ|PROT_WRITE) again: %s\n",
           result(mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE)));
    printf("the data is still there: %s\n", yes(all_bytes(page, PAGE, 'n')));

    mprotect((void *)page, PAGE, PROT_NONE);
    pid = fork_flushed();
    if (pid == 0) {
        if (mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE) != 0)
            _exit(1);
        if (!all_bytes(page, PAGE, 'n'))
            _exit(2);
        page[0] = 'c';
        _exit(page[0] == 'c' ? 0 : 3);
    }
    int code = exit_code(reap("PROT_NONE across fork", pid));
    printf("PROT_NONE page across fork: the child makes it RW, finds the data, writes: %s (exit %d)\n",
           yes(code == 0), code);
    printf("PROT_NONE page across fork: the parent's copy, made RW again, is unchanged: %s\n",
           yes(mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE) == 0 &&
               all_bytes(page, PAGE, 'n')));
    munmap((void *)page, PAGE);
}

/* Memory from brk and malloc, written before fork, changed on each side after. */
static void heap_and_fork(void)
{
    size_t big_len = 200000;
    char *big = malloc(big_len), *small = malloc(100);
    pid_t pid;

    if (!big || !small || !brk_block) {
        printf("malloc/brk failed\n");
        return;
    }
    memset(big, 'B', big_len);
    memset(small, 's', 100);
    memset((char *)brk_block, 'k', 3 * PAGE);
    pid = fork_flushed();
    if (pid == 0) {
        int code = 0;
        if (!all_bytes(brk_block, 3 * PAGE, 'k'))
            code |= 1;
        if (!all_bytes(big, big_len, 'B') || !all_bytes(small, 100, 's'))
            code |= 2;
        memset((char *)brk_block, 'K', 3 * PAGE);
        memset(big, 'b', big_len);
        memset(small, 'S', 100);
        char *more = malloc(50000);
        if (!more)
            code |= 4;
        else
            memset(more, 'M', 50000);
        if (!all_bytes(brk_block, 3 * PAGE, 'K') || !all_bytes(big, big_len, 'b') ||
            !all_bytes(small, 100, 'S'))
            code |= 8;
        _exit(code);
    }
    int code = exit_code(reap("heap and fork", pid));
    printf("brk and malloc'd memory survive fork in the child (and its writes stick): %s (exit %d)\n",
           yes(code == 0), code);
    printf("brk memory survives fork in the parent: %s\n", yes(all_bytes(brk_block, 3 * PAGE, 'k')));
    printf("malloc'd memory survives fork in the parent: %s\n",
           yes(all_bytes(big, big_len, 'B') && all_bytes(small, 100, 's')));
    free(big);
    free(small);
}

/* ---- bad accesses ---------------------------------------------------------------------- */

/* The faulting instruction is each probe's first. */
unsigned char probe_read(unsigned long addr);
void probe_write(unsigned long addr);
__asm__(".text\n"
        ".globl probe_read\n"
        "probe_read:\n"
        "    movzbl (%rdi), %eax\n"
        "    ret\n"
        ".globl probe_write\n"
        "probe_write:\n"
        "    movb $0x55, (%rdi)\n"
        "    ret\n");

static sigjmp_buf resume;
static volatile int got_sig, got_code, caught;
static volatile unsigned long got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    caught++;
    got_sig = sig == si->si_signo ? sig : -si->si_signo;
    got_code = si->si_code;
    got_addr = (unsigned long)si->si_addr;
    siglongjmp(resume, 1);
}

static unsigned long untouched_prot_none_page, prot_none_page, read_only_page, unmapped_page, beyond_eof_page;
static unsigned char *heap_block;
static volatile unsigned long target; /* the address each case touches */

static void write_text(void)
{
    target = (unsigned long)probe_read + 1;
    probe_write(target);
}

static void exec_stack(void)
{
    volatile unsigned char code[16];

    code[0] = 0xc3; /* ret */
    target = (unsigned long)code;
    ((void (*)(void))target)();
}

static void exec_heap(void)
{
    heap_block[0] = 0xc3;
    target = (unsigned long)heap_block;
    ((void (*)(void))target)();
}

static void exec_brk(void)
{
    brk_block[0] = (char)0xc3;
    target = (unsigned long)brk_block;
    ((void (*)(void))target)();
}

static void read_at(unsigned long a)
{
    target = a;
    probe_read(a);
}

static void read_null(void) { read_at(0); }
static void read_unmapped(void) { read_at(unmapped_page + 8); }
static void read_kernel(void) { read_at(KERNEL_ADDR); }
static void read_noncanonical(void) { read_at(NONCANONICAL_ADDR); }
static void read_untouched_prot_none(void) { read_at(untouched_prot_none_page + 5); }
static void read_prot_none(void) { read_at(prot_none_page + 5); }
static void read_beyond_eof(void) { read_at(beyond_eof_page + 8); }

static void write_read_only(void)
{
    target = read_only_page + 17;
    probe_write(target);
}

static const struct fault_case {
    const char *name;
    void (*run)(void);
} cases[] = {
    { "write to own text", write_text },
    { "execute on the stack", exec_stack },
    { "execute in a malloc'd block", exec_heap },
    { "execute in brk memory", exec_brk },
    { "read NULL", read_null },
    { "read an unmapped page", read_unmapped },
    { "read 0xffff800000000000", read_kernel },
    { "read non-canonical 0x8000000000000000", read_noncanonical },
    { "read an untouched PROT_NONE page", read_untouched_prot_none },
    { "read a PROT_NONE page written before mprotect", read_prot_none },
    { "write a PROT_READ page written before mprotect", write_read_only },
    { "read a file mapping a page beyond EOF", read_beyond_eof },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const char *sig_name(int sig)
{
    static char buf[24];

    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    }
    snprintf(buf, sizeof(buf), "signal %d", sig);
    return buf;
}

static const char *code_name(int sig, int code)
{
    static char buf[24];

    if (code == SI_KERNEL)
        return "SI_KERNEL";
    if (sig == SIGSEGV && code == SEGV_MAPERR)
        return "SEGV_MAPERR";
    if (sig == SIGSEGV && code == SEGV_ACCERR)
        return "SEGV_ACCERR";
    if (sig == SIGBUS && code == BUS_ADRERR)
        return "BUS_ADRERR";
    if (sig == SIGBUS && code == BUS_ADRALN)
        return "BUS_ADRALN";
    snprintf(buf, sizeof(buf), "code %d", code);
    return buf;
}

static char eof_path[64];

/* The pages the cases touch; 0, or -1 (printed) if something failed. */
static int setup_cases(void)
{
    char *p;
    int fd;

    heap_block = malloc(64);
    /* a 100-byte file mapped over two pages: the second is wholly beyond EOF */
    snprintf(eof_path, sizeof(eof_path), "/tmp/diff-faults-eof.%d", (int)getpid());
    fd = open(eof_path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0) {
        printf("open /tmp/...: %s\n", errno_name(errno));
        return -1;
    }
    for (int i = 0; i < 100; i++)
        write(fd, "0123456789" + i % 10, 1);
    char *f = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f == MAP_FAILED) {
        printf("mmap of a 100-byte file over 2 pages: %s\n", errno_name(errno));
        return -1;
    }
    printf("mmap of a 100-byte file over 2 pages: ok\n");
    printf("file mapping: byte 57 is '%c', bytes 100..4095 read zero: %s\n", f[57],
           yes(all_bytes(f + 100, PAGE - 100, 0)));
    beyond_eof_page = (unsigned long)f + PAGE;

    /* last: nothing mapped after this may land in the unmapped page */
    p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmap: %s\n", errno_name(errno));
        return -1;
    }
    untouched_prot_none_page = (unsigned long)p;
    prot_none_page = (unsigned long)p + PAGE;
    read_only_page = (unsigned long)p + 2 * PAGE;
    unmapped_page = (unsigned long)p + 3 * PAGE;
    p[PAGE] = 1;     /* resident, then PROT_NONE */
    p[2 * PAGE] = 1; /* resident, then read-only */
    printf("mprotect(PROT_NONE) of an untouched page: %s\n", result(mprotect(p, PAGE, PROT_NONE)));
    printf("mprotect(PROT_NONE) of a written page: %s\n", result(mprotect(p + PAGE, PAGE, PROT_NONE)));
    printf("mprotect(PROT_READ) of a written page: %s\n",
           result(mprotect(p + 2 * PAGE, PAGE, PROT_READ)));
    printf("munmap(fourth page): %s\n", result(munmap(p + 3 * PAGE, PAGE)));
    return heap_block ? 0 : -1;
}

static int set_handler(int sig, int install)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    if (install) {
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO;
    } else {
        sa.sa_handler = SIG_DFL;
    }
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

static void run_caught(const struct fault_case *c)
{
    caught = got_sig = got_code = 0;
    got_addr = 0xdead;
    target = 0xbeef;
    if (sigsetjmp(resume, 1) == 0) {
        c->run();
        printf("caught: %s: no fault, the access worked\n", c->name);
        return;
    }
    printf("caught: %s: %s %s, si_addr==target: %s, si_addr==0: %s, handler ran %d time(s)\n",
           c->name, sig_name(got_sig), code_name(got_sig, got_code), yes(got_addr == target),
           yes(got_addr == 0), caught);
}

static void run_uncaught(const struct fault_case *c)
{
    char what[96];
    pid_t pid = fork_flushed();

    if (pid == 0) {
        set_handler(SIGSEGV, 0);
        set_handler(SIGBUS, 0);
        c->run();
        _exit(0);
    }
    snprintf(what, sizeof(what), "uncaught: %s", c->name);
    reap_and_show(what, pid);
}

static void bad_accesses(void)
{
    if (setup_cases() < 0)
        return;
    printf("sigaction(SIGSEGV, SA_SIGINFO): %s\n", result(set_handler(SIGSEGV, 1)));
    printf("sigaction(SIGBUS, SA_SIGINFO): %s\n", result(set_handler(SIGBUS, 1)));
    for (size_t i = 0; i < NCASES; i++)
        run_caught(&cases[i]);
    /* a signal handled and left by siglongjmp: the mask is back, the next one is caught too */
    run_caught(&cases[4]); /* read NULL */
    set_handler(SIGSEGV, 0);
    set_handler(SIGBUS, 0);
    for (size_t i = 0; i < NCASES; i++)
        run_uncaught(&cases[i]);
    unlink(eof_path);
}

/* ---- the stack ------------------------------------------------------------------------- */

/* Each frame has 4 KiB of locals, written at both ends and read after the call returns. */
static __attribute__((noinline)) long recurse(int depth)
{
    volatile char frame[4096];
    long below;

    frame[0] = (char)depth;
    frame[sizeof(frame) - 1] = (char)(depth * 3);
    if (depth == 0)
        return 0;
    below = recurse(depth - 1);
    return below + (unsigned char)frame[0] + (unsigned char)frame[sizeof(frame) - 1];
}

static long expected_sum(int depth)
{
    long sum = 0;

    for (int d = 1; d <= depth; d++)
        sum += (unsigned char)d + (unsigned char)(d * 3);
    return sum;
}

/* 0 if RLIMIT_STACK is now 8 MiB (the hard limit kept), else -1. */
static int stack_limit_8m(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_STACK, &rl) != 0)
        return -1;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 8 * MiB)
        return -1;
    rl.rlim_cur = 8 * MiB;
    return setrlimit(RLIMIT_STACK, &rl);
}

static void stack_child(unsigned long bytes)
{
    int depth = (int)(bytes / 4096);

    if (stack_limit_8m() != 0)
        _exit(1);
    _exit(recurse(depth) == expected_sum(depth) ? 0 : 2);
}

static void stack_growth(void)
{
    pid_t pid = fork_flushed();

    if (pid == 0)
        stack_child(4 * MiB);
    reap_and_show("stack grown by 4 MiB in a child, RLIMIT_STACK 8 MiB (1: setrlimit, 2: wrong sum)",
                  pid);

    pid = fork_flushed();
    if (pid == 0)
        stack_child(9 * MiB);
    reap_and_show("stack grown by 9 MiB in a child, RLIMIT_STACK 8 MiB", pid);
}

int main(void)
{
    struct rlimit no_core = { 0, 0 };
    unsigned long cur;

    /* before malloc runs, so nothing else moves the break */
    cur = (unsigned long)syscall(SYS_brk, 0);
    if ((unsigned long)syscall(SYS_brk, cur + 3 * PAGE) == cur + 3 * PAGE)
        brk_block = (volatile char *)cur;
    setvbuf(stdout, NULL, _IOLBF, 0);
    setrlimit(RLIMIT_CORE, &no_core); /* the host must not write core files for the crashes */
    plain_memory();
    fork_isolation();
    three_generations();
    read_cow();
    mprotect_cow();
    prot_none_keeps_data();
    heap_and_fork();
    bad_accesses();
    stack_growth();
    printf("done\n");
    return 0;
}
