"""Build the kernel's address -> Python line table from kernel.elf's DWARF (pyelftools).

Generated C carries `#line` directives, so DWARF line rows already name the Python files; this
module flattens them into the compact table `cyrius.kernel.debug.linetable` searches at panic time
(layout documented there). Function names come from the symbol table's function ranges, translated
from C symbols back to Python names with the map the compiler writes.
"""
from __future__ import annotations

import bisect
import multiprocessing
import os
import struct
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from elftools.elf.elffile import ELFFile

MAGIC = 0x544C5943  # "CYLT"
HEADER = struct.Struct("<IIII")
ENTRY = struct.Struct("<QIIII")


def _functions(elf) -> list[tuple[int, int, str]]:
    """(start, end, C name) of every function, from the symbol table: far cheaper than walking every
    DWARF DIE, and it also names gcc's clones and split parts (`f.isra.0`, `f.cold`) after `f`."""
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        return []
    ranges = []
    for sym in symtab.iter_symbols():
        if sym["st_info"]["type"] == "STT_FUNC" and sym["st_size"] and sym["st_shndx"] != "SHN_UNDEF":
            start = sym["st_value"]
            ranges.append((start, start + sym["st_size"], sym.name.split(".", 1)[0]))
    ranges.sort()
    return ranges


def _file_name(lineprog, index: int, repo: Path) -> str:
    """The file of a line row, relative to the repository when it lies inside it.

    DWARF 5 numbers files and directories from 0; directory 0 is the compilation directory and
    other relative directories are relative to it (e.g. `#line 12 "src/cyrius/kernel/shell/core.py"`
    becomes directory "src/cyrius/kernel/shell" + file "core.py")."""
    v5 = lineprog.header["version"] >= 5
    entry = lineprog["file_entry"][index if v5 else index - 1]
    dirs = [d.decode() if isinstance(d, bytes) else d for d in lineprog["include_directory"]]
    name = Path(entry.name.decode())
    if not name.is_absolute():
        comp_dir = Path(dirs[0]) if v5 and dirs else Path(".")
        d_index = entry.dir_index if v5 else entry.dir_index - 1
        d = Path(dirs[d_index]) if 0 <= d_index < len(dirs) else comp_dir
        name = (d if d.is_absolute() else comp_dir / d) / name
    try:
        return str(name.resolve().relative_to(repo.resolve()))
    except ValueError:
        return str(name)


def _unit_rows(elf_path: Path, repo: Path, share: int, shares: int) -> list[tuple[int, str, int]]:
    """The rows of every `shares`-th compilation unit, starting at unit `share`."""
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        if not elf.has_dwarf_info():
            return []
        dwarf = elf.get_dwarf_info()
        rows = []
        for index, cu in enumerate(dwarf.iter_CUs()):
            lineprog = dwarf.line_program_for_CU(cu) if index % shares == share else None
            if lineprog is None:
                continue
            names: dict[int, str] = {}  # a unit names few files: resolve each once, not once per row
            for entry in lineprog.get_entries():
                state = entry.state
                if state is None:
                    continue
                if state.end_sequence:
                    rows.append((state.address, "", 0))
                    continue
                if state.file not in names:
                    names[state.file] = _file_name(lineprog, state.file, repo)
                rows.append((state.address, names[state.file], state.line))
        return rows


def line_rows(elf_path: Path, repo: Path) -> list[tuple[int, str, int]]:
    """(address, file, line) rows; line 0 marks the end of a sequence (no source).

    Decoding DWARF line programs in pure Python is the slowest part of the link stage, so the units
    are shared among one process per core."""
    shares = os.cpu_count() or 1
    if shares == 1:
        return _unit_rows(elf_path, repo, 0, 1)
    with ProcessPoolExecutor(shares, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = pool.map(_unit_rows, [elf_path] * shares, [repo] * shares, range(shares), [shares] * shares)
        return [row for part in parts for row in part]


def build(elf_path: Path, repo: Path, python_names: dict[str, str]) -> bytes:
    """The line table for kernel.elf, ready to be linked into its .linetable section."""
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        functions = _functions(elf)
    starts = [lo for lo, _, _ in functions]
    rows = sorted(line_rows(elf_path, repo), key=lambda r: (r[0], r[2] == 0))
    strings = bytearray(b"\0")
    offsets: dict[str, int] = {"": 0}

    def intern(s: str) -> int:
        if s not in offsets:
            offsets[s] = len(strings)
            strings.extend(s.encode() + b"\0")
        return offsets[s]

    entries = []
    last = None
    for address, file, line in rows:
        func = ""
        if line:
            i = bisect.bisect_right(starts, address) - 1
            if i >= 0 and functions[i][0] <= address < functions[i][1]:
                c_name = functions[i][2]
                func = python_names.get(c_name, c_name)
        key = (file, line, func)
        if entries and entries[-1][0] == address:
            entries[-1] = (address, *key)
            last = key
            continue
        if key == last:
            continue
        entries.append((address, *key))
        last = key
    strings_offset = HEADER.size + ENTRY.size * len(entries)
    out = bytearray(HEADER.pack(MAGIC, len(entries), strings_offset, 0))
    for address, file, line, func in entries:
        out += ENTRY.pack(address, line, intern(file), intern(func), 0)
    out += strings
    return bytes(out)
