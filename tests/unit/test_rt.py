"""cyrius.rt: the dispatchers, fakes and host-mode defaults."""
import pytest

from cyrius import rt
from cyrius.lang import Ptr, i32, memory, u8, u16, u64, usize


@pytest.fixture(autouse=True)
def clean():
    rt.reset()
    memory.reset()
    yield
    rt.reset()


def test_port_io_without_a_fake_names_the_call_and_the_cure():
    with pytest.raises(RuntimeError, match=r"inb\(0x3f8\).*cyrius\.rt\.fake\('inb'"):
        rt.inb(0x3F8)
    with pytest.raises(RuntimeError, match=r"outb\(0x3f8, 0x41\)"):
        rt.outb(0x3F8, 0x41)
    with pytest.raises(RuntimeError, match=r"rdmsr\(0xc0000080\)"):
        rt.rdmsr(0xC0000080)


def test_fake_sees_c_typed_arguments_and_its_result_is_converted():
    seen = []
    with rt.fake("inb", lambda port: seen.append(port) or 0x1FF):
        value = rt.inb(0x103F8)          # the port is a uint16_t: wraps like the C call
    assert seen == [0x3F8] and type(seen[0]) is u16
    assert value == 0xFF and type(value) is u8


def test_fake_receives_pointers_as_addresses():
    got = []
    rt.fake("cpuid", lambda leaf, sub, out: got.append(out))
    rt.cpuid(0, 0, Ptr[u16](0x5000))
    rt.cpuid(0, 0, 0x6000)
    assert got == [0x5000, 0x6000]


def test_fakes_nest_and_undo_in_order():
    outer = rt.fake("rdtsc", lambda: 100)
    with rt.fake("rdtsc", lambda: 200):
        assert rt.rdtsc() == 200
    assert rt.rdtsc() == 100
    outer.undo()
    outer.undo()                         # harmless the second time
    assert rt.rdtsc() == 1               # the default counter again


def test_fake_is_seen_through_an_earlier_import():
    from cyrius.rt import inw            # what a kernel module does at import time
    with rt.fake("inw", lambda port: 7):
        assert inw(0x1F0) == 7


def test_fake_rejects_unknown_names():
    with pytest.raises(KeyError, match="no C function 'inbb'"):
        rt.fake("inbb", lambda port: 0)


def test_reset_reinstates_defaults():
    rt.fake("inb", lambda port: 1)
    rt.reset()
    with pytest.raises(RuntimeError):
        rt.inb(0x60)


def test_interrupt_flag_is_simulated():
    assert rt.read_rflags() == 0x2       # interrupts start disabled, as at boot
    rt.sti()
    assert rt.read_rflags() == 0x202
    rt.cli()
    assert rt.read_rflags() == 0x2


def test_rdtsc_increases_and_reset_restarts_it():
    first = rt.rdtsc()
    assert rt.rdtsc() > first and type(first) is u64
    rt.reset()
    assert rt.rdtsc() == first


def test_quiet_defaults():
    for name in ("hlt", "cpu_relax", "mfence", "io_wait"):
        assert getattr(rt, name)() is None
    rt.invlpg(0x1000)
    rt.fxsave(Ptr[None](0x1000))
    assert rt.read_rbp() == 0


def test_byte_string_literals_are_pointers():
    buf = memory.alloc(16)
    assert rt.strlen(b"hello") == 5 and type(rt.strlen(b"")) is usize
    assert rt.strcmp(b"abc", b"abd") == -1 and type(rt.strcmp(b"a", b"a")) is i32
    dst = rt.memcpy(Ptr[u8](buf), b"hi", 3)
    assert dst == Ptr[None](buf) and memory.read(buf, 3) == b"hi\0"


def test_zero_length_operations_touch_no_memory():
    # C allows n == 0 with any pointer; the simulated memory would reject address 0.
    assert rt.memcpy(0, 0, 0) == Ptr[None](0)
    assert rt.memset(0, 0, 0) == Ptr[None](0)
    assert rt.memcmp(0, 0, 0) == 0
    assert rt.strnlen(0, 0) == 0
    assert rt.strncmp(0, 0, 0) == 0
    assert rt.fmt_u64(0, 0, 5, 10, 0, 32) == 0


def test_wrong_argument_count_is_a_type_error():
    with pytest.raises(TypeError, match=r"outb\(\) takes 2 arguments \(1 given\)"):
        rt.outb(0x80)
