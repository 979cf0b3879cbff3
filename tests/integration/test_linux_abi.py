"""Issue 5, the Linux ABI: static Linux programs run by the Cyrius shell print what they print on the host.

The programs (tests/fixtures/linux/*.c, one per syscall family, built with musl-gcc and gcc -static by
linux_programs.py) are run on the host first, like gVisor's syscall tests; their output is the expectation.
A data disk carries them to /mnt/bin/NAME.musl and /mnt/bin/NAME.glibc, with Debian's busybox-static as
/mnt/bin/busybox (FAT has no symlinks and no modes: everything is run by path).

The shell's contract assumed here: `run PATH ARGS...` starts PATH with argv = [PATH, ARGS...] and the serial
console as its stdin/stdout/stderr; when it ends the shell prints nothing if it exited with status 0, otherwise
exactly one line, `run: PATH exited with status N` or `run: PATH killed by signal NAME (N)`.
"""
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

import linux_programs as lp
from cyrius.image.disk import make_data_disk
from qemu_console import Console
from tooling import needs, unavailable

pytestmark = [pytest.mark.integration,
              needs("mkfs.fat")]

BUSYBOX = Path("/bin/busybox")
BIN = "/mnt/bin"
PROGRAM_TIMEOUT = 180  # TCG: fork-heavy programs, 100 KB through a pipe, sleeps
CASES = [(name, compiler) for name in lp.PROGRAMS if name != lp.FAULT for compiler in lp.COMPILERS]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def is_static(path: Path) -> bool:
    with open(path, "rb") as f:
        return not any(seg["p_type"] == "PT_INTERP" for seg in ELFFile(f).iter_segments())


def host_expected(name: str, compiler: str) -> str:
    """The host's stdout as Console.run returns the VM's: without the final newline (the prompt takes it)."""
    return lp.host_output(name, compiler).removesuffix("\n")


def applets_tar(out: Path) -> None:
    """bin/busybox and a symlink to it for every applet (FAT cannot hold symlinks; tar can)."""
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout.split()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tar.gettarinfo(str(BUSYBOX), arcname="bin/busybox")
        info.uid = info.gid = 0
        with open(BUSYBOX, "rb") as f:
            tar.addfile(info, f)
        for name in applets:
            if name != "busybox":
                link = tarfile.TarInfo(f"bin/{name}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(link)


@pytest.fixture(scope="module")
def abi_vm(image, tmp_path_factory):
    for compiler in lp.COMPILERS:
        lp.require_compiler(compiler)
    work = tmp_path_factory.mktemp("abi")
    src = work / "src"
    lp.install(src / "bin")
    if BUSYBOX.exists() and is_static(BUSYBOX):
        shutil.copyfile(BUSYBOX, src / "bin" / "busybox")
        applets_tar(src / "applets.tar")
    for name in lp.PROGRAMS:  # the host run comes first: a program broken on Linux says nothing about Cyrius
        for compiler in lp.COMPILERS:
            lp.host_output(name, compiler)
    disk = make_data_disk(src, work / "data.img", log=lambda line: None)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    if (src / "applets.tar").exists():  # /bin with busybox and its applet links: what `sh -c` finds on PATH
        assert console.run("tar mnt/applets.tar /", timeout=PROGRAM_TIMEOUT) == ""
    yield console
    console.close()


@pytest.fixture
def busybox(abi_vm):
    if not (BUSYBOX.exists() and is_static(BUSYBOX)):
        unavailable("a static /bin/busybox not found (package busybox-static; scripts/setup.sh installs it)")
    return f"{BIN}/busybox"


@pytest.mark.parametrize(("name", "compiler"), CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_program_prints_what_it_prints_on_linux(abi_vm, name, compiler):
    out = abi_vm.run(f"run {BIN}/{name}.{compiler} /tmp", timeout=PROGRAM_TIMEOUT)
    assert out.replace("\r\n", "\n") == host_expected(name, compiler)


@pytest.mark.parametrize("compiler", list(lp.COMPILERS))
def test_faulting_program_dies_with_sigsegv_and_the_shell_lives_on(abi_vm, compiler):
    path = f"{BIN}/{lp.FAULT}.{compiler}"
    out = abi_vm.run(f"run {path}", timeout=PROGRAM_TIMEOUT)
    assert out.splitlines() == [host_expected(lp.FAULT, compiler), f"run: {path} killed by signal SIGSEGV (11)"]
    assert abi_vm.run("echo alive") == "alive"


def test_busybox_sh_transcript(abi_vm, busybox):
    root = sorted(line.split()[-1] for line in abi_vm.run("ls /").splitlines())
    script = "ls /; uname -a; echo hi | cat; sleep 1; exit 3"
    out = ANSI.sub("", abi_vm.run(f"run {busybox} sh -c '{script}'", timeout=PROGRAM_TIMEOUT))
    lines = out.splitlines()
    assert lines[-1] == f"run: {busybox} exited with status 3"
    assert lines[-2] == "hi"
    assert lines[-3].startswith("Linux ")
    listed = [word for line in lines[:-3] for word in line.split()]  # one per line, or columns on a tty
    assert sorted(listed) == root and {"dev", "mnt", "tmp"} <= set(listed)
    assert abi_vm.run("echo alive") == "alive"


def test_exit_statuses_and_signals_are_reported(abi_vm, busybox):
    assert abi_vm.run(f"run {busybox} true", timeout=PROGRAM_TIMEOUT) == ""
    assert abi_vm.run(f"run {busybox} false", timeout=PROGRAM_TIMEOUT) == f"run: {busybox} exited with status 1"
    assert abi_vm.run(f"run {busybox} sh -c 'kill -TERM $$'", timeout=PROGRAM_TIMEOUT) == \
        f"run: {busybox} killed by signal SIGTERM (15)"
    assert abi_vm.run(f"run {busybox} echo one two", timeout=PROGRAM_TIMEOUT) == "one two"


def test_missing_program_is_an_error_not_a_crash(abi_vm):
    out = abi_vm.run(f"run {BIN}/no-such-program")
    assert out.startswith("run: ") and f"{BIN}/no-such-program" in out
    assert abi_vm.run("echo alive") == "alive"


def test_programs_cleaned_up_after_themselves(abi_vm):
    """Runs last in the module: files and mmap removed their scratch files from /tmp."""
    assert abi_vm.run("ls /tmp") == ""
