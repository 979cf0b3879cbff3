"""Build BOOTX64.EFI (boot/uefi/loader.c) with gnu-efi.

The recipe is gnu-efi's own: compile position-independent with the Microsoft-ABI-aware headers,
link as a shared object with gnu-efi's crt0 and linker script (crt0 relocates the image and calls
efi_main), then let objcopy rewrite the ELF as a PE32+ EFI application (subsystem 10).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .toolchain import BOOT_DIR, BOOT_INCLUDE, Log, Stamp, ToolError, fingerprint, require_tool, run

LOADER_SOURCE = BOOT_DIR / "uefi" / "loader.c"

LOADER_CFLAGS = [
    "-std=gnu11", "-O2", "-g0", "-Wall", "-Wextra", "-Werror",
    # gnu-efi's requirements: PIC (crt0 self-relocates), 2-byte wchar_t for CHAR16 literals,
    # no red zone (firmware interrupts run on our stack), nothing from the host's libc.
    "-fpic", "-fshort-wchar", "-mno-red-zone", "-ffreestanding", "-fno-builtin",
    "-fno-stack-protector", "-fno-strict-aliasing", "-fno-asynchronous-unwind-tables",
    # The loader does no floating point; keep SSE state untouched for the firmware.
    "-mgeneral-regs-only",
    # Firmware function pointers are declared ms_abi, so they can be called directly
    # (instead of through gnu-efi's uefi_call_wrapper thunks).
    "-DGNU_EFI_USE_MS_ABI", "-maccumulate-outgoing-args",
]

# Sections objcopy keeps in the PE image (gnu-efi's Make.defaults list).
PE_SECTIONS = [".text", ".sdata", ".data", ".rodata", ".dynamic", ".dynsym", ".rel", ".rela",
               ".rel.*", ".rela.*", ".reloc"]

_INCLUDE_CANDIDATES = ["/usr/include/efi", "/usr/local/include/efi"]
_LIB_CANDIDATES = ["/usr/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/local/lib",
                   "/usr/local/lib64", "/usr/lib/gnuefi", "/usr/local/lib/gnuefi"]


@dataclass(frozen=True)
class GnuEfi:
    """Where gnu-efi's pieces are on this machine."""
    include_dir: Path       # efi.h
    arch_include_dir: Path  # x86_64/efibind.h
    crt0: Path              # crt0-efi-x86_64.o
    linker_script: Path     # elf_x86_64_efi.lds
    lib_dir: Path           # libgnuefi.a (for _relocate)


def find_gnu_efi() -> GnuEfi:
    """Locate gnu-efi; $GNU_EFI_INCLUDE / $GNU_EFI_LIB override the usual Debian/Fedora places."""
    includes = [os.environ["GNU_EFI_INCLUDE"]] if "GNU_EFI_INCLUDE" in os.environ else _INCLUDE_CANDIDATES
    libs = [os.environ["GNU_EFI_LIB"]] if "GNU_EFI_LIB" in os.environ else _LIB_CANDIDATES
    inc = next((Path(d) for d in includes if (Path(d) / "efi.h").is_file()), None)
    lib = next((Path(d) for d in libs
                if (Path(d) / "crt0-efi-x86_64.o").is_file() and (Path(d) / "libgnuefi.a").is_file()), None)
    if inc is None or lib is None:
        missing = "headers (efi.h)" if inc is None else "crt0-efi-x86_64.o/libgnuefi.a"
        looked = ", ".join(includes if inc is None else libs)
        raise ToolError(f"gnu-efi {missing} not found (looked in {looked}); "
                        "install it with: apt-get install gnu-efi")
    lds = lib / "elf_x86_64_efi.lds"
    if not lds.is_file():
        raise ToolError(f"gnu-efi linker script {lds} not found; reinstall: apt-get install gnu-efi")
    return GnuEfi(inc, inc / "x86_64", lib / "crt0-efi-x86_64.o", lds, lib)


def loader_commands(build_dir: Path, efi: GnuEfi,
                    source: Path = LOADER_SOURCE) -> tuple[list[list[str]], Path]:
    """The three commands (compile, link, objcopy) and the final BOOTX64.EFI path."""
    obj = build_dir / "loader.o"
    so = build_dir / "loader.so"
    out = build_dir / "BOOTX64.EFI"
    compile_ = ["gcc", *LOADER_CFLAGS, f"-I{efi.include_dir}", f"-I{efi.arch_include_dir}",
                f"-I{BOOT_INCLUDE}", "-c", str(source), "-o", str(obj)]
    link = ["ld", "-nostdlib", "-znocombreloc", "-shared", "-Bsymbolic", "--no-undefined",
            "-T", str(efi.linker_script), str(efi.crt0), str(obj),
            "-o", str(so), f"-L{efi.lib_dir}", "-lgnuefi"]
    objcopy = ["objcopy", *[a for s in PE_SECTIONS for a in ("-j", s)],
               "--target", "efi-app-x86_64", "--subsystem=10", str(so), str(out)]
    return [compile_, link, objcopy], out


def build_loader(build_dir: Path, *, source: Path = LOADER_SOURCE, force: bool = False,
                 log: Log | None = None) -> Path:
    """Build BOOTX64.EFI into build_dir (created if needed) and return its path.

    Skipped when the loader source, the boot headers, the gnu-efi files and the command lines
    are all unchanged since the last build into the same directory.
    """
    for tool, pkg in (("gcc", "gcc"), ("ld", "binutils"), ("objcopy", "binutils")):
        require_tool(tool, pkg)
    efi = find_gnu_efi()
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    commands, out = loader_commands(build_dir, efi, Path(source).resolve())
    inputs = [Path(source), *BOOT_INCLUDE.glob("*.h"), efi.crt0, efi.linker_script,
              efi.lib_dir / "libgnuefi.a"]
    fp = fingerprint(inputs, commands)
    stamp = Stamp(out)
    if not force and stamp.is_current(fp):
        if log:
            log(f"  up to date  {out}")
        return out
    for cmd, product in zip(commands, (build_dir / "loader.o", build_dir / "loader.so", out), strict=True):
        if log:
            log(f"  {cmd[0]:<8} {product}")
        run(cmd)
    stamp.record(fp)
    return out
