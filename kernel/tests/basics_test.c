/*
 * kernel/tests/basics_test.c - in-kernel tests of the boot foundation:
 * formatting, the command line, the symbol table, the timer, the traps,
 * the check on the way back to user mode.
 */
#include <arch/x86.h>
#include <kernel/cmdline.h>
#include <kernel/ksyms.h>
#include <kernel/ktest.h>
#include <kernel/signal.h>
#include <kernel/time.h>
#include <memlayout.h>
#include <kernel/timer.h>
#include <lib/format.h>
#include <lib/string.h>

void kmain(uint32_t magic, paddr_t info_phys);

KTEST(format_in_kernel)
{
    char buf[64];
    int n = fmt_snprintf(buf, sizeof(buf), "%d|%5u|%-4x|%08lx|%s|%c|%p", -42, 7u, 0xabu,
                         0xdeadbeeful, "mica", 'k', (void *)0x1000);
    KEXPECT(strcmp(buf, "-42|    7|ab  |deadbeef|mica|k|0x1000") == 0);
    KEXPECT_EQ(n, strlen(buf));
}

KTEST(cmdline_has_test_option)
{
    /* every test boot passes test=...; the driver also passes mica.marker=1 */
    KEXPECT(cmdline_get("test") != NULL);
    const char *marker = cmdline_get("mica.marker");
    KEXPECT(marker != NULL && strcmp(marker, "1") == 0);
    KEXPECT(cmdline_get("no-such-option") == NULL);
}

KTEST(ksyms_names_kmain)
{
    uint64_t offset = 99;
    const char *name = ksym_lookup((uint64_t)kmain + 5, &offset);
    KEXPECT(name != NULL && strcmp(name, "kmain") == 0);
    KEXPECT_EQ(offset, 5);
    KEXPECT_EQ(ksym_address("kmain"), (uint64_t)kmain);
    KEXPECT(ksym_lookup(0x1234, &offset) == NULL);
}

KTEST(timer_ticks_advance)
{
    uint64_t start = timer_ticks();
    while (timer_ticks() < start + 2)
        __asm__ volatile("sti; hlt" ::: "memory");
    KEXPECT(timer_ticks() >= start + 2);
    KEXPECT(read_rflags() & RFLAGS_IF);
}

KTEST(cpu_in_long_mode_with_nx)
{
    KEXPECT(rdmsr(MSR_EFER) & EFER_LME);
    KEXPECT(rdmsr(MSR_EFER) & EFER_NXE);
    KEXPECT(read_cr0() & CR0_PG);
    KEXPECT(read_cr0() & CR0_WP);
    KEXPECT((uint64_t)kmain >= 0xffffffff80000000ul);
}

/* The return-to-user check (kernel/signal.c): only non-canonical RIPs are refused. */
KTEST(signal_user_rip)
{
    KEXPECT(signal_user_rip_ok(0x401000));
    KEXPECT(signal_user_rip_ok(USER_TOP - 1));
    KEXPECT(!signal_user_rip_ok(USER_TOP));
    KEXPECT(!signal_user_rip_ok(0xffff7ffffffff000ul));
    KEXPECT(signal_user_rip_ok(DIRECT_MAP_BASE)); /* canonical: a user-mode page fault */
    KEXPECT(signal_user_rip_ok(~0ul));
}

/* The TSC clock (kernel/time.c): a sane rate, and it moves while ticks go by. */
KTEST(time_tsc_clock)
{
    KEXPECT(time_tsc_hz() > 10000000ul && time_tsc_hz() < 100000000000ul);
    uint64_t ns = time_monotonic_ns(), start = timer_ticks();
    while (timer_ticks() < start + 10)
        __asm__ volatile("sti; hlt" ::: "memory");
    uint64_t elapsed = time_monotonic_ns() - ns;
    /*
     * Ten ticks are nominally 100 ms, but QEMU delays ticks it could not
     * deliver and then sends them in a burst: only a loose check is sound.
     */
    KEXPECT(elapsed > 1000000ul && elapsed < 30000000000ul);
    KEXPECT(time_realtime_ns() > time_monotonic_ns());
}
