"""Differential tests: every function of the corpus runs under CPython (host mode) and compiled for
the host on hypothesis-generated inputs; results and final buffer contents must be identical.
Where a reference exists (zlib, Python's own integers) the result is checked against it too.

Every test runs `EXAMPLES` generated cases or more; conftest.py fails the run if the whole suite
compared fewer than 200.
"""
import math
import struct as pystruct
import zlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import Buf, Twin

EXAMPLES = 25


def cases(n: int = EXAMPLES):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def twin_fixture(module):
    @pytest.fixture(scope="module")
    def fixture(corpus_lib):
        return Twin(corpus_lib, f"corpus.{module}")
    return fixture


checksum = twin_fixture("checksum")
bitmap = twin_fixture("bitmap")
ring = twin_fixture("ring")
net = twin_fixture("net")
fat = twin_fixture("fat")
text = twin_fixture("text")
intedge = twin_fixture("intedge")


def ints(bits: int, signed: bool = False):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    edges = [lo, lo + 1, -1, 0, 1, hi - 1, hi] if signed else [0, 1, 2, hi - 1, hi, hi >> 1, (hi >> 1) + 1]
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


U8, U16, U32, U64 = ints(8), ints(16), ints(32), ints(64)
I32, I64 = ints(32, True), ints(64, True)
data = st.binary(max_size=80)
cstring = st.binary(max_size=40).map(lambda b: b.replace(b"\0", b"") + b"\0")


# ---------------------------------------------------------------- checksums

@cases()
@given(data)
def test_inet_checksum(checksum, b):
    result = checksum.check("inet_checksum", Buf(b), len(b))
    padded = b + b"\0" * (len(b) % 2)
    total = sum(pystruct.unpack(f">{len(padded) // 2}H", padded))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    assert result == ~total & 0xFFFF


@cases()
@given(data)
def test_crc32_bitwise(checksum, b):
    assert checksum.check("crc32_bitwise", Buf(b), len(b)) == zlib.crc32(b)


@cases()
@given(data, data)
def test_crc32_table_continues(checksum, a, b):
    first = checksum.check("crc32_update", 0, Buf(a), len(a))
    assert checksum.check("crc32_update", first, Buf(b), len(b)) == zlib.crc32(a + b)


@cases()
@given(data)
@example(b"123456789")
def test_crc16_ccitt(checksum, b):
    result = checksum.check("crc16_ccitt", Buf(b), len(b))
    if b == b"123456789":
        assert result == 0x29B1


@cases()
@given(st.one_of(data, st.binary(min_size=1000, max_size=2000)))
def test_adler32(checksum, b):
    assert checksum.check("adler32", Buf(b), len(b)) == zlib.adler32(b)


@cases()
@given(data)
def test_fnv1a32(checksum, b):
    h = 0x811C9DC5
    for byte in b:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    assert checksum.check("fnv1a32", Buf(b), len(b)) == h


@cases()
@given(cstring)
def test_fnv1a64(checksum, s):
    checksum.check("fnv1a64", Buf(s))


# ---------------------------------------------------------------- bitmaps

bitmaps = st.binary(min_size=1, max_size=32)


@cases()
@given(bitmaps, st.lists(st.tuples(st.sampled_from(["set_bit", "clear_bit", "test_bit"]), st.integers(0, 255)),
                         max_size=12))
def test_bit_operations(bitmap, bm, ops):
    for op, i in ops:
        bitmap.check(op, Buf(bm), i % (8 * len(bm)))


@cases()
@given(bitmaps, st.integers(0, 255), st.integers(0, 64))
def test_toggle_bits(bitmap, bm, start, count):
    nbits = 8 * len(bm)
    start %= nbits
    count = min(count, nbits - start)
    bitmap.check("toggle_bits", Buf(bm), start, count)


full_ish = st.lists(st.sampled_from([0xFF, 0xFF, 0xFF, 0x7F, 0xFE, 0xEF, 0x00]), min_size=1, max_size=24).map(bytes)


@cases()
@given(st.one_of(bitmaps, full_ish), st.integers(0, 300))
def test_find_first_zero(bitmap, bm, nbits):
    nbits = min(nbits, 8 * len(bm))
    expected = next((i for i in range(nbits) if not bm[i // 8] >> (i % 8) & 1), -1)
    assert bitmap.check("find_first_zero", Buf(bm), nbits) == expected


@cases()
@given(st.one_of(bitmaps, full_ish.map(lambda b: bytes(x ^ 0xFF for x in b))), st.integers(0, 300))
def test_find_first_set(bitmap, bm, nbits):
    bitmap.check("find_first_set", Buf(bm), min(nbits, 8 * len(bm)))


@cases()
@given(st.one_of(bitmaps, full_ish), st.integers(0, 20))
def test_find_zero_run_and_allocate(bitmap, bm, run):
    bitmap.check("find_zero_run", Buf(bm), 8 * len(bm), run)
    bitmap.check("allocate_run", Buf(bm), 8 * len(bm), run)


@cases()
@given(bitmaps)
def test_count_set(bitmap, bm):
    assert bitmap.check("count_set", Buf(bm), len(bm)) == sum(bin(x).count("1") for x in bm)


@cases()
@given(U64)
def test_popcount64(bitmap, x):
    assert bitmap.check("popcount64", x) == bin(x).count("1")


# ---------------------------------------------------------------- ring buffer

@cases(40)
@given(st.binary(max_size=120), st.one_of(st.just(0), st.integers(0, (1 << 32) - 1),
                                          st.integers((1 << 32) - 40, (1 << 32) - 1)))
def test_ring_simulation(ring, script, start):
    ring.check("simulate", Buf(script), len(script), Buf(b"", 256), start)


@cases()
@given(st.integers(0, 16), st.integers(0, (1 << 32) - 1), st.binary(max_size=24))
def test_ring_push_many(ring, filled, start, src):
    r = pystruct.pack("<III", (start + filled) & 0xFFFFFFFF, start, 0) + bytes(range(16))
    ring.check("push_many", Buf(r), Buf(src), len(src))


# ---------------------------------------------------------------- network headers

def ipv4_checksum(header: bytes) -> int:
    total = sum(pystruct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src, dst, sport, dport, payload, ident=1, ttl=64, flags=0x4000, proto=17):
    ip = bytearray(pystruct.pack("!BBHHHBBHII", 0x45, 0, 28 + len(payload), ident, flags, ttl, proto, 0, src, dst))
    ip[10:12] = pystruct.pack("!H", ipv4_checksum(bytes(ip)))
    udp = pystruct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    return b"\xff" * 6 + bytes(range(0, 102, 17)) + b"\x08\x00" + bytes(ip) + udp + payload


frames = st.builds(frame, U32, U32, U16, U16, st.binary(max_size=40), U16, U8, st.sampled_from([0, 0x4000, 0x2001]),
                   st.sampled_from([17, 17, 6]))


@cases(40)
@given(st.one_of(frames, frames.flatmap(lambda f: st.tuples(st.just(f), st.integers(0, len(f) - 1), U8).map(
    lambda t: t[0][:t[1]] + bytes([t[2]]) + t[0][t[1] + 1:]))), st.booleans(), st.integers(0, 3))
def test_parse_frame(net, f, truncate, cut):
    n = max(len(f) - cut, 0) if truncate else len(f)
    net.check("parse_frame", Buf(f), n, Buf(b"", 32))


@cases()
@given(U32, U32, U16, U16, st.binary(max_size=40), U16)
def test_build_frame(net, src, dst, sport, dport, payload, ident):
    n = net.check("build_frame", Buf(b"", 128), src, dst, sport, dport, Buf(payload), len(payload), ident)
    assert n == 42 + len(payload)


@cases()
@given(U32, U32, U32, st.binary(max_size=40))
def test_frame_roundtrip(net, src, dst, ports, payload):
    net.check("roundtrip", Buf(b"", 128), src, dst, ports, Buf(payload), len(payload))


@cases()
@given(U64)
def test_byte_swaps(net, x):
    assert net.check("bswap16", x & 0xFFFF) == int.from_bytes((x & 0xFFFF).to_bytes(2, "little"), "big")
    assert net.check("bswap32", x & 0xFFFFFFFF) == int.from_bytes((x & 0xFFFFFFFF).to_bytes(4, "little"), "big")
    assert net.check("bswap64", x) == int.from_bytes(x.to_bytes(8, "little"), "big")


@cases()
@given(st.binary(min_size=20, max_size=20))
def test_ipv4_header_checksum(net, header):
    net.check("ipv4_header_checksum", Buf(header))


# ---------------------------------------------------------------- FAT directory entries

name_chars = st.sampled_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefz0123456789_~ .\x05\xe5\x00")
entries = st.one_of(
    st.binary(min_size=32, max_size=32),
    st.tuples(st.lists(name_chars, min_size=11, max_size=11).map(bytes), st.sampled_from([0, 0x0F, 0x08, 0x10, 0x20]),
              st.binary(min_size=20, max_size=20)).map(lambda t: t[0] + bytes([t[1]]) + t[2]),
)


@cases(40)
@given(entries)
def test_fat_entry_fields(fat, e):
    fat.check("kind", Buf(e))
    assert fat.check("first_cluster", Buf(e)) == int.from_bytes(e[20:22], "little") << 16 | int.from_bytes(
        e[26:28], "little")
    fat.check("display_name", Buf(e), Buf(b"", 16))
    fat.check("lfn_checksum", Buf(e))


@cases(40)
@given(st.one_of(
    st.tuples(st.text("ABCXYZabcxyz019_~", min_size=0, max_size=10),
              st.one_of(st.none(), st.text("ABCabc0.", max_size=4))).map(
        lambda t: (t[0] + ("" if t[1] is None else "." + t[1])).encode()),
    cstring.map(lambda b: b[:-1])), U32, U32, U8)
def test_fat_make_entry(fat, name, cluster, size, attr):
    status = fat.check("make_entry", Buf(b"", 32), Buf(name + b"\0"), cluster, size, attr)
    stem, dot, ext = name.partition(b".")
    fits = 1 <= len(stem) <= 8 and len(ext) <= 3 and b"." not in ext
    assert (status == 0) == fits


@cases()
@given(st.integers(1980, 2107), st.integers(1, 12), st.integers(1, 31))
def test_fat_dates(fat, y, m, d):
    date = fat.check("dos_date", y, m, d)
    assert fat.check("dos_date_fields", date) == y * 10000 + m * 100 + d


def display_name(e: bytes) -> bytes:
    """What fat.display_name writes, in plain Python."""
    stem = bytes(0xE5 if i == 0 and c == 0x05 else c for i, c in enumerate(e[:8].split(b" ")[0]))
    ext = e[8:11].split(b" ")[0]
    return stem + (b"." + ext if e[8] != 0x20 else b"")


@cases()
@given(st.lists(entries, min_size=1, max_size=6), st.integers(0, 6))
def test_fat_scan(fat, dirents, pick):
    """Look up the name of one of the entries (or one that is not there)."""
    want = display_name(dirents[pick]) if pick < len(dirents) else b"NOPE.TXT"
    fat.check("scan", Buf(b"".join(dirents)), len(dirents), Buf(want.split(b"\0")[0] + b"\0"))


# ---------------------------------------------------------------- byte-buffer walks

@cases()
@given(cstring, st.integers(0, 50))
def test_strlen_strnlen(text, s, limit):
    assert text.check("strlen", Buf(s)) == len(s) - 1
    text.check("strnlen", Buf(s), limit)


@cases()
@given(data, U8)
def test_memchr_memrchr(text, b, c):
    if b and c % 3 == 0:
        c = b[c % len(b)]  # often a byte that is there
    found = text.check("memchr", Buf(b), c, len(b))
    assert found == ("NULL" if c not in b else f"buffer 0 + {b.index(c)}")
    text.check("memrchr", Buf(b), c, len(b))


@cases()
@given(data, data)
def test_memcmp(text, a, b):
    n = min(len(a), len(b))
    text.check("memcmp", Buf(a), Buf(b), n)


numbers = st.one_of(
    st.integers(0, (1 << 64) + 5).map(lambda v: str(v).encode()),
    st.integers(0, (1 << 64) + 5).map(lambda v: hex(v).encode()),
    st.integers(0, (1 << 64) - 1).map(lambda v: f"{v:X}".encode()),
    st.text("0123456789abcdefxX+- ", max_size=22).map(str.encode),
)


@cases(40)
@given(numbers, st.sampled_from([10, 16]))
def test_parse_u64(text, s, base):
    status = text.check("parse_u64", Buf(s), len(s), base, Buf(b"", 8))
    if status == 0:
        assert s.lower().startswith(b"0x") or int(s, base) < 1 << 64


@cases(40)
@given(st.one_of(st.integers(-(1 << 63) - 3, (1 << 63) + 3).map(lambda v: str(v).encode()),
                 st.sampled_from([b"-9223372036854775808", b"9223372036854775807", b"+0", b"-", b"", b"--1"]),
                 st.text("0123456789+-", max_size=21).map(str.encode)))
def test_parse_i64(text, s):
    text.check("parse_i64", Buf(s), len(s), Buf(b"", 8))


@cases()
@given(U64, st.sampled_from([2, 8, 10, 16]), st.integers(0, 70))
def test_format_u64(text, v, base, width):
    n = text.check("format_u64", Buf(b"", 72), v, base, width)
    assert n == max(len(_digits(v, base)), min(width, 64))


def _digits(v, base):
    return {2: bin, 8: oct, 10: str, 16: hex}[base](v).removeprefix("0b").removeprefix("0o").removeprefix("0x")


@cases()
@given(I64)
def test_format_i64(text, v):
    assert text.check("format_i64", Buf(b"", 24), v) == len(str(v))


@cases()
@given(st.binary(max_size=60))
def test_to_upper_count_words_reverse(text, b):
    text.check("to_upper", Buf(b), len(b))
    text.check("count_words", Buf(b), len(b))
    text.check("reverse", Buf(b), len(b))


@cases()
@given(st.lists(st.binary(max_size=6).map(lambda b: b.replace(b",", b"")), min_size=1, max_size=6),
       st.integers(0, 7))
def test_split_field(text, fields, index):
    line = b",".join(fields)
    text.check("split_field", Buf(line), len(line), ord(","), index, Buf(b"", 4))


# ---------------------------------------------------------------- integer edge cases

@cases(40)
@given(U64)
def test_conversions(intedge, x):
    intedge.check("conversions", x)


nonzero_low_byte = I64.filter(lambda b: b & 0xFF != 0)


@cases(40)
@given(I64, nonzero_low_byte)
def test_signed_division(intedge, a, b):
    intedge.check("signed_division", a, b)


@cases()
@given(U64, U64.filter(lambda b: b & 0xFF != 0))
def test_unsigned_division(intedge, a, b):
    intedge.check("unsigned_division", a, b)


@cases(40)
@given(U64, U8)
def test_shifts(intedge, x, n):
    intedge.check("shifts", x, n)


@cases(40)
@given(U64, U64)
def test_wrapping(intedge, a, b):
    intedge.check("wrapping", a, b)


@cases()
@given(U64, U64)
def test_comparisons(intedge, a, b):
    intedge.check("comparisons", a, b)


@cases()
@given(U32, U32)
def test_rotl32(intedge, x, n):
    r = n % 32
    assert intedge.check("rotl32", x, n) == ((x << r) | (x >> (32 - r))) & 0xFFFFFFFF


@cases()
@given(U64, U64)
def test_mul_hi_u64(intedge, a, b):
    assert intedge.check("mul_hi_u64", a, b) == (a * b) >> 64


@cases()
@given(I32, I32)
def test_add_overflows_i32(intedge, a, b):
    assert intedge.check("add_overflows_i32", a, b) == (not -(1 << 31) <= a + b < 1 << 31)


@cases()
@given(U32, U32)
def test_mul_overflows_u32(intedge, a, b):
    assert intedge.check("mul_overflows_u32", a, b) == (a * b >= 1 << 32)


@cases()
@given(U8, U8)
def test_saturating_add_u8(intedge, a, b):
    assert intedge.check("saturating_add_u8", a, b) == min(a + b, 255)


@cases()
@given(I32)
def test_abs_i32(intedge, x):
    assert intedge.check("abs_i32", x) == (abs(x) if x != -(1 << 31) else x)


@cases()
@given(U32)
def test_clz32(intedge, x):
    assert intedge.check("clz32", x) == 32 - x.bit_length()


@cases()
@given(U64)
def test_isqrt(intedge, x):
    assert intedge.check("isqrt", x) == math.isqrt(x)


@cases()
@given(U64, st.integers(0, 40))
def test_xorshift(intedge, seed, steps):
    intedge.check("xorshift_steps", seed, steps)
