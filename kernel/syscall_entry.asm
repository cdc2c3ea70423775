; kernel/syscall_entry.asm - the `syscall` instruction's way into the kernel.
;
; `syscall` jumps here (MSR_LSTAR) in ring 0 with RCX = user RIP, R11 = user
; RFLAGS, interrupts off (MSR_FMASK clears IF), and the *user's* RSP and GS.
; We switch to the kernel GS (swapgs) and the process's kernel stack, then
; build the same struct trapframe an interrupt would (include/arch/
; trapframe.h), so fork, execve and signals treat both kinds of entry
; alike, call syscall_dispatch(tf), and leave through trap_return (iretq).

bits 64
%include "trapframe.inc"
section .text

extern syscall_dispatch
extern trap_return

CPU_KERNEL_RSP equ 0               ; struct cpu (include/kernel/cpu.h)
CPU_USER_RSP   equ 8
USER_DATA_SEL  equ 0x20 | 3        ; include/arch/gdt.h
USER_CODE_SEL  equ 0x28 | 3
SYSCALL_VECTOR equ 0x100           ; not an IDT vector: marks a syscall frame

global syscall_entry
syscall_entry:
    swapgs
    mov [gs:CPU_USER_RSP], rsp
    mov rsp, [gs:CPU_KERNEL_RSP]
    push USER_DATA_SEL              ; ss
    push qword [gs:CPU_USER_RSP]    ; rsp
    push r11                        ; rflags
    push USER_CODE_SEL              ; cs
    push rcx                        ; rip
    push 0                          ; error code
    push SYSCALL_VECTOR             ; vector
    PUSH_GENERAL_REGISTERS
    cld
    xor ebp, ebp                    ; the backtrace ends here
    mov rdi, rsp
    call syscall_dispatch
    jmp trap_return
