; kernel/switch.asm - switching kernel stacks between processes.
;
; void switch_context(struct context **save, struct context *next)
;
; A struct context is what this function leaves on a stack it switches
; away from: the callee-saved registers and a return address. The C caller
; has already saved everything else (the ABI says the rest may be
; clobbered by a call). Switching = push them, store rsp in *save, load
; next as rsp, pop, and return -- into whatever called switch_context on
; that stack earlier, or, for a new process, into trap_return, which
; leaves for user mode with the trap frame above it.

bits 64
section .text

global switch_context
switch_context:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
