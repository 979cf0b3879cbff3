from hypothesis import given, strategies as st

from cyrius.kernel.lib import cstr
from cyrius.lang import Ptr, memory, u8

_text = st.binary(max_size=64).map(lambda b: b.replace(b"\0", b"."))


def _put(data: bytes) -> Ptr:
    addr = memory.alloc(len(data) + 1)
    memory.write(addr, data + b"\0")
    return Ptr[u8](addr)


@given(_text)
def test_length_matches_python(data):
    assert cstr.length(_put(data)) == len(data)


@given(_text, _text)
def test_equal_matches_python(a, b):
    assert cstr.equal(_put(a), _put(b)) == (a == b)
