; kernel/trap_entry.asm - the one way into the kernel from an interrupt or exception.
;
; Every IDT vector has a tiny stub that makes the stack look the same (it
; pushes a zero error code when the CPU did not push one, then the vector
; number) and jumps to trap_common, which saves all general registers so that
; the stack holds a complete struct trapframe (include/arch/trapframe.h),
; calls trap_dispatch(tf) and returns with iretq. Keep the push order here and
; the field order of struct trapframe in step.

bits 64
%include "trapframe.inc"
section .text

extern trap_dispatch

; Vectors for which the CPU pushes an error code itself.
%define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign vec 0
%rep 256
trap_stub_ %+ vec:
%if !HAS_ERRCODE(vec)
    push 0
%endif
    push vec
    jmp trap_common
%assign vec vec + 1
%endrep

trap_common:
    ; Coming from user mode (CS RPL 3)? Then switch GS to the kernel's.
    test qword [rsp + 24], 3
    jz .from_kernel_entry
    swapgs
.from_kernel_entry:
    PUSH_GENERAL_REGISTERS
    cld
    mov rdi, rsp                    ; struct trapframe *
    call trap_dispatch
global trap_return
trap_return:
    POP_GENERAL_REGISTERS
    test qword [rsp + 24], 3
    jz .to_kernel
    swapgs
.to_kernel:
    add rsp, 16                     ; vector and error code
    iretq

; trap_stubs[v] is the address of vector v's stub, for idt_init().
section .rodata
align 8
global trap_stubs
trap_stubs:
%assign vec 0
%rep 256
    dq trap_stub_ %+ vec
%assign vec vec + 1
%endrep
