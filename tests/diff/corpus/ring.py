"""A single-producer ring buffer of bytes with power-of-two capacity and free-running indices."""
from cyrius.lang import Array, Final, Ptr, addr, i32, struct, u8, u32, usize
from cyrius.rt import memcpy

CAPACITY: Final = 16


@struct
class Ring:
    head: u32    # next slot to write (free running)
    tail: u32    # next slot to read
    dropped: u32
    data: Array[u8, CAPACITY]

    def count(self) -> u32:
        return self.head - self.tail

    def full(self) -> bool:
        return self.count() == CAPACITY

    def push(self, b: u8) -> bool:
        if self.full():
            self.dropped += 1
            return False
        self.data[self.head & (CAPACITY - 1)] = b
        self.head += 1
        return True

    def pop(self) -> i32:
        """The oldest byte, or -1 when empty."""
        if self.head == self.tail:
            return -1
        b: u8 = self.data[self.tail & (CAPACITY - 1)]
        self.tail += 1
        return i32(b)


def push_many(r: Ptr[Ring], src: Ptr[u8], n: u32) -> u32:
    """Copy up to n bytes in at most two memcpy calls (the free space may wrap)."""
    space: u32 = CAPACITY - r.count()
    if n > space:
        r.dropped += n - space
        n = space
    first: u32 = CAPACITY - (r.head & (CAPACITY - 1))
    if first > n:
        first = n
    base: Ptr[u8] = addr(r.data)
    memcpy(base + (r.head & (CAPACITY - 1)), src, usize(first))
    memcpy(base, src + first, usize(n - first))
    r.head += n
    return n


def simulate(ops: Ptr[u8], n: u32, out: Ptr[u8], start: u32) -> u32:
    """Run a script: byte < 0x80 pushes it, 0x80..0xEF pops, 0xF0.. pushes the next (op & 15) bytes
    of the script at once. Popped bytes go to out; returns count * 65536 + dropped * 256 + popped.
    The indices start at `start` so that they wrap around 2**32 during the run."""
    r: Ring = Ring(head=start, tail=start)
    popped: u32 = 0
    i: u32 = 0
    while i < n:
        op: u8 = ops[i]
        i += 1
        if op < 0x80:
            r.push(op)
        elif op < 0xF0:
            v: i32 = r.pop()
            if v >= 0:
                out[popped] = u8(v)
                popped += 1
        else:
            k: u32 = u32(op & 15)
            if k > n - i:
                k = n - i
            push_many(addr(r), ops + i, k)
            i += k
    return r.count() * 65536 + r.dropped * 256 + popped
