/*
 * kernel/gdt.c - the GDT and the TSS with its interrupt stacks.
 *
 * gdt[] holds flat 64-bit code/data descriptors for ring 0 and ring 3 (see
 * include/arch/gdt.h for why the user ones are in this order) and a 16-byte
 * TSS descriptor. The TSS holds RSP0 (set per process later) and IST1/IST2,
 * small dedicated stacks so that a double fault caused by a kernel stack
 * overflow still has a stack to report on.
 */
#include <arch/gdt.h>
#include <arch/x86.h>

struct __attribute__((packed)) tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7]; /* ist[0] is IST1 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};

#define IST_STACK_SIZE 8192
#define DESC_PRESENT (1ul << 47)
#define DESC_DPL3 (3ul << 45)
#define DESC_CODE_DATA (1ul << 44)
#define DESC_EXEC (1ul << 43)
#define DESC_WRITABLE (1ul << 41)
#define DESC_LONG (1ul << 53)
#define DESC_TSS_AVAILABLE (9ul << 40)

static uint64_t gdt[8] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static uint8_t ist_stacks[2][IST_STACK_SIZE] __attribute__((aligned(16)));

static void gdt_set_tss(void)
{
    uint64_t base = (uint64_t)&tss;
    uint64_t limit = sizeof(tss) - 1;
    gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                       DESC_TSS_AVAILABLE | DESC_PRESENT |
                       (((base >> 24) & 0xff) << 56);
    gdt[GDT_TSS / 8 + 1] = base >> 32;
}

/* Reloads CS with a far return (there is no far jump to an immediate in 64-bit mode). */
static void gdt_reload_segments(void)
{
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w1, %%ds\n\t"
                     "movw %w1, %%es\n\t"
                     "movw %w1, %%ss\n\t"
                     :
                     : "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA)
                     : "rax", "memory");
}

void gdt_init(void)
{
    gdt[0] = 0;
    gdt[GDT_KERNEL_CODE / 8] = DESC_PRESENT | DESC_CODE_DATA | DESC_EXEC | DESC_LONG;
    gdt[GDT_KERNEL_DATA / 8] = DESC_PRESENT | DESC_CODE_DATA | DESC_WRITABLE;
    gdt[GDT_USER_BASE / 8] = 0; /* SYSRET to 32-bit code is never used */
    gdt[GDT_USER_DATA / 8] = DESC_PRESENT | DESC_DPL3 | DESC_CODE_DATA | DESC_WRITABLE;
    gdt[GDT_USER_CODE / 8] = DESC_PRESENT | DESC_DPL3 | DESC_CODE_DATA | DESC_EXEC | DESC_LONG;

    tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)&ist_stacks[0][IST_STACK_SIZE];
    tss.ist[IST_NMI - 1] = (uint64_t)&ist_stacks[1][IST_STACK_SIZE];
    tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
    gdt_set_tss();

    struct descriptor_ptr ptr = { sizeof(gdt) - 1, (uint64_t)gdt };
    lgdt(&ptr);
    gdt_reload_segments();
    ltr(GDT_TSS);
}

void tss_set_kernel_stack(vaddr_t rsp0)
{
    tss.rsp[0] = rsp0;
}
