/*
 * Support for C emitted by the Cyrius transpiler (not an extern header: it is not read by pycparser).
 * Defines the dialect's integer semantics where plain C would be undefined: signed division and
 * remainder (MIN // -1 wraps to MIN, MIN % -1 == 0) and checked array indexing.
 * The environment (kernel or host test harness) provides cy_assert_fail and cy_index_fail.
 */
#ifndef CYRIUS_LANG_H
#define CYRIUS_LANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Both are expected not to return (the kernel panics); they are written in the dialect. */
void cy_assert_fail(uint8_t *file, int32_t line, uint8_t *what);
void cy_index_fail(uint8_t *file, int32_t line, int64_t index, int64_t length);

#define CY_SIGNED_DIV(bits)                                                              \
    static inline int##bits##_t cy_sdiv##bits(int##bits##_t a, int##bits##_t b) {       \
        if (b == -1) return (int##bits##_t)(0U - (uint##bits##_t)a);                     \
        return (int##bits##_t)(a / b);                                                   \
    }                                                                                    \
    static inline int##bits##_t cy_smod##bits(int##bits##_t a, int##bits##_t b) {       \
        if (b == -1) return 0;                                                           \
        return (int##bits##_t)(a % b);                                                   \
    }
CY_SIGNED_DIV(8)
CY_SIGNED_DIV(16)
CY_SIGNED_DIV(32)
CY_SIGNED_DIV(64)
#undef CY_SIGNED_DIV

static inline uint64_t cy_index(uint64_t index, uint64_t length, const char *file, int32_t line) {
    if (__builtin_expect(index >= length, 0)) {
        cy_index_fail((uint8_t *)file, line, (int64_t)index, (int64_t)length);
        __builtin_unreachable(); /* the kernel panics; lets gcc know the index is in bounds after */
    }
    return index;
}

#endif
