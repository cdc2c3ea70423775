; kernel/usercopy.asm - the instructions that touch user memory on the kernel's behalf.
;
; Each routine may fault on a bad user address. The instruction that can
; fault is listed in the exception table (section .extable, pairs of
; {faulting instruction, where to continue}); when a kernel-mode page fault
; cannot be resolved, trap code looks the RIP up there (extable_fixup) and
; resumes at the fixup label, which returns -EFAULT. The C wrappers in
; mm/usercopy.c check the address range first; these only do the copying.

bits 64
section .text

EFAULT equ 14

%macro EXTABLE 2
    section .extable
    align 8
    dq %1, %2
    section .text
%endmacro

; long user_copy_bytes(void *dst, const void *src, size_t n)  -> 0 or -EFAULT
;   8 bytes at a time, then the last n % 8 one by one: a rep iteration is one
;   instruction to QEMU's -icount, so a 4 KiB page costs 512 instead of 4096.
global user_copy_bytes
user_copy_bytes:
    mov rcx, rdx
    shr rcx, 3
.copy8:
    rep movsq
    mov rcx, rdx
    and rcx, 7
.copy1:
    rep movsb
    xor eax, eax
    ret
.fault:
    mov rax, -EFAULT
    ret
EXTABLE .copy8, .fault
EXTABLE .copy1, .fault

; long user_fill_bytes(void *dst, int byte, size_t n)  -> 0 or -EFAULT
global user_fill_bytes
user_fill_bytes:
    mov eax, esi
    mov rcx, rdx
.fill:
    rep stosb
    xor eax, eax
    ret
.fault:
    mov rax, -EFAULT
    ret
EXTABLE .fill, .fault

; long user_copy_string(char *dst, const char *src, size_t max)
;   copies up to max bytes, stopping after a NUL; returns the length without
;   the NUL (max if there was no NUL in max bytes), or -EFAULT.
global user_copy_string
user_copy_string:
    xor eax, eax                    ; bytes copied so far
.next:
    cmp rax, rdx
    je .done
.load:
    mov cl, [rsi + rax]
    mov [rdi + rax], cl
    test cl, cl
    jz .done
    inc rax
    jmp .next
.done:
    ret
.fault:
    mov rax, -EFAULT
    ret
EXTABLE .load, .fault

; int user_probe_byte(const void *addr, uint8_t *out) -> 0 or -EFAULT (for tests and /proc)
global user_probe_byte
user_probe_byte:
.load:
    mov al, [rdi]
    mov [rsi], al
    xor eax, eax
    ret
.fault:
    mov rax, -EFAULT
    ret
EXTABLE .load, .fault
