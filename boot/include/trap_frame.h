/*
 * trap_frame.h - what boot/x86_64/isr.S leaves on the stack before it calls
 * kernel_trap(struct trap_frame *tf).
 *
 * Lowest address first.  The CPU pushes ss..rip (and error_code for the
 * vectors that have one); the stub pushes a zero error_code for the others,
 * then the vector, then the 15 general-purpose registers (rax first, so r15
 * ends up at the lowest address).  176 bytes, a multiple of 16, so the stack
 * is ABI-aligned at the call.
 *
 * kernel_trap may modify the frame: isr.S restores every field from it and
 * returns with iretq, so changing rip/rsp/cs/ss/rflags/registers here is how
 * a signal is delivered or a user thread is started (see trap_return).
 *
 * rsp and ss are always valid: in 64-bit mode the CPU pushes them on every
 * interrupt, not only on privilege changes.
 */
#ifndef CYRIUS_TRAP_FRAME_H
#define CYRIUS_TRAP_FRAME_H

/* Offsets for assembly. */
#define TF_R15        0x00
#define TF_R11        0x20
#define TF_RBP        0x40
#define TF_RCX        0x60
#define TF_RAX        0x70
#define TF_VECTOR     0x78
#define TF_ERROR_CODE 0x80
#define TF_RIP        0x88
#define TF_CS         0x90
#define TF_RFLAGS     0x98
#define TF_RSP        0xa0
#define TF_SS         0xa8
#define TF_SIZE       0xb0

#ifdef __ASSEMBLER__
/* The general-purpose registers of a trap frame, pushed after vector and error code (so r15 ends
 * at TF_R15 = 0) and popped back in reverse: shared by isr.S and syscall.S. */
.macro PUSH_GPRS
    pushq   %rax
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
.endm

.macro POP_GPRS
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rbp
    popq    %rdi
    popq    %rsi
    popq    %rdx
    popq    %rcx
    popq    %rbx
    popq    %rax
.endm
#endif

#ifndef __ASSEMBLER__
#include <stdint.h>

struct trap_frame {
    /* Saved by isr.S (isr_common). */
    uint64_t r15;        /* 0x00 */
    uint64_t r14;        /* 0x08 */
    uint64_t r13;        /* 0x10 */
    uint64_t r12;        /* 0x18 */
    uint64_t r11;        /* 0x20 */
    uint64_t r10;        /* 0x28 */
    uint64_t r9;         /* 0x30 */
    uint64_t r8;         /* 0x38 */
    uint64_t rbp;        /* 0x40 */
    uint64_t rdi;        /* 0x48 */
    uint64_t rsi;        /* 0x50 */
    uint64_t rdx;        /* 0x58 */
    uint64_t rcx;        /* 0x60 */
    uint64_t rbx;        /* 0x68 */
    uint64_t rax;        /* 0x70 */
    /* Pushed by the per-vector stub. */
    uint64_t vector;     /* 0x78  0..255 */
    uint64_t error_code; /* 0x80  from the CPU for 8,10-14,17,21,29,30; else 0 */
    /* Pushed by the CPU. */
    uint64_t rip;        /* 0x88  faulting instruction (faults) or the next one (traps, int n) */
    uint64_t cs;         /* 0x90  (cs & 3) == 3: came from user mode */
    uint64_t rflags;     /* 0x98 */
    uint64_t rsp;        /* 0xa0 */
    uint64_t ss;         /* 0xa8 */
};

_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "trap_frame is 176 bytes");
_Static_assert(__builtin_offsetof(struct trap_frame, vector) == TF_VECTOR, "trap_frame.vector");
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == TF_RIP, "trap_frame.rip");
_Static_assert(__builtin_offsetof(struct trap_frame, ss) == TF_SS, "trap_frame.ss");

/* Implemented by the kernel. Returning resumes the interrupted context. */
void kernel_trap(struct trap_frame *tf);

/* isr.S: pop a trap_frame at %rsp and iretq (xv6's trapret). A kernel can
 * start a thread by building a trap_frame on its stack and jumping here. */
extern char trap_return[];

/* isr.S: the 256 entry stubs, in vector order (entry.S builds the IDT from it). */
extern const uint64_t isr_stub_table[256];
#endif /* __ASSEMBLER__ */

#endif /* CYRIUS_TRAP_FRAME_H */
