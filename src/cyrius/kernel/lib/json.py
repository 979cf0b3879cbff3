"""Strict JSON (RFC 8259) over a byte buffer: a validating tokenizer and readers for its values.

parse() checks a whole document and lays it out, jsmn-style, as a flat array of JsonToken in
document order, in memory the caller provides; count_tokens() says how many tokens that takes.
Nothing is allocated and nothing is copied: tokens are offsets into the text, and the readers
(get_string, get_i64, get_u64, get_bool, find_member, element) decode a value when asked.

Layout: a container's children follow it; `next` is the index just past a value and everything
in it, so siblings are walked with `i = tokens[i].next`. An object's children are its members,
each a key (a JSON_STRING token) followed by the value: the value of the key at `k` is `k + 1`,
and the next key is `tokens[k + 1].next`. `size` is an object's member count or an array's
element count. A string token spans its raw text between the quotes (escapes undecoded).

Strictness: exactly one value (any kind, as RFC 8259 allows) with only space, tab, CR and LF
around it. Rejected, each with its own message: trailing commas, comments, single quotes,
leading zeros, "1." and ".5", NaN and Infinity, unescaped control characters (below 0x20) in
strings, escapes other than \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX, a \\u escape of an unpaired
UTF-16 surrogate, invalid UTF-8 anywhere (overlong forms, encoded surrogates, beyond U+10FFFF;
a byte-order mark is not skipped either), anything after the value, the same key twice in one
object (compared after decoding escapes), and nesting deeper than MAX_DEPTH.

A rejected document makes parse() return -EINVAL (-ENOMEM when the token array is too small,
-EFBIG beyond MAX_LENGTH bytes) and fill a JsonError: a JE_* code (error_message() gives its
text), the byte offset, and the 1-based line and column there. Lines end at LF; columns count
characters, a UTF-8 sequence being one.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, i64, struct, u8, u32, u64, usize

from .. import errno

# Token kinds.
JSON_OBJECT: Final = 1
JSON_ARRAY: Final = 2
JSON_STRING: Final = 3
JSON_NUMBER: Final = 4
JSON_TRUE: Final = 5
JSON_FALSE: Final = 6
JSON_NULL: Final = 7

MAX_DEPTH: Final = 64  # containers inside containers
MAX_LENGTH: Final = 0x7FFFFFFF  # bytes of text: offsets are u32

# What went wrong (JsonError.code); error_message() says it in words.
JE_NONE: Final = 0
JE_END: Final = 1
JE_VALUE: Final = 2
JE_TRAILING_COMMA: Final = 3
JE_COMMENT: Final = 4
JE_QUOTE: Final = 5
JE_KEY: Final = 6
JE_COLON: Final = 7
JE_ARRAY_SEP: Final = 8
JE_OBJECT_SEP: Final = 9
JE_GARBAGE: Final = 10
JE_LEADING_ZERO: Final = 11
JE_DIGIT: Final = 12
JE_LITERAL: Final = 13
JE_CONTROL: Final = 14
JE_ESCAPE: Final = 15
JE_HEX: Final = 16
JE_SURROGATE: Final = 17
JE_UTF8: Final = 18
JE_UNTERMINATED: Final = 19
JE_DEPTH: Final = 20
JE_DUPLICATE: Final = 21
JE_TOO_MANY: Final = 22
JE_TOO_LONG: Final = 23

# Parser states: what may come next.
ST_VALUE: Final = 1  # a value (at the top, after ':', or after ',' in an array)
ST_ELEMENT_OR_END: Final = 2  # just after '['
ST_KEY: Final = 3  # after ',' in an object
ST_KEY_OR_END: Final = 4  # just after '{'
ST_COLON: Final = 5  # after a key
ST_AFTER_VALUE: Final = 6  # ',' or the end of the container (or of the document)

I64_MAX: Final = 0x7FFFFFFFFFFFFFFF
U64_MAX: Final = 0xFFFFFFFFFFFFFFFF

QUOTE: Final = 0x22
BACKSLASH: Final = 0x5C


@struct
class JsonToken:
    kind: u32  # JSON_*
    start: u32  # first byte; for a string the one after the opening quote
    end: u32  # one past the last byte; for a string its closing quote
    size: u32  # members of an object, elements of an array; 0 otherwise
    next: u32  # index of the token after this value and everything inside it


@struct
class JsonError:
    code: u32  # JE_*; JE_NONE after a successful parse
    offset: u32  # byte offset of the problem
    line: u32  # 1-based
    column: u32  # 1-based, in characters


def error_message(code: u32) -> Ptr[u8]:
    if code == JE_END:
        return b"unexpected end of input"
    if code == JE_VALUE:
        return b"expected a value"
    if code == JE_TRAILING_COMMA:
        return b"trailing comma"
    if code == JE_COMMENT:
        return b"comments are not allowed"
    if code == JE_QUOTE:
        return b"strings take double quotes"
    if code == JE_KEY:
        return b"expected a string key"
    if code == JE_COLON:
        return b"expected ':' after the key"
    if code == JE_ARRAY_SEP:
        return b"expected ',' or ']'"
    if code == JE_OBJECT_SEP:
        return b"expected ',' or '}'"
    if code == JE_GARBAGE:
        return b"unexpected text after the value"
    if code == JE_LEADING_ZERO:
        return b"leading zeros are not allowed"
    if code == JE_DIGIT:
        return b"expected a digit"
    if code == JE_LITERAL:
        return b"invalid literal (true, false or null)"
    if code == JE_CONTROL:
        return b"control character in a string"
    if code == JE_ESCAPE:
        return b"invalid escape in a string"
    if code == JE_HEX:
        return b"\\u needs four hex digits"
    if code == JE_SURROGATE:
        return b"unpaired surrogate in a \\u escape"
    if code == JE_UTF8:
        return b"invalid UTF-8"
    if code == JE_UNTERMINATED:
        return b"unterminated string"
    if code == JE_DEPTH:
        return b"nested more than 64 deep"
    if code == JE_DUPLICATE:
        return b"duplicate key"
    if code == JE_TOO_MANY:
        return b"more values than tokens"
    if code == JE_TOO_LONG:
        return b"document too large"
    return b"no error"


# ---------------------------------------------------------------- characters

def is_space(c: u8) -> bool:
    return c == ord(" ") or c == ord("\t") or c == ord("\n") or c == ord("\r")


def is_digit(c: u8) -> bool:
    return c >= ord("0") and c <= ord("9")


def hex_value(c: u8) -> u32:
    """The value of a hex digit, or 16 if c is not one."""
    if c >= ord("0") and c <= ord("9"):
        return u32(c - 0x30)
    if c >= ord("a") and c <= ord("f"):
        return u32(c - 0x61) + 10
    if c >= ord("A") and c <= ord("F"):
        return u32(c - 0x41) + 10
    return 16


def hex4(text: Ptr[u8], pos: u32, n: u32) -> u32:
    """The four hex digits at text[pos], or 0x10000 if there are not four."""
    if n < 4 or pos > n - 4:
        return 0x10000
    v: u32 = 0
    for i in range(u32(4)):
        d: u32 = hex_value(text[pos + i])
        if d == 16:
            return 0x10000
        v = v * 16 + d
    return v


def utf8_length(text: Ptr[u8], pos: u32, n: u32) -> u32:
    """Bytes in the well-formed UTF-8 sequence at text[pos] (RFC 3629: no overlong forms, no
    surrogates, nothing beyond U+10FFFF), or 0 if it is not one."""
    c: u8 = text[pos]
    if c < 0x80:
        return 1
    need: u32 = 0
    lo: u8 = 0x80
    hi: u8 = 0xBF
    if c < 0xC2:
        return 0
    if c < 0xE0:
        need = 1
    elif c < 0xF0:
        need = 2
        if c == 0xE0:
            lo = 0xA0
        if c == 0xED:
            hi = 0x9F
    elif c < 0xF5:
        need = 3
        if c == 0xF0:
            lo = 0x90
        if c == 0xF4:
            hi = 0x8F
    else:
        return 0
    if n - pos <= need:
        return 0
    if text[pos + 1] < lo or text[pos + 1] > hi:
        return 0
    for i in range(u32(2), need + 1):
        if text[pos + i] < 0x80 or text[pos + i] > 0xBF:
            return 0
    return need + 1


# ---------------------------------------------------------------- errors

def locate(text: Ptr[u8], offset: u32, err: Ptr[JsonError]) -> None:
    """Line and column of text[offset]."""
    line: u32 = 1
    column: u32 = 1
    for i in range(offset):
        c: u8 = text[i]
        if c == ord("\n"):
            line += 1
            column = 1
        elif c < 0x80 or c >= 0xC0:  # not a UTF-8 continuation byte
            column += 1
    err.line = line
    err.column = column


def mark(err: Ptr[JsonError], code: u32, offset: u32) -> i64:
    """Record the problem (the caller locates it); -1 for the scanners to return."""
    err.code = code
    err.offset = offset
    return -1


def unexpected(c: u8, otherwise: u32) -> u32:
    """A clearer JE_* than `otherwise` for characters people write by mistake."""
    if c == ord("/"):
        return JE_COMMENT
    if c == ord("'"):
        return JE_QUOTE
    return otherwise


# ---------------------------------------------------------------- scanners
# Each returns the offset just past what it scanned, or -1 having marked the problem in err.

def scan_string(text: Ptr[u8], pos: u32, n: u32, err: Ptr[JsonError]) -> i64:
    """The string whose opening quote is at text[pos]."""
    p: u32 = pos + 1
    while p < n:
        c: u8 = text[p]
        if c == QUOTE:
            return i64(p + 1)
        if c < ord(" "):
            return mark(err, JE_CONTROL, p)
        if c == BACKSLASH:
            if p + 1 >= n:
                return mark(err, JE_UNTERMINATED, pos)
            e: u8 = text[p + 1]
            if e == 0x75:  # u
                unit: u32 = hex4(text, p + 2, n)
                if unit == 0x10000:
                    return mark(err, JE_HEX, p)
                if unit >= 0xDC00 and unit <= 0xDFFF:
                    return mark(err, JE_SURROGATE, p)
                if unit >= 0xD800 and unit <= 0xDBFF:
                    if p + 7 >= n or text[p + 6] != BACKSLASH or text[p + 7] != ord("u"):
                        return mark(err, JE_SURROGATE, p)
                    low: u32 = hex4(text, p + 8, n)
                    if low == 0x10000:
                        return mark(err, JE_HEX, p + 6)
                    if low < 0xDC00 or low > 0xDFFF:
                        return mark(err, JE_SURROGATE, p)
                    p += 12
                else:
                    p += 6
            elif (e == QUOTE or e == BACKSLASH or e == 0x2F or e == 0x62 or e == 0x66 or e == 0x6E
                  or e == 0x72 or e == 0x74):
                p += 2
            else:
                return mark(err, JE_ESCAPE, p)
        elif c < 0x80:
            p += 1
        else:
            k: u32 = utf8_length(text, p, n)
            if k == 0:
                return mark(err, JE_UTF8, p)
            p += k
    return mark(err, JE_UNTERMINATED, pos)


def scan_digits(text: Ptr[u8], p: u32, n: u32, err: Ptr[JsonError]) -> i64:
    """One or more digits at text[p]."""
    if p >= n or not is_digit(text[p]):
        return mark(err, JE_DIGIT, p)
    while p < n and is_digit(text[p]):
        p += 1
    return i64(p)


def scan_number(text: Ptr[u8], pos: u32, n: u32, err: Ptr[JsonError]) -> i64:
    """-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?"""
    p: u32 = pos
    if text[p] == ord("-"):
        p += 1
    if p < n and text[p] == ord("0"):
        if p + 1 < n and is_digit(text[p + 1]):
            return mark(err, JE_LEADING_ZERO, p)
        p += 1
    else:
        r: i64 = scan_digits(text, p, n, err)
        if r < 0:
            return r
        p = u32(r)
    if p < n and text[p] == ord("."):
        r2: i64 = scan_digits(text, p + 1, n, err)
        if r2 < 0:
            return r2
        p = u32(r2)
    if p < n and (text[p] == ord("e") or text[p] == ord("E")):
        p += 1
        if p < n and (text[p] == ord("+") or text[p] == ord("-")):
            p += 1
        r3: i64 = scan_digits(text, p, n, err)
        if r3 < 0:
            return r3
        p = u32(r3)
    return i64(p)


def scan_word(text: Ptr[u8], pos: u32, n: u32, word: Ptr[u8], length: u32, err: Ptr[JsonError]) -> i64:
    """The literal `word` at text[pos]."""
    if n - pos < length:
        return mark(err, JE_LITERAL, pos)
    for i in range(length):
        if text[pos + i] != word[i]:
            return mark(err, JE_LITERAL, pos)
    return i64(pos + length)


def skip_space(text: Ptr[u8], pos: u32, n: u32) -> u32:
    while pos < n and is_space(text[pos]):
        pos += 1
    return pos


# ---------------------------------------------------------------- the parser

def parse(text: Ptr[u8], length: usize, tokens: Ptr[JsonToken], cap: u32, err: Ptr[JsonError]) -> i64:
    """Check the `length`-byte document at `text` and fill tokens[0..count) (at most `cap`).
    The number of tokens, or -errno with err filled in. With tokens NULL, only counts them (and
    cannot check for duplicate keys: they need the tokens)."""
    err.code = JE_NONE
    err.offset = 0
    err.line = 0
    err.column = 0
    if length > MAX_LENGTH:
        err.code = JE_TOO_LONG
        err.line = 1
        err.column = 1
        return -errno.EFBIG
    n: u32 = u32(length)
    stack: Array[u32, MAX_DEPTH] = Array[u32, MAX_DEPTH]()  # the open containers' tokens
    in_array: Array[bool, MAX_DEPTH] = Array[bool, MAX_DEPTH]()
    depth: u32 = 0
    count: u32 = 0
    state: u32 = ST_VALUE
    pos: u32 = 0
    result: i64 = 0
    while True:
        pos = skip_space(text, pos, n)
        if pos == n:
            if state == ST_AFTER_VALUE and depth == 0:
                break
            result = mark(err, JE_END, pos)
            break
        c: u8 = text[pos]
        if state == ST_AFTER_VALUE:
            if depth == 0:
                result = mark(err, unexpected(c, JE_GARBAGE), pos)
                break
            top: u32 = depth - 1
            if c == ord(","):
                state = ST_VALUE if in_array[top] else ST_KEY
                pos += 1
                continue
            if (in_array[top] and c == ord("]")) or (not in_array[top] and c == ord("}")):
                if tokens != NULL:
                    tokens[stack[top]].end = pos + 1
                    tokens[stack[top]].next = count
                depth -= 1
                pos += 1
                continue
            result = mark(err, unexpected(c, JE_ARRAY_SEP if in_array[top] else JE_OBJECT_SEP), pos)
            break
        if state == ST_COLON:
            if c != ord(":"):
                result = mark(err, JE_COLON, pos)
                break
            state = ST_VALUE
            pos += 1
            continue
        if (state == ST_ELEMENT_OR_END and c == ord("]")) or (state == ST_KEY_OR_END and c == ord("}")):
            if tokens != NULL:
                tokens[stack[depth - 1]].end = pos + 1
                tokens[stack[depth - 1]].next = count
            depth -= 1
            pos += 1
            state = ST_AFTER_VALUE
            continue
        if ((state == ST_VALUE and c == ord("]") and depth > 0 and in_array[depth - 1])
                or (state == ST_KEY and c == ord("}"))):
            result = mark(err, JE_TRAILING_COMMA, pos)
            break
        # A key or a value: it takes a token.
        if tokens != NULL and count >= cap:
            result = mark(err, JE_TOO_MANY, pos)
            break
        index: u32 = count
        count += 1
        end: i64 = 0
        kind: u32 = 0
        if state == ST_KEY or state == ST_KEY_OR_END:
            if c != QUOTE:
                result = mark(err, unexpected(c, JE_KEY), pos)
                break
            end = scan_string(text, pos, n, err)
            if end < 0:
                result = end
                break
            if tokens != NULL:
                t: Ptr[JsonToken] = tokens + index
                t.kind = JSON_STRING
                t.start = pos + 1
                t.end = u32(end) - 1
                t.size = 0
                t.next = index + 1
                owner: u32 = stack[depth - 1]
                if has_key(text, tokens, owner, index):
                    result = mark(err, JE_DUPLICATE, pos)
                    break
                tokens[owner].size += 1
            pos = u32(end)
            state = ST_COLON
            continue
        if tokens != NULL and depth > 0 and in_array[depth - 1]:
            tokens[stack[depth - 1]].size += 1
        if c == ord("{") or c == ord("["):
            if depth == MAX_DEPTH:
                result = mark(err, JE_DEPTH, pos)
                break
            if tokens != NULL:
                t2: Ptr[JsonToken] = tokens + index
                t2.kind = JSON_ARRAY if c == ord("[") else JSON_OBJECT
                t2.start = pos
                t2.size = 0
            stack[depth] = index
            in_array[depth] = c == ord("[")
            depth += 1
            state = ST_ELEMENT_OR_END if c == ord("[") else ST_KEY_OR_END
            pos += 1
            continue
        if c == QUOTE:
            kind = JSON_STRING
            end = scan_string(text, pos, n, err)
        elif c == ord("-") or is_digit(c):
            kind = JSON_NUMBER
            end = scan_number(text, pos, n, err)
        elif c == ord("t"):
            kind = JSON_TRUE
            end = scan_word(text, pos, n, b"true", u32(4), err)
        elif c == ord("f"):
            kind = JSON_FALSE
            end = scan_word(text, pos, n, b"false", u32(5), err)
        elif c == ord("n"):
            kind = JSON_NULL
            end = scan_word(text, pos, n, b"null", u32(4), err)
        else:
            result = mark(err, unexpected(c, JE_VALUE), pos)
            break
        if end < 0:
            result = end
            break
        if tokens != NULL:
            t3: Ptr[JsonToken] = tokens + index
            t3.kind = kind
            t3.start = pos + 1 if kind == JSON_STRING else pos
            t3.end = u32(end) - 1 if kind == JSON_STRING else u32(end)
            t3.size = 0
            t3.next = index + 1
        pos = u32(end)
        state = ST_AFTER_VALUE
    if result < 0:
        locate(text, err.offset, err)
        if err.code == JE_TOO_MANY:
            return -errno.ENOMEM
        return -errno.EINVAL
    return i64(count)


def count_tokens(text: Ptr[u8], length: usize, err: Ptr[JsonError]) -> i64:
    """How many tokens parse() needs for the document, or -errno as parse() reports it."""
    return parse(text, length, NULL, 0, err)


# ---------------------------------------------------------------- strings

def char_at(text: Ptr[u8], pos: u32, cp: Ptr[u32]) -> u32:
    """Decode the character at text[pos] inside a string parse() accepted: cp[0] is its code
    point; returns how many bytes of text it takes (a UTF-8 sequence or an escape)."""
    c: u8 = text[pos]
    if c == BACKSLASH:
        e: u8 = text[pos + 1]
        if e == 0x75:
            unit: u32 = hex4(text, pos + 2, pos + 6)
            if unit >= 0xD800 and unit <= 0xDBFF:
                low: u32 = hex4(text, pos + 8, pos + 12)
                cp[0] = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                return 12
            cp[0] = unit
            return 6
        v: u32 = u32(e)  # \" \\ \/
        if e == 0x62:
            v = 0x08
        elif e == 0x66:
            v = 0x0C
        elif e == 0x6E:
            v = 0x0A
        elif e == 0x72:
            v = 0x0D
        elif e == 0x74:
            v = 0x09
        cp[0] = v
        return 2
    if c < 0x80:
        cp[0] = u32(c)
        return 1
    if c < 0xE0:
        cp[0] = (u32(c & 0x1F) << 6) | u32(text[pos + 1] & 0x3F)
        return 2
    if c < 0xF0:
        cp[0] = (u32(c & 0x0F) << 12) | (u32(text[pos + 1] & 0x3F) << 6) | u32(text[pos + 2] & 0x3F)
        return 3
    cp[0] = ((u32(c & 0x07) << 18) | (u32(text[pos + 1] & 0x3F) << 12) | (u32(text[pos + 2] & 0x3F) << 6)
             | u32(text[pos + 3] & 0x3F))
    return 4


def utf8_encode(cp: u32, out: Ptr[u8]) -> u32:
    """Write code point cp as UTF-8; the number of bytes (1 to 4)."""
    if cp < 0x80:
        out[0] = u8(cp)
        return 1
    if cp < 0x800:
        out[0] = u8(0xC0 | (cp >> 6))
        out[1] = u8(0x80 | (cp & 0x3F))
        return 2
    if cp < 0x10000:
        out[0] = u8(0xE0 | (cp >> 12))
        out[1] = u8(0x80 | ((cp >> 6) & 0x3F))
        out[2] = u8(0x80 | (cp & 0x3F))
        return 3
    out[0] = u8(0xF0 | (cp >> 18))
    out[1] = u8(0x80 | ((cp >> 12) & 0x3F))
    out[2] = u8(0x80 | ((cp >> 6) & 0x3F))
    out[3] = u8(0x80 | (cp & 0x3F))
    return 4


def raw_equal(text: Ptr[u8], a: Ptr[JsonToken], b: Ptr[JsonToken]) -> bool:
    if a.end - a.start != b.end - b.start:
        return False
    for i in range(a.end - a.start):
        if text[a.start + i] != text[b.start + i]:
            return False
    return True


def strings_equal(text: Ptr[u8], a: Ptr[JsonToken], b: Ptr[JsonToken]) -> bool:
    """Whether two string tokens hold the same characters once escapes are decoded."""
    if raw_equal(text, a, b):
        return True
    cpa: Array[u32, 1] = Array[u32, 1]()
    cpb: Array[u32, 1] = Array[u32, 1]()
    p: u32 = a.start
    q: u32 = b.start
    while p < a.end and q < b.end:
        p += char_at(text, p, addr(cpa))
        q += char_at(text, q, addr(cpb))
        if cpa[0] != cpb[0]:
            return False
    return p == a.end and q == b.end


def has_key(text: Ptr[u8], tokens: Ptr[JsonToken], obj: u32, key: u32) -> bool:
    """Whether an earlier member of the object at tokens[obj] has the key at tokens[key]."""
    k: u32 = obj + 1
    for _ in range(tokens[obj].size):
        if strings_equal(text, tokens + k, tokens + key):
            return True
        k = tokens[k + 1].next
    return False


def string_is(text: Ptr[u8], tokens: Ptr[JsonToken], index: u32, word: Ptr[u8], length: usize) -> bool:
    """Whether tokens[index] is a string whose decoded bytes are word[0..length)."""
    t: Ptr[JsonToken] = tokens + index
    if t.kind != JSON_STRING:
        return False
    cp: Array[u32, 1] = Array[u32, 1]()
    utf8: Array[u8, 4] = Array[u8, 4]()
    p: u32 = t.start
    w: usize = 0
    while p < t.end:
        p += char_at(text, p, addr(cp))
        k: usize = usize(utf8_encode(cp[0], addr(utf8)))
        if w + k > length:
            return False
        for i in range(k):
            if word[w + i] != utf8[i]:
                return False
        w += k
    return w == length


def string_length(text: Ptr[u8], tokens: Ptr[JsonToken], index: u32) -> i64:
    """Bytes of the decoded string at tokens[index] (UTF-8, without a NUL), or -EINVAL if it
    is not a string."""
    t: Ptr[JsonToken] = tokens + index
    if t.kind != JSON_STRING:
        return -errno.EINVAL
    cp: Array[u32, 1] = Array[u32, 1]()
    utf8: Array[u8, 4] = Array[u8, 4]()
    p: u32 = t.start
    total: i64 = 0
    while p < t.end:
        p += char_at(text, p, addr(cp))
        total += i64(utf8_encode(cp[0], addr(utf8)))
    return total


def get_string(text: Ptr[u8], tokens: Ptr[JsonToken], index: u32, buf: Ptr[u8], cap: usize) -> i64:
    """Decode the string at tokens[index] into buf as UTF-8 and a NUL. Its length (which may
    count NUL characters from \\u0000), -EINVAL if it is not a string, or -E2BIG if the text and
    the NUL do not fit in `cap` bytes (buf then holds as much as fits, NUL-terminated)."""
    t: Ptr[JsonToken] = tokens + index
    if t.kind != JSON_STRING:
        return -errno.EINVAL
    if cap == 0:
        return -errno.E2BIG
    cp: Array[u32, 1] = Array[u32, 1]()
    utf8: Array[u8, 4] = Array[u8, 4]()
    p: u32 = t.start
    w: usize = 0
    while p < t.end:
        p += char_at(text, p, addr(cp))
        k: usize = usize(utf8_encode(cp[0], addr(utf8)))
        if w + k + 1 > cap:
            buf[w] = 0
            return -errno.E2BIG
        for i in range(k):
            buf[w + i] = utf8[i]
        w += k
    buf[w] = 0
    return i64(w)


# ---------------------------------------------------------------- numbers and literals

def read_integer(text: Ptr[u8], tokens: Ptr[JsonToken], index: u32, negative: Ptr[bool], out: Ptr[u64]) -> i64:
    """The magnitude of the integer at tokens[index]: -EINVAL unless it is a number without a
    fraction or exponent, -ERANGE beyond 64 bits."""
    t: Ptr[JsonToken] = tokens + index
    if t.kind != JSON_NUMBER:
        return -errno.EINVAL
    p: u32 = t.start
    negative[0] = text[p] == ord("-")
    if negative[0]:
        p += 1
    value: u64 = 0
    too_big: bool = False
    while p < t.end and is_digit(text[p]):
        digit: u64 = u64(text[p] - 0x30)
        if value > (U64_MAX - digit) // 10:
            too_big = True
        value = value * 10 + digit
        p += 1
    if p != t.end:
        return -errno.EINVAL  # a fraction or an exponent
    if too_big:
        return -errno.ERANGE
    out[0] = value
    return 0


def get_u64(text: Ptr[u8], tokens: Ptr[JsonToken], index: u32, out: Ptr[u64]) -> i64:
    """The integer at tokens[index] as a u64 (0 on success): -EINVAL if it is not an integer
    (fractions and exponents are not), -ERANGE if negative or above 2^64 - 1 ("-0" is 0)."""
    negative: Array[bool, 1] = Array[bool, 1]()
    magnitude: Array[u64, 1] = Array[u64, 1]()
    r: i64 = read_integer(text, tokens, index, addr(negative), addr(magnitude))
    if r < 0:
        return r
    if negative[0] and magnitude[0] != 0:
        return -errno.ERANGE
    out[0] = magnitude[0]
    return 0


def get_i64(text: Ptr[u8], tokens: Ptr[JsonToken], index: u32, out: Ptr[i64]) -> i64:
    """The integer at tokens[index] as an i64 (0 on success): -EINVAL if it is not an integer,
    -ERANGE outside -2^63 .. 2^63 - 1."""
    negative: Array[bool, 1] = Array[bool, 1]()
    magnitude: Array[u64, 1] = Array[u64, 1]()
    r: i64 = read_integer(text, tokens, index, addr(negative), addr(magnitude))
    if r < 0:
        return r
    if negative[0]:
        if magnitude[0] > u64(I64_MAX) + 1:
            return -errno.ERANGE
        out[0] = -i64(magnitude[0])
    else:
        if magnitude[0] > I64_MAX:
            return -errno.ERANGE
        out[0] = i64(magnitude[0])
    return 0


def get_bool(tokens: Ptr[JsonToken], index: u32, out: Ptr[bool]) -> i64:
    """true or false at tokens[index] (0 on success), or -EINVAL for anything else."""
    kind: u32 = tokens[index].kind
    if kind != JSON_TRUE and kind != JSON_FALSE:
        return -errno.EINVAL
    out[0] = kind == JSON_TRUE
    return 0


# ---------------------------------------------------------------- navigation

def find_member(text: Ptr[u8], tokens: Ptr[JsonToken], obj: u32, key: Ptr[u8], length: usize) -> i64:
    """Index of the value whose key is key[0..length) in the object at tokens[obj]; -ENOENT if
    it has no such member, -EINVAL if it is not an object."""
    if tokens[obj].kind != JSON_OBJECT:
        return -errno.EINVAL
    k: u32 = obj + 1
    for _ in range(tokens[obj].size):
        if string_is(text, tokens, k, key, length):
            return i64(k + 1)
        k = tokens[k + 1].next
    return -errno.ENOENT


def element(tokens: Ptr[JsonToken], arr: u32, position: u32) -> i64:
    """Index of element `position` of the array at tokens[arr]; -ENOENT past its end, -EINVAL if
    it is not an array."""
    if tokens[arr].kind != JSON_ARRAY:
        return -errno.EINVAL
    if position >= tokens[arr].size:
        return -errno.ENOENT
    e: u32 = arr + 1
    for _ in range(position):
        e = tokens[e].next
    return i64(e)


def next_member(tokens: Ptr[JsonToken], key: u32) -> u32:
    """The key after the member whose key is at tokens[key] (its value is at key + 1)."""
    return tokens[key + 1].next
