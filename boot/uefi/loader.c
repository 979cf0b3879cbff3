/*
 * loader.c - Cyrius's UEFI boot stage (EFI/BOOT/BOOTX64.EFI on the ESP).
 *
 * What it does, in order (efi_main at the bottom reads like this list):
 *   1. open \kernel.elf on the volume this loader was loaded from;
 *   2. validate it (ELF64, x86_64, ET_EXEC, PT_LOADs in the higher half);
 *   3. allocate ONE physically contiguous block for the whole image span
 *      (so the kernel can translate its own addresses with one subtraction),
 *      read the PT_LOAD file bytes into it, zero the rest (.bss);
 *   4. read the optional \cmdline.txt, find the ACPI RSDP and the GOP
 *      framebuffer;
 *   5. build 4-level page tables: kernel image at its link address, all
 *      physical memory at BOOT_DIRECT_MAP_BASE, and the same memory
 *      identity-mapped so this code survives the CR3 switch;
 *   6. allocate struct boot_info, take the final memory map, exit boot
 *      services (retrying on a stale map key), convert the map;
 *   7. load CR3 and jump to the ELF entry with the boot_info's direct-map
 *      address in RDI.
 *
 * Logging: every progress line goes straight to COM1 with port I/O, not
 * through ConOut, because (a) it keeps working after ExitBootServices and
 * (b) printing through the firmware between GetMemoryMap and
 * ExitBootServices could allocate and invalidate the map key.  Fatal
 * errors before ExitBootServices also go to ConOut (the screen); OVMF mirrors
 * ConOut onto the same serial port, so such a line appears twice there.
 *
 * Built by src/cyrius/image/uefi_build.py with gnu-efi (GNU_EFI_USE_MS_ABI:
 * firmware function pointers are declared ms_abi and called directly).
 * gnu-efi's crt0 calls efi_main with the System V convention.
 */
#include <efi.h>
#include <stdarg.h>

#include "boot_info.h"

#define KERNEL_PATH  L"\\kernel.elf"
#define CMDLINE_PATH L"\\cmdline.txt"

/* gnu-efi's EFI_ERROR does not parenthesize its argument. */
#define FAILED(status) ((INTN)(status) < 0)

#define PAGE_SIZE 4096UL
#define MIB (1UL << 20)
#define GIB (1UL << 30)
#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((a) - 1))

static EFI_SYSTEM_TABLE *g_st;
static EFI_BOOT_SERVICES *g_bs;
static int g_boot_services_exited; /* after this, only serial output */

/* ------------------------------------------------------------------ */
/* Low-level helpers (no libc here; gcc may still emit calls to these) */

void *memset(void *dst, int c, UINTN n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

void *memcpy(void *dst, const void *src, UINTN n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

static inline void outb(UINT16 port, UINT8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline UINT8 inb(UINT16 port) { UINT8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline void cpuid(UINT32 leaf, UINT32 *a, UINT32 *b, UINT32 *c, UINT32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline UINT64 rdmsr(UINT32 msr)
{
    UINT32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((UINT64)hi << 32) | lo;
}

static inline void wrmsr(UINT32 msr, UINT64 v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((UINT32)v), "d"((UINT32)(v >> 32)));
}

/* ------------------------------------------------------------------ */
/* Serial console (COM1).  OVMF has already programmed the UART (115200 8N1)
 * for its own console; we only write bytes, so we never disturb it. */

#define COM1 0x3f8

static void serial_putc(char c)
{
    /* Bounded wait on "transmit holding register empty": never hang the
     * boot because of a missing UART. */
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        ;
    outb(COM1, (UINT8)c);
}

static void serial_write(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            serial_putc('\r');
        serial_putc(*s);
    }
}

/* ------------------------------------------------------------------ */
/* A printf subset: %s %c %d %u %x with optional l (64-bit), %p.  Checked by gcc. */

struct strbuf {
    char *buf;
    UINTN len, cap;
};

static void sb_putc(struct strbuf *sb, char c)
{
    if (sb->len + 1 < sb->cap)
        sb->buf[sb->len++] = c;
    sb->buf[sb->len] = 0;
}

static void sb_puts(struct strbuf *sb, const char *s)
{
    while (*s)
        sb_putc(sb, *s++);
}

static void sb_putu(struct strbuf *sb, UINT64 v, unsigned base)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n)
        sb_putc(sb, tmp[--n]);
}

static void sb_vformat(struct strbuf *sb, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sb_putc(sb, *fmt);
            continue;
        }
        int longs = 0;
        fmt++;
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            sb_puts(sb, s ? s : "(null)");
            break;
        }
        case 'c':
            sb_putc(sb, (char)va_arg(ap, int));
            break;
        case 'd': {
            INT64 v = longs ? va_arg(ap, INT64) : va_arg(ap, int);
            if (v < 0) {
                sb_putc(sb, '-');
                v = -v;
            }
            sb_putu(sb, (UINT64)v, 10);
            break;
        }
        case 'u':
        case 'x': {
            UINT64 v = longs ? va_arg(ap, UINT64) : va_arg(ap, unsigned);
            sb_putu(sb, v, *fmt == 'u' ? 10 : 16);
            break;
        }
        case 'p':
            sb_putc(sb, '0');
            sb_putc(sb, 'x');
            sb_putu(sb, (UINT64)(UINTN)va_arg(ap, void *), 16);
            break;
        case '%':
            sb_putc(sb, '%');
            break;
        default: /* unknown conversion: show it rather than guess */
            sb_putc(sb, '%');
            sb_putc(sb, *fmt ? *fmt : '?');
            if (!*fmt)
                return;
        }
    }
}

/* "[uefi] <message>\n" on the serial port only (safe at any time). */
__attribute__((format(printf, 1, 2)))
static void log_line(const char *fmt, ...)
{
    static char buf[512];
    struct strbuf sb = {buf, 0, sizeof buf};
    va_list ap;

    sb_puts(&sb, "[uefi] ");
    va_start(ap, fmt);
    sb_vformat(&sb, fmt, ap);
    va_end(ap);
    sb_putc(&sb, '\n');
    serial_write(buf);
}

/*
 * Report a fatal error: "[uefi] error: <message>" on serial, and on ConOut
 * while boot services still exist.  Returns a non-success status for
 * efi_main to hand back to the firmware (which then tries the next boot
 * option): the loader never hangs silently.
 */
__attribute__((format(printf, 2, 3)))
static EFI_STATUS fail(EFI_STATUS status, const char *fmt, ...)
{
    static char buf[512];
    static CHAR16 wbuf[600];
    struct strbuf sb = {buf, 0, sizeof buf};
    va_list ap;

    sb_puts(&sb, "[uefi] error: ");
    va_start(ap, fmt);
    sb_vformat(&sb, fmt, ap);
    va_end(ap);
    sb_putc(&sb, '\n');
    serial_write(buf);

    if (!g_boot_services_exited && g_st && g_st->ConOut) {
        UINTN j = 0;
        for (UINTN i = 0; buf[i] && j + 2 < sizeof wbuf / sizeof wbuf[0]; i++) {
            if (buf[i] == '\n')
                wbuf[j++] = L'\r';
            wbuf[j++] = (CHAR16)(UINT8)buf[i];
        }
        wbuf[j] = 0;
        g_st->ConOut->OutputString(g_st->ConOut, wbuf);
    }
    return FAILED(status) ? status : EFI_LOAD_ERROR;
}

/* After ExitBootServices there is nobody to return to. */
static void __attribute__((noreturn)) halt_forever(void)
{
    serial_write("[uefi] halted\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}

static const char *efi_status_name(EFI_STATUS s)
{
    switch (s) {
    case EFI_SUCCESS:           return "EFI_SUCCESS";
    case EFI_LOAD_ERROR:        return "EFI_LOAD_ERROR";
    case EFI_INVALID_PARAMETER: return "EFI_INVALID_PARAMETER";
    case EFI_UNSUPPORTED:       return "EFI_UNSUPPORTED";
    case EFI_BUFFER_TOO_SMALL:  return "EFI_BUFFER_TOO_SMALL";
    case EFI_NOT_READY:         return "EFI_NOT_READY";
    case EFI_DEVICE_ERROR:      return "EFI_DEVICE_ERROR";
    case EFI_OUT_OF_RESOURCES:  return "EFI_OUT_OF_RESOURCES";
    case EFI_NOT_FOUND:         return "EFI_NOT_FOUND";
    case EFI_VOLUME_CORRUPTED:  return "EFI_VOLUME_CORRUPTED";
    default:                    return "EFI error";
    }
}

/* Whole pages of EfiLoaderData, anywhere, zeroed. */
static EFI_STATUS alloc_pages(UINTN npages, UINT64 *phys, const char *what)
{
    EFI_PHYSICAL_ADDRESS addr = 0;
    EFI_STATUS st = g_bs->AllocatePages(AllocateAnyPages, EfiLoaderData, npages, &addr);
    if (FAILED(st))
        return fail(st, "cannot allocate %lu pages for %s: %s", (UINT64)npages, what,
                    efi_status_name(st));
    memset((void *)(UINTN)addr, 0, npages * PAGE_SIZE);
    *phys = addr;
    return EFI_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Files on the boot volume */

static EFI_GUID g_loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID g_simple_fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID g_file_info_guid = EFI_FILE_INFO_ID;
static EFI_GUID g_gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
static EFI_GUID g_acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID g_acpi10_guid = ACPI_TABLE_GUID;

/* The root directory of the volume BOOTX64.EFI itself came from. */
static EFI_STATUS open_boot_volume(EFI_HANDLE image, EFI_FILE_HANDLE *root)
{
    EFI_LOADED_IMAGE *li = NULL;
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs = NULL;
    EFI_STATUS st;

    st = g_bs->HandleProtocol(image, &g_loaded_image_guid, (void **)&li);
    if (FAILED(st))
        return fail(st, "no LoadedImage protocol on our own image: %s", efi_status_name(st));
    st = g_bs->HandleProtocol(li->DeviceHandle, &g_simple_fs_guid, (void **)&fs);
    if (FAILED(st))
        return fail(st, "boot device has no FAT file system (SimpleFileSystem): %s",
                    efi_status_name(st));
    st = fs->OpenVolume(fs, root);
    if (FAILED(st))
        return fail(st, "cannot open the boot volume: %s", efi_status_name(st));
    return EFI_SUCCESS;
}

static EFI_STATUS file_size(EFI_FILE_HANDLE f, UINT64 *size)
{
    /* EFI_FILE_INFO ends with the file name; 512 bytes covers any 8.3 or
     * reasonable long name in the root directory. */
    static UINT64 info_buf[64];
    UINTN len = sizeof info_buf;
    EFI_STATUS st = f->GetInfo(f, &g_file_info_guid, &len, info_buf);
    if (FAILED(st))
        return st;
    *size = ((EFI_FILE_INFO *)info_buf)->FileSize;
    return EFI_SUCCESS;
}

/* Read exactly len bytes at offset. */
static EFI_STATUS read_at(EFI_FILE_HANDLE f, UINT64 offset, void *buf, UINT64 len)
{
    EFI_STATUS st = f->SetPosition(f, offset);
    UINT8 *p = buf;
    if (FAILED(st))
        return st;
    while (len) {
        UINTN n = len;
        st = f->Read(f, &n, p);
        if (FAILED(st))
            return st;
        if (n == 0)
            return EFI_END_OF_FILE;
        p += n;
        len -= n;
    }
    return EFI_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The kernel ELF.  Only what we need of <elf.h>, which is not freestanding. */

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define MAX_PHDRS 32

typedef struct {
    UINT8 e_ident[EI_NIDENT];
    UINT16 e_type, e_machine;
    UINT32 e_version;
    UINT64 e_entry, e_phoff, e_shoff;
    UINT32 e_flags;
    UINT16 e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;

typedef struct {
    UINT32 p_type, p_flags;
    UINT64 p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;

struct kernel_image {
    UINT64 entry;
    UINT64 virt_base; /* lowest PT_LOAD vaddr, page-aligned down */
    UINT64 size;      /* span up to the highest vaddr+memsz, page-aligned up */
    UINT64 phys_base; /* the contiguous allocation */
    UINT64 file_size;
    UINTN nphdrs;
    Elf64_Phdr phdrs[MAX_PHDRS];
};

/* Check the headers before touching memory; every message names kernel.elf
 * and the offending value so a broken build is diagnosed from the log. */
static EFI_STATUS validate_elf(const Elf64_Ehdr *eh, struct kernel_image *k)
{
    const UINT8 *id = eh->e_ident;
    if (k->file_size < sizeof *eh)
        return fail(EFI_LOAD_ERROR, "kernel.elf is too small to be an ELF file (%lu bytes)",
                    k->file_size);
    if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
        return fail(EFI_LOAD_ERROR, "kernel.elf is not an ELF file (bad magic %x %x %x %x)",
                    id[0], id[1], id[2], id[3]);
    if (id[4] != ELFCLASS64 || id[5] != ELFDATA2LSB || id[6] != EV_CURRENT)
        return fail(EFI_LOAD_ERROR, "kernel.elf is not a little-endian ELF64 file (class %u, data %u)",
                    id[4], id[5]);
    if (eh->e_machine != EM_X86_64)
        return fail(EFI_LOAD_ERROR, "kernel.elf is not for x86_64 (e_machine %u)", eh->e_machine);
    if (eh->e_type != ET_EXEC)
        return fail(EFI_LOAD_ERROR, "kernel.elf is not a static executable (e_type %u, want ET_EXEC=2)",
                    eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
        return fail(EFI_LOAD_ERROR, "kernel.elf has a bad program header table (%u entries of %u bytes)",
                    eh->e_phnum, eh->e_phentsize);
    if (eh->e_phoff > k->file_size || eh->e_phnum * sizeof(Elf64_Phdr) > k->file_size - eh->e_phoff)
        return fail(EFI_LOAD_ERROR, "kernel.elf program headers lie outside the file");
    return EFI_SUCCESS;
}

static EFI_STATUS validate_segments(struct kernel_image *k)
{
    UINT64 lo = ~0ULL, hi = 0;
    int entry_ok = 0;

    for (UINTN i = 0; i < k->nphdrs; i++) {
        const Elf64_Phdr *ph = &k->phdrs[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (ph->p_filesz > ph->p_memsz)
            return fail(EFI_LOAD_ERROR, "kernel.elf segment %lu: filesz > memsz", (UINT64)i);
        /* Empty PT_LOADs occupy nothing; ld emits one (at vaddr 0) for a
         * PHDRS entry whose sections all came out empty. */
        if (ph->p_memsz == 0)
            continue;
        if (ph->p_offset > k->file_size || ph->p_filesz > k->file_size - ph->p_offset)
            return fail(EFI_LOAD_ERROR, "kernel.elf segment %lu lies outside the file "
                        "(offset 0x%lx + 0x%lx > 0x%lx): truncated file?",
                        (UINT64)i, ph->p_offset, ph->p_filesz, k->file_size);
        /* (the last page of the address space is excluded so page rounding cannot wrap) */
        if (ph->p_vaddr < BOOT_KERNEL_VIRT_BASE || ph->p_memsz > (0ULL - PAGE_SIZE) - ph->p_vaddr)
            return fail(EFI_LOAD_ERROR, "kernel.elf segment %lu at vaddr 0x%lx is not in the higher "
                        "half (link the kernel at 0x%lx with boot/kernel.ld)",
                        (UINT64)i, ph->p_vaddr, (UINT64)BOOT_KERNEL_VIRT_BASE);
        if (ph->p_vaddr < lo)
            lo = ph->p_vaddr;
        if (ph->p_vaddr + ph->p_memsz > hi)
            hi = ph->p_vaddr + ph->p_memsz;
        if ((ph->p_flags & PF_X) && k->entry >= ph->p_vaddr && k->entry < ph->p_vaddr + ph->p_memsz)
            entry_ok = 1;
    }
    if (hi == 0)
        return fail(EFI_LOAD_ERROR, "kernel.elf has no loadable segment");
    if (!entry_ok)
        return fail(EFI_LOAD_ERROR, "kernel.elf entry point 0x%lx is not inside an executable segment",
                    k->entry);
    k->virt_base = ALIGN_DOWN(lo, PAGE_SIZE);
    k->size = ALIGN_UP(hi, PAGE_SIZE) - k->virt_base; /* hi <= 2^64 - 4096: no wrap */
    if (k->size > GIB)
        return fail(EFI_LOAD_ERROR, "kernel.elf spans %lu MiB of address space; more than 1 GiB "
                    "is surely a linker-script mistake", (UINT64)(k->size / MIB));
    return EFI_SUCCESS;
}

static EFI_STATUS load_kernel(EFI_FILE_HANDLE root, struct kernel_image *k)
{
    EFI_FILE_HANDLE f = NULL;
    Elf64_Ehdr eh;
    EFI_STATUS st;

    st = root->Open(root, &f, KERNEL_PATH, EFI_FILE_MODE_READ, 0);
    if (FAILED(st))
        return fail(st, "cannot open \\kernel.elf on the boot volume: %s", efi_status_name(st));
    st = file_size(f, &k->file_size);
    if (FAILED(st))
        return fail(st, "cannot stat kernel.elf: %s", efi_status_name(st));
    log_line("loading kernel.elf (%lu bytes)", k->file_size);

    memset(&eh, 0, sizeof eh);
    if (k->file_size >= sizeof eh && FAILED(st = read_at(f, 0, &eh, sizeof eh)))
        return fail(st, "cannot read kernel.elf header: %s", efi_status_name(st));
    if (FAILED(st = validate_elf(&eh, k)))
        return st;
    k->entry = eh.e_entry;
    k->nphdrs = eh.e_phnum;
    st = read_at(f, eh.e_phoff, k->phdrs, eh.e_phnum * sizeof(Elf64_Phdr));
    if (FAILED(st))
        return fail(st, "cannot read kernel.elf program headers: %s", efi_status_name(st));
    if (FAILED(st = validate_segments(k)))
        return st;

    /* One contiguous block for the whole span: the gaps between segments
     * are at most a few pages, and a constant virt->phys offset is worth
     * far more to the kernel than those pages. alloc_pages zeroes it,
     * which is also what zeroes .bss. */
    st = alloc_pages(k->size / PAGE_SIZE, &k->phys_base, "the kernel image");
    if (FAILED(st))
        return st;
    for (UINTN i = 0; i < k->nphdrs; i++) {
        const Elf64_Phdr *ph = &k->phdrs[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0 || ph->p_filesz == 0)
            continue;
        void *dst = (void *)(UINTN)(k->phys_base + (ph->p_vaddr - k->virt_base));
        st = read_at(f, ph->p_offset, dst, ph->p_filesz);
        if (FAILED(st))
            return fail(st, "cannot read kernel.elf segment %lu: %s", (UINT64)i, efi_status_name(st));
        log_line("  segment 0x%lx..0x%lx %c%c%c -> phys 0x%lx", ph->p_vaddr, ph->p_vaddr + ph->p_memsz,
                 'r', ph->p_flags & PF_W ? 'w' : '-', ph->p_flags & PF_X ? 'x' : '-',
                 k->phys_base + (ph->p_vaddr - k->virt_base));
    }
    f->Close(f);
    return EFI_SUCCESS;
}

/* Optional \cmdline.txt: kernel arguments without rebuilding anything. */
static UINTN read_cmdline(EFI_FILE_HANDLE root, char *out, UINTN cap)
{
    EFI_FILE_HANDLE f = NULL;
    UINT64 size = 0;
    UINTN n;

    out[0] = 0;
    if (FAILED(root->Open(root, &f, CMDLINE_PATH, EFI_FILE_MODE_READ, 0)))
        return 0; /* absent: fine */
    if (FAILED(file_size(f, &size)))
        size = 0;
    n = size < cap - 1 ? (UINTN)size : cap - 1;
    if (n && FAILED(read_at(f, 0, out, n)))
        n = 0;
    f->Close(f);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        n--;
    out[n] = 0;
    if (n)
        log_line("cmdline: %s", out);
    return n;
}

/* ------------------------------------------------------------------ */
/* Firmware tables */

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
    const UINT8 *x = (const UINT8 *)a, *y = (const UINT8 *)b;
    for (UINTN i = 0; i < sizeof(EFI_GUID); i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

static void find_rsdp(struct boot_info *bi)
{
    /* Prefer the ACPI 2.0 entry (its RSDP has the XSDT address). */
    for (UINTN i = 0; i < g_st->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &g_st->ConfigurationTable[i];
        if (guid_eq(&t->VendorGuid, &g_acpi20_guid)) {
            bi->acpi_rsdp = (UINT64)(UINTN)t->VendorTable;
            bi->acpi_rsdp_revision = 2;
            return;
        }
        if (guid_eq(&t->VendorGuid, &g_acpi10_guid) && !bi->acpi_rsdp)
            bi->acpi_rsdp = (UINT64)(UINTN)t->VendorTable;
    }
}

static void find_framebuffer(struct boot_info *bi)
{
    EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;

    bi->fb_format = BOOT_FB_NONE;
    if (FAILED(g_bs->LocateProtocol(&g_gop_guid, NULL, (void **)&gop)) || !gop || !gop->Mode ||
        !gop->Mode->Info)
        return;
    EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
    if (info->PixelFormat == PixelBltOnly)
        return; /* no linear framebuffer to hand over */
    bi->fb_base = gop->Mode->FrameBufferBase;
    bi->fb_size = gop->Mode->FrameBufferSize;
    bi->fb_width = info->HorizontalResolution;
    bi->fb_height = info->VerticalResolution;
    bi->fb_pixels_per_scanline = info->PixelsPerScanLine;
    bi->fb_format = (UINT32)info->PixelFormat;
    bi->fb_red_mask = info->PixelInformation.RedMask;
    bi->fb_green_mask = info->PixelInformation.GreenMask;
    bi->fb_blue_mask = info->PixelInformation.BlueMask;
    bi->fb_reserved_mask = info->PixelInformation.ReservedMask;
}

/* ------------------------------------------------------------------ */
/* Memory map */

struct memmap {
    UINT8 *buf; /* raw EFI_MEMORY_DESCRIPTORs, desc_size apart */
    UINTN size, cap, key, desc_size;
    UINT32 desc_version;
};

static EFI_MEMORY_DESCRIPTOR *mm_desc(struct memmap *mm, UINTN i)
{
    return (EFI_MEMORY_DESCRIPTOR *)(mm->buf + i * mm->desc_size);
}

/* Highest physical address any descriptor (RAM or MMIO) reaches. */
static UINT64 memmap_max_phys(struct memmap *mm)
{
    UINT64 max = 0;
    for (UINTN i = 0; i < mm->size / mm->desc_size; i++) {
        EFI_MEMORY_DESCRIPTOR *d = mm_desc(mm, i);
        UINT64 end = d->PhysicalStart + d->NumberOfPages * PAGE_SIZE;
        if (end > max)
            max = end;
    }
    return max;
}

/* The size GetMemoryMap wants right now, in descriptors. */
static EFI_STATUS memmap_count_now(UINTN *count, UINTN *desc_size)
{
    UINTN size = 0, key, dsize = 0;
    UINT32 dver;
    EFI_STATUS st = g_bs->GetMemoryMap(&size, NULL, &key, &dsize, &dver);
    if (st != EFI_BUFFER_TOO_SMALL || dsize == 0)
        return fail(FAILED(st) ? st : EFI_LOAD_ERROR, "GetMemoryMap size query failed: %s",
                    efi_status_name(st));
    *count = size / dsize;
    *desc_size = dsize;
    return EFI_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Page tables.  All entries are built through the identity view of
 * physical memory that UEFI itself runs on. */

#define PTE_P  (1ULL << 0)
#define PTE_W  (1ULL << 1)
#define PTE_PS (1ULL << 7) /* 2 MiB page in a PD entry, 1 GiB page in a PDPT entry */
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

#define PML4_INDEX(va) (((va) >> 39) & 511)

struct pt_pool {
    UINT64 base;       /* physical, contiguous, zeroed */
    UINTN used, total; /* pages */
};

struct paging {
    struct pt_pool pool;
    UINT64 *pml4;
    int nx;        /* CPU supports NX: we may set PTE_NX (and must set EFER.NXE) */
    int gib_pages; /* CPU supports 1 GiB pages (CPUID pdpe1gb) */
    UINT64 map_size; /* bytes of physical memory in the direct and identity maps */
};

static UINT64 *pt_alloc(struct pt_pool *p)
{
    if (p->used == p->total) {
        /* The pool is sized from the same numbers; this is a loader bug. */
        fail(EFI_LOAD_ERROR, "page-table pool exhausted (%lu pages)", (UINT64)p->total);
        return NULL;
    }
    return (UINT64 *)(UINTN)(p->base + PAGE_SIZE * p->used++);
}

/*
 * The entry that maps va at `level` (4 = PML4 ... 1 = PT), creating the
 * tables above it.  Intermediate entries are P|W without NX: permissions
 * are decided by the leaves (and, for the direct map, by its PML4 entries).
 */
static UINT64 *pt_walk(struct paging *pg, UINT64 va, int level)
{
    UINT64 *table = pg->pml4;
    for (int l = 4; l > level; l--) {
        UINT64 *e = &table[(va >> (12 + 9 * (l - 1))) & 511];
        if (!(*e & PTE_P)) {
            UINT64 *t = pt_alloc(&pg->pool);
            if (!t)
                return NULL;
            *e = (UINT64)(UINTN)t | PTE_P | PTE_W;
        } else if (*e & PTE_PS) {
            fail(EFI_LOAD_ERROR, "page-table walk for 0x%lx hit a large page", va);
            return NULL;
        }
        table = (UINT64 *)(UINTN)(*e & PTE_ADDR);
    }
    return &table[(va >> (12 + 9 * (level - 1))) & 511];
}

static void detect_paging_features(struct paging *pg)
{
    UINT32 a, b, c, d;
    cpuid(0x80000000, &a, &b, &c, &d);
    if (a >= 0x80000001) {
        cpuid(0x80000001, &a, &b, &c, &d);
        pg->nx = (d >> 20) & 1;
        pg->gib_pages = (d >> 26) & 1;
    }
}

/* Pages the tables can possibly need: sized up front so that one
 * allocation holds them all (and the kernel learns one range to keep). */
static UINTN pt_pages_needed(const struct paging *pg, const struct kernel_image *k)
{
    UINTN pdpts = (UINTN)ALIGN_UP(pg->map_size, 512 * GIB) / (512 * GIB);
    UINTN pds = pg->gib_pages ? 0 : (UINTN)(pg->map_size / GIB);
    UINTN kernel = 1 /* PDPT */ + (UINTN)(k->size / GIB) + 2 /* PDs */ +
                   (UINTN)(k->size / (2 * MIB)) + 2 /* PTs */;
    return 1 /* PML4 */ + pdpts + pds + kernel;
}

static EFI_STATUS build_page_tables(struct paging *pg, const struct kernel_image *k)
{
    EFI_STATUS st;
    UINT64 *e;

    pg->pool.total = pt_pages_needed(pg, k);
    st = alloc_pages(pg->pool.total, &pg->pool.base, "page tables");
    if (FAILED(st))
        return st;
    pg->pml4 = pt_alloc(&pg->pool);

    /* 1. The kernel, page by page, with its segment permissions.  Two
     * segments sharing a page get the union of their rights. */
    for (UINTN i = 0; i < k->nphdrs; i++) {
        const Elf64_Phdr *ph = &k->phdrs[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        UINT64 va = ALIGN_DOWN(ph->p_vaddr, PAGE_SIZE);
        UINT64 end = ALIGN_UP(ph->p_vaddr + ph->p_memsz, PAGE_SIZE);
        for (; va < end; va += PAGE_SIZE) {
            if (!(e = pt_walk(pg, va, 1)))
                return EFI_LOAD_ERROR;
            UINT64 flags = PTE_P;
            if (ph->p_flags & PF_W)
                flags |= PTE_W;
            if (pg->nx && !(ph->p_flags & PF_X))
                flags |= PTE_NX;
            if (*e & PTE_P) /* shared page: W if either, NX only if both */
                flags = (flags | (*e & PTE_W)) & ~(~*e & PTE_NX);
            *e = (k->phys_base + (va - k->virt_base)) | flags;
        }
    }

    /* 2. The direct map: all physical memory, large pages, RW. */
    UINT64 step = pg->gib_pages ? GIB : 2 * MIB;
    for (UINT64 pa = 0; pa < pg->map_size; pa += step) {
        if (!(e = pt_walk(pg, BOOT_DIRECT_MAP_BASE + pa, pg->gib_pages ? 3 : 2)))
            return EFI_LOAD_ERROR;
        *e = pa | PTE_P | PTE_W | PTE_PS;
    }

    /* 3. The identity map reuses the direct map's PDPTs: same PML4 entries
     * in the lower half.  NX goes on the direct map's PML4 entries only
     * (an NX anywhere on the walk applies), because the identity map must
     * stay executable: this very code runs from it after the CR3 switch. */
    UINTN slots = (UINTN)ALIGN_UP(pg->map_size, 512 * GIB) / (512 * GIB);
    for (UINTN i = 0; i < slots; i++) {
        UINTN d = PML4_INDEX(BOOT_DIRECT_MAP_BASE) + i;
        pg->pml4[i] = pg->pml4[d];
        if (pg->nx)
            pg->pml4[d] |= PTE_NX;
    }
    return EFI_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The hand-over */

#define MSR_EFER 0xc0000080
#define EFER_NXE (1ULL << 11)
#define CR0_WP   (1ULL << 16)
#define CR4_LA57 (1ULL << 12)

static void __attribute__((noreturn))
enter_kernel(const struct paging *pg, UINT64 entry, UINT64 boot_info_va)
{
    UINT64 cr0;

    __asm__ volatile("cli");
    if (pg->nx) /* before CR3: our tables use bit 63, reserved without NXE */
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    __asm__ volatile("mov %0, %%cr3" : : "r"((UINT64)(UINTN)pg->pml4) : "memory");
    /* Make the kernel's read-only pages read-only for ring 0 as well. */
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_WP));
    /* System V: first argument in RDI.  RBP = 0 ends frame-pointer chains.
     * The stack stays the loader's; entry.S switches at once. */
    __asm__ volatile("mov %0, %%rdi\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "jmp *%1"
                     :
                     : "r"(boot_info_va), "r"(entry)
                     : "rdi", "rbp", "memory");
    __builtin_unreachable();
}

/* GetMemoryMap + ExitBootServices.  If the key went stale in between
 * (EFI_INVALID_PARAMETER: an event allocated memory), fetch the map again
 * and retry; the spec allows only these two calls after a failed exit. */
static void exit_boot_services(EFI_HANDLE image, struct memmap *mm)
{
    EFI_STATUS st = EFI_SUCCESS;
    for (int attempt = 1; attempt <= 8; attempt++) {
        mm->size = mm->cap;
        st = g_bs->GetMemoryMap(&mm->size, (EFI_MEMORY_DESCRIPTOR *)mm->buf, &mm->key,
                                &mm->desc_size, &mm->desc_version);
        if (FAILED(st)) {
            /* If an earlier attempt already failed we may no longer use
             * ConOut; fail() knows only whether we *succeeded*, so mark it. */
            g_boot_services_exited = attempt > 1;
            fail(st, "GetMemoryMap failed: %s (buffer %lu bytes)", efi_status_name(st),
                 (UINT64)mm->cap);
            halt_forever();
        }
        st = g_bs->ExitBootServices(image, mm->key);
        if (!FAILED(st)) {
            g_boot_services_exited = 1;
            return;
        }
        if (st != EFI_INVALID_PARAMETER)
            break;
        log_line("ExitBootServices: stale map key, retrying (attempt %d)", attempt);
    }
    g_boot_services_exited = 1; /* firmware state unknown: serial only */
    fail(st, "ExitBootServices failed: %s", efi_status_name(st));
    halt_forever();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st_in);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st_in)
{
    static struct kernel_image kimg;
    static char cmdline[BOOT_INFO_CMDLINE_MAX];
    static struct paging pg;
    struct memmap mm = {0};
    EFI_FILE_HANDLE root = NULL;
    EFI_STATUS st;
    UINT64 cr4;
    UINTN count;

    g_st = st_in;
    g_bs = st_in->BootServices;
    /* This exact line is what cyrius.qemu.probe_kvm looks for. */
    log_line("Cyrius UEFI loader, boot_info v%u", BOOT_INFO_VERSION);
    /* The boot manager arms a 5-minute watchdog; a slow TCG load must not trip it. */
    g_bs->SetWatchdogTimer(0, 0, 0, NULL);

    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    if (cr4 & CR4_LA57)
        return fail(EFI_UNSUPPORTED, "firmware runs with 5-level paging; this loader builds 4-level tables");
    detect_paging_features(&pg);

    /* 1-3: the kernel image. */
    if (FAILED(st = open_boot_volume(image, &root)))
        return st;
    if (FAILED(st = load_kernel(root, &kimg)))
        return st;

    /* 4: everything else the kernel wants to know. */
    UINTN cmdline_len = read_cmdline(root, cmdline, sizeof cmdline);
    root->Close(root);

    /* 5: page tables, sized from the current memory map. */
    if (FAILED(st = memmap_count_now(&count, &mm.desc_size)))
        return st;
    mm.cap = (count + 8) * mm.desc_size;
    if (FAILED(st = g_bs->AllocatePool(EfiLoaderData, mm.cap, (void **)&mm.buf)))
        return fail(st, "cannot allocate the memory map buffer: %s", efi_status_name(st));
    mm.size = mm.cap;
    st = g_bs->GetMemoryMap(&mm.size, (EFI_MEMORY_DESCRIPTOR *)mm.buf, &mm.key, &mm.desc_size,
                            &mm.desc_version);
    if (FAILED(st))
        return fail(st, "GetMemoryMap failed: %s", efi_status_name(st));
    UINT64 max_phys = memmap_max_phys(&mm);
    g_bs->FreePool(mm.buf);
    pg.map_size = ALIGN_UP(max_phys, GIB);
    if (pg.map_size < 4 * GIB)
        pg.map_size = 4 * GIB; /* always cover the 32-bit MMIO hole (LAPIC, IOAPIC, PCI) */
    if (pg.map_size > 256 * 512 * GIB)
        return fail(EFI_UNSUPPORTED, "physical address space too large (0x%lx)", max_phys);
    if (FAILED(st = build_page_tables(&pg, &kimg)))
        return st;
    log_line("page tables: %lu pages, direct map %lu GiB with %s pages, nx=%d",
             (UINT64)pg.pool.used, pg.map_size / GIB, pg.gib_pages ? "1 GiB" : "2 MiB", pg.nx);

    /* 6: boot_info (+ room for the final map and the command line) and a
     * scratch buffer for the raw map, both sized now with slack for the
     * descriptors these very allocations (and any timer event) may add. */
    if (FAILED(st = memmap_count_now(&count, &mm.desc_size)))
        return st;
    UINTN max_entries = count + 32;
    UINT64 cmdline_off = ALIGN_UP(sizeof(struct boot_info), 64);
    UINT64 memmap_off = cmdline_off + BOOT_INFO_CMDLINE_MAX;
    UINT64 bi_bytes = ALIGN_UP(memmap_off + max_entries * sizeof(struct boot_mem_desc), PAGE_SIZE);
    UINT64 bi_phys, raw_phys;
    if (FAILED(st = alloc_pages(bi_bytes / PAGE_SIZE, &bi_phys, "boot_info")))
        return st;
    mm.cap = ALIGN_UP(max_entries * mm.desc_size, PAGE_SIZE);
    if (FAILED(st = alloc_pages(mm.cap / PAGE_SIZE, &raw_phys, "the memory map")))
        return st;
    mm.buf = (UINT8 *)(UINTN)raw_phys;

    struct boot_info *bi = (struct boot_info *)(UINTN)bi_phys;
    bi->magic = BOOT_INFO_MAGIC;
    bi->version = BOOT_INFO_VERSION;
    bi->size = sizeof *bi;
    bi->direct_map_base = BOOT_DIRECT_MAP_BASE;
    bi->direct_map_size = pg.map_size;
    bi->kernel_phys_base = kimg.phys_base;
    bi->kernel_virt_base = kimg.virt_base;
    bi->kernel_size = kimg.size;
    bi->page_table_root = (UINT64)(UINTN)pg.pml4;
    bi->page_tables_phys = pg.pool.base;
    bi->page_tables_size = pg.pool.total * PAGE_SIZE;
    bi->boot_info_phys = bi_phys;
    bi->boot_info_alloc_size = bi_bytes;
    bi->memmap = BOOT_DIRECT_MAP_BASE + bi_phys + memmap_off;
    bi->memmap_desc_size = sizeof(struct boot_mem_desc);
    if (cmdline_len) {
        memcpy((void *)(UINTN)(bi_phys + cmdline_off), cmdline, cmdline_len + 1);
        bi->cmdline = BOOT_DIRECT_MAP_BASE + bi_phys + cmdline_off;
        bi->cmdline_len = cmdline_len;
    }
    find_rsdp(bi);
    find_framebuffer(bi);
    bi->efi_system_table = (UINT64)(UINTN)g_st;
    log_line("acpi rsdp 0x%lx (rev %u), framebuffer 0x%lx %ux%u", bi->acpi_rsdp, bi->acpi_rsdp_revision,
             bi->fb_base, bi->fb_width, bi->fb_height);

    log_line("exiting boot services");
    exit_boot_services(image, &mm);

    /* 7: no firmware from here on; serial and memory only. */
    UINTN n = mm.size / mm.desc_size;
    if (n > max_entries) {
        fail(EFI_BUFFER_TOO_SMALL, "memory map has %lu entries, room for %lu", (UINT64)n,
             (UINT64)max_entries);
        halt_forever();
    }
    struct boot_mem_desc *out = (struct boot_mem_desc *)(UINTN)(bi_phys + memmap_off);
    for (UINTN i = 0; i < n; i++) {
        EFI_MEMORY_DESCRIPTOR *d = mm_desc(&mm, i);
        out[i].type = d->Type;
        out[i].pad0 = 0;
        out[i].phys_start = d->PhysicalStart;
        out[i].num_pages = d->NumberOfPages;
        out[i].attribute = d->Attribute;
    }
    bi->memmap_count = n;

    log_line("memory map: %lu entries; jumping to kernel at 0x%lx (boot_info 0x%lx)", (UINT64)n,
             kimg.entry, (UINT64)(BOOT_DIRECT_MAP_BASE + bi_phys));
    enter_kernel(&pg, kimg.entry, (UINT64)(BOOT_DIRECT_MAP_BASE + bi_phys));
}
