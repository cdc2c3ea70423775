/*
 * kernel/crash.c - faults on purpose, so tests can check the report.
 *
 * Booting with crash=WHAT makes kmain call the function named WHAT below.
 * Each one must end in a report (panic or exception): tests/boot checks the
 * report names the exception, decodes the error code, shows CR2 and a
 * backtrace through the function that faulted. noinline keeps each function
 * in the backtrace under its own name.
 */
#include <kernel/console.h>
#include <kernel/crash.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <memlayout.h>
#include <mm/frame.h>

/* Far from anything mapped: user half, above where programs live. */
#define CRASH_UNMAPPED_ADDRESS 0x00007a0000000000ul

__attribute__((noinline)) static void crash_touch_unmapped(void)
{
    volatile uint64_t *p = (volatile uint64_t *)CRASH_UNMAPPED_ADDRESS;
    kprintf("crash: reading %p, which is not mapped\n", (void *)p);
    (void)*p;
}

__attribute__((noinline)) static void crash_write_unmapped(void)
{
    volatile uint64_t *p = (volatile uint64_t *)CRASH_UNMAPPED_ADDRESS;
    kprintf("crash: writing %p, which is not mapped\n", (void *)p);
    *p = 1;
}

__attribute__((noinline)) static void crash_divide_by_zero(void)
{
    /* In C, 1 / 0 is undefined and the compiler may fold it away: use div. */
    uint64_t divisor = 0, quotient;
    kprintf("crash: dividing by zero\n");
    __asm__ volatile("xor %%edx, %%edx\n\t"
                     "mov $1, %%eax\n\t"
                     "div %1"
                     : "=&a"(quotient)
                     : "r"(divisor)
                     : "rdx");
    kprintf("%lu\n", quotient);
}

__attribute__((noinline)) static void crash_panic(void)
{
    panic("crash: a deliberate panic (%d)", 42);
}

__attribute__((noinline)) static void crash_assert(void)
{
    int answer = 41;
    assert(answer == 42);
}

__attribute__((noinline)) static void crash_write_kernel_text(void)
{
    volatile uint8_t *text = (volatile uint8_t *)(uintptr_t)crash_run;
    kprintf("crash: writing to kernel text at %p (mapped read-execute)\n", (void *)text);
    *text = 0xc3;
}

static uint8_t data_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

__attribute__((noinline)) static void crash_exec_data(void)
{
    data_page[0] = 0xc3; /* ret: harmless if it ever ran */
    void (*fn)(void) = (void (*)(void))(uintptr_t)data_page;
    kprintf("crash: calling into .bss at %p (mapped no-execute)\n", (void *)data_page);
    fn();
}

/* Each frame is at least 512 bytes; 64 KiB of them overruns the 16 KiB boot stack. */
__attribute__((noinline)) static uint64_t crash_recurse(uint64_t depth)
{
    volatile uint8_t frame[512];
    frame[depth % sizeof(frame)] = (uint8_t)depth;
    if (depth > 1000000)
        return frame[0];
    return crash_recurse(depth + 1) + frame[depth % sizeof(frame)];
}

__attribute__((noinline)) static void crash_stack_overflow(void)
{
    kprintf("crash: recursing until the boot stack overflows into its guard page\n");
    kprintf("%lu\n", crash_recurse(0));
}

__attribute__((noinline)) static void crash_double_free(void)
{
    struct page *page = frame_alloc(0, FRAME_NORMAL);
    kprintf("crash: freeing frame %#lx twice\n", page_to_phys(page));
    frame_free(page);
    frame_free(page);
}

struct crash_case {
    const char *name;
    void (*run)(void);
};

static const struct crash_case crash_cases[] = {
    { "pagefault", crash_touch_unmapped },
    { "pagefault-write", crash_write_unmapped },
    { "divide", crash_divide_by_zero },
    { "panic", crash_panic },
    { "assert", crash_assert },
    { "write-text", crash_write_kernel_text },
    { "exec-data", crash_exec_data },
    { "stack-overflow", crash_stack_overflow },
    { "double-free", crash_double_free },
};

void crash_run(const char *what)
{
    for (size_t i = 0; i < ARRAY_SIZE(crash_cases); i++) {
        if (strcmp(crash_cases[i].name, what) == 0) {
            crash_cases[i].run();
            panic("crash=%s did not crash", what);
        }
    }
    kprintf("crash: unknown \"%s\"; known:", what);
    for (size_t i = 0; i < ARRAY_SIZE(crash_cases); i++)
        kprintf(" %s", crash_cases[i].name);
    kprintf("\n");
}
