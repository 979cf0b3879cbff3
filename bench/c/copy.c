/* A memcpy-style copy (8-byte words, then the tail bytes): the C twin of bench/dialect/copy.py. */
#include <stddef.h>
#include <stdint.h>

#include "twins.h"

static void copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    uint64_t *d = (uint64_t *)dst;
    const uint64_t *s = (const uint64_t *)src;
    size_t words = n >> 3;

    for (size_t i = 0; i < words; i++)
        d[i] = s[i];
    for (size_t j = words << 3; j < n; j++)
        dst[j] = src[j];
}

uint32_t c_copy_bench(uint8_t *a, uint8_t *b, size_t n, uint32_t reps)
{
    uint32_t acc = 0;
    for (uint32_t r = 0; r < reps; r++) {
        size_t k = r % n;
        if (r & 1) {
            b[k]++;
            copy(a, b, n);
            acc += a[k];
        } else {
            a[k]++;
            copy(b, a, n);
            acc += b[k];
        }
    }
    return acc;
}
