/*
 * Number formatting (see fmt.h for the exact contract).
 *
 * Digits are produced least significant first into a local array, then copied out in order
 * behind the padding; every byte stored into the caller's buffer goes through put(), which is
 * where the capacity is enforced.
 */
#include "fmt.h"

static const uint8_t digits[] = "0123456789abcdef";

// Sink for formatted text: stores while there is room, counts what it stored.
struct out {
    uint8_t *buf;
    size_t cap;
    size_t len;
};

static void
put(struct out *o, uint8_t c)
{
    if (o->len < o->cap)
        o->buf[o->len++] = c;
}

static size_t
format(uint8_t *buf, size_t cap, uint64_t magnitude, int negative, uint32_t base,
       uint32_t min_width, uint8_t pad)
{
    struct out o = { buf, cap, 0 };
    uint8_t rev[64];                 // 64 binary digits is the most a u64 needs
    uint32_t ndigits = 0;

    if (base >= 2 && base <= 16) {
        do {
            rev[ndigits++] = digits[magnitude % base];
            magnitude /= base;
        } while (magnitude != 0);

        uint32_t len = ndigits + (negative ? 1 : 0);
        uint32_t fill = min_width > len ? min_width - len : 0;

        if (pad == '0' && negative)
            put(&o, '-');
        // Stop padding once the buffer is full: min_width may be far larger than cap.
        for (uint32_t i = 0; i < fill && o.len < o.cap; i++)
            put(&o, pad);
        if (pad != '0' && negative)
            put(&o, '-');
        while (ndigits > 0)
            put(&o, rev[--ndigits]);
    }
    if (o.len < o.cap)
        o.buf[o.len] = 0;
    return o.len;
}

size_t
fmt_u64(uint8_t *buf, size_t cap, uint64_t value, uint32_t base, uint32_t min_width,
        uint8_t pad)
{
    return format(buf, cap, value, 0, base, min_width, pad);
}

size_t
fmt_i64(uint8_t *buf, size_t cap, int64_t value, uint32_t base, uint32_t min_width,
        uint8_t pad)
{
    // Negate in unsigned arithmetic: -INT64_MIN does not fit in an int64_t.
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;

    return format(buf, cap, magnitude, value < 0, base, min_width, pad);
}
