/* A JSON token scan with bracket balance: the C twin of bench/dialect/jsonscan.py. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twins.h"

static inline bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static inline bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static inline bool is_lower(uint8_t c) { return c >= 'a' && c <= 'z'; }
static inline bool in_number(uint8_t c)
{
    return is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

static int64_t scan(const uint8_t *s, size_t n)
{
    int64_t tokens = 0, depth = 0;
    size_t i = 0;

    while (i < n) {
        uint8_t c = s[i];
        if (is_space(c)) {
            i++;
            continue;
        }
        tokens++;
        if (c == '"') {
            i++;
            while (i < n && s[i] != '"') {
                if (s[i] == '\\')
                    i++;
                else if (s[i] < 0x20)
                    return -1;
                i++;
            }
            if (i >= n)
                return -1;
            i++;
        } else if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            if (--depth < 0)
                return -1;
            i++;
        } else if (c == ':' || c == ',') {
            i++;
        } else if (c == '-' || is_digit(c)) {
            i++;
            while (i < n && in_number(s[i]))
                i++;
        } else if (is_lower(c)) {
            while (i < n && is_lower(s[i]))
                i++;
        } else {
            return -1;
        }
    }
    return depth != 0 ? -1 : tokens;
}

int64_t c_jsonscan_bench(const uint8_t *s, size_t n, uint32_t reps)
{
    int64_t acc = 0;
    for (uint32_t r = 0; r < reps; r++)
        acc = (int64_t)((uint64_t)acc * 31 + (uint64_t)scan(s, n));  /* wraps, like the dialect's i64 */
    return acc;
}
