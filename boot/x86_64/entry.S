/*
 * entry.S - the kernel's first instructions.
 *
 * The UEFI loader jumps to _start (the ELF entry) with:
 *   RDI = struct boot_info * (direct-map virtual address)
 *   RSP = somewhere in the loader's stack (firmware memory, lower half)
 *   IF = 0, CR3 = the loader's tables, GDT/IDT still the firmware's.
 * See boot/include/boot_info.h for the full contract.
 *
 * _start makes the CPU ours, in the order that keeps it safe:
 *   1. switch to our own 64 KiB boot stack (in .bss, higher half);
 *   2. load our GDT (boot/include/segments.h) and reload every segment
 *      register - CS with a far return, since there is no "mov cs";
 *   3. load the TSS (RSP0, IST1 = double fault, IST2 = NMI);
 *   4. build and load the IDT from isr_stub_table (isr.S);
 *   5. enable SYSCALL (EFER.SCE) with STAR, LSTAR = syscall_entry (syscall.S)
 *      and FMASK;
 *   6. call kernel_main(boot_info) with RBP = 0 so backtraces end there.
 * Interrupts stay disabled: the kernel enables them when it is ready.
 *
 * The GDT, TSS and IDT are exported (boot_gdt, boot_tss, boot_idt) so the
 * kernel can change TSS.RSP0 per thread and adjust gates (e.g. DPL 3).
 */
#include "segments.h"

#define BOOT_STACK_SIZE  (64 * 1024)
#define IST_STACK_SIZE   (16 * 1024)
#define RSP0_STACK_SIZE  (16 * 1024)

/* IDT gate attribute byte: present, DPL 0, 64-bit interrupt gate (clears IF). */
#define GATE_INTERRUPT   0x8e

#define MSR_EFER         0xc0000080
#define MSR_STAR         0xc0000081
#define MSR_LSTAR        0xc0000082
#define MSR_FMASK        0xc0000084
#define EFER_SCE         0x1
#define SYSCALL_RFLAGS_MASK 0x47700

    .section .text.entry, "ax"
    .globl _start
    .type _start, @function
_start:
    cli
    cld
    movq    %rdi, %r12                  /* boot_info: callee-saved across what follows */
    leaq    boot_stack_top(%rip), %rsp
    xorl    %ebp, %ebp

    /* --- TSS: fill the stack pointers, then its GDT descriptor. --- */
    leaq    boot_tss(%rip), %rdi
    leaq    rsp0_stack_top(%rip), %rax
    movq    %rax, TSS_RSP0(%rdi)
    leaq    df_stack_top(%rip), %rax
    movq    %rax, TSS_IST1(%rdi)
    leaq    nmi_stack_top(%rip), %rax
    movq    %rax, TSS_IST2(%rdi)
    movw    $TSS_SIZE, TSS_IOMAP(%rdi)   /* I/O bitmap offset past the limit: no bitmap */

    /* A 64-bit TSS descriptor scatters its base over 16 bytes, which no
     * assembler relocation can express, so it is assembled here:
     *   low  = limit[15:0] | base[23:0] << 16 | 0x89 << 40 | base[31:24] << 56
     *   high = base[63:32]                       (0x89: present, 64-bit TSS, available) */
    movq    %rdi, %rax
    andq    $0xffffff, %rax
    shlq    $16, %rax
    orq     $(TSS_SIZE - 1), %rax
    movabsq $0x0000890000000000, %rcx
    orq     %rcx, %rax
    movq    %rdi, %rcx
    shrq    $24, %rcx
    andq    $0xff, %rcx
    shlq    $56, %rcx
    orq     %rcx, %rax
    leaq    boot_gdt(%rip), %rsi
    movq    %rax, TSS_SEL(%rsi)
    movq    %rdi, %rax
    shrq    $32, %rax
    movq    %rax, TSS_SEL+8(%rsi)

    /* --- GDT and segment registers. --- */
    lgdt    boot_gdtr(%rip)
    pushq   $KERNEL_CS
    leaq    1f(%rip), %rax
    pushq   %rax
    lretq                               /* pops RIP then CS: CS = KERNEL_CS */
1:  movl    $KERNEL_DS, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    xorl    %eax, %eax                  /* FS/GS: null; their bases are set by MSR when needed */
    movl    %eax, %fs
    movl    %eax, %gs
    movl    $TSS_SEL, %eax
    ltr     %ax

    /* --- IDT: one interrupt gate per stub. --- */
    leaq    isr_stub_table(%rip), %rsi
    leaq    boot_idt(%rip), %rdi
    xorl    %ecx, %ecx
2:  movq    (%rsi,%rcx,8), %rax         /* handler address */
    movw    %ax, 0(%rdi)                /* offset 15:0 */
    movw    $KERNEL_CS, 2(%rdi)         /* selector */
    movb    $0, 4(%rdi)                 /* IST index (patched below) */
    movb    $GATE_INTERRUPT, 5(%rdi)
    shrq    $16, %rax
    movw    %ax, 6(%rdi)                /* offset 31:16 */
    shrq    $16, %rax
    movl    %eax, 8(%rdi)               /* offset 63:32 */
    movl    $0, 12(%rdi)
    addq    $16, %rdi
    incl    %ecx
    cmpl    $256, %ecx
    jne     2b
    /* Double fault and NMI run on known-good stacks whatever RSP was. */
    leaq    boot_idt(%rip), %rdi
    movb    $IST_DOUBLE_FAULT, 8*16+4(%rdi)
    movb    $IST_NMI, 2*16+4(%rdi)
    lidt    boot_idtr(%rip)

    /* --- SYSCALL: segments from STAR (segments.h), entry at syscall_entry,
     * and FMASK clears IF, DF, TF, AC, NT and IOPL on entry, as Linux does. --- */
    movl    $MSR_EFER, %ecx
    rdmsr
    orl     $EFER_SCE, %eax
    wrmsr
    movl    $MSR_STAR, %ecx
    xorl    %eax, %eax
    movl    $STAR_HIGH, %edx
    wrmsr
    movl    $MSR_LSTAR, %ecx
    leaq    syscall_entry(%rip), %rax
    movq    %rax, %rdx
    shrq    $32, %rdx
    wrmsr
    movl    $MSR_FMASK, %ecx
    movl    $SYSCALL_RFLAGS_MASK, %eax
    xorl    %edx, %edx
    wrmsr

    /* --- Into the kernel. RSP is 16-byte aligned here, so the callee sees
     * the ABI's RSP+8 alignment after the call pushes the return address. --- */
    movq    %r12, %rdi
    call    kernel_main

    /* kernel_main must not return; if it does, stop this CPU for good. */
3:  cli
    hlt
    jmp     3b
    .size _start, . - _start

/* ------------------------------------------------------------------ */
    .section .rodata
    .balign 16
    .globl boot_gdtr, boot_idtr
boot_gdtr:
    .word   boot_gdt_end - boot_gdt - 1
    .quad   boot_gdt
    .balign 16
boot_idtr:
    .word   256 * 16 - 1
    .quad   boot_idt

/* ------------------------------------------------------------------ */
    .section .data
    .balign 16
    .globl boot_gdt
boot_gdt:                                   /* order and values: see segments.h */
    .quad   0                               /* 0x00 null */
    .quad   0x00af9a000000ffff              /* 0x08 kernel code: P, DPL0, code r/x, L=1 */
    .quad   0x00cf92000000ffff              /* 0x10 kernel data: P, DPL0, data r/w */
    .quad   0x00cff2000000ffff              /* 0x18 user data:   P, DPL3, data r/w */
    .quad   0x00affa000000ffff              /* 0x20 user code:   P, DPL3, code r/x, L=1 */
    .quad   0, 0                            /* 0x28 TSS (16 bytes, filled by _start) */
boot_gdt_end:

    .balign 16
    .globl boot_tss
boot_tss:                                   /* 104-byte 64-bit TSS; offsets in segments.h */
    .space  TSS_SIZE, 0

/* ------------------------------------------------------------------ */
    .section .bss
    .balign 4096
    .globl boot_idt
boot_idt:
    .space  256 * 16

    /* Stacks grow down; each *_top symbol is its first byte past the end.
     * No guard pages yet: the kernel can unmap the page below a stack. */
    .balign 4096
    .globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    .space  BOOT_STACK_SIZE
boot_stack_top:

    .balign 4096
df_stack:
    .space  IST_STACK_SIZE
df_stack_top:

    .balign 4096
nmi_stack:
    .space  IST_STACK_SIZE
nmi_stack_top:

    .balign 4096
rsp0_stack:                                  /* TSS.RSP0 until the kernel installs per-thread stacks */
    .space  RSP0_STACK_SIZE
rsp0_stack_top:

    .section .note.GNU-stack, "", @progbits
