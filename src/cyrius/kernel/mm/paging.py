"""x86_64 4-level page tables: map, unmap and translate in any address space.

An address space is the physical address of its PML4 ("root"). Page-table pages are reached
through the direct map. The kernel half (PML4 entries 256..511) is shared by every space.
"""
from cyrius.lang import Final, Ptr, cast, u64, usize
from cyrius.rt import invlpg, memcpy, memset, read_cr3, write_cr3

from . import frames, phys

PTE_PRESENT: Final = 1 << 0
PTE_WRITE: Final = 1 << 1
PTE_USER: Final = 1 << 2
PTE_HUGE: Final = 1 << 7  # 2 MiB in a PD entry, 1 GiB in a PDPT entry
PTE_NX: Final = 1 << 63
ADDR_MASK: Final = 0x000FFFFFFFFFF000
NOT_MAPPED: Final = 0xFFFFFFFFFFFFFFFF
HUGE_SIZE: Final = 1 << 21
GIANT_SIZE: Final = 1 << 30

kernel_root: u64 = 0  # the address space the kernel booted with


def table(phys_addr: u64) -> Ptr[u64]:
    return cast(Ptr[u64], usize(phys.to_virt(phys_addr & ADDR_MASK)))


def index(virt: u64, level: u64) -> u64:
    """Index of virt in the table of `level` (4 = PML4 ... 1 = PT)."""
    return (virt >> (12 + 9 * (level - 1))) & 0x1FF


def new_table() -> u64:
    frame: u64 = frames.alloc()
    if frame != 0:
        memset(phys.bytes_at(frame), 0, usize(phys.PAGE))
    return frame


def entry_at(root: u64, virt: u64, level: u64, create: bool) -> Ptr[u64]:
    """The entry for virt in its level-`level` table, walking (and creating) the tables above.
    NULL-equivalent: returns a pointer to 0 address if a table is missing and create is False."""
    t: Ptr[u64] = table(root)
    depth: u64 = 4
    while depth > level:
        e: Ptr[u64] = t + index(virt, depth)
        if (e[0] & PTE_PRESENT) == 0:
            if not create:
                return cast(Ptr[u64], usize(0))
            fresh: u64 = new_table()
            if fresh == 0:
                return cast(Ptr[u64], usize(0))
            # Intermediate entries are permissive; the leaf decides the access rights.
            e[0] = fresh | PTE_PRESENT | PTE_WRITE | PTE_USER
        elif (e[0] & PTE_HUGE) != 0:
            return cast(Ptr[u64], usize(0))
        t = table(e[0])
        depth -= 1
    return t + index(virt, level)


def missing_span(root: u64, virt: u64) -> u64:
    """The size of the aligned region around virt that no page table covers: 2 MiB when its level-1
    table is missing, 1 GiB or 512 GiB when a higher one is; 0 when virt has a level-1 table.
    Walks over empty address space skip whole regions at once instead of 2 MiB at a time."""
    t: Ptr[u64] = table(root)
    depth: u64 = 4
    while depth > 1:
        e: Ptr[u64] = t + index(virt, depth)
        if (e[0] & PTE_PRESENT) == 0 or (e[0] & PTE_HUGE) != 0:
            return u64(1) << (u64(12) + u64(9) * (depth - 1))
        t = table(e[0])
        depth -= 1
    return 0


def flush(root: u64, virt: u64) -> None:
    if (read_cr3() & ADDR_MASK) == root:
        invlpg(usize(virt))


def map_page(root: u64, virt: u64, phys_addr: u64, flags: u64) -> bool:
    """Map one 4 KiB page. False if out of memory or virt is covered by a huge page."""
    e: Ptr[u64] = entry_at(root, virt, u64(1), True)
    if cast(usize, e) == 0:
        return False
    e[0] = (phys_addr & ADDR_MASK) | flags | PTE_PRESENT
    flush(root, virt)
    return True


def map_huge(root: u64, virt: u64, phys_addr: u64, flags: u64) -> bool:
    """Map one 2 MiB page; both addresses must be 2 MiB aligned."""
    if (virt & (HUGE_SIZE - 1)) != 0 or (phys_addr & (HUGE_SIZE - 1)) != 0:
        return False
    e: Ptr[u64] = entry_at(root, virt, u64(2), True)
    if cast(usize, e) == 0 or ((e[0] & PTE_PRESENT) != 0 and (e[0] & PTE_HUGE) == 0):
        return False
    e[0] = (phys_addr & ADDR_MASK) | flags | PTE_PRESENT | PTE_HUGE
    flush(root, virt)
    return True


def translate(root: u64, virt: u64) -> u64:
    """Physical address virt maps to in this space, or NOT_MAPPED."""
    t: Ptr[u64] = table(root)
    level: u64 = 4
    while True:
        e: u64 = t[index(virt, level)]
        if (e & PTE_PRESENT) == 0:
            return NOT_MAPPED
        if level == 1:
            return (e & ADDR_MASK) | (virt & 0xFFF)
        if (e & PTE_HUGE) != 0 and level == 2:
            return (e & ADDR_MASK & ~u64(HUGE_SIZE - 1)) | (virt & (HUGE_SIZE - 1))
        if (e & PTE_HUGE) != 0 and level == 3:
            return (e & ADDR_MASK & ~u64(GIANT_SIZE - 1)) | (virt & (GIANT_SIZE - 1))
        t = table(e)
        level -= 1


def unmap(root: u64, virt: u64) -> u64:
    """Remove the 4 KiB or 2 MiB mapping of virt; returns the physical address it had, or NOT_MAPPED."""
    level: u64 = 1
    while level <= 2:
        e: Ptr[u64] = entry_at(root, virt, level, False)
        if cast(usize, e) != 0 and (e[0] & PTE_PRESENT) != 0 and (level == 1 or (e[0] & PTE_HUGE) != 0):
            old: u64 = e[0] & ADDR_MASK
            e[0] = 0
            flush(root, virt)
            return old
        level += 1
    return NOT_MAPPED


def new_space() -> u64:
    """A fresh address space sharing the kernel half; 0 if out of memory."""
    root: u64 = new_table()
    if root == 0:
        return 0
    memcpy(cast(Ptr[None], table(root) + 256), cast(Ptr[None], table(kernel_root) + 256), usize(256 * 8))
    return root


def drop_identity_map(root: u64) -> None:
    """Forget the loader's lower-half identity map: the lower half belongs to user space.
    Only PML4 entries are cleared; the tables below are shared with the direct map."""
    memset(cast(Ptr[None], table(root)), 0, usize(256 * 8))
    write_cr3(root)
