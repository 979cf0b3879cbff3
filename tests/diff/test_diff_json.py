"""Differential tests of the kernel's JSON parser (cyrius.kernel.lib.json, compiled from the kernel
tree itself rather than the corpus): every function runs under CPython and compiled for the host on
the same generated documents; results, token arrays, error records and output buffers must be
identical. Python's json module says which documents are valid (its leniencies aside: NaN and
Infinity, repeated keys, unpaired surrogates).
"""
import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cyrius.compiler import REPO_ROOT
from cyrius.hostbuild import HostLibrary
from cyrius.kernel.lib import json as kernel_json
from cyrius.lang import sizeof
from harness import Buf, Twin

MODULE = "cyrius.kernel.lib.json"
TOKEN = sizeof(kernel_json.JsonToken)
ERROR = sizeof(kernel_json.JsonError)
MAX_TOKENS_READ = 12  # readers are tried on the first tokens of each document


def cases(n: int):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def kjson(tmp_path_factory):
    lib = HostLibrary([REPO_ROOT / "src"], [MODULE], tmp_path_factory.mktemp("kernel_json"))
    return Twin(lib, MODULE)


# ---------------------------------------------------------------- documents

scalars = (st.none() | st.booleans() | st.integers(-(1 << 66), 1 << 66)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=16)
valid = st.builds(lambda v, ascii_only, indent: json.dumps(v, ensure_ascii=ascii_only, indent=indent).encode(),
                  values, st.booleans(), st.sampled_from([None, 1]))

alphabet = b'{}[],:"\\ \n0123456789-+.eEtrufalsn\'/\x00\x1f\xc3\xa9\xff\xed\xa0\x80u'


@st.composite
def mutated(draw):
    data = bytearray(draw(valid))
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(data)))
        byte = draw(st.sampled_from(alphabet) | st.integers(0, 255))
        if draw(st.booleans()) or at == len(data):
            data.insert(at, byte)
        else:
            data[at] = byte
    return bytes(data)


fragments = [b"{", b"}", b"[", b"]", b",", b":", b'"a"', b'"\\u0061"', b'"\\ud83d\\ude00"', b'"\\ud800"', b"1",
             b"-0", b"01", b"1.5e3", b"1.", b"true", b"nul", b" ", b"\n", b'"', b"'a'", b"//", b'"\xc3\xa9"',
             b'"\xe0\x80\x80"', b"99999999999999999999", b"-9223372036854775808"]
built = st.lists(st.sampled_from(fragments), min_size=1, max_size=10).map(b"".join)
documents = st.one_of(valid, mutated(), built)


def python_accepts(data: bytes) -> bool:
    def pairs(items):
        if len({k for k, _ in items}) != len(items):
            raise ValueError("duplicate key")
        return dict(items)

    def constant(name):
        raise ValueError(name)

    def surrogates(v):
        if isinstance(v, str):
            return any(0xD800 <= ord(c) <= 0xDFFF for c in v)
        if isinstance(v, list):
            return any(surrogates(x) for x in v)
        if isinstance(v, dict):
            return any(surrogates(k) or surrogates(x) for k, x in v.items())
        return False

    try:
        return not surrogates(json.loads(data.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return False


# ---------------------------------------------------------------- the parser

def parse_both(kjson, data: bytes):
    """parse() in both worlds; the result and the token array's bytes."""
    cap = len(data) + 1
    tokens = Buf(b"", cap * TOKEN)
    result = kjson.check("parse", Buf(data), len(data), tokens, cap, Buf(b"", ERROR))
    return result, tokens.py_bytes()


def token(tokens: bytes, i: int) -> tuple:
    return tuple(int.from_bytes(tokens[i * TOKEN + 4 * f:i * TOKEN + 4 * f + 4], "little") for f in range(5))


@cases(150)
@given(documents)
@example(b'{"a":1,"\\u0061":2}')
@example(b"[" * 65)
@example(b'"\\ud83d\\u12"')
def test_parse_and_count(kjson, data):
    result, _ = parse_both(kjson, data)
    assert (result > 0) == python_accepts(data), data
    counted = kjson.check("count_tokens", Buf(data), len(data), Buf(b"", ERROR))
    if result > 0:
        assert counted == result


def test_small_token_arrays(kjson):
    data = b'{"a": [1, 2, {"b": null}], "c": "d"}'
    for cap in range(10):
        kjson.check("parse", Buf(data), len(data), Buf(b"", max(cap, 1) * TOKEN), cap, Buf(b"", ERROR))


# ---------------------------------------------------------------- the readers

@cases(60)
@given(st.one_of(valid, built), st.data())
def test_readers(kjson, data, draw):
    result, tokens = parse_both(kjson, data)
    if result <= 0:
        return
    for i in range(min(result, MAX_TOKENS_READ)):
        kind, start, end, size, _ = token(tokens, i)
        kjson.check("get_bool", Buf(tokens), i, Buf(b"", 1))
        kjson.check("get_i64", Buf(data), Buf(tokens), i, Buf(b"", 8))
        kjson.check("get_u64", Buf(data), Buf(tokens), i, Buf(b"", 8))
        length = kjson.check("string_length", Buf(data), Buf(tokens), i)
        if length >= 0:
            cap = draw.draw(st.integers(0, length + 2))
            kjson.check("get_string", Buf(data), Buf(tokens), i, Buf(b"\xaa" * (length + 3)), cap)
            word = draw.draw(st.sampled_from([data[start:end], b"a", b"", "\u00e9".encode()]))
            kjson.check("string_is", Buf(data), Buf(tokens), i, Buf(word), len(word))
        if kind == kernel_json.JSON_OBJECT and size:  # an object: look up one of its keys, and one it lacks
            key_start, key_end = token(tokens, i + 1)[1:3]
            for key in (data[key_start:key_end], b"missing"):
                kjson.check("find_member", Buf(data), Buf(tokens), i, Buf(key), len(key))
        kjson.check("element", Buf(tokens), i, draw.draw(st.integers(0, size + 1)))


numbers = st.one_of(st.integers(-(1 << 65), 1 << 65).map(lambda n: str(n).encode()),
                    st.sampled_from([b"-0", b"0", b"18446744073709551615", b"18446744073709551616",
                                     b"-9223372036854775808", b"-9223372036854775809", b"9223372036854775807",
                                     b"1.0", b"1e2", b"-1E-2", b"100000000000000000000000"]))


@cases(60)
@given(st.lists(numbers, min_size=1, max_size=6))
def test_integers(kjson, items):
    data = b"[" + b",".join(items) + b"]"
    result, tokens = parse_both(kjson, data)
    assert result == len(items) + 1
    for i, text in enumerate(items, start=1):
        i64 = kjson.check("get_i64", Buf(data), Buf(tokens), i, Buf(b"", 8))
        u64 = kjson.check("get_u64", Buf(data), Buf(tokens), i, Buf(b"", 8))
        if b"." not in text and b"e" not in text.lower():
            value = int(text)
            assert (i64 == 0) == (-(1 << 63) <= value < 1 << 63)
            assert (u64 == 0) == (0 <= value < 1 << 64)
