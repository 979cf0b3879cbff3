/* The hand-written C twins of the modules in bench/dialect/ (one entry point each, run `reps` times inside). */
#ifndef BENCH_TWINS_H
#define BENCH_TWINS_H
#include <stddef.h>
#include <stdint.h>

uint32_t c_crc32_bench(const uint8_t *data, size_t n, uint32_t reps);
uint16_t c_ipcsum_bench(const uint8_t *data, size_t n, uint32_t reps);
uint32_t c_copy_bench(uint8_t *a, uint8_t *b, size_t n, uint32_t reps);
int64_t c_bitmap_bench(uint64_t *words, size_t nwords, uint32_t reps);
int64_t c_fatchain_bench(const uint32_t *fat, uint32_t nclusters, uint32_t reps);
int64_t c_jsonscan_bench(const uint8_t *s, size_t n, uint32_t reps);

#endif
