/*
 * tests/host_shim.c - kprintf, panic and simulated physical memory for host tests.
 */
#include "host_shim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arch/trapframe.h>
#include <kernel/console.h>
#include <kernel/panic.h>

unsigned char *host_phys_base;
uint64_t host_cr3;         /* include/arch/x86.h: read_cr3/write_cr3 in host tests */
uint64_t host_tlb_flushes; /* ... and TLB flushes, counted */
jmp_buf *host_panic_catcher;
char host_panic_message[512];
static uint64_t host_phys_bytes;

void host_phys_create(uint64_t bytes)
{
    host_phys_base = aligned_alloc(4096, bytes);
    if (!host_phys_base) {
        fprintf(stderr, "host_phys_create: cannot allocate %lu bytes\n", (unsigned long)bytes);
        exit(2);
    }
    memset(host_phys_base, 0, bytes);
    host_phys_bytes = bytes;
}

void host_phys_destroy(void)
{
    free(host_phys_base);
    host_phys_base = NULL;
    host_phys_bytes = 0;
}

static bool verbose(void)
{
    return getenv("MICA_TEST_VERBOSE") != NULL;
}

int kvprintf(const char *fmt, va_list ap)
{
    if (!verbose())
        return 0;
    return vprintf(fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

int kprintf_always(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(host_panic_message, sizeof(host_panic_message), fmt, ap);
    va_end(ap);
    if (host_panic_catcher)
        longjmp(*host_panic_catcher, 1);
    fprintf(stderr, "PANIC (unexpected, in a host test): %s\n", host_panic_message);
    abort();
}

void panic_trap(const struct trapframe *tf)
{
    (void)tf;
    panic("panic_trap called in a host test");
}
