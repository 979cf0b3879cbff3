"""Fixtures that give kernel modules a simulated machine under CPython."""
import pytest

from cyrius import rt
from cyrius.kernel.bootinfo import BootInfo, BootMemDesc, MEM_CONVENTIONAL, MEM_LOADER_DATA, MEM_BOOT_SERVICES_DATA
from cyrius.kernel.mm import frames, heap, phys
from cyrius.lang import Ptr, addr, memory, sizeof, u32, u64

DIRECT_MAP = 0x40_0000_0000  # where "physical address 0" lives in simulated memory
MIB = 1 << 20


class Machine:
    """A fake UEFI memory map over simulated physical memory."""

    def __init__(self, regions):
        self.info = BootInfo()
        descs = memory.alloc(len(regions) * sizeof(BootMemDesc))
        for i, (kind, start, size) in enumerate(regions):
            d = Ptr[BootMemDesc](descs) + i
            d.type = u32(kind)
            d.phys_start = u64(start)
            d.num_pages = u64(size // 4096)
        self.info.memmap = u64(descs)
        self.info.memmap_count = u64(len(regions))
        self.info.memmap_desc_size = u64(32)

    @property
    def pointer(self):
        return addr(self.info)


@pytest.fixture
def machine():
    memory.reset()
    rt.reset()
    phys.direct_map = u64(DIRECT_MAP)
    rt.fake("read_cr3", lambda: 0)  # no address space is live: page-table edits need no TLB flush
    m = Machine([
        (MEM_CONVENTIONAL, 0, 640 * 1024),
        (MEM_LOADER_DATA, 1 * MIB, 2 * MIB),
        (MEM_CONVENTIONAL, 3 * MIB, 13 * MIB),
        (MEM_BOOT_SERVICES_DATA, 16 * MIB, 1 * MIB),
    ])
    frames.init(m.pointer)
    heap.init()
    yield m
    rt.reset()


@pytest.fixture
def current_process(machine):
    """A live process with one running thread, made current (signals sent to it end its waits)."""
    from cyrius.kernel.mm.heap import kalloc
    from cyrius.kernel.proc import process, sched, task
    from cyrius.lang import NULL, cast, usize
    t = cast(Ptr[task.Task], kalloc(usize(sizeof(task.Task))))
    p = cast(Ptr[task.Process], kalloc(usize(sizeof(task.Process))))
    t.state = u32(task.TASK_RUNNING)
    process.attach_leader(p, t)
    p.state = u32(task.PROC_ALIVE)
    sched.current = t
    yield p
    sched.current = NULL
