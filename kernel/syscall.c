/*
 * kernel/syscall.c - dispatching system calls.
 *
 * The SYSCALL() entries of every file sit in the .syscalls section;
 * syscall_init() copies them into syscall_table[], indexed by Linux's
 * number, so dispatch is one array lookup. A number with no entry returns
 * -ENOSYS and logs one line naming the program and the number, so a user
 * sees what mica lacks.
 */
#include <arch/gdt.h>
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/cpu.h>
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/strace.h>
#include <kernel/syscall.h>
#include <kernel/timer.h>
#include <kernel/trap.h>
#include <mm/mm.h>

#define RFLAGS_TF (1ul << 8)
#define RFLAGS_DF (1ul << 10)
#define RFLAGS_AC (1ul << 18)

extern const struct syscall_entry _syscalls_start[], _syscalls_end[];
void syscall_entry(void);

static const struct syscall_entry *syscall_table[SYS_MAX];

void syscall_init(void)
{
    for (const struct syscall_entry *e = _syscalls_start; e < _syscalls_end; e++) {
        assert(e->number < SYS_MAX);
        if (syscall_table[e->number])
            panic("syscall %lu defined twice (%s, %s)", e->number,
                  syscall_table[e->number]->name, e->name);
        syscall_table[e->number] = e;
    }
    /* syscall: CS = STAR[47:32]; sysret would use STAR[63:48] (+8 ss, +16 cs) */
    wrmsr(MSR_STAR, ((uint64_t)(GDT_USER_BASE | SEL_RPL_USER) << 48) |
                        ((uint64_t)GDT_KERNEL_CODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

const char *syscall_name(uint64_t nr)
{
    return nr < SYS_MAX && syscall_table[nr] ? syscall_table[nr]->name : "?";
}

/* Debug builds check every address space after each call that changes one. */
static bool changes_memory(uint64_t nr)
{
    return nr == SYS_mmap || nr == SYS_munmap || nr == SYS_mprotect || nr == SYS_brk ||
           nr == SYS_mremap || nr == SYS_madvise || nr == SYS_fork || nr == SYS_vfork ||
           nr == SYS_clone || nr == SYS_execve;
}

static void debug_check_memory(uint64_t nr)
{
    if (MICA_DEBUG && changes_memory(nr) && mm_check_all() < 0)
        panic("address-space invariants broken after %s", syscall_name(nr));
}

void syscall_dispatch(struct trapframe *tf)
{
    uint64_t nr = tf->rax;
    struct proc *p = proc_current();
    long result;
    tf->error_code = nr; /* kept for restarting after a signal (SA_RESTART) */
    struct strace_call *trace = unlikely(p->trace.root_pid) ? strace_enter(p, tf) : NULL;
    if (nr < SYS_MAX && syscall_table[nr]) {
        result = syscall_table[nr]->fn(tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
    } else {
        kprintf("%s[%d]: unknown system call %lu\n", p->name, p->pid, nr);
        result = -ENOSYS;
    }
    tf->rax = (uint64_t)result;
    if (unlikely(trace))
        strace_leave(trace, result);
    debug_check_memory(nr);
    proc_return_to_user(tf);
}
