/*
 * percpu.h - the per-CPU block that GS points at while the CPU runs kernel code.
 * Mirrors struct PerCpu in src/cyrius/kernel/arch/x86_64/cpu.py (same order, same sizes).
 */
#ifndef CYRIUS_PERCPU_H
#define CYRIUS_PERCPU_H

#define PERCPU_KERNEL_RSP 0x00 /* top of the running thread's kernel stack (also TSS.RSP0) */
#define PERCPU_USER_RSP   0x08 /* user RSP parked by syscall_entry until it is in the frame */

/* TrapFrame.vector of a frame built by syscall_entry (not a hardware vector). */
#define SYSCALL_VECTOR    0x100

#endif /* CYRIUS_PERCPU_H */
