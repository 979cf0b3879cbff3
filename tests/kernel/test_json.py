"""The kernel's strict JSON parser (kernel/lib/json.py) under CPython, checked against Python's json.

Valid documents come from hypothesis values serialised by json.dumps in several styles and must
read back equal through the kernel's readers. Mutated and fragment-built texts must be accepted
exactly when Python accepts them, Python's own leniencies excepted: it takes NaN and Infinity,
repeated keys and unpaired surrogate escapes, which the kernel refuses (each is checked to be
refused). Every syntax error names its line and column; a table pins them down.
"""
import json
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cyrius.kernel import errno
from cyrius.kernel.lib import json as kjson
from cyrius.lang import Array, Ptr, addr, i64, memory, sizeof, u8, u64

SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ---------------------------------------------------------------- running the kernel parser

def put(data: bytes) -> Ptr:
    base = memory.alloc(max(len(data), 1))
    memory.write(base, data)
    return Ptr[u8](base)


class Parsed:
    """One kernel parse: its result, error record and tokens, and readers in Python terms."""

    def __init__(self, data: bytes, cap: int | None = None):
        self.data = data
        self.text = put(data)
        self.cap = len(data) + 1 if cap is None else cap  # every token takes at least one byte
        self.tokens = Ptr[kjson.JsonToken](memory.alloc(max(self.cap, 1) * sizeof(kjson.JsonToken)))
        err = kjson.JsonError()
        self.result = int(kjson.parse(self.text, len(data), self.tokens, self.cap, addr(err)))
        self.code, self.line, self.column = int(err.code), int(err.line), int(err.column)
        self.offset = int(err.offset)

    @property
    def ok(self) -> bool:
        return self.result > 0

    @property
    def message(self) -> bytes:
        p = kjson.error_message(self.code)
        return memory.read(p.address, int(_strlen(p)))

    def token(self, i: int):
        t = self.tokens[i]
        return int(t.kind), int(t.start), int(t.end), int(t.size), int(t.next)

    def string(self, i: int) -> str:
        n = int(kjson.string_length(self.text, self.tokens, i))
        assert n >= 0
        buf = Ptr[u8](memory.alloc(n + 1))
        assert int(kjson.get_string(self.text, self.tokens, i, buf, n + 1)) == n
        return memory.read(buf.address, n).decode("utf-8")

    def value(self, i: int = 0):
        """The token tree as a Python value (numbers from their text, as Python reads them)."""
        kind, start, end, size, _ = self.token(i)
        if kind == kjson.JSON_OBJECT:
            out, k = {}, i + 1
            for _ in range(size):
                out[self.string(k)] = self.value(k + 1)
                k = int(kjson.next_member(self.tokens, k))
            return out
        if kind == kjson.JSON_ARRAY:
            out, e = [], i + 1
            for _ in range(size):
                out.append(self.value(e))
                e = int(self.tokens[e].next)
            return out
        if kind == kjson.JSON_STRING:
            return self.string(i)
        if kind == kjson.JSON_NUMBER:
            text = self.data[start:end].decode()
            return float(text) if any(c in text for c in ".eE") else int(text)
        return {kjson.JSON_TRUE: True, kjson.JSON_FALSE: False, kjson.JSON_NULL: None}[kind]


def _strlen(p) -> int:
    n = 0
    while p[n] != 0:
        n += 1
    return n


def count(data: bytes) -> int:
    err = kjson.JsonError()
    return int(kjson.count_tokens(put(data), len(data), addr(err)))


# ---------------------------------------------------------------- Python as the reference

class Refused(Exception):
    pass


def _pairs(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Refused("duplicate key")
    return dict(pairs)


def _constant(name):
    raise Refused(f"{name} is not JSON")


def _lone_surrogate(v) -> bool:
    if isinstance(v, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in v)
    if isinstance(v, list):
        return any(_lone_surrogate(x) for x in v)
    if isinstance(v, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(x) for k, x in v.items())
    return False


def _depth(v) -> int:
    if isinstance(v, list):
        return 1 + max((_depth(x) for x in v), default=0)
    if isinstance(v, dict):
        return 1 + max((_depth(x) for x in v.values()), default=0)
    return 0


def python_verdict(data: bytes):
    """("ok", value) if strict JSON, else ("bad", reason). Python's json is strict except for
    NaN/Infinity, repeated keys and unpaired surrogates: those are turned into refusals here."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "bad", "not UTF-8"
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except Refused as e:
        return "bad", str(e)
    except (ValueError, RecursionError) as e:
        return "bad", str(e)
    if _lone_surrogate(value):
        return "bad", "lone surrogate"
    if _depth(value) > kjson.MAX_DEPTH:
        return "bad", "too deep"
    return "ok", value


def same(a, b) -> bool:
    """Equal as JSON values: 1 and 1.0 differ, -0.0 and 0.0 differ, NaN never occurs."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def check_tokens(p: Parsed) -> None:
    """Structural invariants of an accepted document's token array."""
    n = p.result
    for i in range(n):
        kind, start, end, size, nxt = p.token(i)
        assert i < nxt <= n
        assert 0 <= start <= end <= len(p.data)
        if kind == kjson.JSON_STRING:
            assert p.data[start - 1:start] == b'"' and p.data[end:end + 1] == b'"'
        elif kind in (kjson.JSON_OBJECT, kjson.JSON_ARRAY):
            assert p.data[start:start + 1] in (b"{", b"[") and p.data[end - 1:end] in (b"}", b"]")
            children, c = 0, i + 1
            while c < nxt:
                c = p.token(c + 1)[4] if kind == kjson.JSON_OBJECT else p.token(c)[4]
                children += 1
            assert c == nxt and children == size
        else:
            assert size == 0 and nxt == i + 1
    assert p.token(0)[4] == n


def agree(data: bytes) -> None:
    """The kernel accepts `data` exactly when the reference does, and reads the same value."""
    verdict, value = python_verdict(data)
    p = Parsed(data)
    if verdict == "ok":
        assert p.ok, (data, p.message, p.line, p.column)
        check_tokens(p)
        assert same(p.value(), value), data
        assert count(data) == p.result
    else:
        assert p.result == -errno.EINVAL and p.code != kjson.JE_NONE, (data, value)
        assert p.line >= 1 and p.column >= 1
        assert p.line == data[:p.offset].count(b"\n") + 1


# ---------------------------------------------------------------- valid documents read back

scalars = (st.none() | st.booleans() | st.integers(-(1 << 70), 1 << 70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=5), max_leaves=24)
styles = st.fixed_dictionaries({"ensure_ascii": st.booleans(), "indent": st.sampled_from([None, 0, 1, 4, "\t"]),
                                "separators": st.sampled_from([None, (",", ":"), (" , ", " : ")])})


@SLOW
@given(values, styles)
@example({"a": [1, -0.0, 1e300, "\u00e9\U0001f600\x00\x1f\"\\/"]}, {"ensure_ascii": True, "indent": None,
                                                                   "separators": None})
@example([], {"ensure_ascii": False, "indent": 2, "separators": None})
def test_serialised_values_read_back_equal(value, style):
    data = json.dumps(value, **style).encode("utf-8")
    p = Parsed(data)
    assert p.ok, (data, p.message, p.line, p.column)
    check_tokens(p)
    assert same(p.value(), value)
    assert count(data) == p.result


# ---------------------------------------------------------------- accepted iff Python accepts

alphabet = b'{}[],:"\\ \n\t0123456789-+.eEtrufalsnNIy\'/*\x00\x01\x1f\x7f\xc3\xa9\xff\xed\xa0\x80\xef\xbb\xbfuUdD'


@st.composite
def mutated(draw):
    data = bytearray(json.dumps(draw(values), ensure_ascii=draw(st.booleans()),
                                indent=draw(st.sampled_from([None, 1]))).encode())
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, len(data)))
        byte = draw(st.sampled_from(alphabet) | st.integers(0, 255))
        if op == "insert":
            data.insert(at, byte)
        elif at < len(data):
            if op == "delete":
                del data[at]
            else:
                data[at] = byte
    return bytes(data)


fragments = [b"{", b"}", b"[", b"]", b",", b":", b'"a"', b'"b"', b'"\\u0061"', b'"\\ud83d\\ude00"', b'"\\ud800"',
             b'"\\udc00x"', b'"\\x"', b'"\\u12"', b"1", b"-0", b"01", b"1.5", b"1.", b".5", b"1e5", b"1E+2", b"-",
             b"true", b"false", b"null", b"nul", b"NaN", b"Infinity", b" ", b"\n", b"\r\n", b"\t", b'"', b"'a'",
             b"/*c*/", b"//", b'"\xc3\xa9"', b'"\xc3"', b'"\xe0\x80\x80"', b'"\xf4\x90\x80\x80"', b'"\x01"',
             b"\xef\xbb\xbf", b"\x00"]
built = st.lists(st.sampled_from(fragments), min_size=1, max_size=12).map(b"".join)


@SLOW
@given(st.one_of(mutated(), built))
@example(b'{"a":1,"a":2}')
@example(b'{"a":1,"\\u0061":2}')
@example(b"[NaN]")
@example(b'"\\udc00"')
@example(b"[" * 64 + b"]" * 64)
@example(b"[" * 65 + b"]" * 65)
def test_accepts_exactly_what_python_accepts(data):
    agree(data)


def test_python_leniencies_are_refused():
    for data, code in [(b'{"a":1,"a":2}', kjson.JE_DUPLICATE), (b'{"k":{"a":1,"\\u0061":2}}', kjson.JE_DUPLICATE),
                       (b"NaN", kjson.JE_VALUE), (b"[-Infinity]", kjson.JE_DIGIT), (b"Infinity", kjson.JE_VALUE),
                       (b'"\\ud800"', kjson.JE_SURROGATE), (b'"\\udfff\\ud800"', kjson.JE_SURROGATE),
                       (b'"\\ud800\\u0041"', kjson.JE_SURROGATE)]:
        json.loads(data)  # Python takes them all
        p = Parsed(data)
        assert (p.result, p.code) == (-errno.EINVAL, code), data


# ---------------------------------------------------------------- error positions

ERRORS = [
    # document, code, line, column
    (b"", kjson.JE_END, 1, 1),
    (b"  \n ", kjson.JE_END, 2, 2),
    (b'{"a": 1', kjson.JE_END, 1, 8),
    (b"[1,]", kjson.JE_TRAILING_COMMA, 1, 4),
    (b'{\n  "a": 1,\n}', kjson.JE_TRAILING_COMMA, 3, 1),
    (b"// hi\n{}", kjson.JE_COMMENT, 1, 1),
    (b'{"a": 1 /* c */}', kjson.JE_COMMENT, 1, 9),
    (b"{'a': 1}", kjson.JE_QUOTE, 1, 2),
    (b"['a']", kjson.JE_QUOTE, 1, 2),
    (b"{a: 1}", kjson.JE_KEY, 1, 2),
    (b'{"a" 1}', kjson.JE_COLON, 1, 6),
    (b"[1 2]", kjson.JE_ARRAY_SEP, 1, 4),
    (b'{"a": 1 "b": 2}', kjson.JE_OBJECT_SEP, 1, 9),
    (b"[1}", kjson.JE_ARRAY_SEP, 1, 3),
    (b"{}{}", kjson.JE_GARBAGE, 1, 3),
    (b"1 2", kjson.JE_GARBAGE, 1, 3),
    (b'{\n  "uid": 007\n}', kjson.JE_LEADING_ZERO, 2, 10),
    (b"-01", kjson.JE_LEADING_ZERO, 1, 2),
    (b"1.", kjson.JE_DIGIT, 1, 3),
    (b".5", kjson.JE_VALUE, 1, 1),
    (b"1.5e", kjson.JE_DIGIT, 1, 5),
    (b"1e+x", kjson.JE_DIGIT, 1, 4),
    (b"[-]", kjson.JE_DIGIT, 1, 3),
    (b"[tru]", kjson.JE_LITERAL, 1, 2),
    (b"nulL", kjson.JE_LITERAL, 1, 1),
    (b"[True]", kjson.JE_VALUE, 1, 2),
    (b'"a\tb"', kjson.JE_CONTROL, 1, 3),
    (b'["line\nbreak"]', kjson.JE_CONTROL, 1, 7),
    (b'"\\a"', kjson.JE_ESCAPE, 1, 2),
    (b'"\\u12g4"', kjson.JE_HEX, 1, 2),
    (b'"\\ud83d\\u12"', kjson.JE_HEX, 1, 8),
    (b'"\\ud83d"', kjson.JE_SURROGATE, 1, 2),
    (b'"x\\ude00"', kjson.JE_SURROGATE, 1, 3),
    (b'"\xc3\xa9\xc3"', kjson.JE_UTF8, 1, 3),
    (b'"\xc0\xaf"', kjson.JE_UTF8, 1, 2),
    (b'"\xed\xa0\x80"', kjson.JE_UTF8, 1, 2),
    (b'"\xf4\x90\x80\x80"', kjson.JE_UTF8, 1, 2),
    (b"\xef\xbb\xbf{}", kjson.JE_VALUE, 1, 1),
    (b'{"a": "unterminated}', kjson.JE_UNTERMINATED, 1, 7),
    (b'"ends in a backslash\\', kjson.JE_UNTERMINATED, 1, 1),
    (b'{"a":1,"a":2}', kjson.JE_DUPLICATE, 1, 8),
    (b'{"\xc3\xa9":1,\n "\\u00e9":2}', kjson.JE_DUPLICATE, 2, 2),
    (b"[" * 65, kjson.JE_DEPTH, 1, 65),
    (b'{"\xc3\xa9\xc3\xa9": x}', kjson.JE_VALUE, 1, 8),  # columns count characters, not bytes
    (b"[\r\n1,\r\n]", kjson.JE_TRAILING_COMMA, 3, 1),
]


@pytest.mark.parametrize("data,code,line,column", ERRORS)
def test_error_positions(data, code, line, column):
    p = Parsed(data)
    assert (p.result, p.code, p.line, p.column) == (-errno.EINVAL, code, line, column), p.message
    assert python_verdict(data)[0] == "bad"
    assert p.message not in (b"", b"no error")


def test_every_error_has_its_own_message():
    codes = range(kjson.JE_END, kjson.JE_TOO_LONG + 1)
    messages = {bytes(memory.read(kjson.error_message(c).address, 64)).split(b"\0")[0] for c in codes}
    assert len(messages) == len(codes)


def test_token_array_too_small():
    data = b'{"a": [1, 2, 3]}'
    assert count(data) == 6
    p = Parsed(data, cap=5)
    assert (p.result, p.code) == (-errno.ENOMEM, kjson.JE_TOO_MANY)
    assert Parsed(data, cap=6).result == 6


def test_depth_limit_is_exact():
    assert Parsed(b"[" * 64 + b"]" * 64).result == 64
    p = Parsed(b"[" * 64 + b"{}" + b"]" * 64)
    assert (p.code, p.column) == (kjson.JE_DEPTH, 65)


def test_count_only_does_not_see_duplicates():
    """count_tokens() has no tokens to compare keys with; parse() catches them."""
    data = b'{"a":1,"a":2}'
    assert count(data) == 5
    assert Parsed(data).code == kjson.JE_DUPLICATE


# ---------------------------------------------------------------- readers

DOC = (b'{"name": "caf\\u00e9 \\ud83d\\ude00", "n": [0, -0, 18446744073709551615, 18446744073709551616,'
       b' -9223372036854775808, -9223372036854775809, 9223372036854775807, 1.0, 1e2, -1],'
       b' "flag": true, "off": false, "none": null, "esc\\"aped": "\\n\\t\\\\"}')


@pytest.fixture
def doc():
    p = Parsed(DOC)
    assert p.ok
    return p


def member(p: Parsed, key: bytes) -> int:
    return int(kjson.find_member(p.text, p.tokens, 0, put(key), len(key)))


def test_find_member_and_element(doc):
    assert doc.string(member(doc, b"name")) == "caf\u00e9 \U0001f600"
    assert doc.string(member(doc, b'esc"aped')) == "\n\t\\"
    assert member(doc, b"nam") == -errno.ENOENT
    assert member(doc, b"names") == -errno.ENOENT
    assert member(doc, "café".encode()) == -errno.ENOENT
    n = member(doc, b"n")
    assert int(kjson.element(doc.tokens, n, 0)) == n + 1
    assert int(kjson.element(doc.tokens, n, 10)) == -errno.ENOENT
    assert int(kjson.element(doc.tokens, 0, 0)) == -errno.EINVAL
    assert int(kjson.find_member(doc.text, doc.tokens, n, put(b"x"), 1)) == -errno.EINVAL


def integers(p: Parsed, getter, out_type):
    n = member(p, b"n")
    results = []
    for i in range(10):
        out = Array[out_type, 1]()
        r = int(getter(p.text, p.tokens, int(kjson.element(p.tokens, n, i)), addr(out)))
        results.append(int(out[0]) if r == 0 else r)
    return results


def test_get_u64(doc):
    assert integers(doc, kjson.get_u64, u64) == [0, 0, (1 << 64) - 1, -errno.ERANGE, -errno.ERANGE, -errno.ERANGE,
                                                 (1 << 63) - 1, -errno.EINVAL, -errno.EINVAL, -errno.ERANGE]


def test_get_i64(doc):
    assert integers(doc, kjson.get_i64, i64) == [0, 0, -errno.ERANGE, -errno.ERANGE, -(1 << 63), -errno.ERANGE,
                                                 (1 << 63) - 1, -errno.EINVAL, -errno.EINVAL, -1]


def test_get_u64_rejects_non_numbers(doc):
    out = Array[u64, 1]()
    assert int(kjson.get_u64(doc.text, doc.tokens, member(doc, b"name"), addr(out))) == -errno.EINVAL
    assert int(kjson.get_u64(doc.text, doc.tokens, 0, addr(out))) == -errno.EINVAL


def test_get_bool(doc):
    out = Array[bool, 1]()
    assert int(kjson.get_bool(doc.tokens, member(doc, b"flag"), addr(out))) == 0 and out[0] is True
    assert int(kjson.get_bool(doc.tokens, member(doc, b"off"), addr(out))) == 0 and out[0] is False
    assert int(kjson.get_bool(doc.tokens, member(doc, b"none"), addr(out))) == -errno.EINVAL


def test_get_string_capacity(doc):
    name = member(doc, b"name")
    encoded = "caf\u00e9 \U0001f600".encode()
    assert int(kjson.string_length(doc.text, doc.tokens, name)) == len(encoded)
    for cap in range(len(encoded) + 3):
        buf = put(b"\xaa" * (cap + 1))
        r = int(kjson.get_string(doc.text, doc.tokens, name, buf, cap))
        got = memory.read(buf.address, cap + 1)
        if cap > len(encoded):
            assert r == len(encoded) and got[:r + 1] == encoded + b"\0"
        else:
            assert r == -errno.E2BIG
            if cap:
                kept = got[:got.index(b"\0")]
                assert encoded.startswith(kept) and len(kept) < cap  # whole characters only
            assert got[cap] == 0xAA  # nothing written past cap
    assert int(kjson.get_string(doc.text, doc.tokens, member(doc, b"n"), put(b"\0" * 8), 8)) == -errno.EINVAL


def test_string_is(doc):
    name = member(doc, b"name")
    word = "caf\u00e9 \U0001f600".encode()
    assert kjson.string_is(doc.text, doc.tokens, name, put(word), len(word))
    assert not kjson.string_is(doc.text, doc.tokens, name, put(word[:-1]), len(word) - 1)
    assert not kjson.string_is(doc.text, doc.tokens, member(doc, b"n"), put(b""), 0)


def test_nul_escapes_are_kept():
    p = Parsed(b'"a\\u0000b"')
    buf = put(b"\xff" * 8)
    assert int(kjson.get_string(p.text, p.tokens, 0, buf, 8)) == 3
    assert memory.read(buf.address, 4) == b"a\0b\0"


def test_scalar_documents():
    for data, kind in [(b"0", kjson.JSON_NUMBER), (b' "x" ', kjson.JSON_STRING), (b"null", kjson.JSON_NULL),
                       (b"\ttrue\r\n", kjson.JSON_TRUE), (b"[]", kjson.JSON_ARRAY), (b"{}", kjson.JSON_OBJECT)]:
        p = Parsed(data)
        assert p.result == 1 and p.token(0)[0] == kind
