"""The console terminal: the UART's receive interrupt feeds a line discipline.

Two owners take turns. While the host shell owns the terminal (`detach()`), received bytes go
unprocessed to the raw queue it reads with read_byte(). While a Linux session owns it
(`attach(pgid)`, e.g. a container started with `terminal: true`), bytes go through the termios
line discipline: canonical editing (erase, word erase, kill, EOF) with echo, or raw input; ^C,
^\\ and ^Z send SIGINT, SIGQUIT and SIGTSTP to the foreground process group at input time, so
they work while nothing reads. Readers sleep in a wait queue; so do poll()ers.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, i64, struct, u8, u16, u32, u64, usize

from .. import console, errno
from ..arch.x86_64 import irq, trap
from ..arch.x86_64.trapframe import TrapFrame
from . import uart
from ..proc.task import WaitQueue
from ..proc import sched

RING_SIZE: Final = 4096
SERIAL_IRQ: Final = 4
SERIAL_VECTOR: Final = 36
LINE_MAX: Final = 4095

# termios (Linux x86_64 kernel struct termios: 4 flag words, c_line, 19 control characters)
NCCS: Final = 19
VINTR: Final = 0
VQUIT: Final = 1
VERASE: Final = 2
VKILL: Final = 3
VEOF: Final = 4
VTIME: Final = 5
VMIN: Final = 6
VSUSP: Final = 10
VEOL: Final = 11
VWERASE: Final = 14
VLNEXT: Final = 15
ICRNL: Final = 0o400
INLCR: Final = 0o100
IGNCR: Final = 0o200
OPOST: Final = 0o1
ONLCR: Final = 0o4
ISIG: Final = 0o1
ICANON: Final = 0o2
ECHO: Final = 0o10
ECHOE: Final = 0o20
ECHOK: Final = 0o40
ECHONL: Final = 0o100
ECHOCTL: Final = 0o1000
TOSTOP: Final = 0o400
IEXTEN: Final = 0o100000
SIGINT: Final = 2
SIGQUIT: Final = 3
SIGTSTP: Final = 20
SIGWINCH: Final = 28


@struct
class Termios:
    iflag: u32
    oflag: u32
    cflag: u32
    lflag: u32
    line: u8
    cc: Array[u8, NCCS]


@struct
class WinSize:
    rows: u16
    cols: u16
    xpixel: u16
    ypixel: u16


@struct
class Queue:
    data: Array[u8, RING_SIZE]
    head: u32  # next byte to read
    tail: u32  # next free slot


termios: Termios = Termios()
winsize: WinSize = WinSize()
raw: Queue = Queue()  # host mode: bytes as received
cooked: Queue = Queue()  # Linux mode: what read() returns (complete lines in canonical mode)
line: Array[u8, LINE_MAX + 1] = Array[u8, LINE_MAX + 1]()
line_len: u32 = 0
lines_ready: u32 = 0  # canonical mode: line ends (or EOFs) in `cooked`
eof_pending: u32 = 0  # canonical EOFs that mark a zero-length read
linux_session: bool = False
foreground: u32 = 0  # the foreground process group while a Linux session owns the terminal
session: u32 = 0
world: u64 = 0  # whose pid namespace foreground and session are numbers of (a container; 0: host)
dropped: u32 = 0
readers: WaitQueue = WaitQueue()
# Set by the process layer: send a signal to every process of a process group.
signal_group: Callable[[u32, u32], None] = NULL
# Woken on every input so poll() can re-check (the fs layer sets it).
notify_pollers: Callable[[], None] = NULL  # poll/select/epoll look again (fs/poll.notify)


def queue_put(q: Ptr[Queue], c: u8) -> bool:
    nxt: u32 = (q.tail + 1) % RING_SIZE
    if nxt == q.head:
        return False
    q.data[q.tail] = c
    q.tail = nxt
    return True


def queue_get(q: Ptr[Queue]) -> u8:
    c: u8 = q.data[q.head]
    q.head = (q.head + 1) % RING_SIZE
    return c


def queue_empty(q: Ptr[Queue]) -> bool:
    return q.head == q.tail


def reset_termios() -> None:
    """The settings a Linux terminal starts with (what `stty sane` gives)."""
    termios.iflag = u32(ICRNL | 0o2000)  # ICRNL | IXON
    termios.oflag = u32(OPOST | ONLCR)
    termios.cflag = u32(0o277)  # B38400 | CS8 | CREAD
    termios.lflag = u32(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | IEXTEN | 0o4000)  # | ECHOKE
    termios.line = 0
    for i in range(NCCS):
        termios.cc[i] = 0
    termios.cc[VINTR] = 3
    termios.cc[VQUIT] = 0x1C
    termios.cc[VERASE] = 0x7F
    termios.cc[VKILL] = 0x15
    termios.cc[VEOF] = 4
    termios.cc[VMIN] = 1
    termios.cc[8] = 0x11  # VSTART
    termios.cc[9] = 0x13  # VSTOP
    termios.cc[VSUSP] = 0x1A
    termios.cc[12] = 0x12  # VREPRINT
    termios.cc[13] = 0x0F  # VDISCARD
    termios.cc[VWERASE] = 0x17
    termios.cc[VLNEXT] = 0x16


def flush_input() -> None:
    global line_len, lines_ready, eof_pending
    cooked.head = cooked.tail
    line_len = 0
    lines_ready = 0
    eof_pending = 0


def attach(pgid: u32, sid: u32, owner: u64) -> None:
    """A Linux session takes the terminal with fresh settings; pgid is in the foreground. Both are
    numbers of the pid namespace of `owner` (a container, 0 for the host world)."""
    global linux_session, foreground, session, world
    flags: u64 = irq.save()
    reset_termios()
    flush_input()
    linux_session = True
    foreground = pgid
    session = sid
    world = owner
    irq.restore(flags)


def detach() -> None:
    """The host shell takes the terminal back."""
    global linux_session, foreground, session, world
    flags: u64 = irq.save()
    linux_session = False
    foreground = 0
    session = 0
    world = 0
    flush_input()
    irq.restore(flags)


def echo(c: u8) -> None:
    if (termios.lflag & ECHO) == 0:
        return
    if c < ord(" ") and c != ord("\n") and c != ord("\t") and (termios.lflag & ECHOCTL) != 0:
        console.putc(u8(0x5E))  # ^X
        console.putc(c + 0x40)
        return
    console.putc(c)


def erase_one() -> None:
    global line_len
    if line_len == 0:
        return
    line_len -= 1
    if (termios.lflag & ECHO) != 0 and (termios.lflag & ECHOE) != 0:
        console.puts(b"\x08 \x08")
        if line[line_len] < ord(" ") and (termios.lflag & ECHOCTL) != 0:
            console.puts(b"\x08 \x08")  # the ^X took two columns


def commit_line(terminator: bool, c: u8) -> None:
    """Move the edited line (and its terminator) to the cooked queue for read()."""
    global line_len, lines_ready, eof_pending
    for i in range(line_len):
        queue_put(addr(cooked), line[i])
    if terminator:
        queue_put(addr(cooked), c)
    elif line_len == 0:
        eof_pending += 1
    lines_ready += 1
    line_len = 0


def interrupt(sig: u32, c: u8) -> None:
    echo(c)
    if (termios.lflag & ECHO) != 0:
        console.putc(u8(0x0A))
    flush_input()
    if signal_group != NULL and foreground != 0:
        signal_group(foreground, sig)


def receive_linux(c: u8) -> None:
    """One input byte through the line discipline (interrupt context)."""
    global line_len
    if c == ord("\r") and (termios.iflag & IGNCR) != 0:
        return
    if c == ord("\r") and (termios.iflag & ICRNL) != 0:
        c = ord("\n")
    elif c == ord("\n") and (termios.iflag & INLCR) != 0:
        c = ord("\r")
    lflag: u32 = termios.lflag
    if (lflag & ISIG) != 0:
        if c == termios.cc[VINTR]:
            interrupt(u32(SIGINT), c)
            return
        if c == termios.cc[VQUIT]:
            interrupt(u32(SIGQUIT), c)
            return
        if c == termios.cc[VSUSP]:
            interrupt(u32(SIGTSTP), c)
            return
    if (lflag & ICANON) == 0:
        echo(c)
        queue_put(addr(cooked), c)
        return
    if c == termios.cc[VERASE] or c == 0x08:
        erase_one()
        return
    if c == termios.cc[VWERASE] and (lflag & IEXTEN) != 0:
        while line_len > 0 and line[line_len - 1] == ord(" "):
            erase_one()
        while line_len > 0 and line[line_len - 1] != ord(" "):
            erase_one()
        return
    if c == termios.cc[VKILL]:
        while line_len > 0:
            erase_one()
        return
    if c == termios.cc[VEOF]:
        commit_line(False, c)
        return
    if c == ord("\n") or (c == termios.cc[VEOL] and c != 0):
        if (lflag & ECHO) != 0 or (lflag & ECHONL) != 0:
            console.putc(u8(0x0A))
        commit_line(True, c)
        return
    if line_len < LINE_MAX:
        line[line_len] = c
        line_len += 1
        echo(c)


def on_serial_irq(frame: Ptr[TrapFrame]) -> None:
    global dropped
    while uart.has_input(u16(uart.COM1)):
        c: u8 = uart.getc(u16(uart.COM1))
        if linux_session:
            receive_linux(c)
        elif not queue_put(addr(raw), c):
            dropped += 1
    sched.wake_all(addr(readers))
    if notify_pollers != NULL:
        notify_pollers()


def init() -> None:
    reset_termios()
    winsize.rows = 24
    winsize.cols = 80
    trap.register(u32(SERIAL_VECTOR), on_serial_irq)


def read_byte() -> u8:
    """Host mode: the next input byte; the caller's task sleeps while there is none."""
    while True:
        flags: u64 = irq.save()
        if not queue_empty(addr(raw)):
            c: u8 = queue_get(addr(raw))
            irq.restore(flags)
            return c
        sched.block_on(addr(readers), u64(0))
        irq.restore(flags)


def take_byte() -> i64:
    """Host mode: the next input byte if one has come, else -1 (never sleeps): how the host shell
    notices Ctrl-C while it waits for something else."""
    flags: u64 = irq.save()
    c: i64 = -1
    if not queue_empty(addr(raw)):
        c = i64(queue_get(addr(raw)))
    irq.restore(flags)
    return c


def readable() -> bool:
    if (termios.lflag & ICANON) != 0:
        return lines_ready > 0
    return not queue_empty(addr(cooked))


def take(buf: Ptr[u8], count: usize) -> i64:
    """Copy what is ready into buf (interrupts off)."""
    global lines_ready, eof_pending
    n: usize = 0
    canonical: bool = (termios.lflag & ICANON) != 0
    if canonical and eof_pending > 0 and lines_ready > 0 and queue_empty(addr(cooked)):
        eof_pending -= 1
        lines_ready -= 1
        return 0
    while n < count and not queue_empty(addr(cooked)):
        c: u8 = queue_get(addr(cooked))
        if canonical and c == termios.cc[VEOF]:
            lines_ready -= 1
            break
        buf[n] = c
        n += 1
        if canonical and (c == ord("\n") or (c == termios.cc[VEOL] and c != 0)):
            lines_ready -= 1
            break
    return i64(n)


def read(buf: Ptr[u8], count: usize, interrupted: Callable[[], bool]) -> i64:
    """read() on the terminal: a line in canonical mode, what is there (at least one byte) in raw
    mode. -ERESTARTSYS if a signal arrives first."""
    if count == 0:
        return 0
    while True:
        flags: u64 = irq.save()
        if readable():
            n: i64 = take(buf, count)
            irq.restore(flags)
            return n
        if interrupted():
            irq.restore(flags)
            return -errno.ERESTARTSYS
        sched.block_on(addr(readers), u64(0))
        irq.restore(flags)


def write(buf: Ptr[u8], count: usize) -> None:
    if (termios.oflag & OPOST) != 0 and (termios.oflag & ONLCR) != 0:
        console.write(buf, count)  # the UART driver turns \n into \r\n
        return
    for i in range(count):
        uart.putc(u16(uart.COM1), buf[i])
