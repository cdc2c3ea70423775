; boot/boot.asm - from GRUB's 32-bit protected mode to kmain() in the higher half.
;
; GRUB (multiboot2) loads the kernel at 1 MiB physical and jumps to _start in
; 32-bit protected mode with paging off, EAX = multiboot2 magic and EBX = the
; physical address of the boot information. This file:
;   1. checks with CPUID that the CPU can run 64-bit code (else prints why and halts),
;   2. builds early page tables that map the first 4 GiB at 0 (identity,
;      so the instruction after "enable paging" still exists) and at
;      DIRECT_MAP_BASE (0xffff800000000000, so phys_to_virt() works from the
;      first line of C: mm/mm_init.c may put the frame table anywhere below
;      4 GiB, above a large initramfs), and the first 1 GiB at KERNEL_VMA
;      (0xffffffff80000000, where the kernel is linked),
;   3. enables PAE, EFER.LME (+ EFER.NXE when the CPU has NX) and paging,
;   4. loads a 64-bit GDT, far-jumps into 64-bit code, moves to the higher half
;      and calls kmain(magic, info_phys).
; The early tables live in .bss. mm/ replaces them with the real kernel page
; tables (direct map + W^X kernel image) and drops the identity map.

KERNEL_VMA      equ 0xffffffff80000000
%define PHYS(x) ((x) - KERNEL_VMA)

MB2_MAGIC       equ 0xe85250d6
MB2_ARCH_I386   equ 0

CR0_PG          equ 1 << 31
CR0_WP          equ 1 << 16
CR4_PAE         equ 1 << 5
MSR_EFER        equ 0xc0000080
EFER_LME        equ 1 << 8
EFER_NXE        equ 1 << 11
CPUID_EXT_LM    equ 1 << 29         ; CPUID 0x80000001 EDX: long mode
CPUID_EXT_NX    equ 1 << 20         ; CPUID 0x80000001 EDX: no-execute

PTE_PRESENT     equ 1 << 0
PTE_WRITE       equ 1 << 1
PTE_HUGE        equ 1 << 7

COM1            equ 0x3f8
VGA_TEXT        equ 0xb8000

BOOT_STACK_SIZE equ 16384
EARLY_PDS       equ 4                ; page directories of the early map: 4 GiB

; ---------------------------------------------------------------------------
; multiboot2 header: magic, architecture, length, checksum, then tags.
section .multiboot2
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    ; entry address tag: e_entry is a higher-half address; some GRUB versions
    ; refuse such an ELF64 entry, so give the physical one explicitly
align 8
    dw 3, 0
    dd 12
    dd PHYS(_start)
    ; end tag
align 8
    dw 0, 0
    dd 8
mb2_header_end:

; ---------------------------------------------------------------------------
section .text.boot
bits 32
global _start
_start:
    cli
    cld
    mov esp, PHYS(boot_stack_top)
    mov edi, eax                    ; multiboot2 magic  -> kmain arg 1
    mov esi, ebx                    ; boot info (phys)  -> kmain arg 2

    call check_long_mode
    call build_early_tables

    mov eax, PHYS(early_pml4)
    mov cr3, eax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax

    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    cmp byte [PHYS(boot_cpu_has_nx)], 0
    je .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr

    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax                    ; now in IA-32e compatibility mode

    lgdt [PHYS(early_gdt_ptr)]
    jmp GDT_KCODE:PHYS(long_mode_low)

; Halts with a message unless CPUID says the CPU has long mode. Records NX.
check_long_mode:
    pushfd                          ; is CPUID there at all? (can flip EFLAGS.ID)
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    cmp eax, ecx
    je .fail
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .fail
    mov eax, 0x80000001
    cpuid
    test edx, CPUID_EXT_LM
    jz .fail
    test edx, CPUID_EXT_NX
    setnz byte [PHYS(boot_cpu_has_nx)]
    ret
.fail:
    mov esi, PHYS(msg_no_long_mode)
    jmp boot_fail

; Fills the early tables: four page directories of 512 2 MiB pages each
; (4 GiB, the 3-4 GiB hole of device memory included: nothing touches it
; before mm/ drops these tables), reachable from PML4[0]/PDPT[0..3] and
; PML4[256]/PDPT[0..3]; the first one (1 GiB) from PML4[511]/PDPT[510] too.
build_early_tables:
    mov eax, PHYS(early_pdpt_low) + PTE_PRESENT + PTE_WRITE
    mov [PHYS(early_pml4)], eax
    mov [PHYS(early_pml4) + 256 * 8], eax   ; start of the direct map, too
    mov eax, PHYS(early_pdpt_high) + PTE_PRESENT + PTE_WRITE
    mov [PHYS(early_pml4) + 511 * 8], eax
    mov eax, PHYS(early_pd) + PTE_PRESENT + PTE_WRITE
    mov [PHYS(early_pdpt_high) + 510 * 8], eax
    xor ecx, ecx
.next_pdpte:
    mov [PHYS(early_pdpt_low) + ecx * 8], eax
    add eax, 4096
    inc ecx
    cmp ecx, EARLY_PDS
    jne .next_pdpte
    xor ecx, ecx
.next_pde:
    mov eax, ecx
    shl eax, 21                              ; below 4 GiB: the high half stays 0
    or eax, PTE_PRESENT + PTE_WRITE + PTE_HUGE
    mov [PHYS(early_pd) + ecx * 8], eax
    inc ecx
    cmp ecx, 512 * EARLY_PDS
    jne .next_pde
    ret

; Prints the NUL-terminated string at ESI on COM1 and the VGA screen, then halts.
boot_fail:
    mov edi, VGA_TEXT
.next_char:
    lodsb
    test al, al
    jz .halt
    mov dx, COM1
    out dx, al
    mov ah, 0x4f                    ; white on red
    stosw
    jmp .next_char
.halt:
    hlt
    jmp .halt

; ---------------------------------------------------------------------------
bits 64
long_mode_low:
    mov ax, GDT_KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rax, long_mode_high
    jmp rax                         ; leave the identity map for the higher half

section .text
extern kmain
long_mode_high:
    mov rsp, boot_stack_top
    xor ebp, ebp                    ; ends the frame-pointer chain for backtraces
    ; edi = magic, esi = info. The upper halves of RDI/RSI are undefined after
    ; the switch from 32-bit code: a 32-bit move to itself zero-extends them.
    mov edi, edi
    mov esi, esi
    call kmain
.hang:
    cli
    hlt
    jmp .hang

; ---------------------------------------------------------------------------
section .rodata
GDT_KCODE equ 0x08
GDT_KDATA equ 0x10
align 8
early_gdt:
    dq 0
    dq 0x00209a0000000000           ; kernel code: present, DPL 0, executable, L=1
    dq 0x0000920000000000           ; kernel data: present, DPL 0, writable
early_gdt_end:
early_gdt_ptr:
    dw early_gdt_end - early_gdt - 1
    dd PHYS(early_gdt)

msg_no_long_mode:
    db "mica: this CPU cannot run 64-bit code (no long mode in CPUID); halted.", 0

section .data
global boot_cpu_has_nx
boot_cpu_has_nx:
    db 0

section .bss
align 4096
global early_pml4
early_pml4:      resb 4096
early_pdpt_low:  resb 4096
early_pdpt_high: resb 4096
early_pd:        resb 4096 * EARLY_PDS
; The page below the boot stack is left unmapped by mm/ so that a kernel stack
; overflow faults (and the double-fault handler reports it on its own stack).
global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:  resb 4096
boot_stack_bottom: resb BOOT_STACK_SIZE
boot_stack_top:
