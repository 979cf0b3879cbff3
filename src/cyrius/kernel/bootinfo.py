"""What the UEFI stage hands the kernel: mirrors boot/include/boot_info.h field for field."""
from cyrius.lang import Final, struct, u32, u64

BOOT_INFO_MAGIC: Final = 0x4942535549525943  # "CYRIUSBI"
BOOT_INFO_VERSION: Final = 1

MEM_LOADER_CODE: Final = 1
MEM_LOADER_DATA: Final = 2
MEM_BOOT_SERVICES_CODE: Final = 3
MEM_BOOT_SERVICES_DATA: Final = 4
MEM_CONVENTIONAL: Final = 7
MEM_ACPI_RECLAIM: Final = 9


@struct
class BootMemDesc:
    type: u32
    pad0: u32
    phys_start: u64
    num_pages: u64
    attribute: u64


@struct
class BootInfo:
    magic: u64
    version: u32
    size: u32
    direct_map_base: u64
    direct_map_size: u64
    kernel_phys_base: u64
    kernel_virt_base: u64
    kernel_size: u64
    page_table_root: u64
    page_tables_phys: u64
    page_tables_size: u64
    boot_info_phys: u64
    boot_info_alloc_size: u64
    memmap: u64
    memmap_count: u64
    memmap_desc_size: u64
    cmdline: u64
    cmdline_len: u64
    acpi_rsdp: u64
    acpi_rsdp_revision: u32
    pad0: u32
    efi_system_table: u64
    fb_base: u64
    fb_size: u64
    fb_width: u32
    fb_height: u32
    fb_pixels_per_scanline: u32
    fb_format: u32
    fb_red_mask: u32
    fb_green_mask: u32
    fb_blue_mask: u32
    fb_reserved_mask: u32
