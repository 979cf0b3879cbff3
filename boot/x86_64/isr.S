/*
 * isr.S - the 256 interrupt/exception entry stubs and their common path.
 *
 * Each stub makes the stack look the same whatever the vector:
 *   - the CPU has pushed ss, rsp, rflags, cs, rip (always, in 64-bit mode)
 *     and, for vectors 8, 10-14, 17, 21, 29 and 30, an error code;
 *   - the stub pushes a 0 error code for every other vector, then the
 *     vector number, and jumps to isr_common;
 *   - isr_common pushes rax..r15, completing a struct trap_frame
 *     (boot/include/trap_frame.h), and calls kernel_trap(frame).
 * On return everything is popped back (including any change kernel_trap
 * made to the frame) and iretq resumes the interrupted context.
 *
 * GS: while the CPU runs kernel code, GS base is the per-CPU block (see
 * boot/include/percpu.h); user code has its own GS base.  isr_common and
 * trap_return swap them (swapgs) when the frame comes from or returns to
 * ring 3 ((cs & 3) != 0).
 */
#include "trap_frame.h"

    .altmacro                       /* %expr in a macro argument = its value */

/* Vectors for which the CPU pushes an error code. */
.macro ISR_STUB n
    .p2align 4
isr_stub_\n:
    .if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
    .else
    pushq   $0                      /* dummy error code keeps the frame uniform */
    .endif
    pushq   $\n
    jmp     isr_common
.endm

.macro ISR_ADDR n
    .quad   isr_stub_\n
.endm

    .text
    .globl isr_stubs_start
isr_stubs_start:
    .set .Lvec, 0
    .rept 256
    ISR_STUB %(.Lvec)
    .set .Lvec, .Lvec + 1
    .endr

    .p2align 4
    .type isr_common, @function
isr_common:
    cld                             /* the C ABI wants DF = 0 */
    testb   $3, 24(%rsp)            /* CS above vector, error code, RIP */
    jz      1f
    swapgs
1:
    PUSH_GPRS
    movq    %rsp, %rdi              /* struct trap_frame * (TF_SIZE = 176: RSP stays 16-aligned) */

    /* A fake call frame {interrupted rbp, interrupted rip} so a frame-pointer
     * backtrace from inside kernel_trap walks on into the interrupted code.
     * From user mode the chain ends here instead (rbp = 0): never walk user
     * memory. 16 bytes, so RSP is still 16-aligned at the call. */
    pushq   TF_RIP(%rdi)
    testb   $3, TF_CS(%rdi)
    jz      1f
    xorl    %ebp, %ebp
1:  pushq   %rbp
    movq    %rsp, %rbp
    call    kernel_trap
    addq    $16, %rsp               /* drop the fake frame: RSP = trap frame again */
    .size isr_common, . - isr_common

/*
 * trap_return: RSP points at a struct trap_frame; restore it and iretq.
 * Reached by falling through from isr_common, from syscall_entry, or from
 * thread_entry to start a thread from a hand-built frame.  Interrupts stay
 * off from the swapgs to the iretq: an interrupt in between would run the
 * kernel with the user's GS base.
 */
    .globl trap_return
    .type trap_return, @function
trap_return:
    cli
    testb   $3, TF_CS(%rsp)
    jz      1f
    swapgs
1:
    POP_GPRS
    addq    $16, %rsp               /* vector and error code */
    iretq
    .size trap_return, . - trap_return

/* The stubs' addresses in vector order; entry.S builds the IDT from it. */
    .section .rodata
    .balign 8
    .globl isr_stub_table
isr_stub_table:
    .set .Lvec, 0
    .rept 256
    ISR_ADDR %(.Lvec)
    .set .Lvec, .Lvec + 1
    .endr

    .section .note.GNU-stack, "", @progbits
