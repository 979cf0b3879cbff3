/* A FAT32 cluster-chain walk: the C twin of bench/dialect/fatchain.py. */
#include <stdint.h>

#include "twins.h"

#define FAT_MASK 0x0FFFFFFFu
#define FAT_EOC_MIN 0x0FFFFFF8u

static int64_t chain_length(const uint32_t *fat, uint32_t nclusters, uint32_t start)
{
    int64_t count = 0;
    uint32_t c = start;

    while (c < FAT_EOC_MIN) {
        if (c < 2 || c >= nclusters)
            return -1;
        if (++count > (int64_t)nclusters)
            return -1;
        c = fat[c] & FAT_MASK;
    }
    return count;
}

int64_t c_fatchain_bench(const uint32_t *fat, uint32_t nclusters, uint32_t reps)
{
    int64_t total = 0;
    for (uint32_t r = 0; r < reps; r++)
        total += chain_length(fat, nclusters, 2 + r % (nclusters - 2));
    return total;
}
