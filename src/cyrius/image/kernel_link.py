"""Assemble the boot shim (boot/x86_64/*.S) and link kernel.elf with boot/kernel.ld.

The kernel's own C units are compiled elsewhere (cyrius.build); this module owns the parts that
come from boot/: the entry/interrupt stubs, the flags every kernel object must share with them,
and the final link.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from .elfcheck import KernelElfError, undefined_symbols
from .toolchain import BOOT_DIR, BOOT_INCLUDE, Log, Stamp, fingerprint, require_tool, run

KERNEL_LINKER_SCRIPT = BOOT_DIR / "kernel.ld"
BOOT_ASM_SOURCES = [BOOT_DIR / "x86_64" / name for name in ("entry.S", "isr.S", "syscall.S")]

# Flags for the boot objects (boot/x86_64/*.S); the generated C and runtime-c use build.KERNEL_CFLAGS, which
# share these code-model and ABI flags (docs/architecture.md, "The build pipeline", link).
KERNEL_CFLAGS = [
    "-ffreestanding", "-mcmodel=kernel", "-mno-red-zone", "-mgeneral-regs-only",
    "-fno-omit-frame-pointer", "-fno-pic", "-fno-pie", "-fno-stack-protector", "-nostdlib",
]
KERNEL_LDFLAGS = ["-nostdlib", "-static", "-z", "max-page-size=0x1000", "-z", "noexecstack",
                  "--no-dynamic-linker", "-T", str(KERNEL_LINKER_SCRIPT)]


def compile_kernel_object(source: Path, obj: Path, *, extra_flags: Sequence[str] = (),
                          include_dirs: Sequence[Path] = (), log: Log | None = None) -> Path:
    """Compile one C or .S file with the kernel flags (boot/include is always on the path)."""
    require_tool("gcc", "gcc")
    obj = Path(obj)
    obj.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["gcc", *KERNEL_CFLAGS, "-O2", "-g", "-Wall", "-Wextra", "-Werror", *extra_flags,
           f"-I{BOOT_INCLUDE}", *[f"-I{d}" for d in include_dirs], "-c", str(source), "-o", str(obj)]
    headers = [h for d in (BOOT_INCLUDE, *include_dirs) for h in Path(d).glob("*.h")]
    fp = fingerprint([Path(source), *headers], [cmd])
    stamp = Stamp(obj)
    if stamp.is_current(fp):
        return obj
    if log:
        log(f"  cc       {source}")
    run(cmd)
    stamp.record(fp)
    return obj


def build_boot_objects(build_dir: Path, *, log: Log | None = None) -> list[Path]:
    """entry.o and isr.o in build_dir/boot (incremental)."""
    out = Path(build_dir) / "boot"
    return [compile_kernel_object(src, out / (src.stem + ".o"), log=log) for src in BOOT_ASM_SOURCES]


def linker_script_symbols(script: Path = KERNEL_LINKER_SCRIPT) -> set[str]:
    """Symbols boot/kernel.ld defines (`name = expr;`): undefined in objects, defined by the link."""
    text = re.sub(r"/\*.*?\*/", "", script.read_text(), flags=re.S)
    return set(re.findall(r"(?m)^\s*([A-Za-z_.$][\w.$]*)\s*=(?!=)", text))


def link_kernel(objects: Sequence[Path], out: Path, *, log: Log | None = None) -> Path:
    """Link kernel.elf. `objects` must include build_boot_objects() (it provides _start).

    First all objects are combined into one relocatable object (`<out>.o`), whose undefined
    symbols are exactly the references nothing defines - weak ones included, which the static
    final link would silently turn into calls to address 0.  Any such symbol is a KernelElfError.
    Then the final link with boot/kernel.ld, writing a link map beside the output.
    """
    require_tool("ld", "binutils")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    combined = out.with_name(out.name + ".o")
    if log:
        log(f"  ld       {out}")
    run(["ld", "-r", "-o", str(combined), *[str(o) for o in objects]])
    missing = [name for name in undefined_symbols(combined) if name not in linker_script_symbols()]
    if missing:
        shown = ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
        raise KernelElfError(out, [f"{len(missing)} undefined symbol(s) across the kernel objects: {shown}"])
    run(["ld", *KERNEL_LDFLAGS, "-Map", str(out.with_suffix(".map")), str(combined), "-o", str(out)])
    return out
