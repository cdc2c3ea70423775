/*
 * crt0.S - _start, where every user program begins.
 *
 * The kernel jumps here with the registers zeroed and rsp pointing at the
 * Linux initial stack:
 *
 *     rsp ->  argc
 *             argv[0] ... argv[argc-1], NULL
 *             envp[0] ... NULL
 *             auxv: (type, value) pairs ... (AT_NULL, 0)
 *             ... the strings themselves, higher up
 *
 * There is no return address: _start must never return. It hands the
 * stack pointer to libc_start (start.c), which does the rest in C.
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp          /* frame pointer 0: backtraces stop here */
    mov %rsp, %rdi          /* libc_start(long *initial_stack) */
    and $-16, %rsp          /* the ABI wants rsp 16-byte aligned at a call */
    call libc_start
    ud2                     /* not reached: libc_start calls exit */
    .size _start, . - _start

    /* This code needs no executable stack; say so to the linker. */
    .section .note.GNU-stack, "", @progbits
