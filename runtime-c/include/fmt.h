/*
 * Number formatting into caller-supplied buffers (the kernel has no printf).
 *
 * The text is the number in `base` (2..16, lowercase digits), with a '-' sign for negative
 * fmt_i64 values, padded on the left with `pad` to at least `min_width` characters.  A pad of
 * '0' goes between the sign and the digits ("-0042"); any other pad goes before the sign
 * ("  -42").  No prefix such as "0x" is added.
 *
 * At most `cap` bytes of buf are touched: the first min(length, cap) characters of the text are
 * written, then a NUL if there is still room.  The return value is the number of characters
 * written, not counting the NUL, so a return value equal to `cap` means the text may have been
 * cut short.  A base outside 2..16 writes an empty string and returns 0.
 *
 * The longest unpadded text is 65 characters (a sign and 64 binary digits), so a buffer of
 * max(66, min_width + 1) bytes is never too small; 21 bytes suffice for base 10.
 */
#ifndef CYRIUS_FMT_H
#define CYRIUS_FMT_H

#include <stddef.h>
#include <stdint.h>

size_t fmt_u64(uint8_t *buf, size_t cap, uint64_t value, uint32_t base, uint32_t min_width,
               uint8_t pad);

size_t fmt_i64(uint8_t *buf, size_t cap, int64_t value, uint32_t base, uint32_t min_width,
               uint8_t pad);

#endif
