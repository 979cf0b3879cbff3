/* A frame-allocator bitmap scan (first clear bit in 64-bit words): the C twin of bench/dialect/bitmap.py. */
#include <stddef.h>
#include <stdint.h>

#include "twins.h"

#define STRIDE 2654435761u

static int64_t find_first_zero(const uint64_t *words, size_t nwords)
{
    for (size_t i = 0; i < nwords; i++) {
        uint64_t w = words[i];
        if (w != ~(uint64_t)0) {
            uint64_t bit = 0;
            while ((w >> bit) & 1)
                bit++;
            return (int64_t)(i * 64 + bit);
        }
    }
    return -1;
}

int64_t c_bitmap_bench(uint64_t *words, size_t nwords, uint32_t reps)
{
    size_t nbits = nwords * 64;
    int64_t total = 0;
    for (uint32_t r = 0; r < reps; r++) {
        size_t pos = (size_t)r * STRIDE % nbits;
        words[pos >> 6] &= ~((uint64_t)1 << (pos & 63));
        total += find_first_zero(words, nwords);
        words[pos >> 6] |= (uint64_t)1 << (pos & 63);
    }
    return total;
}
