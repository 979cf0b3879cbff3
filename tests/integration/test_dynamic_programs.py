"""Dynamically linked programs: execve maps the program's PT_INTERP loader (ld-musl, ld-linux), which then
maps libc itself, as on Linux.

The Linux ABI programs of test_linux_abi.py, linked dynamically against the host's musl and glibc, print
on Cyrius what they print on the host. Their loaders and libraries are the host's, put into the VM's root
at the paths PT_INTERP and DT_NEEDED name (a tar unpacked at /). A loader that is missing, not an ELF
file or not position-independent is an error for that execve only.
"""
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

import linux_programs as lp
from cyrius.image.disk import make_data_disk
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("mkfs.fat")]

BIN = "/mnt/bin"
PROGRAM_TIMEOUT = 180
CASES = [(name, compiler) for name in lp.PROGRAMS if name != lp.FAULT for compiler in lp.COMPILERS]
LIBRARY_DIRS = [Path("/lib/x86_64-linux-gnu"), Path("/usr/lib/x86_64-linux-gnu")]


def loader_and_libraries(binary: Path) -> set[Path]:
    """The host paths a dynamic binary needs: its PT_INTERP loader and its DT_NEEDED libraries (found in
    the loader's own directory, where musl keeps libc.so, or the multiarch library directories)."""
    with open(binary, "rb") as f:
        elf = ELFFile(f)
        interp = next(seg.get_interp_name() for seg in elf.iter_segments() if seg["p_type"] == "PT_INTERP")
        dynamic = elf.get_section_by_name(".dynamic")
        needed = [tag.needed for tag in dynamic.iter_tags() if tag.entry.d_tag == "DT_NEEDED"]
    found = {Path(interp)}
    for name in needed:
        dirs = [Path(os.path.realpath(interp)).parent, *LIBRARY_DIRS]
        found.add(next(d / name for d in dirs if (d / name).exists()))
    return found


def runtime_tar(paths: set[Path], out: Path) -> None:
    """Each path at the same place in the archive, symlinks resolved (the VM's root is not the host's)."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT, dereference=True) as tar:
        for path in sorted(paths):
            tar.add(str(path), arcname=str(path).lstrip("/"))


def build_with_loader(source: Path, loader: str, out: Path) -> None:
    subprocess.run(["musl-gcc", "-O1", f"-Wl,--dynamic-linker={loader}", "-o", str(out), str(source)], check=True)


@pytest.fixture(scope="module")
def dyn_vm(image, tmp_path_factory):
    for compiler in lp.COMPILERS:
        lp.require_compiler(compiler)
    work = tmp_path_factory.mktemp("dynamic")
    bin_dir = work / "src" / "bin"
    bin_dir.mkdir(parents=True)
    needed: set[Path] = set()
    for name, compiler in CASES:
        binary = lp.compile_program(name, compiler, dynamic=True)
        lp.host_output(name, compiler, dynamic=True)  # the host run first: it is the expectation
        needed |= loader_and_libraries(binary)
        shutil.copyfile(binary, bin_dir / f"{name}.{compiler}")
    runtime_tar(needed, work / "src" / "runtime.tar")
    # Programs whose loader is missing, is not ELF, or is a fixed-address (ET_EXEC) program.
    hello = work / "hello.c"
    hello.write_text("int main(void) { return 0; }\n")
    (bin_dir / "not-elf").write_text("#!/bin/sh\n")
    static_exec = lp.compile_program("ids", "musl")
    with open(static_exec, "rb") as f:
        assert ELFFile(f).header["e_type"] == "ET_EXEC", "musl-gcc -static should make a fixed-address program"
    shutil.copyfile(static_exec, bin_dir / "static-exec")
    for name, loader in (("no-loader", "/lib/none.so"), ("text-loader", f"{BIN}/not-elf"),
                         ("exec-loader", f"{BIN}/static-exec")):
        build_with_loader(hello, loader, bin_dir / name)
    disk = make_data_disk(work / "src", work / "data.img", log=lambda line: None)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    assert console.run("tar mnt/runtime.tar /", timeout=PROGRAM_TIMEOUT) == ""
    yield console
    console.close()


@pytest.mark.parametrize(("name", "compiler"), CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_dynamic_program_prints_what_it_prints_on_linux(dyn_vm, name, compiler):
    out = dyn_vm.run(f"run {BIN}/{name}.{compiler} /tmp", timeout=PROGRAM_TIMEOUT)
    assert out.replace("\r\n", "\n") == lp.host_output(name, compiler, dynamic=True).removesuffix("\n")


@pytest.mark.parametrize(("program", "error"), [("no-loader", "No such file or directory"),
                                                ("text-loader", "Accessing a corrupted shared library"),
                                                ("exec-loader", "Accessing a corrupted shared library")])
def test_a_bad_loader_fails_that_execve_only(dyn_vm, program, error):
    assert dyn_vm.run(f"run {BIN}/{program}") == f"run: {BIN}/{program}: {error}"
    assert dyn_vm.run("echo alive") == "alive"
