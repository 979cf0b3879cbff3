"""A detached container's log ring (container/log.py) under CPython: appends wrap, the oldest bytes
are dropped and counted, a reader's cursor follows absolute positions, and the log inode gives
its ring back with its last reference."""
import pytest

from cyrius.kernel.container import log
from cyrius.kernel.fs import file, vfs
from cyrius.kernel.mm import heap
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8, u32, usize


def ring(cap: int) -> log.LogRing:
    r = log.LogRing()
    log.ring_init(addr(r), Ptr[u8](memory.alloc(cap)), u32(cap))
    return r


def append(r, data: bytes) -> None:
    buf = Ptr[u8](memory.alloc(max(len(data), 1)))
    memory.write(int(buf.address), data)
    log.append(addr(r), buf, usize(len(data)))


def read(r, cursor, cap: int = 4096) -> bytes:
    out = Ptr[u8](memory.alloc(cap))
    n = log.read(addr(r), addr(cursor), out, usize(cap))
    return memory.read(int(out.address), int(n))


def test_appends_wrap_and_the_oldest_bytes_are_dropped(machine):
    r = ring(8)
    c = log.Cursor()
    append(r, b"hello")
    assert read(r, c) == b"hello" and c.pos == 5 and c.skipped == 0
    append(r, b" world")  # 11 bytes written, 8 held: "lo world"
    assert log.oldest(addr(r)) == 3
    assert read(r, c) == b" world" and c.pos == 11
    late = log.Cursor()
    assert read(r, late) == b"lo world" and late.skipped == 3
    append(r, b"0123456789ABCDEF")  # more than the ring: only the last 8 stay
    assert r.written == 27 and read(r, log.Cursor()) == b"89ABCDEF"
    assert read(r, c) == b"89ABCDEF" and c.skipped == 8


def test_a_reader_takes_what_fits_and_continues(machine):
    r = ring(16)
    append(r, b"abcdefghij")
    c = log.Cursor()
    assert read(r, c, cap=4) == b"abcd"
    assert read(r, c, cap=4) == b"efgh"
    assert read(r, c, cap=4) == b"ij"
    assert read(r, c, cap=4) == b""


@pytest.mark.parametrize("chunks", [[3, 5, 7, 11, 13, 2], [64], [1] * 40])
def test_the_ring_keeps_exactly_the_last_cap_bytes(machine, chunks):
    r = ring(16)
    data = bytes(range(256))
    at = 0
    sent = b""
    for n in chunks:
        piece = data[at:at + n]
        at += n
        sent += piece
        append(r, piece)
    assert read(r, log.Cursor()) == sent[-16:]


def test_the_log_inode_reads_end_of_file_and_frees_its_ring(machine):
    vfs.init(NULL)
    log.init()
    before = (int(heap.bytes_in_use), int(heap.live_blocks))
    node = log.new_log(True)
    assert node != NULL and (node.mode & vfs.S_IFMT) == vfs.S_IFIFO
    files = Array[Ptr[file.File], 2]()
    assert log.open_file(node, u32(file.O_WRONLY), addr(files)) == 0
    assert log.open_file(node, u32(file.O_RDONLY), addr(files) + 1) == 0
    vfs.put(node)  # the container's reference; the Files keep the log
    buf = Ptr[u8](memory.alloc(16))
    memory.write(int(buf.address), b"out\n")
    assert file.write(files[0], buf, usize(4)) == 4
    assert file.read(files[1], buf, usize(16)) == 0
    out = Ptr[u8](memory.alloc(16))
    assert log.read(log.ring_of(node), addr(log.Cursor()), out, usize(16)) == 4
    assert memory.read(int(out.address), 4) == b"out\n"
    file.close(files[0])
    file.close(files[1])
    assert (int(heap.bytes_in_use), int(heap.live_blocks)) == before
