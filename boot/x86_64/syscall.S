/*
 * syscall.S - the SYSCALL entry and the kernel-thread context switch.
 *
 * syscall_entry: the CPU arrives from ring 3 with RCX = user RIP, R11 = user RFLAGS,
 * RSP still the user's and IF cleared by FMASK.  It swaps to the kernel GS, parks the user RSP in
 * the per-CPU block, moves to the thread's kernel stack and builds the same struct trap_frame an
 * interrupt would (vector SYSCALL_VECTOR), so signals, fork, execve and the scheduler see one
 * frame shape.  kernel_syscall(frame) puts the result in frame->rax.  The way out is SYSRET when
 * the frame allows it (Linux's rule: RCX == RIP and R11 == RFLAGS, as SYSCALL left them, RIP in
 * the canonical lower half, no TF/RF, user segments); otherwise - after execve, sigreturn or
 * signal delivery changed the frame - trap_return's iretq, which restores every register.
 *
 * switch_context(save_rsp, next_rsp): saves the callee-saved registers and RFLAGS on the current
 * kernel stack, stores RSP in *save_rsp, and resumes the thread whose stack pointer is next_rsp.
 * A new thread's stack is built by the kernel (proc/task.py) to "return" into thread_entry with
 * RSP at a trap frame, which trap_return then enters.
 */
#include "percpu.h"
#include "segments.h"
#include "trap_frame.h"

    .text
    .globl syscall_entry
    .type syscall_entry, @function
    .p2align 4
syscall_entry:
    swapgs
    movq    %rsp, %gs:PERCPU_USER_RSP
    movq    %gs:PERCPU_KERNEL_RSP, %rsp
    pushq   $USER_DS                /* ss */
    pushq   %gs:PERCPU_USER_RSP     /* rsp */
    pushq   %r11                    /* rflags */
    pushq   $USER_CS                /* cs */
    pushq   %rcx                    /* rip */
    pushq   $0                      /* error code */
    pushq   $SYSCALL_VECTOR
    cld
    PUSH_GPRS
    movq    %rsp, %rdi
    pushq   TF_RIP(%rdi)            /* a call frame that ends the backtrace (rbp = 0) */
    pushq   $0
    movq    %rsp, %rbp
    call    kernel_syscall
    addq    $16, %rsp
    cli                             /* from the checks to SYSRET, nothing may interrupt */
    movq    TF_RCX(%rsp), %rcx
    cmpq    TF_RIP(%rsp), %rcx
    jne     1f
    movq    TF_R11(%rsp), %r11
    cmpq    TF_RFLAGS(%rsp), %r11
    jne     1f
    testq   $0x10100, %r11          /* RF | TF: leave single-stepping to iretq */
    jnz     1f
    movq    %rcx, %rax
    shrq    $47, %rax               /* a non-canonical RCX would fault in ring 0 on SYSRET */
    jnz     1f
    cmpq    $USER_CS, TF_CS(%rsp)
    jne     1f
    cmpq    $USER_DS, TF_SS(%rsp)
    jne     1f
    POP_GPRS                        /* R11 = RFLAGS and RCX = RIP, as SYSRET wants */
    movq    40(%rsp), %rsp          /* past vector, error code, rip, cs, rflags: the user RSP */
    swapgs
    sysretq
1:  jmp     trap_return
    .size syscall_entry, . - syscall_entry

    .globl switch_context
    .type switch_context, @function
    .p2align 4
switch_context:
    pushfq
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    popfq
    ret
    .size switch_context, . - switch_context

/* First code of every new thread: RSP is its initial trap frame. */
    .globl thread_entry
    .type thread_entry, @function
thread_entry:
    jmp     trap_return
    .size thread_entry, . - thread_entry

    .section .note.GNU-stack, "", @progbits
