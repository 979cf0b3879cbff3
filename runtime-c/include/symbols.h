/*
 * Symbols defined by boot/kernel.ld rather than by C. Declared as arrays so that, in the dialect,
 * `from cyrius.rt import kernel_linetable_start` is the symbol's address (a Ptr[u8]).
 */
#ifndef CYRIUS_SYMBOLS_H
#define CYRIUS_SYMBOLS_H

#include <stdint.h>

/* The address -> Python line table that `cyrius build` links in last (cyrius.image.linetable). */
extern uint8_t kernel_linetable_start[];
extern uint8_t kernel_linetable_end[];

/* Entry points in boot/x86_64/syscall.S. */
/* Save the callee-saved registers and RFLAGS, store RSP in *save_rsp, resume the thread whose
 * saved stack pointer is next_rsp. */
void switch_context(uint64_t *save_rsp, uint64_t next_rsp);
/* Where a new thread's first switch_context returns to: it enters the trap frame at its RSP. */
extern uint8_t thread_entry[];
/* The 104-byte TSS (boot/x86_64/entry.S); RSP0 is at offset 4. */
extern uint8_t boot_tss[];

#endif
