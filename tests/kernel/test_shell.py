"""The host shell's line editor and command parsing, under CPython with a captured console."""
import pytest

from cyrius.kernel import console
from cyrius.kernel.shell import lineedit, core
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8


class Terminal:
    """Feeds keystrokes to the line editor and captures what the kernel writes back."""

    def __init__(self, keys: bytes):
        self.keys = bytearray(keys)
        self.output = bytearray()

    def read_byte(self) -> u8:
        return u8(self.keys.pop(0))

    def sink(self, data, length):
        self.output += memory.read(data.address, int(length))


@pytest.fixture
def term(monkeypatch):
    memory.reset()
    lineedit.history_count = 0
    made = []

    def make(keys: bytes) -> Terminal:
        t = Terminal(keys)
        console.sink = t.sink
        made.append(t)
        return t

    yield make
    console.sink = NULL


def read_line(t: Terminal) -> bytes:
    buf = Array[u8, lineedit.MAX_LINE]()
    n = lineedit.read_line(b"$ ", addr(buf), t.read_byte)
    return memory.read(addr(buf).address, int(n))


def test_typed_line_is_echoed_verbatim(term):
    t = term(b"echo hi\r")
    assert read_line(t) == b"echo hi"
    assert bytes(t.output) == b"$ echo hi\n"


def test_backspace_and_ctrl_u(term):
    assert read_line(term(b"ab\x7fc\r")) == b"ac"
    assert read_line(term(b"junk\x15ok\r")) == b"ok"


def test_cursor_movement_inserts_in_the_middle(term):
    # type "ac", left arrow, "b" -> "abc"; Ctrl-A then "x" -> "xabc"
    assert read_line(term(b"ac\x1b[Db\r")) == b"abc"
    assert read_line(term(b"abc\x01x\r")) == b"xabc"


def test_history_recalls_previous_lines(term):
    read_line(term(b"first\r"))
    read_line(term(b"second\r"))
    assert read_line(term(b"\x1b[A\x1b[A\r")) == b"first"
    assert read_line(term(b"\x1b[A\r")) == b"first"  # the recalled line is history's newest now


def test_ctrl_c_discards_the_line(term):
    t = term(b"oops\x03fine\r")
    assert read_line(t) == b"fine"
    assert b"^C" in t.output


def test_split_words():
    memory.reset()
    text = b"  echo   a b  \0"
    base = memory.alloc(len(text))
    memory.write(base, text)
    argv = Array[Ptr[u8], core.MAX_ARGS]()
    argc = core.split(Ptr[u8](base), addr(argv))
    words = []
    for i in range(argc):
        p = argv[i]
        end = memory.read(p.address, 32).index(b"\0")
        words.append(memory.read(p.address, end))
    assert words == [b"echo", b"a", b"b"]


def test_execute_runs_commands_and_reports_unknown(term):
    t = term(b"")
    core.command_count = 0
    core.init()
    for line in (b"echo hello   world\0", b"nosuch thing\0"):
        base = memory.alloc(len(line))
        memory.write(base, line)
        core.execute(Ptr[u8](base))
    assert bytes(t.output) == b"hello world\nnosuch: command not found (type `help`)\n"
