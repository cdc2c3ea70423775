/*
 * tests/host_shim.h - running mm/ code as an ordinary Linux program.
 *
 * Host tests compile kernel files with -DMICA_HOST_TEST -DMICA_DEBUG=1 and
 * link tests/host_shim.c, which supplies what the kernel would: kprintf
 * (to stdout), panic (see below) and a simulated physical memory, an
 * arena whose byte pa is host_phys_base[pa] (include/memlayout.h).
 *
 * panic() normally aborts the test with a message. Inside
 * EXPECT_PANIC(stmt, "substring") it instead jumps back, and the macro
 * checks the panic message contained the substring: that is how the tests
 * check double-free detection.
 */
#ifndef MICA_TESTS_HOST_SHIM_H
#define MICA_TESTS_HOST_SHIM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern unsigned char *host_phys_base;
extern jmp_buf *host_panic_catcher;
extern char host_panic_message[512];

/* Allocates a zeroed arena of `bytes` (a multiple of 4 KiB) as physical memory at 0. */
void host_phys_create(uint64_t bytes);
void host_phys_destroy(void);

/* Evaluates to true when stmt panicked with a message containing substr. */
#define EXPECT_PANIC(stmt, substr)                                             \
    ({                                                                        \
        jmp_buf jb_;                                                          \
        volatile bool panicked_ = false;                                               \
        host_panic_catcher = &jb_;                                            \
        if (setjmp(jb_) == 0) {                                               \
            stmt;                                                             \
        } else {                                                              \
            panicked_ = strstr(host_panic_message, (substr)) != NULL;         \
        }                                                                     \
        host_panic_catcher = NULL;                                            \
        panicked_;                                                            \
    })

#endif
