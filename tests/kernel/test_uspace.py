"""User address spaces under CPython: demand paging, copy-on-write fork, munmap/mprotect/brk,
and the checked copy-in/copy-out path."""
import random

import pytest

from cyrius.kernel import errno
from cyrius.kernel.fs import file, memfs, vfs
from cyrius.kernel.mm import frames, heap, paging, uaccess, uspace
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8, u32, u64

RW = uspace.PROT_READ | uspace.PROT_WRITE
BASE = 0x400000


@pytest.fixture
def space(machine):
    paging.kernel_root = paging.new_table()
    uspace.init()
    s = uspace.create()
    yield s


def kbuf(data: bytes) -> Ptr:
    p = memory.alloc(max(len(data), 1))
    memory.write(p, data)
    return Ptr[u8](p)


def put(s, where: int, data: bytes) -> int:
    return int(uaccess.copy_out(s, u64(where), kbuf(data), u64(len(data))))


def get(s, where: int, n: int) -> bytes | int:
    p = memory.alloc(n)
    r = int(uaccess.copy_in(s, Ptr[u8](p), u64(where), u64(n)))
    return r if r < 0 else memory.read(p, n)


def test_pages_appear_on_first_touch_zeroed(space):
    assert uspace.add(space, u64(BASE), u64(BASE + 16 * 4096), u32(RW), NULL, u64(0), u64(0)) == 0
    assert space.resident == 0
    assert get(space, BASE + 5000, 8) == bytes(8)
    assert space.resident == 1
    assert put(space, BASE + 4090, b"straddles") == 0  # crosses a page boundary
    assert space.resident == 2
    assert get(space, BASE + 4090, 9) == b"straddles"


def test_bad_pointers_are_efault_never_a_fault(space):
    uspace.add(space, u64(BASE), u64(BASE + 4096), u32(uspace.PROT_READ), NULL, u64(0), u64(0))
    assert get(space, BASE - 1, 2) == -errno.EFAULT  # starts outside any mapping
    assert get(space, BASE + 4095, 2) == -errno.EFAULT  # runs off the end
    assert put(space, BASE, b"x") == -errno.EFAULT  # read-only
    assert get(space, 0xFFFF800000000000, 1) == -errno.EFAULT  # the kernel half
    assert get(space, 0x00007FFFFFFFFFFF, 1) == -errno.EFAULT


def test_copy_string_in_stops_at_nul_and_limits_length(space):
    uspace.add(space, u64(BASE), u64(BASE + 4096), u32(RW), NULL, u64(0), u64(0))
    put(space, BASE, b"hello\0")
    dst = Ptr[u8](memory.alloc(64))
    assert uaccess.copy_string_in(space, dst, u64(BASE), u64(64)) == 5
    put(space, BASE, b"x" * 100)
    assert uaccess.copy_string_in(space, dst, u64(BASE), u64(64)) == -errno.ENAMETOOLONG


def held_or_free() -> int:
    """Free frames plus the heap's (which keeps the frames it carves blocks from)."""
    return int(frames.free_frames) + int(heap.frames_held)


def test_fork_shares_until_written_and_destroy_returns_every_frame(space):
    free_before = held_or_free()
    uspace.add(space, u64(BASE), u64(BASE + 8 * 4096), u32(RW), NULL, u64(0), u64(0))
    put(space, BASE, b"parent data")
    put(space, BASE + 4096, b"second page")
    child = uspace.fork(space)
    assert child != NULL and child.resident == 2
    shared = int(frames.free_frames)
    assert put(child, BASE, b"CHILD") == 0  # the child's write copies one page
    assert int(frames.free_frames) == shared - 1
    assert get(space, BASE, 11) == b"parent data"
    assert get(child, BASE, 11) == b"CHILDt data"
    assert get(child, BASE + 4096, 11) == b"second page"
    assert put(space, BASE + 4096, b"SECOND") == 0  # the last sharer writes in place after the child's copy
    assert get(child, BASE + 4096, 11) == b"second page"
    uspace.destroy(child)
    uspace.destroy(space)
    assert held_or_free() == free_before + 1  # and space's own root table, made before free_before


def test_munmap_splits_and_mprotect_changes_access(space):
    uspace.add(space, u64(BASE), u64(BASE + 4 * 4096), u32(RW), NULL, u64(0), u64(0))
    put(space, BASE + 3 * 4096, b"kept")
    assert uspace.unmap(space, u64(BASE + 4096), u64(BASE + 2 * 4096)) == 0
    assert get(space, BASE + 4096, 1) == -errno.EFAULT
    assert get(space, BASE + 3 * 4096, 4) == b"kept"
    assert uspace.protect(space, u64(BASE + 3 * 4096), u64(BASE + 4 * 4096), u32(0)) == 0
    assert get(space, BASE + 3 * 4096, 4) == -errno.EFAULT  # PROT_NONE
    assert uspace.protect(space, u64(BASE + 3 * 4096), u64(BASE + 4 * 4096), u32(uspace.PROT_READ)) == 0
    assert get(space, BASE + 3 * 4096, 4) == b"kept"  # the contents survived PROT_NONE
    assert put(space, BASE + 3 * 4096, b"x") == -errno.EFAULT
    assert uspace.protect(space, u64(BASE + 4096), u64(BASE + 2 * 4096), u32(RW)) == -errno.ENOMEM  # a hole


def test_mremap_was_missing_grows_in_place_moves_pages_and_shrinks(space):
    """mremap (glibc's realloc of a large block under Debian's python3) was ENOSYS."""
    P = 4096
    uspace.add(space, u64(BASE), u64(BASE + 2 * P), u32(RW), NULL, u64(0), u64(0))
    put(space, BASE, b"first")
    put(space, BASE + P, b"second")
    assert uspace.remap(space, u64(BASE), u64(2 * P), u64(4 * P), False, False, u64(0)) == BASE  # in place
    assert put(space, BASE + 3 * P, b"grown") == 0 and get(space, BASE + P, 6) == b"second"
    uspace.add(space, u64(BASE + 4 * P), u64(BASE + 5 * P), u32(RW), NULL, u64(0), u64(0))  # a neighbour
    assert uspace.remap(space, u64(BASE), u64(4 * P), u64(8 * P), False, False, u64(0)) == -errno.ENOMEM
    resident, free = int(space.resident), int(frames.free_frames)
    moved = int(uspace.remap(space, u64(BASE), u64(4 * P), u64(8 * P), True, False, u64(0)))
    assert moved > BASE + 5 * P and moved % P == 0
    assert get(space, moved, 5) == b"first" and get(space, moved + 3 * P, 5) == b"grown"  # the same frames
    assert int(space.resident) == resident and free - int(frames.free_frames) <= 3  # page tables, no page copied
    assert get(space, moved + 7 * P, 1) == b"\0"
    assert get(space, BASE, 1) == -errno.EFAULT  # the old range is gone
    assert uspace.remap(space, u64(moved), u64(8 * P), u64(P), False, False, u64(0)) == moved  # shrunk
    assert get(space, moved + P, 1) == -errno.EFAULT and get(space, moved, 5) == b"first"
    target = BASE + 16 * P
    assert uspace.remap(space, u64(moved), u64(P), u64(2 * P), True, True, u64(target)) == target  # fixed
    assert get(space, target, 5) == b"first"
    overlapping = uspace.remap(space, u64(target), u64(2 * P), u64(2 * P), True, True, u64(target + P))
    assert overlapping == -errno.EINVAL
    assert uspace.remap(space, u64(target), u64(4 * P), u64(P), True, False, u64(0)) == -errno.EFAULT  # past the end
    assert uspace.remap(space, u64(BASE + 40 * P), u64(P), u64(P), True, False, u64(0)) == -errno.EFAULT  # unmapped


def test_mremap_in_random_sequences_keeps_each_pages_data_and_returns_every_frame(space):
    """Random mmap, writes, mremap (in place, moved, fixed; grown and shrunk) and munmap against a model
    of which page holds what; destroy gives back every frame."""
    P, rng, before = 4096, random.Random(25), held_or_free()
    model = {}  # mapped page -> the byte written at its start (0: never written)
    for _ in range(300):
        op, page = rng.randrange(4), BASE + rng.randrange(64) * P
        if op == 0 and not uspace.overlaps(space, u64(page), u64(page + 2 * P)):
            assert uspace.add(space, u64(page), u64(page + 2 * P), u32(RW), NULL, u64(0), u64(0)) == 0
            model.update({page: 0, page + P: 0})
        elif op == 1 and model:
            at = rng.choice(sorted(model))
            model[at] = rng.randrange(1, 256)
            assert put(space, at, bytes([model[at]])) == 0
        elif op == 2 and model:
            v = uspace.find(space, u64(rng.choice(sorted(model))))
            old, size, new = int(v.start), int(v.end - v.start), rng.randrange(1, 6) * P
            fixed = rng.randrange(3) == 0
            r = int(uspace.remap(space, u64(old), u64(size), u64(new), rng.randrange(2) == 1, fixed, u64(page)))
            if r < 0:
                continue
            if fixed:
                model = {a: b for a, b in model.items() if not page <= a < page + new}
            moved = {a: b for a, b in model.items() if old <= a < old + size}
            model = {a: b for a, b in model.items() if not old <= a < old + size}
            model.update({r + i: moved.get(old + i, 0) for i in range(0, new, P)})
        elif op == 3:
            assert uspace.unmap(space, u64(page), u64(page + 3 * P)) == 0
            model = {a: b for a, b in model.items() if not page <= a < page + 3 * P}
        for at, byte in model.items():
            assert get(space, at, 1) == bytes([byte]), hex(at)
        assert int(space.resident) <= len(model)
    uspace.destroy(space)
    assert held_or_free() == before + 1  # and the root table, made before `before`


def test_brk_grows_and_shrinks(space):
    space.brk_start = u64(0x600000)
    space.brk = u64(0x600000)
    assert uspace.set_brk(space, u64(0x600000 + 10000)) == 0x600000 + 10000
    assert put(space, 0x600000 + 9000, b"heap") == 0
    assert uspace.set_brk(space, u64(0x600000 + 100)) == 0x600000 + 100
    assert get(space, 0x600000 + 9000, 4) == -errno.EFAULT
    assert uspace.set_brk(space, u64(0x500000)) == 0x600000 + 100  # below the start: unchanged


def test_file_mapping_reads_the_file_then_zeros(space):
    vfs.init(NULL)
    memfs.init()
    root = memfs.new_root()
    slot = Array[Ptr[file.File], 1]()
    path = kbuf(b"/prog\0")
    assert file.open(vfs.as_kernel(), root, root, path, u32(file.O_RDWR | file.O_CREAT), u32(0o755), addr(slot)) == 0
    data = bytes(range(256)) * 20  # 5120 bytes
    assert file.write(slot[0], kbuf(data), len(data)) == len(data)
    node = slot[0].inode
    # A segment whose file part ends mid-page (like .data followed by .bss).
    assert uspace.add(space, u64(BASE), u64(BASE + 3 * 4096), u32(RW), node, u64(4096), u64(1000)) == 0
    assert get(space, BASE, 1000) == data[4096:5096]
    assert get(space, BASE + 1000, 16) == bytes(16)
    assert put(space, BASE, b"private") == 0
    back = memory.alloc(7)
    assert file.pread(slot[0], Ptr[u8](back), 7, u64(4096)) == 7
    assert memory.read(back, 7) == data[4096:4103]  # a private mapping never writes the file
    file.close(slot[0])
    uspace.destroy(space)


def test_unmapping_a_huge_empty_range_skips_whole_missing_tables(space, monkeypatch):
    """A hostile mmap of most of the user half, then munmap: the walk must skip regions with no page
    tables at the highest missing level (512 GiB, 1 GiB), not step through them 2 MiB at a time."""
    s = space
    start, end = 0x1000_0000, uspace.MMAP_TOP
    assert uspace.add(s, u64(start), u64(end), u32(uspace.PROT_READ | uspace.PROT_WRITE), NULL, u64(0), u64(0)) == 0
    assert uspace.fault(s, u64(start), True) == 0  # one present page at the start
    steps = []
    real = paging.missing_span
    monkeypatch.setattr(paging, "missing_span", lambda root, a: steps.append(int(a)) or real(root, a))
    assert uspace.unmap(s, u64(start), u64(end)) == 0
    assert s.resident == 0
    # The rest of the first GiB by 2 MiB, the first 512 GiB by 1 GiB, then by 512 GiB: about 1,150 steps;
    # 2 MiB steps all the way would be about 65 million.
    assert len(steps) < 2000, len(steps)
def test_a_charge_limits_the_user_frames_its_spaces_hold_together(space):
    charge = uspace.MemoryCharge()
    charge.limit = 3
    space.charge = addr(charge)
    assert uspace.add(space, u64(BASE), u64(BASE + 8 * 4096), u32(RW), NULL, u64(0), u64(0)) == 0
    for page in range(3):
        assert uspace.fault(space, u64(BASE + page * 4096), True) == 0
    assert uspace.fault(space, u64(BASE + 3 * 4096), True) == -errno.ENOMEM
    assert put(space, BASE + 3 * 4096, b"x") == -errno.EFAULT  # a system call cannot get the page either
    child = uspace.fork(space)
    assert child.charge == addr(charge) and charge.used == 3  # shared frames are charged once
    assert uspace.fault(child, u64(BASE), True) == -errno.ENOMEM  # a private copy would be a fourth
    uspace.destroy(child)
    assert charge.used == 3
    uspace.unmap(space, u64(BASE), u64(BASE + 4096))
    assert charge.used == 2
    assert uspace.fault(space, u64(BASE + 3 * 4096), True) == 0


def test_user_pages_stop_at_the_kernels_reserve(space):
    assert uspace.reserve_frames == frames.usable_frames // uspace.RESERVE_SHARE
    assert uspace.add(space, u64(BASE), u64(BASE + 4 * 4096), u32(RW), NULL, u64(0), u64(0)) == 0
    assert uspace.fault(space, u64(BASE), True) == 0
    taken = []
    while frames.free_frames > uspace.reserve_frames:
        taken.append(frames.alloc())
    assert uspace.fault(space, u64(BASE + 4096), True) == -errno.ENOMEM
    assert frames.free_frames == uspace.reserve_frames  # the kernel's own allocations may still use them
    assert frames.alloc() != 0


def test_a_running_programs_file_cannot_be_written_until_its_spaces_are_gone(space):
    """ETXTBSY, as Linux's deny_write_access: a space loaded from a file (and its fork) keeps the file
    from being opened for writing or truncated, since its private mappings may share the file's frames."""
    from cyrius.kernel import errno
    from cyrius.kernel.fs import file, memfs, vfs
    from cyrius.lang import Array, u8
    vfs.init(NULL)
    memfs.init()
    root = memfs.new_root()
    name = Array[u8, 8]()
    for i, c in enumerate(b"/prog\0"):
        name[i] = u8(c)
    slot = Array[Ptr[file.File], 1]()
    assert file.open(vfs.as_kernel(), root, root, addr(name), u32(file.O_WRONLY | file.O_CREAT), u32(0o755),
                     addr(slot)) == 0
    node = vfs.get(slot[0].inode)
    file.close(slot[0])
    uspace.set_program(space, node)
    child = uspace.fork(space)
    for flags in (file.O_WRONLY, file.O_RDWR, file.O_RDONLY | file.O_TRUNC):
        assert file.open(vfs.as_kernel(), root, root, addr(name), u32(flags), u32(0), addr(slot)) == -errno.ETXTBSY
    assert file.open(vfs.as_kernel(), root, root, addr(name), u32(file.O_RDONLY), u32(0), addr(slot)) == 0
    file.close(slot[0])
    uspace.destroy(child)
    assert file.open(vfs.as_kernel(), root, root, addr(name), u32(file.O_WRONLY), u32(0), addr(slot)) == -errno.ETXTBSY
    uspace.destroy(space)  # the fixture's space: nothing runs the file any more
    assert file.open(vfs.as_kernel(), root, root, addr(name), u32(file.O_WRONLY), u32(0), addr(slot)) == 0
    file.close(slot[0])
    vfs.put(node)
