"""Split-virtqueue ring logic under CPython: the test plays the device, reading and writing the
rings in simulated memory exactly where virtio 1.0 section 2.4 puts them."""
import struct

import pytest

from cyrius.kernel.dev import virtqueue
from cyrius.kernel.mm import frames
from cyrius.lang import NULL, Ptr, addr, memory, sizeof, u16, u32, u64

DIRECT_MAP = 0x40_0000_0000


def phys_read(address, n):
    return memory.read(DIRECT_MAP + int(address), n)


class Device:
    """The other side of one queue: reads avail, walks chains, writes used."""

    def __init__(self, q):
        self.q = q
        self.size = int(q.size)
        self.last_avail = 0
        self.used_idx = 0
        self.notified = 0

    def avail_idx(self):
        return struct.unpack("<H", phys_read(self.q.avail_phys + 2, 2))[0]

    def take(self):
        """Heads made available since last time, each with its chain [(addr, len, flags)]."""
        out = []
        while self.last_avail != self.avail_idx():
            slot = self.q.avail_phys + 4 + 2 * (self.last_avail % self.size)
            head = struct.unpack("<H", phys_read(slot, 2))[0]
            chain, at = [], head
            while True:
                a, length, flags, nxt = struct.unpack("<QIHH", phys_read(self.q.desc_phys + 16 * at, 16))
                chain.append((a, length, flags))
                if not flags & virtqueue.DESC_F_NEXT:
                    break
                at = nxt
            out.append((head, chain))
            self.last_avail = (self.last_avail + 1) & 0xFFFF
        return out

    def give_back(self, head, written=0):
        slot = self.q.used_phys + 4 + 8 * (self.used_idx % self.size)
        memory.write(DIRECT_MAP + slot, struct.pack("<II", head, written))
        self.used_idx = (self.used_idx + 1) & 0xFFFF
        memory.write(DIRECT_MAP + self.q.used_phys + 2, struct.pack("<H", self.used_idx))


class Completions:
    def __init__(self):
        self.seen = []

    def __call__(self, q, token, length):
        self.seen.append((token.address, int(length)))


def make_queue(size=8):
    q = virtqueue.Virtqueue()
    assert virtqueue.init(addr(q), u16(3), u16(size))
    done = Completions()
    q.complete = done
    return q, done


def segments(*specs):
    """Segment array from (addr, len, device_writes) triples."""
    segs = Ptr[virtqueue.Segment](memory.alloc(len(specs) * sizeof(virtqueue.Segment)))
    for i, (a, length, writes) in enumerate(specs):
        segs[i].addr = u64(a)
        segs[i].len = u32(length)
        segs[i].device_writes = writes
    return segs


def token(n):
    return Ptr[None](0x1000 * n)


def test_init_layout_and_free_list(machine):
    q, _ = make_queue(8)
    assert q.size == 8 and q.index == 3 and q.free_count == 8
    assert q.desc_phys % 4096 == 0 and q.avail_phys % 4096 == 0
    assert q.used_phys == q.avail_phys + virtqueue.USED_OFFSET and q.used_phys % 4 == 0
    chain = [int(q.desc[i].next) for i in range(8)]
    assert chain == [1, 2, 3, 4, 5, 6, 7, virtqueue.NO_DESC]
    assert virtqueue.in_flight(addr(q)) == 0


def test_biggest_queue_fits_the_layout():
    size = virtqueue.MAX_SIZE
    assert int(virtqueue.ring_bytes(u16(size))) <= virtqueue.USED_OFFSET
    assert virtqueue.USED_OFFSET + 4 + 8 * size + 2 <= 4096
    assert 16 * size <= 4096


@pytest.mark.parametrize("size", [0, 3, 12, 512])
def test_sizes_must_be_powers_of_two_up_to_the_maximum(machine, size):
    q = virtqueue.Virtqueue()
    free = frames.free_frames
    assert not virtqueue.init(addr(q), u16(0), u16(size))
    assert frames.free_frames == free


def test_submit_chains_descriptors_with_flags(machine):
    q, _ = make_queue()
    dev = Device(q)
    segs = segments((0x5000, 16, False), (0x6000, 4096, True), (0x7010, 1, True))
    assert virtqueue.submit(addr(q), segs, u32(3), token(1))
    assert q.free_count == 5
    [(head, chain)] = dev.take()
    assert head == 0
    F_NEXT, F_WRITE = virtqueue.DESC_F_NEXT, virtqueue.DESC_F_WRITE
    assert chain == [(0x5000, 16, F_NEXT), (0x6000, 4096, F_NEXT | F_WRITE), (0x7010, 1, F_WRITE)]


def test_submit_refuses_without_enough_descriptors_and_changes_nothing(machine):
    q, _ = make_queue(4)
    dev = Device(q)
    assert virtqueue.submit(addr(q), segments((1, 1, False), (2, 2, False), (3, 3, True)), u32(3), token(1))
    before = (int(q.free_head), int(q.free_count), int(q.next_avail))
    assert not virtqueue.submit(addr(q), segments((4, 4, False), (5, 5, True)), u32(2), token(2))
    assert (int(q.free_head), int(q.free_count), int(q.next_avail)) == before
    assert len(dev.take()) == 1
    assert not virtqueue.submit(addr(q), segments((4, 4, False)), u32(1), NULL)  # a token is required
    assert not virtqueue.submit(addr(q), segments(), u32(0), token(3))


def test_collect_hands_tokens_back_out_of_order_and_frees_descriptors(machine):
    q, done = make_queue(8)
    dev = Device(q)
    for n in range(1, 4):
        assert virtqueue.submit(addr(q), segments((n, 16, False), (n, 1, True)), u32(2), token(n))
    assert q.free_count == 2 and virtqueue.in_flight(addr(q)) == 3
    taken = dev.take()
    assert [h for h, _ in taken] == [0, 2, 4]
    dev.give_back(4, 11)
    dev.give_back(0, 22)
    assert virtqueue.collect(addr(q)) == 2
    assert done.seen == [(0x3000, 11), (0x1000, 22)]
    assert q.free_count == 6
    dev.give_back(2, 33)
    assert virtqueue.collect(addr(q)) == 1
    assert virtqueue.collect(addr(q)) == 0
    assert q.free_count == 8 and virtqueue.in_flight(addr(q)) == 0
    # every descriptor is on the free list exactly once
    seen, at = set(), int(q.free_head)
    while at != virtqueue.NO_DESC:
        assert at not in seen
        seen.add(at)
        at = int(q.desc[at].next)
    assert seen == set(range(8))


def test_indices_wrap_around_2_to_the_16(machine):
    q, done = make_queue(4)
    dev = Device(q)
    start = 0xFFFA  # as if 65530 requests had gone before
    q.next_avail = u16(start)
    q.last_used = u16(start)
    memory.write(DIRECT_MAP + q.avail_phys + 2, struct.pack("<H", start))
    memory.write(DIRECT_MAP + q.used_phys + 2, struct.pack("<H", start))
    dev.last_avail = dev.used_idx = start
    for n in range(1, 13):  # three times round a 4-entry ring, across idx 0xFFFF -> 0
        assert virtqueue.submit(addr(q), segments((n, 8, False), (n, 1, True)), u32(2), token(n))
        [(head, chain)] = dev.take()
        assert chain[0][0] == n
        slot = (start + n - 1) % 4  # the ring slot is idx mod size, continuous across the wrap
        ring_entry = struct.unpack("<H", phys_read(q.avail_phys + 4 + 2 * slot, 2))[0]
        assert ring_entry == head
        dev.give_back(head, n)
        assert virtqueue.collect(addr(q)) == 1
    assert int(q.next_avail) == (start + 12) & 0xFFFF == int(q.last_used)
    assert done.seen == [(0x1000 * n, n) for n in range(1, 13)]


def test_used_entries_for_descriptors_not_in_flight_are_ignored(machine):
    q, done = make_queue(4)
    dev = Device(q)
    assert virtqueue.submit(addr(q), segments((1, 1, True)), u32(1), token(1))
    dev.take()
    dev.give_back(3)  # never submitted
    dev.give_back(9)  # not even a descriptor
    dev.give_back(0)
    assert virtqueue.collect(addr(q)) == 1
    assert q.bad_used == 2 and done.seen == [(0x1000, 0)]
    assert q.free_count == 4


def test_kick_writes_the_queue_index_unless_the_device_declines(machine):
    q, _ = make_queue(4)
    written = []
    memory.map_device(0x7000_0000, 2, lambda off, w: 0, lambda off, w, v: written.append((w, v)))
    q.notify = Ptr[u16](0x7000_0000)
    virtqueue.kick(addr(q))
    assert written == [(2, 3)]
    memory.write(DIRECT_MAP + q.used_phys, struct.pack("<H", virtqueue.USED_F_NO_NOTIFY))
    virtqueue.kick(addr(q))
    assert written == [(2, 3)]
