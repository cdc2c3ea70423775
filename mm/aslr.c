/*
 * mm/aslr.c - address-space layout randomization (include/mm/aslr.h), and
 * personality(2), whose one flag mica knows is ADDR_NO_RANDOMIZE.
 *
 * The ranges are Linux's x86-64 ones (arch/x86/mm/mmap.c, fs/binfmt_elf.c):
 * 22 bits of pages for the stack, 28 bits for the mmap base and a PIE, a
 * 32 MiB window for the break. The random numbers come from the TSC
 * stirred by a xorshift: unpredictable enough to teach with, not for
 * security. Linux also moves the initial stack pointer within its page;
 * mica does not.
 */
#include <arch/x86.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <kernel/syscall.h>
#include <kernel/timer.h>
#include <memlayout.h>
#include <mm/aslr.h>
#include <mm/mm.h>

#define STACK_RND_PAGES_MASK 0x3ffffful /* 16 GiB */
#define MMAP_RND_PAGES_MASK 0xffffffful /* 28 bits: 1 TiB */
#define BRK_RND_RANGE MiB(32)
#define PER_LINUX 0
#define PERSONALITY_QUERY 0xffffffffu

uint64_t sysctl_randomize_va_space = 2; /* exposed at /proc/sys/kernel/randomize_va_space */

static uint64_t random_u64(void)
{
    static uint64_t state;
    state ^= rdtsc() ^ (timer_ticks() << 32) ^ 0x9e3779b97f4a7c15ul;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* Randomization level for p now: 0 when off (norandmaps, the sysctl, or its personality). */
static int level_for(const struct proc *p)
{
    static bool cmdline_checked;
    if (!cmdline_checked) {
        cmdline_checked = true;
        if (cmdline_has("norandmaps"))
            sysctl_randomize_va_space = 0;
    }
    if (p && (p->personality & ADDR_NO_RANDOMIZE))
        return 0;
    return sysctl_randomize_va_space;
}

void aslr_place_stack_and_mmap(struct mm *mm, const struct proc *p)
{
    if (level_for(p) == 0)
        return; /* mm_create's fixed USER_STACK_TOP and USER_MMAP_BASE */
    uint64_t stack_shift = (random_u64() & STACK_RND_PAGES_MASK) << PAGE_SHIFT;
    uint64_t mmap_shift = (random_u64() & MMAP_RND_PAGES_MASK) << PAGE_SHIFT;
    mm->stack_top = USER_STACK_TOP - stack_shift;
    /* as Linux: the gap below the stack leaves room for the stack's whole random range */
    mm->mmap_base = USER_MMAP_BASE - ((STACK_RND_PAGES_MASK + 1) << PAGE_SHIFT) - mmap_shift;
}

vaddr_t aslr_pie_base(const struct proc *p, vaddr_t base)
{
    if (level_for(p) == 0)
        return base;
    return base + ((random_u64() & MMAP_RND_PAGES_MASK) << PAGE_SHIFT);
}

vaddr_t aslr_brk(const struct proc *p, vaddr_t brk)
{
    if (level_for(p) < 2)
        return brk;
    return ALIGN_UP(brk, PAGE_SIZE) + ((random_u64() % (BRK_RND_RANGE >> PAGE_SHIFT)) << PAGE_SHIFT);
}

/*
 * personality(persona): returns the old one; 0xffffffff only asks. mica runs
 * Linux programs only and knows one flag, so anything but PER_LINUX with or
 * without ADDR_NO_RANDOMIZE fails with EINVAL (Linux would accept it).
 */
SYSCALL(SYS_personality, personality)
{
    struct proc *p = proc_current();
    unsigned int old = p->personality, persona = (unsigned int)a0;
    if (persona == PERSONALITY_QUERY)
        return old;
    if ((persona & ~ADDR_NO_RANDOMIZE) != PER_LINUX) {
        kprintf("personality: %#x: only ADDR_NO_RANDOMIZE is supported\n", persona);
        return -EINVAL;
    }
    p->personality = persona;
    return old;
}
