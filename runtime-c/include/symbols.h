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

#endif
