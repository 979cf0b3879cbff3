"""Line editing on a serial terminal: insert anywhere, cursor keys, history, ^A ^E ^U ^C.

Bytes come from `read_byte`; the result is a NUL-terminated line in the caller's buffer. When the
cursor is at the end of the line (the common case), a typed byte is echoed alone, so the terminal
shows exactly what was typed; edits elsewhere redraw the line.
"""
from cyrius.lang import Array, Callable, Final, Ptr, addr, u8, u32, usize
from cyrius.rt import memcpy, memmove

from .. import console

MAX_LINE: Final = 256
HISTORY: Final = 16
CTRL_A: Final = 0x01
CTRL_C: Final = 0x03
CTRL_E: Final = 0x05
CTRL_U: Final = 0x15
BACKSPACE: Final = 0x08
DELETE: Final = 0x7F
ESC: Final = 0x1B

history: Array[Array[u8, MAX_LINE], HISTORY] = Array[Array[u8, MAX_LINE], HISTORY]()
history_count: u32 = 0  # lines ever entered; slot = index % HISTORY


def redraw(prompt: Ptr[u8], buf: Ptr[u8], length: u32, cursor: u32) -> None:
    console.puts(b"\r")
    console.puts(prompt)
    console.write(buf, usize(length))
    console.puts(b"\x1b[K")
    back: u32 = length - cursor
    while back > 0:
        console.puts(b"\x08")
        back -= 1


def remember(buf: Ptr[u8], length: u32) -> None:
    global history_count
    if length == 0:
        return
    slot: Ptr[u8] = addr(history[history_count % HISTORY])
    memcpy(slot, buf, usize(length))
    slot[length] = 0
    history_count += 1


def recall(buf: Ptr[u8], age: u32) -> u32:
    """Copy the line entered `age` lines ago (1 = the last) into buf; return its length."""
    slot: Ptr[u8] = addr(history[(history_count - age) % HISTORY])
    n: u32 = 0
    while slot[n] != 0 and n < MAX_LINE - 1:
        buf[n] = slot[n]
        n += 1
    return n


def read_line(prompt: Ptr[u8], buf: Ptr[u8], read_byte: Callable[[], u8]) -> u32:
    """Read one edited line into buf (MAX_LINE bytes); return its length."""
    length: u32 = 0
    cursor: u32 = 0
    age: u32 = 0  # how far back in history we are browsing
    console.puts(prompt)
    while True:
        c: u8 = read_byte()
        if c == ord("\r") or c == ord("\n"):
            console.puts(b"\n")
            buf[length] = 0
            remember(buf, length)
            return length
        if c == CTRL_C:
            console.puts(b"^C\n")
            length = 0
            cursor = 0
            console.puts(prompt)
        elif c == DELETE or c == BACKSPACE:
            if cursor > 0:
                memmove(buf + cursor - 1, buf + cursor, usize(length - cursor))
                cursor -= 1
                length -= 1
                if cursor == length:
                    console.puts(b"\x08 \x08")
                else:
                    redraw(prompt, buf, length, cursor)
        elif c == CTRL_U:
            length = 0
            cursor = 0
            redraw(prompt, buf, length, cursor)
        elif c == CTRL_A:
            cursor = 0
            redraw(prompt, buf, length, cursor)
        elif c == CTRL_E:
            cursor = length
            redraw(prompt, buf, length, cursor)
        elif c == ESC:
            if read_byte() != 0x5B:  # only CSI sequences are understood
                continue
            key: u8 = read_byte()
            if key == ord("D") and cursor > 0:  # left
                cursor -= 1
                console.puts(b"\x08")
            elif key == ord("C") and cursor < length:  # right
                console.putc(buf[cursor])
                cursor += 1
            elif key == ord("A") and age < history_count and age < HISTORY:  # up
                age += 1
                length = recall(buf, age)
                cursor = length
                redraw(prompt, buf, length, cursor)
            elif key == ord("B") and age > 0:  # down
                age -= 1
                length = 0 if age == 0 else recall(buf, age)
                cursor = length
                redraw(prompt, buf, length, cursor)
        elif c >= ord(" ") and c < 0x7F and length < MAX_LINE - 1:
            if cursor == length:
                buf[length] = c
                length += 1
                cursor += 1
                console.putc(c)
            else:
                i: u32 = length
                while i > cursor:
                    buf[i] = buf[i - 1]
                    i -= 1
                buf[cursor] = c
                length += 1
                cursor += 1
                redraw(prompt, buf, length, cursor)
