"""runtime-c against its host-mode stand-ins in cyrius.rt.

The host-buildable C files are compiled into a shared library and loaded with ctypes; every
function is run on the same generated inputs in both worlds (C over a ctypes buffer, Python over
cyrius.lang.memory) and the results and final buffer contents must be identical.
"""
import ctypes
import inspect
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyrius import hostbuild, lang, rt
from cyrius.build import KERNEL_CFLAGS
from cyrius.compiler import RUNTIME_INCLUDE
from cyrius.compiler.externs import ExternFunction, read_headers
from cyrius.compiler.types import VOID, PtrType
from cyrius.lang import Ptr, i32, memory, u8, usize
from tooling import needs

RUNTIME = Path(__file__).resolve().parents[2] / "runtime-c"
# The kernel build's own flags; host builds add -fno-builtin, which every unit including mem.h
# needs (runtime-c/README.md).
HOST_CFLAGS = [*hostbuild.HOST_CFLAGS, "-fno-builtin"]
HOST_BUILDABLE = ["mem.c", "fmt.c"]

pytestmark = needs("gcc")


def compile_c(source: Path, obj: Path, flags: list[str]) -> None:
    result = subprocess.run(["gcc", *flags, f"-I{RUNTIME_INCLUDE}", "-c", str(source),
                             "-o", str(obj)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize("source", sorted((RUNTIME / "src").glob("*.c")), ids=lambda p: p.name)
def test_kernel_build_is_warning_free(source, tmp_path):
    compile_c(source, tmp_path / "out.o", KERNEL_CFLAGS)


@pytest.mark.parametrize("source", HOST_BUILDABLE)
def test_host_build_is_warning_free(source, tmp_path):
    compile_c(RUNTIME / "src" / source, tmp_path / "out.o", HOST_CFLAGS)


@pytest.mark.parametrize("flags", [KERNEL_CFLAGS, HOST_CFLAGS], ids=["kernel", "host"])
def test_mem_refers_to_no_symbol(flags, tmp_path):
    # A call from mem.o would be gcc turning a loop back into memcpy/memset (recursion: GCC
    # PR 56888), or, in a host library, a call that may bind to the C library's function
    # instead of ours. Every call to a global function needs a relocation; mem.o's code has none.
    obj = tmp_path / "mem.o"
    compile_c(RUNTIME / "src" / "mem.c", obj, flags)
    relocations = subprocess.run(["objdump", "-r", "-j", ".text", str(obj)],
                                 capture_output=True, text=True, check=True).stdout
    assert "R_X86_64" not in relocations


@pytest.fixture(scope="module")
def clib(tmp_path_factory):
    out = tmp_path_factory.mktemp("runtime-c")
    objects = []
    for name in HOST_BUILDABLE:
        obj = out / (name[:-2] + ".o")
        compile_c(RUNTIME / "src" / name, obj, HOST_CFLAGS)
        objects.append(str(obj))
    so = out / "libruntime.so"
    # -nostdlib: no libc dependency, so every symbol looked up in this library is ours.
    subprocess.run(["gcc", "-shared", "-nostdlib", "-o", str(so), *objects], check=True)
    lib = ctypes.CDLL(str(so))
    vp, size = ctypes.c_void_p, ctypes.c_size_t
    signatures = {
        "memcpy": (vp, [vp, vp, size]), "memmove": (vp, [vp, vp, size]),
        "memset": (vp, [vp, ctypes.c_int32, size]), "memcmp": (ctypes.c_int32, [vp, vp, size]),
        "strlen": (size, [vp]), "strnlen": (size, [vp, size]),
        "strcmp": (ctypes.c_int32, [vp, vp]), "strncmp": (ctypes.c_int32, [vp, vp, size]),
        "fmt_u64": (size, [vp, size, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint32,
                           ctypes.c_uint8]),
        "fmt_i64": (size, [vp, size, ctypes.c_int64, ctypes.c_uint32, ctypes.c_uint32,
                           ctypes.c_uint8]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


class Both:
    """The same bytes in a ctypes buffer and in simulated memory."""

    def __init__(self, data: bytes):
        memory.reset()
        self.size = len(data)
        self.c = (ctypes.c_uint8 * max(self.size, 1)).from_buffer_copy(data or b"\0")
        self.sim = memory.alloc(self.size)
        memory.write(self.sim, data)

    def c_at(self, offset: int) -> int:
        return ctypes.addressof(self.c) + offset

    def sim_at(self, offset: int) -> Ptr:
        return Ptr[u8](self.sim + offset)

    def assert_same(self):
        assert bytes(self.c)[:self.size] == memory.read(self.sim, self.size)


GUARD = 16  # bytes past the capacity that must stay untouched
FILL = 0xA5


@settings(max_examples=400)
@given(value=st.integers(0, 2**64 - 1), base=st.integers(0, 18), width=st.integers(0, 80),
       pad=st.sampled_from([ord("0"), ord(" "), ord("*"), 0, 0xFF]), cap=st.integers(0, 72))
def test_fmt_u64(clib, value, base, width, pad, cap):
    both = Both(bytes([FILL]) * (cap + GUARD))
    c = clib.fmt_u64(both.c_at(0), cap, value, base, width, pad)
    py = rt.fmt_u64(both.sim_at(0), cap, value, base, width, pad)
    assert type(py) is usize and c == py
    both.assert_same()
    assert memory.read(both.sim + cap, GUARD) == bytes([FILL]) * GUARD


@settings(max_examples=400)
@given(value=st.integers(-2**63, 2**63 - 1), base=st.integers(0, 18), width=st.integers(0, 80),
       pad=st.sampled_from([ord("0"), ord(" "), ord("*"), 0, 0xFF]), cap=st.integers(0, 72))
def test_fmt_i64(clib, value, base, width, pad, cap):
    both = Both(bytes([FILL]) * (cap + GUARD))
    c = clib.fmt_i64(both.c_at(0), cap, value, base, width, pad)
    py = rt.fmt_i64(both.sim_at(0), cap, value, base, width, pad)
    assert c == py
    both.assert_same()
    assert memory.read(both.sim + cap, GUARD) == bytes([FILL]) * GUARD


@pytest.mark.parametrize("fn, value, base, width, pad, expected", [
    ("fmt_u64", 0, 10, 0, ord(" "), b"0"),
    ("fmt_u64", 255, 16, 4, ord("0"), b"00ff"),
    ("fmt_u64", 2**64 - 1, 10, 0, ord(" "), b"18446744073709551615"),
    ("fmt_u64", 5, 2, 8, ord("0"), b"00000101"),
    ("fmt_i64", -42, 10, 6, ord("0"), b"-00042"),
    ("fmt_i64", -42, 10, 6, ord(" "), b"   -42"),
    ("fmt_i64", -2**63, 16, 0, ord(" "), b"-8000000000000000"),
    ("fmt_u64", 7, 1, 0, ord(" "), b""),
])
def test_fmt_examples(clib, fn, value, base, width, pad, expected):
    buf = ctypes.create_string_buffer(80)
    n = getattr(clib, fn)(ctypes.addressof(buf), 80, value, base, width, pad)
    assert buf.raw[:n + 1] == expected + b"\0"


def test_fmt_truncates_and_terminates_only_when_room(clib):
    buf = ctypes.create_string_buffer(b"\xa5" * 8, 8)
    assert clib.fmt_u64(ctypes.addressof(buf), 3, 123456, 10, 0, 32) == 3
    assert buf.raw == b"123\xa5\xa5\xa5\xa5\xa5"
    assert clib.fmt_u64(ctypes.addressof(buf), 4, 123, 10, 0, 32) == 3
    assert buf.raw[:4] == b"123\0"


@settings(max_examples=300)
@given(data=st.binary(min_size=1, max_size=64), picks=st.data())
def test_memmove_overlapping(clib, data, picks):
    size = len(data)
    src = picks.draw(st.integers(0, size))
    dst = picks.draw(st.integers(0, size))
    n = picks.draw(st.integers(0, size - max(src, dst)))
    both = Both(data)
    c = clib.memmove(both.c_at(dst), both.c_at(src), n)
    py = rt.memmove(both.sim_at(dst), both.sim_at(src), n)
    assert c - both.c_at(0) == py.address - both.sim == dst
    both.assert_same()


# Up to several 64-byte blocks plus quadword and byte tails, at any alignment: every path of the copy.
@given(data=st.binary(max_size=600), picks=st.data())
def test_memcpy(clib, data, picks):
    # Source first, destination after it: the ranges never overlap.
    n = picks.draw(st.integers(0, len(data)))
    both = Both(data + bytes(n))
    clib.memcpy(both.c_at(len(data)), both.c_at(0), n)
    rt.memcpy(both.sim_at(len(data)), both.sim_at(0), n)
    both.assert_same()


@given(data=st.binary(max_size=600), c=st.integers(-2**31, 2**31 - 1), picks=st.data())
def test_memset(clib, data, c, picks):
    start = picks.draw(st.integers(0, len(data)))
    n = picks.draw(st.integers(0, len(data) - start))
    both = Both(data)
    clib.memset(both.c_at(start), c, n)
    rt.memset(both.sim_at(start), c, n)
    both.assert_same()


# Few distinct bytes, so strings share prefixes and differ in interesting places.
small_bytes = st.lists(st.sampled_from(b"\0\x01ab\x7f\x80\xff"), max_size=24).map(bytes)


@settings(max_examples=400)
@given(a=small_bytes, b=small_bytes, n=st.integers(0, 30))
def test_comparisons(clib, a, b, n):
    # Both strings are NUL-terminated and padded so memcmp may read n bytes of each.
    width = max(len(a), len(b), n) + 1
    both = Both(a.ljust(width, b"\0") + b.ljust(width, b"\0"))
    pa, pb = (both.c_at(0), both.sim_at(0)), (both.c_at(width), both.sim_at(width))
    for name, args in [("memcmp", (n,)), ("strcmp", ()), ("strncmp", (n,))]:
        c = getattr(clib, name)(pa[0], pb[0], *args)
        py = getattr(rt, name)(pa[1], pb[1], *args)
        assert type(py) is i32 and c == py, name


@given(s=small_bytes, maxlen=st.integers(0, 30))
def test_lengths(clib, s, maxlen):
    both = Both(s + b"\0")
    assert clib.strlen(both.c_at(0)) == rt.strlen(both.sim_at(0))
    assert clib.strnlen(both.c_at(0), maxlen) == rt.strnlen(both.sim_at(0), maxlen)


# ------------------------------------------------------------ headers vs cyrius.rt

def lang_type(t):
    """cyrius.lang's counterpart of a compiler type."""
    if t is VOID:
        return None
    if isinstance(t, PtrType):
        return Ptr[None if t.target is None else lang_type(t.target)]
    return getattr(lang, t.name)


def test_every_prototype_has_a_matching_stand_in():
    # The compiler's own reader: what it accepts is what dialect code is checked against.
    declared = read_headers(RUNTIME_INCLUDE)
    prototypes = {n: p for n, p in declared.items() if isinstance(p, ExternFunction)}
    assert set(declared) == set(rt.__all__) - {"fake", "reset"}
    assert set(declared) - set(prototypes) == set(rt.LINKER_SYMBOLS)
    for name, proto in prototypes.items():
        sig = inspect.signature(getattr(rt, name))
        assert [p.annotation for p in sig.parameters.values()] == \
            [lang_type(t) for t, _ in proto.params], name
        assert sig.return_annotation == lang_type(proto.ret), name
