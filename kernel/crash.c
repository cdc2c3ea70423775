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
