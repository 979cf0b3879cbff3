"""Static checks on kernel.elf before it goes on the ESP (pyelftools).

The UEFI loader validates the same basics at boot, but a build-time check gives a precise message
on the host instead of a boot failure under QEMU, and adds what the loader cannot see: undefined
symbols (a weak reference that linked to address 0 would otherwise crash at run time).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

KERNEL_VIRT_BASE = 0xFFFFFFFF80000000  # boot/kernel.ld, -mcmodel=kernel


class KernelElfError(Exception):
    """kernel.elf is not something the Cyrius loader can boot; the message says why, precisely."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass(frozen=True)
class SectionSize:
    name: str
    size: int
    address: int
    loaded: bool  # occupies memory at run time (SHF_ALLOC)


@dataclass
class KernelElfReport:
    path: Path
    entry: int
    sections: list[SectionSize] = field(default_factory=list)
    load_segments: list[tuple[int, int, str]] = field(default_factory=list)  # (vaddr, memsz, "rwx")
    file_size: int = 0

    @property
    def loaded_size(self) -> int:
        """Bytes of memory the image occupies (sum of SHF_ALLOC sections)."""
        return sum(s.size for s in self.sections if s.loaded)

    def format(self) -> str:
        """A human-readable size table, largest loaded sections first."""
        lines = [f"{self.path.name}: entry {self.entry:#x}, {self.loaded_size} bytes loaded, "
                 f"{self.file_size} bytes on disk"]
        for s in sorted(self.sections, key=lambda s: (not s.loaded, -s.size)):
            where = f"{s.address:#018x}" if s.loaded else "(not loaded)      "
            lines.append(f"  {s.name:<24} {where} {s.size:>10}")
        return "\n".join(lines)


def undefined_symbols(path: Path) -> list[str]:
    """Names of the undefined symbols (weak ones included) in an ELF object or executable.

    Run it on a relocatable `ld -r` of all kernel objects (kernel_link does): in a static
    ET_EXEC, GNU ld silently resolves unresolved weak references to address 0 and drops them from
    .symtab, so the final image alone cannot show them.
    """
    with Path(path).open("rb") as f:
        names: set[str] = set()
        for sec in ELFFile(f).iter_sections():
            if isinstance(sec, SymbolTableSection):
                names |= {s.name for i, s in enumerate(sec.iter_symbols())
                          if i > 0 and s.name and s["st_shndx"] == "SHN_UNDEF"}
        return sorted(names)


def check_kernel_elf(path: Path) -> KernelElfReport:
    """Check kernel.elf and return its size report, or raise KernelElfError listing every problem.

    Checked: ELF64 little-endian x86_64 ET_EXEC; no interpreter or dynamic section; at least one
    PT_LOAD and every PT_LOAD at or above 0xffffffff80000000 without wrapping; the entry point
    inside an executable PT_LOAD; no undefined symbols other than the null symbol.
    """
    path = Path(path)
    problems: list[str] = []
    try:
        f = path.open("rb")
    except OSError as e:
        raise KernelElfError(path, [f"cannot open: {e.strerror}"]) from None
    with f:
        try:
            elf = ELFFile(f)
        except ELFError as e:
            raise KernelElfError(path, [f"not an ELF file ({e})"]) from None
        if elf.elfclass != 64 or not elf.little_endian:
            raise KernelElfError(path, [f"ELF{elf.elfclass} {'LE' if elf.little_endian else 'BE'}, "
                                        "want ELF64 little-endian"])
        h = elf.header
        if h.e_machine != "EM_X86_64":
            problems.append(f"e_machine is {h.e_machine}, want EM_X86_64")
        if h.e_type != "ET_EXEC":
            problems.append(f"e_type is {h.e_type}, want ET_EXEC "
                            "(link with boot/kernel.ld, not -pie/-shared)")

        report = KernelElfReport(path=path, entry=h.e_entry, file_size=path.stat().st_size)
        entry_ok = False
        for i, seg in enumerate(elf.iter_segments()):
            ptype = seg["p_type"]
            if ptype in ("PT_INTERP", "PT_DYNAMIC"):
                problems.append(f"segment {i} is {ptype}: the kernel must be linked statically")
            if ptype != "PT_LOAD" or seg["p_memsz"] == 0:
                continue  # an empty PT_LOAD (ld makes one for an all-empty PHDRS entry) loads nothing
            vaddr, memsz, flags = seg["p_vaddr"], seg["p_memsz"], seg["p_flags"]
            perms = "".join(c if flags & bit else "-" for c, bit in (("r", 4), ("w", 2), ("x", 1)))
            report.load_segments.append((vaddr, memsz, perms))
            if vaddr < KERNEL_VIRT_BASE:
                problems.append(f"PT_LOAD segment {i} at {vaddr:#x} is below the kernel base "
                                f"{KERNEL_VIRT_BASE:#x}")
            elif vaddr + memsz > 1 << 64:
                problems.append(f"PT_LOAD segment {i} at {vaddr:#x} size {memsz:#x} wraps past 2^64")
            if seg["p_filesz"] > memsz:
                problems.append(f"PT_LOAD segment {i} has p_filesz > p_memsz")
            if flags & 1 and vaddr <= h.e_entry < vaddr + memsz:
                entry_ok = True
        if not report.load_segments:
            problems.append("no PT_LOAD segment")
        if h.e_entry < KERNEL_VIRT_BASE:
            problems.append(f"entry point {h.e_entry:#x} is not in the higher half "
                            f"(>= {KERNEL_VIRT_BASE:#x})")
        elif report.load_segments and not entry_ok:
            problems.append(f"entry point {h.e_entry:#x} is not inside an executable PT_LOAD segment")

        for sec in elf.iter_sections():
            if sec.name and sec["sh_type"] != "SHT_NULL":
                report.sections.append(SectionSize(sec.name, sec["sh_size"], sec["sh_addr"],
                                                   bool(sec["sh_flags"] & SH_FLAGS.SHF_ALLOC)))
            if isinstance(sec, SymbolTableSection):
                undefined = sorted({s.name for i, s in enumerate(sec.iter_symbols())
                                    if i > 0 and s["st_shndx"] == "SHN_UNDEF"})
                if undefined:
                    shown = ", ".join(undefined[:20]) + (" ..." if len(undefined) > 20 else "")
                    problems.append(f"{len(undefined)} undefined symbol(s) in {sec.name}: {shown}")
    if problems:
        raise KernelElfError(path, problems)
    return report
