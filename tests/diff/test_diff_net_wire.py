"""Differential tests of the network stack's byte-order and checksum code (cyrius.kernel.net.wire):
CPython and the compiled C on the same generated packets, and both against Python's own
internet checksum."""
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyrius.compiler import REPO_ROOT
from cyrius.hostbuild import HostLibrary
from harness import Buf, Twin

MODULE = "cyrius.kernel.net.wire"


def cases(n: int):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    lib = HostLibrary([REPO_ROOT / "src"], [MODULE], tmp_path_factory.mktemp("net_wire"))
    return Twin(lib, MODULE)


def reference(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@cases(150)
@given(st.binary(max_size=1600))
def test_checksum(wire, data):
    result = wire.check("checksum", Buf(data), len(data))
    assert result == reference(data)


@cases(100)
@given(st.binary(max_size=200), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF))
def test_checksum_add_and_words(wire, data, start, word):
    wire.check("checksum_add", start, Buf(data), len(data))
    wire.check("checksum_add_word", start, word)
    wire.check("checksum_finish", start)


@cases(100)
@given(st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF), st.integers(0, 255), st.integers(0, 0xFFFF))
def test_pseudo_header(wire, src, dst, protocol, length):
    result = wire.check("pseudo_header_sum", src, dst, protocol, length)
    expected = struct.pack(">IIBBH", src, dst, 0, protocol, length)
    assert (~result & 0xFFFF) == reference(expected) or reference(expected) == 0


@cases(60)
@given(st.binary(min_size=4, max_size=4), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF))
def test_byte_order(wire, raw, v16, v32):
    assert wire.check("get16", Buf(raw)) == struct.unpack(">H", raw[:2])[0]
    assert wire.check("get32", Buf(raw)) == struct.unpack(">I", raw)[0]
    wire.check("put16", Buf(bytes(2)), v16)
    wire.check("put32", Buf(bytes(4)), v32)
    assert wire.check("mask_bits", (0xFFFFFFFF << (32 - v32 % 33)) & 0xFFFFFFFF) == v32 % 33
