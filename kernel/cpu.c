/*
 * kernel/cpu.c - the per-CPU area and the user FPU/SSE state.
 *
 * The kernel is built with -mno-sse and never touches x87/SSE registers,
 * so a process's FPU state only has to be saved and restored when the CPU
 * switches processes (fxsave/fxrstor in switch_to). User programs need SSE
 * enabled: CR0.EM clear, CR0.MP set, CR4.OSFXSR and CR4.OSXMMEXCPT set.
 */
#include <arch/x86.h>
#include <kernel/cpu.h>
#include <lib/string.h>

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define MXCSR_DEFAULT 0x1f80 /* all SSE exceptions masked, round to nearest */
#define FCW_DEFAULT 0x037f   /* all x87 exceptions masked, extended precision */

struct cpu cpu0;

static uint8_t clean_fpu_state[512] __attribute__((aligned(16)));

static void write_cr0(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

void fpu_save(void *area)
{
    __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void fpu_restore(const void *area)
{
    __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

void fpu_init_state(void *area)
{
    memcpy(area, clean_fpu_state, sizeof(clean_fpu_state));
}

void cpu_init(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    uint32_t mxcsr = MXCSR_DEFAULT;
    uint16_t fcw = FCW_DEFAULT;
    __asm__ volatile("fninit; fldcw %0; ldmxcsr %1" : : "m"(fcw), "m"(mxcsr));
    fpu_save(clean_fpu_state);
    wrmsr(MSR_GS_BASE, (uint64_t)&cpu0);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}
