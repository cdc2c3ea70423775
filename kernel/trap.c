/*
 * kernel/trap.c - the IDT and where each trap goes.
 *
 * idt[v] is an interrupt gate to trap_stubs[v] (trap_entry.asm). Interrupt
 * gates clear IF, so handlers run with interrupts off. Exceptions go to
 * exception_handle(): a page fault to mm_fault() (mm/fault.c); any other
 * exception in user mode becomes the signal Linux would send; in kernel
 * mode it is a bug and panics with the full report. IRQs go to the handler
 * registered in irq_handlers[]. Before a trap returns to user mode,
 * proc_return_to_user() may switch processes and deliver signals. Double
 * faults and NMIs run on their own IST stacks (see kernel/gdt.c).
 */
#include <arch/gdt.h>
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/panic.h>
#include <kernel/pic.h>
#include <kernel/trap.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <mm/fault.h>
#include <mm/usercopy.h>

struct __attribute__((packed)) idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

#define GATE_INTERRUPT_PRESENT 0x8e /* P=1, DPL=0, type 0xE (64-bit interrupt gate) */
#define GATE_DPL3 0x60

extern const uint64_t trap_stubs[256];
static struct idt_gate idt[256] __attribute__((aligned(16)));
static irq_handler_fn irq_handlers[T_IRQ_COUNT];
static uint64_t irq_counts[T_IRQ_COUNT];

static const char *const exception_names[T_EXCEPTIONS] = {
    [T_DIVIDE] = "divide error",
    [T_DEBUG] = "debug",
    [T_NMI] = "non-maskable interrupt",
    [T_BREAKPOINT] = "breakpoint",
    [T_OVERFLOW] = "overflow",
    [T_BOUND] = "bound range exceeded",
    [T_INVALID_OPCODE] = "invalid opcode",
    [T_NO_FPU] = "device not available",
    [T_DOUBLE_FAULT] = "double fault",
    [9] = "coprocessor segment overrun",
    [T_INVALID_TSS] = "invalid TSS",
    [T_SEGMENT_NOT_PRESENT] = "segment not present",
    [T_STACK_FAULT] = "stack-segment fault",
    [T_GENERAL_PROTECTION] = "general protection fault",
    [T_PAGE_FAULT] = "page fault",
    [T_X87_FPU] = "x87 floating-point error",
    [T_ALIGNMENT] = "alignment check",
    [T_MACHINE_CHECK] = "machine check",
    [T_SIMD] = "SIMD floating-point error",
    [20] = "virtualization exception",
    [21] = "control protection exception",
};

const char *trap_name(uint64_t vector)
{
    if (vector < T_EXCEPTIONS && exception_names[vector])
        return exception_names[vector];
    if (vector < T_EXCEPTIONS)
        return "reserved exception";
    return "interrupt";
}

static void idt_set_gate(int vector, uint64_t handler, uint8_t ist, uint8_t dpl_bits)
{
    struct idt_gate *g = &idt[vector];
    g->offset_low = (uint16_t)handler;
    g->selector = GDT_KERNEL_CODE;
    g->ist = ist;
    g->type_attr = GATE_INTERRUPT_PRESENT | dpl_bits;
    g->offset_mid = (uint16_t)(handler >> 16);
    g->offset_high = (uint32_t)(handler >> 32);
    g->reserved = 0;
}

void idt_init(void)
{
    for (int v = 0; v < 256; v++)
        idt_set_gate(v, trap_stubs[v], 0, 0);
    idt_set_gate(T_DOUBLE_FAULT, trap_stubs[T_DOUBLE_FAULT], IST_DOUBLE_FAULT, 0);
    idt_set_gate(T_NMI, trap_stubs[T_NMI], IST_NMI, 0);
    /* int3 from user mode is allowed (debuggers and tests use it) */
    idt_set_gate(T_BREAKPOINT, trap_stubs[T_BREAKPOINT], 0, GATE_DPL3);

    struct descriptor_ptr ptr = { sizeof(idt) - 1, (uint64_t)idt };
    lidt(&ptr);
}

void irq_register(int irq, irq_handler_fn handler)
{
    assert(irq >= 0 && irq < T_IRQ_COUNT);
    irq_handlers[irq] = handler;
    pic_unmask(irq);
}

uint64_t irq_count(int irq)
{
    return irq >= 0 && irq < T_IRQ_COUNT ? irq_counts[irq] : 0;
}

static void irq_handle(struct trapframe *tf)
{
    int irq = (int)(tf->vector - T_IRQ_BASE);
    if (pic_is_spurious(irq))
        return;
    irq_counts[irq]++;
    if (irq_handlers[irq])
        irq_handlers[irq](tf);
    pic_eoi(irq);
}

/*
 * A page fault. In kernel mode only the user-copy routines may fault (on a
 * user address): mm_fault() gets the chance to map the page, and if it
 * cannot, the copy resumes at its fixup and returns -EFAULT. Any other
 * kernel-mode fault is a kernel bug and gets the full report.
 */
/* A user page fault mm_fault() could not resolve: SIGSEGV, SIGBUS, or the OOM kill. */
static void user_fault_signal(struct trapframe *tf, enum fault_result result, vaddr_t va)
{
    struct proc *p = proc_current();
    switch (result) {
    case FAULT_BAD_ACCESS:
        signal_send_fault(SIGSEGV, SEGV_ACCERR, va);
        break;
    case FAULT_BUS_ERROR:
        signal_send_fault(SIGBUS, BUS_ADRERR, va);
        break;
    case FAULT_OUT_OF_MEMORY:
        kprintf_always("Out of memory: killed %s[%d], rss %lu kB\n", p->name, p->pid,
                       (p->mm->counters.rss_anon + p->mm->counters.rss_file +
                        p->mm->counters.rss_shmem) * 4); /* even with "quiet" */
        signal_send(p, SIGKILL);
        break;
    default:
        signal_send_fault(SIGSEGV, SEGV_MAPERR, va);
        break;
    }
    (void)tf;
}

/* Debug builds check the page a fault just mapped. */
static void debug_check_fault(const struct fault *f)
{
    char why[160];
    if (MICA_DEBUG && mm_check_page(mm_current(), f->va, why, sizeof(why)) < 0)
        panic("after a page fault: %s", why);
}

static void page_fault_trap(struct trapframe *tf)
{
    struct fault f = fault_from_trapframe(tf, read_cr2());
    uint64_t fixup = f.user ? 0 : extable_fixup(tf->rip);
    if (!f.user && !fixup)
        panic_trap(tf);
    enum fault_result result = mm_fault(mm_current(), &f);
    if (result == FAULT_RESOLVED) {
        debug_check_fault(&f);
        return;
    }
    if (fixup) {
        tf->rip = fixup;
        return;
    }
    user_fault_signal(tf, result, f.va);
}

/* The signal a user-mode exception raises, as Linux chooses it. */
static void user_exception(struct trapframe *tf)
{
    switch (tf->vector) {
    case T_DIVIDE:
        signal_send_fault(SIGFPE, FPE_INTDIV, tf->rip);
        break;
    case T_DEBUG:
    case T_BREAKPOINT:
        signal_send_fault(SIGTRAP, 0, tf->rip);
        break;
    case T_INVALID_OPCODE:
        signal_send_fault(SIGILL, ILL_ILLOPN, tf->rip);
        break;
    case T_X87_FPU:
    case T_SIMD:
        signal_send_fault(SIGFPE, 0, tf->rip);
        break;
    case T_ALIGNMENT:
        signal_send_fault(SIGBUS, BUS_ADRALN, tf->rip);
        break;
    default: /* #GP (a non-canonical address, a privileged instruction), #SS, ... */
        signal_send_fault(SIGSEGV, SI_KERNEL, 0);
        break;
    }
}

static void exception_handle(struct trapframe *tf)
{
    if (tf->vector == T_PAGE_FAULT)
        page_fault_trap(tf);
    else if (trapframe_from_user(tf))
        user_exception(tf);
    else
        panic_trap(tf);
}

void trap_dispatch(struct trapframe *tf)
{
    if (tf->vector < T_EXCEPTIONS)
        exception_handle(tf);
    else if (tf->vector < T_IRQ_BASE + T_IRQ_COUNT)
        irq_handle(tf);
    else
        kprintf("mica: unexpected interrupt vector %lu\n", tf->vector);
    if (trapframe_from_user(tf))
        proc_return_to_user(tf);
}
