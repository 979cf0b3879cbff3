# ruff: noqa: F811  (the tests take test_exec's `world` fixture, imported below, as an argument)
"""Hostile ELF programs through execve's loader (exec.prepare) under CPython.

The programs are built here byte by byte from a minimal valid static executable (exit(42) at
0x400000), then broken one way at a time — truncated, program headers past the end or wrapping
around, overlapping or kernel-half or page-zero segments, p_filesz > p_memsz, a p_memsz that fills
the address space, a bad e_phentsize, an entry outside the code — and hypothesis breaks them at
random. execve must answer ENOEXEC (ENOMEM for an image too large to place) with nothing mapped and
nothing leaked, or load the program: never raise, never answer anything else.
"""
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyrius.kernel import errno
from cyrius.kernel.linux import elf
from cyrius.kernel.mm import heap, uspace
from cyrius.lang import NULL, Ptr, addr, memory, u8, usize

from test_exec import frames_outside_heap, world  # noqa: F401

BASE = 0x400000
EXIT_42 = bytes.fromhex("b83c000000bf2a0000000f05")  # mov eax, 60; mov edi, 42; syscall
PF_X, PF_W, PF_R = 1, 2, 4
USER_TOP = 1 << 47


def program(loads=None, entry=None, etype=2, phentsize=56, phoff=64, phnum=None, extra_phdrs=()) -> bytes:
    """An ELF64 x86_64 executable: header, program headers, then the code. `loads` are
    (offset, vaddr, filesz, memsz, flags) tuples; by default one R+X segment maps the whole file."""
    loads = list(loads) if loads is not None else [None]
    phdrs = [(1, *load) if load else None for load in loads] + list(extra_phdrs)
    code_at = 64 + 56 * len(phdrs)
    size = code_at + len(EXIT_42)
    phdrs = [p or (1, 0, BASE, size, size, PF_R | PF_X) for p in phdrs]
    head = struct.pack("<4sBBBB8xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, etype, 62, 1,
                       BASE + code_at if entry is None else entry, phoff, 0, 0, 64, phentsize,
                       len(phdrs) if phnum is None else phnum, 64, 0, 0)
    table = b"".join(struct.pack("<IIQQQQQQ", kind, flags, off, vaddr, vaddr, filesz, memsz, 0x1000)
                     for kind, off, vaddr, filesz, memsz, flags in phdrs)
    return head + table + EXIT_42


def header_bytes_then(data: bytes, at: int, fmt: str, value) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, at, value)
    return bytes(out)


GOOD = program()
SIZE = len(GOOD)
RX = PF_R | PF_X

HOSTILE = {
    "truncated in the ELF header": GOOD[:63],
    "truncated in the program headers": GOOD[:100],
    "program headers past the end": program(phoff=SIZE - 8),
    "e_phoff wraps around": program(phoff=(1 << 64) - 56),
    "e_phnum past the end": program(phnum=40),
    "e_phnum of 65535": program(phnum=0xFFFF),
    "no program headers": program(phnum=0),
    "e_phentsize of 0": program(phentsize=0),
    "e_phentsize of 32": program(phentsize=32),
    "e_phentsize of 64": program(phentsize=64),
    "a segment's file bytes past the end": program([(0, BASE, SIZE + 1, SIZE + 1, RX)]),
    "a segment's offset past the end": program([(1 << 40, BASE, 16, 16, RX)]),
    "p_offset + p_filesz wraps around": program([(0x1000, BASE + 0x1000, (1 << 64) - 0x800, (1 << 64) - 0x800, RX),
                                                 None]),
    "p_filesz larger than p_memsz": program([(0, BASE, SIZE, SIZE - 1, RX)]),
    "overlapping PT_LOAD segments": program([None, (0, BASE + 0x10, 16, 16, PF_R | PF_W)]),
    "the same page mapped twice": program([None, (0, BASE, SIZE, SIZE, PF_R)]),
    "a segment in the kernel half": program([(0, 0xFFFF_FFFF_8000_0000, SIZE, SIZE, RX)],
                                            entry=0xFFFF_FFFF_8000_0000 + 176),
    "a segment at the first non-canonical address": program([(0, USER_TOP, SIZE, SIZE, RX)], entry=USER_TOP + 176),
    "a segment wrapping around to address 0": program([(0, (1 << 64) - 0x1000, SIZE, 0x2000, RX)],
                                                      entry=(1 << 64) - 0x1000 + 120),
    "a segment mapping page zero": program([(0, 0, SIZE, SIZE, RX)], entry=120),
    "p_memsz filling the user half": program([(0, BASE, SIZE, USER_TOP - BASE, RX)]),
    "p_memsz reaching into the stack": program([None, (0, 0x7FFF_0000_0000, 16, 0xFFF_F000, PF_R | PF_W)]),
    "misaligned p_vaddr": program([(0, BASE + 8, SIZE, SIZE, RX)]),
    "the entry outside every segment": program(entry=BASE + 0x10000),
    "the entry in a segment that is not executable": program([(0, BASE, SIZE, SIZE, PF_R)]),
    "the entry just past the segment": program(entry=BASE + SIZE),
    "a PIE image spanning more than the user half": program(
        [(0, 0, SIZE, SIZE, RX), (0, 0x7FFF_FFFF_0000, 16, 16, PF_R)], etype=3, entry=120),
    "a PT_TLS segment past the end": program(extra_phdrs=[(7, 1 << 40, 0, 16, 16, PF_R)]),
    "a PT_TLS with p_filesz > p_memsz": program(extra_phdrs=[(7, 0, 0, 16, 8, PF_R)]),
    "a relocatable object": program(etype=1),
    "a core file": program(etype=4),
}
EXPECTED = {name: -errno.ENOEXEC for name in HOSTILE}
EXPECTED["p_memsz filling the user half"] = -errno.ENOMEM
EXPECTED["p_memsz reaching into the stack"] = -errno.ENOMEM
EXPECTED["a PIE image spanning more than the user half"] = -errno.ENOMEM


def prepare_leaves_nothing(world, data: bytes) -> int:
    """exec.prepare on data as /bin/prog; on failure, no mapping, page, heap block or reference
    may remain. Returns the result."""
    world.install(b"/bin/prog", data)
    node = world.inode(b"/bin/prog")
    refs = int(node.refcount)
    free0, live0 = frames_outside_heap(), int(heap.live_blocks)
    r, img = world.prepare(b"/bin/prog", [b"prog"])
    if r == 0:
        uspace.destroy(img.space)
    else:
        assert img.space == NULL
    assert (frames_outside_heap(), int(heap.live_blocks)) == (free0, live0)
    assert node.refcount == refs
    return r


def test_the_minimal_program_loads(world):
    assert prepare_leaves_nothing(world, GOOD) == 0
    r, img = world.prepare(b"/bin/prog", [b"prog"])
    assert r == 0 and img.entry == BASE + 120
    uspace.destroy(img.space)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_programs_are_refused(world, name):
    assert prepare_leaves_nothing(world, HOSTILE[name]) == EXPECTED[name], name


def check(data: bytes) -> int:
    base = memory.alloc(len(data) + 1)
    memory.write(base, data)
    return int(elf.check(Ptr[u8](base), usize(len(data)), addr(elf.ElfInfo())))


FIELDS = [("<H", 16), ("<H", 18), ("<I", 20), ("<Q", 24), ("<Q", 32), ("<H", 54), ("<H", 56)] + [
    (fmt, 64 + at) for fmt, at in (("<I", 0), ("<I", 4), ("<Q", 8), ("<Q", 16), ("<Q", 32), ("<Q", 40))]
INTERESTING = [0, 1, 0x38, 0x40, 0xFFF, 0x1000, BASE, BASE + 120, USER_TOP - 0x1000, USER_TOP, 1 << 63,
               (1 << 64) - 1, (1 << 64) - 56, (1 << 64) - 0x1000]
values = st.one_of(st.sampled_from(INTERESTING), st.integers(0, (1 << 64) - 1))
edits = st.lists(st.tuples(st.sampled_from(FIELDS), values), min_size=1, max_size=4)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(edits=edits, cut=st.one_of(st.none(), st.integers(0, SIZE)))
def test_mutated_programs_load_or_fail_cleanly(world, edits, cut):
    data = GOOD
    for (fmt, at), value in edits:
        data = header_bytes_then(data, at, fmt, value & ((1 << (8 * struct.calcsize(fmt))) - 1))
    data = data[:cut] if cut is not None else data
    r = prepare_leaves_nothing(world, data)
    assert r in (0, -errno.ENOEXEC, -errno.ENOMEM), r
    assert check(data) in (0, -errno.ENOEXEC)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=400))
def test_random_bytes_are_not_programs(data):
    assert check(b"\x7fELF\x02\x01\x01" + data) in (0, -errno.ENOEXEC)
