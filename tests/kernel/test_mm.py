"""Frame allocator, heap and page tables under CPython on a simulated memory map."""
import pytest

from cyrius.kernel.mm import frames, heap, paging
from cyrius.lang import NULL, Ptr, cast, memory, u64, usize

MIB = 1 << 20


class Panic(Exception):
    pass


def raise_panic(message):
    raise Panic(message.decode())


@pytest.fixture
def panics(monkeypatch):
    """Kernel panics become exceptions, so a test can assert on them and go on."""
    monkeypatch.setattr(frames, "panic", raise_panic)
    monkeypatch.setattr(heap, "panic", raise_panic)


def test_usable_frames_follow_the_memory_map(machine):
    # 13 MiB conventional above 1 MiB + 1 MiB boot-services data, minus the bitmap's own frame.
    expected = (13 * MIB + 1 * MIB) // 4096 - 1
    assert frames.usable_frames == expected
    assert frames.free_frames == expected


def test_alloc_never_returns_reserved_or_loader_memory(machine):
    seen = set()
    while True:
        f = frames.alloc()
        if f == 0:
            break
        assert f % 4096 == 0
        assert f >= 3 * MIB and f < 17 * MIB, hex(f)
        assert f not in seen
        seen.add(int(f))
    assert frames.free_frames == 0
    assert len(seen) == frames.usable_frames


def test_free_then_alloc_reuses_and_double_free_panics(machine, panics):
    f = frames.alloc()
    frames.free(f)
    with pytest.raises(Panic, match="double free"):
        frames.free(f)


def test_contiguous_run(machine):
    run = frames.alloc_contiguous(u64(16))
    assert run != 0
    for i in range(16):
        assert frames.is_used(u64((run >> 12) + i))


def test_contiguous_runs_are_found_next_fit_and_fail_when_none_fits(machine):
    """Next fit: a search resumes after the last run found and goes back to the bottom only when
    nothing above fits, so the low memory that single frames fragment is not rescanned every time."""
    taken = []
    while (f := frames.alloc()) != 0:
        taken.append(int(f))
    taken.sort()
    for gap_start, gap in ((10, 2), (40, 3), (100, 8)):  # holes of 2, 3 and 8 frames
        for i in range(gap):
            frames.free(u64(taken[gap_start + i]))
    assert frames.alloc_contiguous(u64(3)) == taken[40]
    assert frames.alloc_contiguous(u64(2)) == taken[100]  # past the last run, not back at the hole of 2
    assert frames.alloc_contiguous(u64(9)) == 0
    assert frames.alloc_contiguous(u64(6)) == taken[102]
    assert frames.alloc_contiguous(u64(2)) == taken[10]  # nothing above: from the bottom again
    assert frames.alloc_contiguous(u64(1)) == 0
    assert frames.free_frames == 0


def test_heap_sizes_alignment_and_no_leaks(machine):
    before = frames.free_frames
    blocks = []
    for size in [1, 15, 16, 17, 100, 2000, 4000, 4081, 10000, 70000]:
        p = heap.kalloc(usize(size))
        assert p != NULL
        assert p.address % 16 == 0
        assert memory.read(p.address, size) == bytes(size)
        memory.write(p.address, bytes([0xAB]) * size)
        blocks.append(p)
    assert heap.live_blocks == len(blocks)
    for p in blocks:
        heap.kfree(p)
    assert heap.live_blocks == 0
    assert heap.bytes_in_use == 0
    # big blocks return their frames; small-class frames stay cached in the free lists
    assert frames.free_frames == before - heap.frames_held


def test_heap_double_free_and_wild_pointer_panic(machine, panics):
    p = heap.kalloc(usize(64))
    heap.kfree(p)
    with pytest.raises(Panic, match="double free"):
        heap.kfree(p)
    q = heap.kalloc(usize(64))
    with pytest.raises(Panic, match="not returned by kalloc"):
        heap.kfree(cast(Ptr[None], cast(usize, q) + 8))


def test_map_translate_unmap(machine):
    root = paging.new_table()
    page = frames.alloc()
    virt = u64(0x400000)
    assert paging.translate(root, virt) == paging.NOT_MAPPED
    assert paging.map_page(root, virt, page, u64(paging.PTE_WRITE | paging.PTE_USER))
    assert paging.translate(root, virt + 0x123) == page + 0x123
    assert paging.translate(root, virt + 0x1000) == paging.NOT_MAPPED
    assert paging.unmap(root, virt) == page
    assert paging.translate(root, virt) == paging.NOT_MAPPED


def test_huge_pages(machine):
    root = paging.new_table()
    virt = u64(0xFFFF_C000_0000_0000)
    assert not paging.map_huge(root, virt + 4096, u64(0x200000), u64(paging.PTE_WRITE))
    assert paging.map_huge(root, virt, u64(0x200000), u64(paging.PTE_WRITE))
    assert paging.translate(root, virt + 0x12345) == 0x212345
    # a 4 KiB mapping cannot be placed inside a huge page
    assert not paging.map_page(root, virt + 4096, u64(0x5000), u64(0))
    assert paging.unmap(root, virt) == 0x200000


def test_new_space_shares_kernel_half(machine):
    kernel = paging.new_table()
    paging.kernel_root = kernel
    assert paging.map_page(kernel, u64(0xFFFF_FFFF_8000_0000), u64(0x300000), u64(paging.PTE_WRITE))
    space = paging.new_space()
    assert space != kernel
    assert paging.translate(space, u64(0xFFFF_FFFF_8000_0000)) == 0x300000
    assert paging.map_page(space, u64(0x1000), u64(0x301000), u64(paging.PTE_USER))
    assert paging.translate(kernel, u64(0x1000)) == paging.NOT_MAPPED
