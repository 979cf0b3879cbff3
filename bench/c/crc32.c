/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven: the C twin of
 * bench/dialect/crc32.py. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twins.h"

#define POLY 0xEDB88320u

static uint32_t table[256];
static bool ready;

static void init_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[i] = c;
    }
    ready = true;
}

static uint32_t update(uint32_t crc, const uint8_t *data, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

uint32_t c_crc32_bench(const uint8_t *data, size_t n, uint32_t reps)
{
    if (!ready)
        init_table();
    uint32_t crc = 0;
    for (uint32_t r = 0; r < reps; r++)
        crc = update(crc, data, n);
    return crc;
}
