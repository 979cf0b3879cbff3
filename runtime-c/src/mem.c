/*
 * Memory and byte-string primitives (see mem.h).
 *
 * memcpy, memset and memmove use the string instructions, and gcc cannot recognise an asm
 * statement as a copy and turn our own memcpy into a call to memcpy.  memcpy and memset move
 * quadwords first (rep movsq/stosq), then the tail bytes: as fast as rep movsb on hardware with
 * fast strings, and eight times fewer iterations where each one costs (QEMU's TCG emulates a
 * rep string instruction element by element; bench/ measured copies dominating syscalls).  The remaining loops only read and stop early, which
 * gcc does not turn into library calls (see ../README.md, "Flags").
 *
 * The string instructions run forwards because the ABI guarantees the direction flag is clear
 * on function entry (the interrupt entry code must clear it too); memmove sets it only for the
 * duration of a backwards copy.
 */
#include "mem.h"

void *
memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t quads = n >> 3;
    size_t tail = n & 7;

    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(quads) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
    return dst;
}

void *
memmove(void *dst, const void *src, size_t n)
{
    // A forward copy is correct unless dst starts inside src: then it would overwrite source
    // bytes before reading them, so copy from the last byte down.  (Not a call to memcpy: in a
    // host shared library that call could bind to the C library's memcpy instead of ours.)
    if ((uintptr_t)dst - (uintptr_t)src >= n) {
        void *d = dst;

        __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    } else {
        uint8_t *d = (uint8_t *)dst + n - 1;
        const uint8_t *s = (const uint8_t *)src + n - 1;

        __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    }
    return dst;
}

void *
memset(void *dst, int32_t c, size_t n)
{
    void *d = dst;
    uint64_t pattern = (uint64_t)(uint8_t)c * 0x0101010101010101ull;
    size_t quads = n >> 3;
    size_t tail = n & 7;

    __asm__ volatile("rep stosq" : "+D"(d), "+c"(quads) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(pattern) : "memory");
    return dst;
}

int32_t
memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a;
    const uint8_t *q = b;

    for (size_t i = 0; i < n; i++) {
        if (p[i] != q[i])
            return (int32_t)p[i] - (int32_t)q[i];
    }
    return 0;
}

size_t
strlen(const uint8_t *s)
{
    size_t n = 0;

    while (s[n] != 0)
        n++;
    return n;
}

size_t
strnlen(const uint8_t *s, size_t maxlen)
{
    size_t n = 0;

    while (n < maxlen && s[n] != 0)
        n++;
    return n;
}

int32_t
strcmp(const uint8_t *a, const uint8_t *b)
{
    size_t i = 0;

    while (a[i] != 0 && a[i] == b[i])
        i++;
    return (int32_t)a[i] - (int32_t)b[i];
}

int32_t
strncmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || a[i] == 0)
            return (int32_t)a[i] - (int32_t)b[i];
    }
    return 0;
}
