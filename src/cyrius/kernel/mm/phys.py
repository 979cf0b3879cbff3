"""Physical memory as the kernel sees it: through the direct map set up by the UEFI stage."""
from cyrius.lang import Final, Ptr, cast, u8, u64, usize

PAGE: Final = 4096  # the one page size: frames, user pages, bounce buffers
PAGE_SHIFT: Final = 12

# Virtual address of physical address 0. Set from boot_info at boot; host tests point it at
# simulated memory.
direct_map: u64 = 0xFFFF800000000000


def to_virt(phys: u64) -> u64:
    return direct_map + phys


def to_phys(virt: u64) -> u64:
    return virt - direct_map


def bytes_at(phys: u64) -> Ptr[u8]:
    return cast(Ptr[u8], usize(to_virt(phys)))
