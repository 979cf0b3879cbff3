"""ELF64 executables: validate a Linux x86_64 program image and describe how to load it.

Only validation and description live here; mapping the segments into an address space is the
process loader's job. Anything malformed is -ENOEXEC before a single byte is mapped.
"""
from cyrius.lang import Final, Ptr, cast, i64, struct, u8, u16, u32, u64, usize

from .. import errno
from ..mm.phys import PAGE

ET_EXEC: Final = 2
ET_DYN: Final = 3
EM_X86_64: Final = 62
PT_LOAD: Final = 1
PT_INTERP: Final = 3
PT_PHDR: Final = 6
PT_TLS: Final = 7
PT_GNU_STACK: Final = 0x6474E551
PF_X: Final = 1
PF_W: Final = 2
PF_R: Final = 4
USER_TOP: Final = 0x0000800000000000  # the canonical lower half belongs to user space
MIN_VADDR: Final = 0x10000  # Linux's default mmap_min_addr: page zero stays unmapped, so NULL faults
MAX_PHNUM: Final = 64
EHDR_SIZE: Final = 64
PHDR_SIZE: Final = 56


@struct
class Elf64Ehdr:
    ident_magic: u32
    ident_class: u8
    ident_data: u8
    ident_version: u8
    ident_osabi: u8
    ident_pad: u64
    type: u16
    machine: u16
    version: u32
    entry: u64
    phoff: u64
    shoff: u64
    flags: u32
    ehsize: u16
    phentsize: u16
    phnum: u16
    shentsize: u16
    shnum: u16
    shstrndx: u16


@struct
class Elf64Phdr:
    type: u32
    flags: u32
    offset: u64
    vaddr: u64
    paddr: u64
    filesz: u64
    memsz: u64
    align: u64


@struct
class ElfInfo:
    """What the loader needs, after validation."""
    entry: u64  # relative to the load bias for position-independent images
    position_independent: bool  # ET_DYN: the loader chooses the base
    lowest_vaddr: u64
    highest_vaddr: u64  # end of the last PT_LOAD (memsz), page-rounded
    phdr_vaddr: u64  # where the program headers are mapped (AT_PHDR), 0 if not in a PT_LOAD
    phnum: u16
    load_count: u16
    interp_offset: u64  # PT_INTERP: the dynamic linker's path in the file (0: static)
    interp_length: u64
    tls_vaddr: u64
    tls_filesz: u64
    tls_memsz: u64
    tls_align: u64
    executable_stack: bool


def header(image: Ptr[u8]) -> Ptr[Elf64Ehdr]:
    return cast(Ptr[Elf64Ehdr], image)


def program_header(image: Ptr[u8], index: u32) -> Ptr[Elf64Phdr]:
    return cast(Ptr[Elf64Phdr], image + header(image).phoff + u64(index) * PHDR_SIZE)


def check(image: Ptr[u8], size: usize, info: Ptr[ElfInfo]) -> i64:
    """Validate an ELF image of `size` bytes and fill `info`; -ENOEXEC if it is not a program we run."""
    if size < EHDR_SIZE:
        return -errno.ENOEXEC
    h: Ptr[Elf64Ehdr] = header(image)
    if h.ident_magic != 0x464C457F or h.ident_class != 2 or h.ident_data != 1 or h.ident_version != 1:
        return -errno.ENOEXEC
    if (h.type != ET_EXEC and h.type != ET_DYN) or h.machine != EM_X86_64 or h.version != 1:
        return -errno.ENOEXEC
    if h.phentsize != PHDR_SIZE or h.phnum == 0 or h.phnum > MAX_PHNUM:
        return -errno.ENOEXEC
    if h.phoff > u64(size) or u64(h.phnum) * PHDR_SIZE > u64(size) - h.phoff:
        return -errno.ENOEXEC
    info.position_independent = h.type == ET_DYN
    info.entry = h.entry
    info.phnum = h.phnum
    info.lowest_vaddr = u64(USER_TOP)
    info.highest_vaddr = 0
    info.load_count = 0
    info.phdr_vaddr = 0
    info.interp_offset = 0
    info.interp_length = 0
    info.tls_memsz = 0
    info.executable_stack = False
    entry_mapped: bool = False
    for i in range(u32(h.phnum)):
        p: Ptr[Elf64Phdr] = program_header(image, i)
        if p.type == PT_LOAD:
            if p.filesz > p.memsz or p.offset > u64(size) or p.filesz > u64(size) - p.offset:
                return -errno.ENOEXEC
            if p.memsz == 0:
                continue
            if p.vaddr >= USER_TOP or p.memsz > u64(USER_TOP) - p.vaddr:
                return -errno.ENOEXEC
            if h.type == ET_EXEC and p.vaddr < MIN_VADDR:
                return -errno.ENOEXEC
            if (p.vaddr % PAGE) != (p.offset % PAGE):
                return -errno.ENOEXEC
            end: u64 = (p.vaddr + p.memsz + PAGE - 1) & ~u64(PAGE - 1)
            if p.vaddr < info.lowest_vaddr:
                info.lowest_vaddr = p.vaddr & ~u64(PAGE - 1)
            if end > info.highest_vaddr:
                info.highest_vaddr = end
            if h.phoff >= p.offset and h.phoff + u64(h.phnum) * PHDR_SIZE <= p.offset + p.filesz:
                info.phdr_vaddr = p.vaddr + (h.phoff - p.offset)
            if (p.flags & PF_X) != 0 and h.entry >= p.vaddr and h.entry < p.vaddr + p.memsz:
                entry_mapped = True
            info.load_count += 1
        elif p.type == PT_INTERP:
            if p.filesz < 2 or p.offset > u64(size) or p.filesz > u64(size) - p.offset:
                return -errno.ENOEXEC
            if image[p.offset + p.filesz - 1] != 0:
                return -errno.ENOEXEC  # the path must be NUL-terminated
            info.interp_offset = p.offset
            info.interp_length = p.filesz - 1
        elif p.type == PT_TLS:
            if p.filesz > p.memsz or p.offset > u64(size) or p.filesz > u64(size) - p.offset:
                return -errno.ENOEXEC
            info.tls_vaddr = p.vaddr
            info.tls_filesz = p.filesz
            info.tls_memsz = p.memsz
            info.tls_align = p.align
        elif p.type == PT_GNU_STACK:
            info.executable_stack = (p.flags & PF_X) != 0
    if info.load_count == 0 or not entry_mapped:
        return -errno.ENOEXEC
    return 0
