/*
 * fault_sigsegv - bad memory accesses raise SIGSEGV with Linux's si_code
 * and si_addr. Each case runs twice:
 *   - caught by a SA_SIGINFO handler, which checks the signal, si_code,
 *     si_addr and the saved RIP (the faulting instruction), then resumes
 *     the program by rewriting the saved registers (a longjmp through
 *     rt_sigreturn); MicaFaultSigsegv grows by one per page fault;
 *   - uncaught, in a child: it must end with WIFSIGNALED, WTERMSIG 11.
 * The cases:
 *   write to the program's own text          SEGV_ACCERR  the address
 *   execute a `ret` copied to the stack (NX)  SEGV_ACCERR  the address
 *   execute a `ret` in a malloc'd block       SEGV_ACCERR  the address
 *   read NULL                                 SEGV_MAPERR  0
 *   read an unmapped page (munmap'd)          SEGV_MAPERR  the address
 *   read a PROT_NONE page                     SEGV_ACCERR  the address
 *   write a PROT_READ page                    SEGV_ACCERR  the address
 *   read 0xffff800000000000 (kernel half,     SEGV_MAPERR  the address  (a #PF: Linux's
 *     canonical)                                            bad_area_nosemaphore)
 *   read 0x8000000000000000 (non-canonical)   SI_KERNEL    0            (a #GP, no page fault:
 *                                                                        not counted)
 */
#include "fault_util.h"

#define KERNEL_ADDR 0xffff800000000000ul
#define NONCANONICAL_ADDR 0x8000000000000000ul
#define RET 0xc3

/* The faulting instruction is the first of each probe, so the saved RIP must be the probe's address. */
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

/* What the handler saw. */
static volatile int caught, got_sig, got_code;
static volatile unsigned long got_addr, got_rip;
static struct fault_jmp resume;

static void on_segv(int sig, void *info, void *uc)
{
    caught++;
    got_sig = sig == si_signo(info) ? sig : -si_signo(info);
    got_code = si_code(info);
    got_addr = si_addr(info);
    got_rip = *uc_reg(uc, UC_RIP);
    fault_longjmp_uc(uc, &resume);
}

struct fault_case {
    const char *name;
    /* makes the access; sets *addr to the faulting address and *rip to the faulting instruction */
    void (*run)(unsigned long *addr, unsigned long *rip);
    int code;
    int addr_is_zero;   /* si_addr must be 0, not the address */
    int page_fault;     /* a #PF: MicaFaultSigsegv must count it */
};

static unsigned long prot_none_page, read_only_page, unmapped_page;
static unsigned char *heap_block;

static void write_text(unsigned long *addr, unsigned long *rip)
{
    *addr = (unsigned long)probe_read + 1;
    *rip = (unsigned long)probe_write;
    probe_write(*addr);
}

static void exec_stack(unsigned long *addr, unsigned long *rip)
{
    volatile unsigned char code[16];

    code[0] = RET;
    *addr = *rip = (unsigned long)code;
    ((void (*)(void))(unsigned long)code)();
}

static void exec_heap(unsigned long *addr, unsigned long *rip)
{
    heap_block[0] = RET;
    *addr = *rip = (unsigned long)heap_block;
    ((void (*)(void))heap_block)();
}

static void read_at(unsigned long a, unsigned long *addr, unsigned long *rip)
{
    *addr = a;
    *rip = (unsigned long)probe_read;
    probe_read(a);
}

static void read_null(unsigned long *addr, unsigned long *rip) { read_at(0, addr, rip); }
static void read_unmapped(unsigned long *addr, unsigned long *rip) { read_at(unmapped_page + 8, addr, rip); }
static void read_prot_none(unsigned long *addr, unsigned long *rip) { read_at(prot_none_page + 5, addr, rip); }
static void read_kernel(unsigned long *addr, unsigned long *rip) { read_at(KERNEL_ADDR, addr, rip); }
static void read_noncanonical(unsigned long *addr, unsigned long *rip) { read_at(NONCANONICAL_ADDR, addr, rip); }

static void write_read_only(unsigned long *addr, unsigned long *rip)
{
    *addr = read_only_page + 17;
    *rip = (unsigned long)probe_write;
    probe_write(*addr);
}

static const struct fault_case cases[] = {
    { "write to own text", write_text, SEGV_ACCERR, 0, 1 },
    { "execute on the stack", exec_stack, SEGV_ACCERR, 0, 1 },
    { "execute in a malloc'd block", exec_heap, SEGV_ACCERR, 0, 1 },
    { "read NULL", read_null, SEGV_MAPERR, 0, 1 },
    { "read an unmapped page", read_unmapped, SEGV_MAPERR, 0, 1 },
    { "read a PROT_NONE page", read_prot_none, SEGV_ACCERR, 0, 1 },
    { "write a PROT_READ page", write_read_only, SEGV_ACCERR, 0, 1 },
    { "read 0xffff800000000000", read_kernel, SEGV_MAPERR, 0, 1 },
    { "read non-canonical 0x8000000000000000", read_noncanonical, SI_KERNEL, 1, 0 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static int setup(void)
{
    char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (!CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno)))
        return -1;
    prot_none_page = (unsigned long)p;
    read_only_page = (unsigned long)p + PAGE;
    unmapped_page = (unsigned long)p + 2 * PAGE;
    p[PAGE] = 1; /* present, then read-only */
    CHECK(mprotect(p, PAGE, PROT_NONE) == 0 && mprotect(p + PAGE, PAGE, PROT_READ) == 0,
          "mprotect: %s", strerror(errno));
    CHECK(munmap(p + 2 * PAGE, PAGE) == 0);
    heap_block = malloc(64);
    return CHECK(heap_block != NULL) ? 0 : -1;
}

/* Runs case c with the handler installed; checks what the handler saw. */
static void run_caught(const struct fault_case *c, int mica)
{
    static struct fault_counts before, after;
    unsigned long a, r;

    caught = got_sig = got_code = 0;
    got_addr = got_rip = 0xdead;
    touch_proc_buffers();
    fault_counts_get(&before);
    if (fault_setjmp(&resume) == 0) {
        c->run(&a, &r);
        utest_fail(__FILE__, __LINE__, "a fault", " %s: no fault, the access succeeded", c->name);
        return;
    }
    fault_counts_get(&after);
    CHECK(caught == 1, "%s: the handler ran %d times", c->name, caught);
    CHECK(got_sig == SIGSEGV, "%s: signal %d (siginfo's si_signo disagrees if negative)", c->name,
          got_sig);
    CHECK(got_code == c->code, "%s: si_code %d, expected %d", c->name, got_code, c->code);
    printf("  %-40s si_code %#x si_addr %#lx\n", c->name, got_code, got_addr);
    if (mica)
        CHECK(fc_delta(&before, &after, FC_SIGSEGV) == c->page_fault,
              "%s: MicaFaultSigsegv +%ld, expected +%d", c->name,
              fc_delta(&before, &after, FC_SIGSEGV), c->page_fault);
}

/*
 * The address and RIP case c must have reported (the run functions' own
 * copies are gone with the frame the handler jumped out of).
 */
static void check_addresses(const struct fault_case *c)
{
    unsigned long addr = 0, rip = 0;

    if (c->run == write_text) addr = (unsigned long)probe_read + 1, rip = (unsigned long)probe_write;
    else if (c->run == exec_heap) addr = rip = (unsigned long)heap_block;
    else if (c->run == read_null) addr = 0, rip = (unsigned long)probe_read;
    else if (c->run == read_unmapped) addr = unmapped_page + 8, rip = (unsigned long)probe_read;
    else if (c->run == read_prot_none) addr = prot_none_page + 5, rip = (unsigned long)probe_read;
    else if (c->run == write_read_only) addr = read_only_page + 17, rip = (unsigned long)probe_write;
    else if (c->run == read_kernel) addr = KERNEL_ADDR, rip = (unsigned long)probe_read;
    else if (c->run == read_noncanonical) addr = NONCANONICAL_ADDR, rip = (unsigned long)probe_read;
    else { /* exec_stack: the address is in its (gone) frame; the fault is at it */
        CHECK(got_addr == got_rip && got_addr >> 40 == 0x7f,
              "%s: si_addr %#lx, saved RIP %#lx (expected equal, on the stack)", c->name, got_addr,
              got_rip);
        return;
    }
    CHECK(got_addr == (c->addr_is_zero ? 0 : addr), "%s: si_addr %#lx, expected %#lx", c->name,
          got_addr, c->addr_is_zero ? 0 : addr);
    CHECK(got_rip == rip, "%s: saved RIP %#lx, expected %#lx (the faulting instruction)", c->name,
          got_rip, rip);
}

static void run_uncaught(const struct fault_case *c)
{
    unsigned long a, r;
    pid_t pid = fork_flushed();

    if (pid == 0) {
        set_handler(SIGSEGV, NULL);
        c->run(&a, &r);
        _exit(0);
    }
    if (CHECK(pid > 0, "fork: %s", strerror(errno)))
        expect_signal(pid, SIGSEGV, c->name);
}

int main(void)
{
    int mica = on_mica();
    struct fault_counts start, end;
    long page_faults = 0;

    if (setup() < 0)
        return utest_result();
    if (!CHECK(set_handler(SIGSEGV, on_segv) == 0, "rt_sigaction: %s", strerror(errno)))
        return utest_result();
    fault_counts_get(&start);
    for (size_t i = 0; i < NCASES; i++) {
        run_caught(&cases[i], mica);
        check_addresses(&cases[i]);
        page_faults += cases[i].page_fault;
    }
    fault_counts_get(&end);
    if (mica)
        CHECK(fc_delta(&start, &end, FC_SIGSEGV) == page_faults,
              "MicaFaultSigsegv +%ld over all cases, expected +%ld",
              fc_delta(&start, &end, FC_SIGSEGV), page_faults);
    CHECK(set_handler(SIGSEGV, NULL) == 0);
    for (size_t i = 0; i < NCASES; i++)
        run_uncaught(&cases[i]);
    free(heap_block);
    return utest_result();
}
