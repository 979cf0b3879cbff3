/*
 * boot_info.h - the contract between the UEFI loader (boot/uefi/loader.c)
 * and the kernel (_start in boot/x86_64/entry.S, then kernel_main).
 *
 * The loader fills one struct boot_info and passes the kernel its
 * *direct-map virtual address* in RDI.  The kernel mirrors these structs as
 * Python @struct classes, so the rules are strict:
 *   - fixed-width fields only (uint64_t / uint32_t), no bitfields, no unions,
 *     no pointers (addresses are uint64_t, and every field says whether it
 *     is a physical address or a virtual one);
 *   - explicit padding, every offset written down and checked by
 *     _Static_assert below;
 *   - new fields are appended and bump BOOT_INFO_VERSION.
 *
 * State of the machine when the kernel's _start runs:
 *   - long mode, CPL 0, interrupts disabled (IF=0), boot services exited;
 *   - CR3 = page_table_root, a 4-level table built by the loader with:
 *       * [kernel_virt_base, +kernel_size)  -> [kernel_phys_base, +kernel_size)
 *         4 KiB pages; text R+X, rodata R+NX, data/bss RW+NX (NX only if the
 *         CPU has it; EFER.NXE is then set).  CR0.WP is set, so read-only
 *         really means read-only for the kernel too.
 *       * [direct_map_base, +direct_map_size) -> [0, direct_map_size)
 *         RW+NX, 1 GiB pages if CPUID has pdpe1gb, else 2 MiB pages.
 *       * [0, direct_map_size) -> [0, direct_map_size)  (identity, RW, X)
 *         only so the loader survives its own CR3 switch.  The kernel should
 *         clear PML4 entries 0..255 once it no longer needs them (the lower
 *         half belongs to user space).  The identity map shares its PDPT
 *         pages with the direct map, so clear the PML4 entries only - do
 *         not free the tables under them.
 *   - the kernel image is loaded and its .bss is zeroed;
 *   - RSP points into the loader's stack (EfiBootServicesData, reachable
 *     only through the identity map).  The kernel MUST switch to its own
 *     stack before anything else - entry.S does this on its first
 *     instructions.  No stack top is passed.
 *   - GDT and IDT are still the firmware's (in boot-services memory); the
 *     kernel loads its own before enabling interrupts.
 *
 * Memory the kernel must not reuse until it is done with it: every
 * BOOT_MEM_LOADER_DATA range contains some of it (kernel image, page tables,
 * this struct); the exact ranges are in kernel_phys_base/kernel_size,
 * page_tables_phys/page_tables_size and boot_info_phys/boot_info_alloc_size.
 * BOOT_MEM_LOADER_CODE and BOOT_MEM_BOOT_SERVICES_* are free once the kernel
 * runs on its own stack and has dropped the identity map (the firmware's
 * GDT/IDT live there too, so load your own first).
 */
#ifndef CYRIUS_BOOT_INFO_H
#define CYRIUS_BOOT_INFO_H

#include <stdint.h>

/* "CYRIUSBI" read as a little-endian uint64_t. */
#define BOOT_INFO_MAGIC   0x4942535549525943ULL
#define BOOT_INFO_VERSION 1u

/* Where things live in the kernel's address space. */
#define BOOT_KERNEL_VIRT_BASE 0xffffffff80000000ULL /* -mcmodel=kernel, kernel.ld */
#define BOOT_DIRECT_MAP_BASE  0xffff800000000000ULL /* all physical memory */

/* boot_mem_desc.type: identical to UEFI's EFI_MEMORY_TYPE numbering. */
#define BOOT_MEM_RESERVED              0u
#define BOOT_MEM_LOADER_CODE           1u
#define BOOT_MEM_LOADER_DATA           2u
#define BOOT_MEM_BOOT_SERVICES_CODE    3u
#define BOOT_MEM_BOOT_SERVICES_DATA    4u
#define BOOT_MEM_RUNTIME_SERVICES_CODE 5u
#define BOOT_MEM_RUNTIME_SERVICES_DATA 6u
#define BOOT_MEM_CONVENTIONAL          7u
#define BOOT_MEM_UNUSABLE              8u
#define BOOT_MEM_ACPI_RECLAIM          9u
#define BOOT_MEM_ACPI_NVS              10u
#define BOOT_MEM_MMIO                  11u
#define BOOT_MEM_MMIO_PORT_SPACE       12u
#define BOOT_MEM_PAL_CODE              13u
#define BOOT_MEM_PERSISTENT            14u

/* boot_info.fb_format: identical to UEFI's EFI_GRAPHICS_PIXEL_FORMAT. */
#define BOOT_FB_NONE 0xffffffffu /* no framebuffer: fb_base == 0 too */
#define BOOT_FB_RGBX 0u          /* PixelRedGreenBlueReserved8BitPerColor */
#define BOOT_FB_BGRX 1u          /* PixelBlueGreenRedReserved8BitPerColor */
#define BOOT_FB_BITMASK 2u       /* PixelBitMask: see fb_*_mask */

/*
 * One memory-map entry.  32 bytes.  The loader converts UEFI descriptors
 * (whose size varies by firmware) into this fixed layout, in firmware order
 * (not sorted, not merged).
 */
struct boot_mem_desc {
    uint32_t type;       /* 0x00  BOOT_MEM_* */
    uint32_t pad0;       /* 0x04  zero */
    uint64_t phys_start; /* 0x08  physical address, 4 KiB aligned */
    uint64_t num_pages;  /* 0x10  number of 4 KiB pages */
    uint64_t attribute;  /* 0x18  EFI_MEMORY_* attribute bits (UC, WB, RUNTIME...) */
};

/* 208 bytes.  "VA" = virtual address valid under page_table_root. */
struct boot_info {
    uint64_t magic;                /* 0x00  BOOT_INFO_MAGIC */
    uint32_t version;              /* 0x08  BOOT_INFO_VERSION */
    uint32_t size;                 /* 0x0c  sizeof(struct boot_info) as the loader knew it */

    /* Address space set up by the loader. */
    uint64_t direct_map_base;      /* 0x10  VA; == BOOT_DIRECT_MAP_BASE */
    uint64_t direct_map_size;      /* 0x18  bytes of physical memory mapped there (and
                                            identity-mapped at 0); multiple of 1 GiB, >= 4 GiB */
    uint64_t kernel_phys_base;     /* 0x20  physical address of the first kernel page */
    uint64_t kernel_virt_base;     /* 0x28  VA of that page (lowest PT_LOAD vaddr, page-aligned) */
    uint64_t kernel_size;          /* 0x30  bytes, multiple of 4 KiB; the image is physically
                                            contiguous: phys = kernel_phys_base + (va - kernel_virt_base) */
    uint64_t page_table_root;      /* 0x38  physical address of the PML4 (the CR3 value) */
    uint64_t page_tables_phys;     /* 0x40  physical base of the contiguous pool holding every
                                            page-table page the loader built */
    uint64_t page_tables_size;     /* 0x48  bytes, multiple of 4 KiB */
    uint64_t boot_info_phys;       /* 0x50  physical address of this struct; the memory map and
                                            the command line follow it in the same allocation */
    uint64_t boot_info_alloc_size; /* 0x58  bytes of that allocation, multiple of 4 KiB */

    /* Firmware memory map, captured by the final GetMemoryMap before ExitBootServices. */
    uint64_t memmap;               /* 0x60  VA (direct map) of struct boot_mem_desc[memmap_count] */
    uint64_t memmap_count;         /* 0x68  number of entries */
    uint64_t memmap_desc_size;     /* 0x70  == sizeof(struct boot_mem_desc) == 32 */

    /* Contents of \cmdline.txt on the ESP (optional; trailing newlines stripped). */
    uint64_t cmdline;              /* 0x78  VA (direct map) of a NUL-terminated string; 0 if none */
    uint64_t cmdline_len;          /* 0x80  bytes, without the NUL */

    /* Firmware tables. */
    uint64_t acpi_rsdp;            /* 0x88  physical address of the RSDP; 0 if none */
    uint32_t acpi_rsdp_revision;   /* 0x90  2 = ACPI 2.0+ RSDP (has XSDT), 0 = ACPI 1.0 RSDP */
    uint32_t pad0;                 /* 0x94  zero */
    uint64_t efi_system_table;     /* 0x98  physical address of EFI_SYSTEM_TABLE (runtime
                                            services only; identity-mapped addresses) */

    /* GOP framebuffer; everything zero and fb_format == BOOT_FB_NONE if there is none. */
    uint64_t fb_base;              /* 0xa0  physical address */
    uint64_t fb_size;              /* 0xa8  bytes */
    uint32_t fb_width;             /* 0xb0  pixels */
    uint32_t fb_height;            /* 0xb4  pixels */
    uint32_t fb_pixels_per_scanline; /* 0xb8  pitch in pixels (4 bytes each for RGBX/BGRX) */
    uint32_t fb_format;            /* 0xbc  BOOT_FB_* */
    uint32_t fb_red_mask;          /* 0xc0  only meaningful for BOOT_FB_BITMASK */
    uint32_t fb_green_mask;        /* 0xc4 */
    uint32_t fb_blue_mask;         /* 0xc8 */
    uint32_t fb_reserved_mask;     /* 0xcc */
};                                 /* 0xd0 */

#define BOOT_INFO_CMDLINE_MAX 4096u /* bytes reserved for the command line, NUL included */

/* The layout is an ABI: make the compiler prove the offsets above. */
#define BOOT_INFO_CHECK_(cond, what) _Static_assert(cond, what)
BOOT_INFO_CHECK_(sizeof(struct boot_mem_desc) == 32, "boot_mem_desc is 32 bytes");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_mem_desc, attribute) == 0x18, "boot_mem_desc.attribute");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_info, direct_map_base) == 0x10, "boot_info.direct_map_base");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_info, memmap) == 0x60, "boot_info.memmap");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_info, cmdline) == 0x78, "boot_info.cmdline");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_info, acpi_rsdp) == 0x88, "boot_info.acpi_rsdp");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_info, efi_system_table) == 0x98, "boot_info.efi_system_table");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_info, fb_base) == 0xa0, "boot_info.fb_base");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_info, fb_format) == 0xbc, "boot_info.fb_format");
BOOT_INFO_CHECK_(__builtin_offsetof(struct boot_info, fb_reserved_mask) == 0xcc, "boot_info.fb_reserved_mask");
BOOT_INFO_CHECK_(sizeof(struct boot_info) == 0xd0, "boot_info is 208 bytes");
#undef BOOT_INFO_CHECK_

#endif /* CYRIUS_BOOT_INFO_H */
