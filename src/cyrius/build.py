"""`cyrius build`: the kernel tree -> C units -> objects, incrementally, with progress.

Incrementality is content-based. A manifest in the build directory records, per module, the hash
of its source. When every source, header, template and the compiler itself are unchanged, the
build stops before translating. Otherwise the whole program is re-translated (it is cheap and the
checker needs every module), each unit is written only when its text changed, and an object is
recompiled only when its C text or any header it includes changed — so a change to one module
rebuilds it and exactly those dependents whose compiled form it affects.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .compiler import REPO_ROOT, RUNTIME_INCLUDE, translate
from .compiler.emit import CODEGEN_DIR

KERNEL_PACKAGE = "cyrius.kernel"
KERNEL_CFLAGS = [
    "-std=c11", "-ffreestanding", "-O2", "-g", "-Wall", "-Wextra", "-Werror",
    "-mcmodel=kernel", "-mno-red-zone", "-mgeneral-regs-only", "-fno-omit-frame-pointer",
    "-fno-pic", "-fno-pie", "-fno-stack-protector", "-fno-builtin", "-nostdlib",
    "-fno-optimize-sibling-calls",  # keep every caller's frame, so backtraces are complete
    # Line rows and frames stay exact; only gdb's locations of optimised-out locals get coarser, for a
    # third less compile time (bench/optimisations.md).
    "-fno-var-tracking-assignments",
]


class BuildError(Exception):
    pass


@dataclass
class BuildReport:
    modules: int = 0
    translated: bool = False
    written: list = field(default_factory=list)
    compiled: list = field(default_factory=list)
    objects: list = field(default_factory=list)


def _sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def _tree_hash(paths) -> str:
    return _sha(*[str(p).encode() + b"\0" + p.read_bytes() for p in sorted(paths)])


def toolchain_hash() -> str:
    """Changes whenever the compiler, the templates or the extern headers change."""
    compiler_dir = Path(__file__).parent / "compiler"
    return _tree_hash([*compiler_dir.rglob("*.py"), *compiler_dir.rglob("*.h"), *CODEGEN_DIR.glob("*.j2"),
                       *RUNTIME_INCLUDE.rglob("*.h")])


def python_names(program) -> dict[str, str]:
    """C symbol -> Python name of every dialect function (for backtraces)."""
    names = {}
    for mod in program.order:
        for fn in mod.functions:
            owner = f"{fn.struct.name}." if fn.struct else ""
            names[fn.c_name] = f"{owner}{fn.name}"
    return names


def kernel_modules(src_root: Path) -> list[str]:
    base = src_root / Path(*KERNEL_PACKAGE.split("."))
    names = []
    for path in sorted(base.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        rel = path.relative_to(src_root).with_suffix("")
        names.append(".".join(rel.parts))
    return names


class Builder:
    def __init__(self, repo: Path = REPO_ROOT, out: Path | None = None, log: Callable[[str], None] = print,
                 jobs: int | None = None):
        self.repo = repo
        self.src = repo / "src"
        # Absolute: later stages run tools with the working directory inside the build tree.
        self.out = Path(out).resolve() if out else repo / "build"
        self.cdir = self.out / "kernel" / "c"
        self.odir = self.out / "kernel" / "obj"
        self.manifest_path = self.out / "kernel" / "manifest.json"
        self.symbols_path = self.out / "kernel" / "symbols.json"
        self.kernel_elf = self.out / "kernel.elf"
        self.image = self.out / "cyrius.img"
        self.log = log
        self.jobs = jobs or os.cpu_count() or 1

    def _stage(self, name: str, start: float, detail: str) -> None:
        self.log(f"[build] {name:<10} {detail} ({(time.monotonic() - start) * 1000:.0f} ms)")

    def _load_manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return {}

    def sources_fingerprint(self, modules: list[str]) -> dict:
        files = {m: self.src / Path(*m.split(".")).with_suffix(".py") for m in modules}
        return {"toolchain": toolchain_hash(), "cflags": KERNEL_CFLAGS,
                "runtime": _tree_hash((self.repo / "runtime-c" / "src").glob("*.c")),
                "sources": {m: _sha(p.read_bytes()) for m, p in files.items()}}

    def build_objects(self) -> BuildReport:
        """Translate the kernel and compile every unit; return what was done."""
        report = BuildReport()
        t0 = time.monotonic()
        modules = kernel_modules(self.src)
        report.modules = len(modules)
        fingerprint = self.sources_fingerprint(modules)
        manifest = self._load_manifest()
        objects = [self.odir / o for o in manifest.get("objects", [])]
        if (manifest.get("fingerprint") == fingerprint and all(o.exists() for o in objects)
                and self.symbols_path.exists()):
            report.objects = objects
            self._stage("translate", t0, f"{len(modules)} modules up to date")
            return report

        report.translated = True
        program, units = translate([self.src], modules, display_root=self.repo)
        self.symbols_path.parent.mkdir(parents=True, exist_ok=True)
        self.symbols_path.write_text(json.dumps(python_names(program), indent=0, sort_keys=True))
        self.cdir.mkdir(parents=True, exist_ok=True)
        self.odir.mkdir(parents=True, exist_ok=True)
        for unit in units:
            for suffix, text in ((".h", unit.header), (".c", unit.source)):
                path = self.cdir / f"{unit.name}{suffix}"
                if not path.exists() or path.read_text() != text:
                    path.write_text(text)
                    report.written.append(path.name)
        self._stage("translate", t0, f"{len(units)} modules -> C, {len(report.written)} files changed")

        t1 = time.monotonic()
        headers = {p.name: p.read_bytes() for p in self.cdir.glob("*.h")}
        runtime_headers = _tree_hash(RUNTIME_INCLUDE.rglob("*.h")).encode()
        flags_key = json.dumps(KERNEL_CFLAGS).encode()
        sources = []
        for unit in units:
            reached = self._included(unit.name, headers) | {f"{unit.name}.h"}
            key = _sha((self.cdir / f"{unit.name}.c").read_bytes(), runtime_headers, flags_key,
                       *[n.encode() + headers[n] for n in sorted(reached)])
            sources.append((self.cdir / f"{unit.name}.c", self.odir / f"{unit.name}.o", key))
        for c_path in sorted((self.repo / "runtime-c" / "src").glob("*.c")):
            key = _sha(c_path.read_bytes(), runtime_headers, flags_key)
            sources.append((c_path, self.odir / f"rt_{c_path.stem}.o", key))
        previous = manifest.get("objects_hash", {})
        report.objects = [o for _, o, _ in sources]
        jobs = [job for job in sources if previous.get(job[1].name) != job[2] or not job[1].exists()]
        jobs.sort(key=lambda job: job[0].stat().st_size, reverse=True)  # biggest first: no long tail on one core

        def compile_one(job):
            c_path, o_path, _ = job
            cmd = ["gcc", *KERNEL_CFLAGS, f"-I{RUNTIME_INCLUDE}", f"-I{self.cdir}", "-c", str(c_path),
                   "-o", str(o_path)]
            return job, subprocess.run(cmd, capture_output=True, text=True)

        hashes = {o.name: previous[o.name] for o in report.objects if o.name in previous}
        failures = []
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for (c_path, o_path, key), result in pool.map(compile_one, jobs):
                if result.returncode != 0:
                    hashes.pop(o_path.name, None)
                    failures.append(f"{c_path.name}:\n{result.stderr}")
                    continue
                hashes[o_path.name] = key
                report.compiled.append(o_path.name)
        self._stage("compile", t1, f"{len(report.compiled)} of {len(sources)} objects rebuilt")
        self.manifest_path.write_text(json.dumps({
            "fingerprint": None if failures else fingerprint,
            "objects": [o.name for o in report.objects], "objects_hash": hashes}, indent=1))
        if failures:
            raise BuildError("gcc rejected the C below. For generated units this is a transpiler bug "
                             "(the checker accepted the Python): please report it.\n" + "\n".join(failures))
        return report

    @staticmethod
    def _included(stem: str, headers: dict) -> set:
        """Generated headers a unit reaches through #include (transitively)."""
        seen: set = set()
        todo = [f"{stem}.h"]
        while todo:
            name = todo.pop()
            text = headers.get(name, b"").decode()
            for line in text.splitlines():
                if line.startswith('#include "') and line.endswith('.h"'):
                    inc = line[len('#include "'):-1]
                    if inc in headers and inc not in seen:
                        seen.add(inc)
                        todo.append(inc)
        return seen

    # ------------------------------------------------------------------ image

    def link(self, objects: list[Path]) -> Path:
        """kernel.elf, linked twice: the second link adds the line table made from the first
        link's DWARF. The table's section is the image's last, so no other address moves."""
        from .image import kernel_link, linetable

        t0 = time.monotonic()
        boot = kernel_link.build_boot_objects(self.out)
        inputs = [*boot, *objects]
        key = _sha(*[p.read_bytes() for p in inputs], kernel_link.KERNEL_LINKER_SCRIPT.read_bytes(),
                   self.symbols_path.read_bytes(), Path(linetable.__file__).read_bytes())
        stamp = self.kernel_elf.with_suffix(".elf.key")
        if self.kernel_elf.exists() and stamp.exists() and stamp.read_text() == key:
            self._stage("link", t0, "kernel.elf up to date")
            return self.kernel_elf
        ldir = self.out / "kernel" / "linetable"
        ldir.mkdir(parents=True, exist_ok=True)
        table_bin = ldir / "linetable.bin"
        table_src = ldir / "linetable.S"
        table_src.write_text('.section .linetable, "a"\n.balign 16\n.incbin "linetable.bin"\n')
        table_bin.write_bytes(b"")
        first = self.out / "kernel.pass1.elf"
        kernel_link.link_kernel([*inputs, self._assemble(table_src, ldir)], first)
        names = json.loads(self.symbols_path.read_text())
        table_bin.write_bytes(linetable.build(first, self.repo, names))
        kernel_link.link_kernel([*inputs, self._assemble(table_src, ldir)], self.kernel_elf)
        _same_layout(first, self.kernel_elf)
        stamp.write_text(key)
        self._stage("link", t0, f"kernel.elf with a {table_bin.stat().st_size}-byte line table")
        return self.kernel_elf

    def _assemble(self, source: Path, workdir: Path) -> Path:
        obj = workdir / "linetable.o"
        result = subprocess.run(["gcc", "-c", str(source), "-o", str(obj)], cwd=workdir,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"assembling the line table failed:\n{result.stderr}")
        return obj

    def build_image(self) -> Path:
        """Everything `cyrius run` needs: kernel.elf, BOOTX64.EFI and the ESP disk image."""
        from .image import elfcheck, esp, uefi_build

        # The UEFI loader does not depend on the kernel: build it beside the kernel's single-threaded stages.
        with ThreadPoolExecutor(max_workers=1) as loader:
            def build_loader():
                start = time.monotonic()
                return uefi_build.build_loader(self.out / "uefi"), start, time.monotonic()

            efi_future = loader.submit(build_loader)
            report = self.build_objects()
            elf = self.link(report.objects)
            t0 = time.monotonic()
            sizes = elfcheck.check_kernel_elf(elf)
            self._stage("check", t0, f"kernel.elf: entry {sizes.entry:#x}, {sizes.loaded_size} bytes loaded")
            for line in sizes.format().splitlines()[1:]:
                self.log(f"           {line.strip()}")
            efi, start, end = efi_future.result()
        self.log(f"[build] {'uefi':<10} {efi.name} ({efi.stat().st_size} bytes), built beside the kernel "
                 f"({(end - start) * 1000:.0f} ms)")
        t0 = time.monotonic()
        key = _sha(efi.read_bytes(), elf.read_bytes())
        stamp = self.image.with_suffix(".img.key")
        if self.image.exists() and stamp.exists() and stamp.read_text() == key:
            self._stage("image", t0, f"{self.image.name} up to date")
            return self.image
        esp.make_esp_image(self.image, efi, elf)
        stamp.write_text(key)
        self._stage("image", t0, f"{self.image} (FAT ESP: EFI/BOOT/BOOTX64.EFI, kernel.elf)")
        return self.image


def _same_layout(first: Path, second: Path) -> None:
    """Both links must place every section before the line table identically."""
    from elftools.elf.elffile import ELFFile

    def layout(path):
        with open(path, "rb") as f:
            return [(s.name, s["sh_addr"], s["sh_size"]) for s in ELFFile(f).iter_sections()
                    if s["sh_flags"] & 2 and s.name != ".linetable"]

    if layout(first) != layout(second):
        raise BuildError("adding the line table moved other sections: .linetable must be last in boot/kernel.ld")
