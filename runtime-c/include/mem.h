/*
 * Memory and byte-string primitives.
 *
 * The names and shapes are the C library's, because gcc emits calls to memcpy, memmove,
 * memset and memcmp on its own (struct copies, zeroing) even in freestanding code; those four
 * must exist under exactly these names.  Strings are NUL-terminated arrays of uint8_t (the
 * dialect's byte-string type), not char: this file may use only the fixed-width types, so every
 * unit that includes it is compiled with -ffreestanding or -fno-builtin, or gcc would reject the
 * uint8_t prototypes of strlen, strnlen, strcmp and strncmp as mismatching its builtins.
 *
 * Comparisons return the difference of the first differing bytes, each taken as unsigned
 * (0 when equal); callers should rely on the sign only, but host-mode stand-ins return the
 * same value so compiled and CPython runs can be compared exactly.
 */
#ifndef CYRIUS_MEM_H
#define CYRIUS_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Copy n bytes; the ranges must not overlap (use memmove). Returns dst. */
void *memcpy(void *dst, const void *src, size_t n);

/* Copy n bytes; the ranges may overlap. Returns dst. */
void *memmove(void *dst, const void *src, size_t n);

/* Fill n bytes with the low byte of c. Returns dst. */
void *memset(void *dst, int32_t c, size_t n);

int32_t memcmp(const void *a, const void *b, size_t n);

/* Number of bytes before the terminating NUL. */
size_t strlen(const uint8_t *s);

/* strlen, but looks at no more than maxlen bytes (for strings from untrusted buffers). */
size_t strnlen(const uint8_t *s, size_t maxlen);

int32_t strcmp(const uint8_t *a, const uint8_t *b);

/* strcmp over at most n bytes. */
int32_t strncmp(const uint8_t *a, const uint8_t *b, size_t n);

#endif
