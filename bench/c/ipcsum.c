/* The internet checksum (RFC 1071): the C twin of bench/dialect/ipcsum.py. */
#include <stddef.h>
#include <stdint.h>

#include "twins.h"

static uint16_t checksum(const uint8_t *data, size_t n, uint64_t initial)
{
    uint64_t total = initial;
    size_t i = 0;

    for (; i + 1 < n; i += 2)
        total += (uint64_t)data[i] << 8 | data[i + 1];
    if (i < n)
        total += (uint64_t)data[i] << 8;
    while (total >> 16)
        total = (total & 0xFFFF) + (total >> 16);
    return (uint16_t)~total;
}

uint16_t c_ipcsum_bench(const uint8_t *data, size_t n, uint32_t reps)
{
    uint16_t acc = 0;
    for (uint32_t r = 0; r < reps; r++)
        acc = checksum(data, n, acc);
    return acc;
}
