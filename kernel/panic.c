/*
 * kernel/panic.c - the report a student reads when the kernel breaks.
 *
 * Two entry points print the same kind of report: panic() for a broken
 * invariant found by kernel code, panic_trap() for an exception the kernel
 * could not handle. A report names what happened, decodes the error code
 * (for a page fault: present or not, read/write/fetch, user or kernel),
 * shows CR2 and the registers, and a backtrace of symbol+offset names from
 * the frame-pointer chain (the kernel is built with -fno-omit-frame-pointer).
 * A panic while panicking prints one line and halts, so a broken report
 * cannot loop.
 */
#include <arch/x86.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/ksyms.h>
#include <kernel/panic.h>
#include <kernel/power.h>
#include <kernel/trap.h>
#include <memlayout.h>
#include <lib/format.h>

#define BACKTRACE_MAX_FRAMES 32

static bool panicking;

/* A frame pointer we may follow: 8-aligned, in the kernel image or the direct map. */
static bool frame_pointer_ok(uint64_t rbp)
{
    if (rbp == 0 || (rbp & 7))
        return false;
    if (rbp >= (uint64_t)_kernel_start && rbp < (uint64_t)_kernel_end)
        return true;
    return rbp >= DIRECT_MAP_BASE && rbp < DIRECT_MAP_BASE + DIRECT_MAP_MAX;
}

static void print_symbolized(int index, uint64_t addr)
{
    uint64_t offset;
    const char *name = ksym_lookup(addr, &offset);
    if (name)
        kprintf_always("  #%-2d 0x%016lx  %s+0x%lx\n", index, addr, name, offset);
    else
        kprintf_always("  #%-2d 0x%016lx  ?\n", index, addr);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
    kprintf_always("backtrace:\n");
    int index = 0;
    print_symbolized(index++, rip);
    while (frame_pointer_ok(rbp) && index < BACKTRACE_MAX_FRAMES) {
        const uint64_t *frame = (const uint64_t *)rbp;
        uint64_t return_address = frame[1];
        if (return_address == 0)
            break;
        /* a return address points after the call: look up the call itself */
        print_symbolized(index++, return_address - 1);
        if (frame[0] <= rbp) /* frames must move up the stack */
            break;
        rbp = frame[0];
    }
}

static void print_page_fault_error(uint64_t err)
{
    kprintf_always("  error code 0x%lx: %s, %s, %s%s%s\n", err,
                   (err & PF_PRESENT) ? "protection violation (page present)"
                                      : "page not present",
                   (err & PF_FETCH) ? "instruction fetch"
                   : (err & PF_WRITE) ? "write" : "read",
                   (err & PF_USER) ? "user mode" : "kernel mode",
                   (err & PF_RESERVED) ? ", reserved bit set in a page-table entry" : "",
                   (err & PF_PROTECTION_KEY) ? ", protection key" : "");
}

static void print_error_code(const struct trapframe *tf)
{
    if (tf->vector == T_PAGE_FAULT) {
        print_page_fault_error(tf->error_code);
        kprintf_always("  CR2 (faulting address) = 0x%016lx\n", read_cr2());
    } else if (tf->error_code != 0) {
        uint64_t e = tf->error_code;
        kprintf_always("  error code 0x%lx: selector index %lu in the %s%s\n", e,
                       (e >> 3) & 0x1fff,
                       (e & 2) ? "IDT" : (e & 4) ? "LDT" : "GDT",
                       (e & 1) ? ", external event" : "");
    }
}

static void print_registers(const struct trapframe *tf)
{
    kprintf_always("  RIP=%016lx  CS=%04lx  RFLAGS=%016lx\n", tf->rip, tf->cs, tf->rflags);
    kprintf_always("  RSP=%016lx  SS=%04lx\n", tf->rsp, tf->ss);
    kprintf_always("  RAX=%016lx  RBX=%016lx  RCX=%016lx\n", tf->rax, tf->rbx, tf->rcx);
    kprintf_always("  RDX=%016lx  RSI=%016lx  RDI=%016lx\n", tf->rdx, tf->rsi, tf->rdi);
    kprintf_always("  RBP=%016lx  R8 =%016lx  R9 =%016lx\n", tf->rbp, tf->r8, tf->r9);
    kprintf_always("  R10=%016lx  R11=%016lx  R12=%016lx\n", tf->r10, tf->r11, tf->r12);
    kprintf_always("  R13=%016lx  R14=%016lx  R15=%016lx\n", tf->r13, tf->r14, tf->r15);
    kprintf_always("  CR0=%016lx  CR3=%016lx  CR4=%016lx\n", read_cr0(), read_cr3(), read_cr4());
}

static __noreturn void panic_stop(void)
{
    kprintf_always("mica: halted.\n");
    if (cmdline_get("test"))
        qemu_exit(QEMU_EXIT_PANIC);
    halt_forever();
}

/* Returns false (and halts) when we are already inside a panic. */
static void panic_enter(void)
{
    irq_disable();
    console_set_quiet(false);
    if (panicking) {
        kprintf_always("\nmica: panic during panic; halted.\n");
        halt_forever();
    }
    panicking = true;
}

void panic(const char *fmt, ...)
{
    panic_enter();
    va_list ap;
    va_start(ap, fmt);
    kprintf_always("\n*** KERNEL PANIC: ");
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf_always("\n");
    uint64_t rbp = read_rbp();
    kprintf_always("  RSP=%016lx  RBP=%016lx  CR2=%016lx  CR3=%016lx\n",
                   read_rsp(), rbp, read_cr2(), read_cr3());
    backtrace_print((uint64_t)__builtin_return_address(0), ((const uint64_t *)rbp)[0]);
    panic_stop();
}

void panic_trap(const struct trapframe *tf)
{
    panic_enter();
    kprintf_always("\n*** KERNEL PANIC: unhandled exception %lu (%s) in %s mode\n",
                   tf->vector, trap_name(tf->vector),
                   trapframe_from_user(tf) ? "user" : "kernel");
    print_error_code(tf);
    if (tf->vector == T_DOUBLE_FAULT)
        kprintf_always("  (a double fault in the kernel is most often a kernel stack "
                       "overflow; this report runs on the double-fault IST stack)\n");
    print_registers(tf);
    backtrace_print(tf->rip, tf->rbp);
    panic_stop();
}
