/*
 * fault_fail_nth - every frame allocation of fork, of a fault and of mmap
 * is made to fail in turn (MICA_FAIL_NTH_ALLOC n, n = 1..40), and each
 * failure must come back to the process (ENOMEM) or kill it (SIGKILL, the
 * OOM kill): never a hang, a panic, a leaked frame or a broken invariant.
 * The steps of each round:
 *   fork        fork fails with ENOMEM, or the child runs and exits 0;
 *   cow         a child writes 16 pages its parent also maps (16 copies):
 *               all writes work, or it is killed by SIGKILL; the parent's
 *               data never changes;
 *   zero        a child writes 24 pages of a fresh mapping (page tables
 *               and 24 zeroed frames): works, or SIGKILL;
 *   mmap        a child maps 16 pages and writes them: mmap fails with
 *               ENOMEM, or it works, or SIGKILL;
 *   mprotect    a child changes the middle page of a 3-page mapping (a
 *               VMA split): ENOMEM or done, and the memory still works.
 * The switch is global (any process's next allocations), so each step arms
 * it and disarms it in one stretch of assembly that touches no other
 * memory: otherwise a stack write in between (itself a COW fault after a
 * fork) could take the failure meant for the step, or leave it armed.
 * After each step the free-frame count must be back to what it was before
 * (once the children are reaped, and the flusher is not holding its
 * writeback batch); MICA_MM_CHECK must pass at the end.
 * Only on mica: on Linux the switch does not exist (a line says so).
 */
#include "fault_util.h"

#define MAX_N 40
#define COW_PAGES 16
#define ZERO_PAGES 24
#define MMAP_PAGES 16
#define TIMEOUT 20 /* seconds a child may take */

/*
 * long armed_syscall3(long n, long nr, long a, long b, long c):
 * fail the n-th allocation, make system call nr(a, b, c), switch off;
 * returns the call's raw result. Registers only (syscall keeps all but
 * rax, rcx, r11).
 */
long armed_syscall3(long n, long nr, long a, long b, long c);
/* long armed_touch(long n, char *addr, long count, long stride): armed, writes a byte at each address. */
long armed_touch(long n, volatile char *addr, long count, long stride);
/* long armed_mmap_touch(long n, long len): armed, mmap len bytes anonymous and write each page; the mmap result. */
long armed_mmap_touch(long n, long len);
__asm__(".text\n"
        ".globl armed_syscall3\n"
        "armed_syscall3:\n"
        "    mov %rsi, %r9\n"
        "    mov %rcx, %r10\n"
        "    mov %rdi, %rsi\n"
        "    mov $1, %edi\n"            /* MICA_FAIL_NTH_ALLOC n */
        "    mov $500, %eax\n"
        "    syscall\n"
        "    mov %rdx, %rdi\n"
        "    mov %r10, %rsi\n"
        "    mov %r8, %rdx\n"
        "    mov %r9, %rax\n"
        "    syscall\n"
        "    mov %rax, %r8\n"
        "    mov $500, %eax\n"          /* MICA_FAIL_NTH_ALLOC 0 */
        "    mov $1, %edi\n"
        "    xor %esi, %esi\n"
        "    syscall\n"
        "    mov %r8, %rax\n"
        "    ret\n"
        ".globl armed_touch\n"
        "armed_touch:\n"
        "    mov %rdx, %r8\n"
        "    mov %rcx, %r9\n"
        "    mov %rsi, %r10\n"
        "    mov %rdi, %rsi\n"
        "    mov $1, %edi\n"
        "    mov $500, %eax\n"
        "    syscall\n"
        "1:  movb $0x5a, (%r10)\n"
        "    add %r9, %r10\n"
        "    dec %r8\n"
        "    jnz 1b\n"
        "    mov $500, %eax\n"
        "    mov $1, %edi\n"
        "    xor %esi, %esi\n"
        "    syscall\n"
        "    xor %eax, %eax\n"
        "    ret\n"
        ".globl armed_mmap_touch\n"
        "armed_mmap_touch:\n"
        "    mov %rsi, %rdx\n"
        "    mov %rdi, %rsi\n"
        "    mov $1, %edi\n"
        "    mov $500, %eax\n"
        "    syscall\n"
        "    mov %rdx, %rsi\n"          /* len */
        "    xor %edi, %edi\n"
        "    mov $3, %edx\n"            /* PROT_READ | PROT_WRITE */
        "    mov $0x22, %r10d\n"        /* MAP_PRIVATE | MAP_ANONYMOUS */
        "    mov $-1, %r8\n"
        "    xor %r9d, %r9d\n"
        "    mov $9, %eax\n"
        "    syscall\n"
        "    mov %rax, %r8\n"
        "    cmp $-4096, %rax\n"
        "    ja 2f\n"
        "    mov %rax, %rdx\n"
        "1:  movb $0x5a, (%rdx)\n"
        "    add $4096, %rdx\n"
        "    sub $4096, %rsi\n"
        "    jnz 1b\n"
        "2:  mov $500, %eax\n"
        "    mov $1, %edi\n"
        "    xor %esi, %esi\n"
        "    syscall\n"
        "    mov %r8, %rax\n"
        "    ret\n");

enum outcome { WORKED, ENOMEM_RETURNED, OOM_KILLED, OUTCOMES };
static const char *const outcome_names[OUTCOMES] = { "worked", "ENOMEM", "SIGKILL" };

struct step {
    const char *name;
    /* runs the step for n; returns its outcome, or -1 after reporting a failure */
    int (*run)(long n);
    int counts[OUTCOMES];
};

static volatile char *shared_pages; /* COW_PAGES pages the parent wrote before forking */

/*
 * Waits for a step's child: exit 0 -> WORKED, exit 12 -> ENOMEM_RETURNED,
 * SIGKILL -> OOM_KILLED; anything else (or a hang) is reported, -1.
 */
static int child_outcome(pid_t pid, const char *step, long n)
{
    char buf[48];
    int hung, status = wait_child_timeout(pid, TIMEOUT, &hung);

    if (!CHECK(!hung, "%s, n=%ld: the child hung (killed after %d s)", step, n, TIMEOUT))
        return -1;
    if (status == -1)
        return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return WORKED;
    if (WIFEXITED(status) && WEXITSTATUS(status) == ENOMEM)
        return ENOMEM_RETURNED;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return OOM_KILLED;
    utest_fail(__FILE__, __LINE__, "child outcome", " %s, n=%ld: the child %s", step, n,
               status_str(status, buf, sizeof(buf)));
    return -1;
}

static int step_fork(long n)
{
    long pid;

    fflush(stdout);
    pid = armed_syscall3(n, SYS_fork, 0, 0, 0);
    if (pid == 0)
        _exit(0);
    if (pid == -ENOMEM)
        return ENOMEM_RETURNED;
    if (!CHECK(pid > 0, "fork, n=%ld: returned %ld", n, pid))
        return -1;
    return child_outcome((pid_t)pid, "fork", n);
}

static int step_cow(long n)
{
    pid_t pid = fork_flushed();

    if (pid == 0) {
        armed_touch(n, shared_pages, COW_PAGES, PAGE);
        for (int i = 0; i < COW_PAGES; i++)
            if (shared_pages[i * PAGE] != 0x5a || shared_pages[i * PAGE + 1] != 's')
                _exit(1);
        _exit(0);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return -1;
    int outcome = child_outcome(pid, "cow", n);
    for (int i = 0; i < COW_PAGES; i++)
        if (!CHECK(shared_pages[i * PAGE] == 's', "cow, n=%ld: the parent's page %d changed", n, i))
            return -1;
    return outcome;
}

static int step_zero(long n)
{
    pid_t pid = fork_flushed();

    if (pid == 0) {
        volatile char *p = mmap(NULL, ZERO_PAGES * PAGE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            _exit(2);
        armed_touch(n, p, ZERO_PAGES, PAGE);
        for (int i = 0; i < ZERO_PAGES; i++)
            if (p[i * PAGE] != 0x5a || p[i * PAGE + 1] != 0)
                _exit(1);
        _exit(0);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return -1;
    return child_outcome(pid, "zero", n);
}

static int step_mmap(long n)
{
    pid_t pid = fork_flushed();

    if (pid == 0) {
        long rc = armed_mmap_touch(n, MMAP_PAGES * PAGE);
        if (rc == -ENOMEM)
            _exit(ENOMEM);
        if (syscall_failed(rc))
            _exit(3);
        for (int i = 0; i < MMAP_PAGES; i++)
            if (((volatile char *)rc)[i * PAGE] != 0x5a)
                _exit(1);
        _exit(0);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return -1;
    return child_outcome(pid, "mmap", n);
}

static int step_mprotect(long n)
{
    pid_t pid = fork_flushed();

    if (pid == 0) {
        volatile char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        long rc;

        if (p == MAP_FAILED)
            _exit(2);
        p[0] = p[PAGE] = p[2 * PAGE] = 'm';
        rc = armed_syscall3(n, SYS_mprotect, (long)(p + PAGE), PAGE, PROT_READ);
        if (rc != 0 && rc != -ENOMEM)
            _exit(3);
        p[0] = p[2 * PAGE] = 'w'; /* the outer pages stay writable either way */
        if (p[0] != 'w' || p[PAGE] != 'm' || p[2 * PAGE] != 'w')
            _exit(1);
        if (rc == -ENOMEM) {
            p[PAGE] = 'w'; /* nothing changed: still writable */
            _exit(ENOMEM);
        }
        _exit(0);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return -1;
    return child_outcome(pid, "mprotect", n);
}

static struct step steps[] = {
    { "fork", step_fork, { 0 } },
    { "cow", step_cow, { 0 } },
    { "zero", step_zero, { 0 } },
    { "mmap", step_mmap, { 0 } },
    { "mprotect", step_mprotect, { 0 } },
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

/*
 * The free frames once the kernel is idle. The flusher thread wakes every
 * 5 s and writes the disk's superblock, sleeping on the disk meanwhile
 * with its writeback batch (2 frames) allocated: a count taken in those
 * few milliseconds is short by what it holds. So a count below want is
 * taken again, a few times, 20 ms apart; a real leak stays. (A count
 * above want means the one before the step was taken in such a moment.)
 */
static long free_frames_settled(long want)
{
    long n = free_frames();
    for (int i = 0; i < 10 && n < want; i++) {
        struct timespec pause = { 0, 20 * 1000 * 1000 };
        nanosleep(&pause, NULL);
        n = free_frames();
    }
    return n;
}

/* Runs step s for n, checking that no frame leaked; returns 0, or -1 after a failure. */
static int run_step(struct step *s, long n)
{
    long before = free_frames(), after;
    int outcome = s->run(n);

    fail_nth_alloc(0);
    after = free_frames_settled(before);
    if (!CHECK(after >= before, "%s, n=%ld: free frames %ld before, %ld after (%s)", s->name, n,
               before, after, outcome >= 0 ? outcome_names[outcome] : "failed"))
        return -1;
    if (outcome < 0)
        return -1;
    s->counts[outcome]++;
    return 0;
}

int main(void)
{
    char line[200];
    int failed = 0;
    size_t len;

    if (!on_mica()) {
        printf("  not mica: skipped (no MICA_FAIL_NTH_ALLOC)\n");
        return utest_result();
    }
    shared_pages = (volatile char *)map_anon(COW_PAGES * PAGE);
    if (!shared_pages)
        return utest_result();
    for (int i = 0; i < COW_PAGES; i++)
        memset((char *)shared_pages + i * PAGE, 's', PAGE);
    /* a warm-up round with nothing failing: the parent's own pages and the caches settle */
    for (size_t s = 0; s < NSTEPS; s++)
        steps[s].run(1000000);
    fail_nth_alloc(0);
    for (size_t s = 0; s < NSTEPS; s++)
        memset(steps[s].counts, 0, sizeof(steps[s].counts));

    for (long n = 1; n <= MAX_N && failed < 5; n++)
        for (size_t s = 0; s < NSTEPS; s++)
            failed += run_step(&steps[s], n) < 0;

    for (size_t s = 0; s < NSTEPS; s++) {
        len = (size_t)snprintf(line, sizeof(line), "  %-9s n=1..%d:", steps[s].name, MAX_N);
        for (int o = 0; o < OUTCOMES; o++)
            len += (size_t)snprintf(line + len, sizeof(line) - len, " %d %s%s",
                                    steps[s].counts[o], outcome_names[o],
                                    o + 1 < OUTCOMES ? "," : "");
        printf("%s\n", line);
    }
    CHECK(mm_check() == 0, "MICA_MM_CHECK failed at the end");
    munmap((void *)shared_pages, COW_PAGES * PAGE);
    return utest_result();
}
