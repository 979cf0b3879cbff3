/*
 * x86_64 instructions that Python cannot express, one function each.
 *
 * Each is an out-of-line call, so besides its own effect it is a compiler barrier: gcc must
 * assume the call reads and writes any memory, and keeps loads and stores on their side of it.
 *
 * Names are the instruction names where no clash exists.  The PAUSE instruction is cpu_relax(),
 * because pause() is a POSIX libc function that sleeps until a signal: a host-built test
 * library resolving the call to libc would hang.
 *
 * Registers are uint64_t; pure virtual addresses are uintptr_t.
 */
#ifndef CYRIUS_CPU_H
#define CYRIUS_CPU_H

#include <stdint.h>

/* Port I/O. */
uint8_t inb(uint16_t port);
uint16_t inw(uint16_t port);
uint32_t inl(uint16_t port);
void outb(uint16_t port, uint8_t value);
void outw(uint16_t port, uint16_t value);
void outl(uint16_t port, uint32_t value);

/* About a microsecond of delay, for old devices (the PIC) that need time between accesses. */
void io_wait(void);

/* Model-specific registers. */
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t value);

/* Control registers.  CR2 holds the address of the last page fault. */
uint64_t read_cr0(void);
uintptr_t read_cr2(void);
uint64_t read_cr3(void);
uint64_t read_cr4(void);
void write_cr0(uint64_t value);
void write_cr3(uint64_t value);
void write_cr4(uint64_t value);

/* Extended control register XCR0 selects the state components xsave saves. */
uint64_t xgetbv(uint32_t xcr);
void xsetbv(uint32_t xcr, uint64_t value);

/* Drop the TLB entry of the page holding vaddr. */
void invlpg(uintptr_t vaddr);

/* Interrupt flag and idling. */
void cli(void);
void sti(void);
void hlt(void);
/* Enable interrupts and halt with no window between them (sti's one-instruction shadow), so an
 * interrupt that arrives after the caller checked for work still wakes the halt. */
void sti_hlt(void);
/* The PAUSE instruction: tells the CPU it is in a spin-wait loop. */
void cpu_relax(void);
uint64_t read_rflags(void);

/* Full memory barrier (MFENCE): orders this CPU's loads and stores against devices sharing
 * memory, e.g. virtio rings. */
void mfence(void);

/* Time-stamp counter. */
uint64_t rdtsc(void);

/* CPUID for leaf and subleaf; out receives eax, ebx, ecx, edx in that order. */
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *out);

/* The caller's frame pointer: [rbp] is the previous frame pointer and [rbp + 8] the return
 * address, so a backtrace follows the chain until it reaches 0 (the boot entry clears rbp). */
uintptr_t read_rbp(void);

/* FPU/SSE state.  fxsave's area is 512 bytes, 16-byte aligned; xsave's is 64-byte aligned and
 * as large as CPUID leaf 0xd reports; mask selects the XCR0 components to save or restore. */
void fxsave(void *area);
void fxrstor(const void *area);
void xsave(void *area, uint64_t mask);
void xrstor(const void *area, uint64_t mask);

#endif
