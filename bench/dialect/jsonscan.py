"""A JSON scan: count the tokens of a JSON text (strings with escapes, numbers, literals, punctuation)
and check that brackets balance, as a first pass over an OCI config.json. Twin: bench/c/jsonscan.c."""
from cyrius.lang import Final, Ptr, i64, u8, u32, usize

QUOTE: Final = 0x22
BACKSLASH: Final = 0x5C
MINUS: Final = 0x2D


def is_space(c: u8) -> bool:
    return c == 0x20 or c == 0x09 or c == 0x0A or c == 0x0D


def is_digit(c: u8) -> bool:
    return c >= 0x30 and c <= 0x39


def in_number(c: u8) -> bool:
    return is_digit(c) or c == 0x2E or c == 0x65 or c == 0x45 or c == 0x2B or c == MINUS


def is_lower(c: u8) -> bool:
    return c >= 0x61 and c <= 0x7A


def scan(s: Ptr[u8], n: usize) -> i64:
    """Number of tokens, or -1 at a byte no token starts with, a control byte inside a string, an
    unterminated string or unbalanced brackets."""
    tokens: i64 = 0
    depth: i64 = 0
    i: usize = 0
    while i < n:
        c: u8 = s[i]
        if is_space(c):
            i += 1
            continue
        tokens += 1
        if c == QUOTE:
            i += 1
            while i < n and s[i] != QUOTE:
                if s[i] == BACKSLASH:
                    i += 1
                elif s[i] < 0x20:
                    return -1
                i += 1
            if i >= n:
                return -1
            i += 1
        elif c == 0x7B or c == 0x5B:  # { [
            depth += 1
            i += 1
        elif c == 0x7D or c == 0x5D:  # } ]
            depth -= 1
            if depth < 0:
                return -1
            i += 1
        elif c == 0x3A or c == 0x2C:  # : ,
            i += 1
        elif c == MINUS or is_digit(c):
            i += 1
            while i < n and in_number(s[i]):
                i += 1
        elif is_lower(c):  # true, false, null
            while i < n and is_lower(s[i]):
                i += 1
        else:
            return -1
    if depth != 0:
        return -1
    return tokens


def bench(s: Ptr[u8], n: usize, reps: u32) -> i64:
    """reps scans; each result is folded into the next (acc * 31 + tokens)."""
    acc: i64 = 0
    for _ in range(reps):
        acc = acc * 31 + scan(s, n)
    return acc
