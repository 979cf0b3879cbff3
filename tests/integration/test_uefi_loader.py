"""The boot path under QEMU/TCG, with a C stub kernel instead of the real one.

BOOTX64.EFI (boot/uefi/loader.c) loads tests/integration/fixtures/stub_kernel.c linked with the
real boot shim (boot/x86_64/entry.S, isr.S, boot/kernel.ld).  The stub checks boot_info, prints
what it found on COM1 and leaves QEMU through isa-debug-exit, so each test is one short boot.
Everything is built under pytest's tmp dirs, never in the source tree.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pexpect
import pytest
from elftools.elf.elffile import ELFFile

from cyrius.image.elfcheck import check_kernel_elf
from cyrius.image.esp import make_esp_image
from cyrius.image.kernel_link import build_boot_objects, compile_kernel_object, link_kernel
from cyrius.image.uefi_build import build_loader
from cyrius.qemu import RunConfig, debug_exit_code, free_tcp_port, spawn

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent / "fixtures"
BOOT_TIMEOUT = 60   # OVMF alone takes ~4 s under TCG; the whole stub boot ~5 s
STUB_EXIT_OK = 0x10
STUB_EXIT_TRAP = 0x11


class Artifacts:
    def __init__(self, root: Path):
        self.root = root
        self.loader = build_loader(root / "uefi")
        objects = build_boot_objects(root / "kernel")
        objects.append(compile_kernel_object(FIXTURES / "stub_kernel.c", root / "kernel" / "stub_kernel.o"))
        self.kernel = link_kernel(objects, root / "kernel" / "kernel.elf")
        self.report = check_kernel_elf(self.kernel)

    def symbol(self, name: str) -> int:
        with self.kernel.open("rb") as f:
            symtab = ELFFile(f).get_section_by_name(".symtab")
            return symtab.get_symbol_by_name(name)[0]["st_value"]

    def esp(self, name: str, kernel: Path | None = None, cmdline: str | None = None) -> Path:
        extra = {"cmdline.txt": cmdline.encode() + b"\n"} if cmdline is not None else {}
        return make_esp_image(self.root / f"{name}.img", self.loader, kernel or self.kernel, extra)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Artifacts:
    return Artifacts(tmp_path_factory.mktemp("boot-build"))


class Boot:
    """One QEMU run; the serial log is kept in the run's tmp dir for post-mortems."""

    def __init__(self, esp: Path, workdir: Path, **config):
        cfg = RunConfig(esp_image=esp, accel="tcg", port_forwards=[(free_tcp_port(), 12345)], **config)
        self.log = open(workdir / "serial.log", "w")
        self.start = time.monotonic()
        self.child = spawn(cfg, workdir, timeout=BOOT_TIMEOUT, logfile=self.log)

    def expect(self, pattern: str) -> re.Match:
        self.child.expect(pattern)
        return self.child.match

    def exit_code(self) -> int | None:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return debug_exit_code(self.child.exitstatus)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()


@pytest.fixture
def boot(tmp_path):
    runs: list[Boot] = []

    def start(esp: Path, **config) -> Boot:
        runs.append(Boot(esp, tmp_path, **config))
        return runs[-1]

    yield start
    for run in runs:
        run.close()


# A number at the end of a pattern is matched up to the whitespace after it: pexpect matches against what
# has arrived so far, and a bare [0-9a-f]+ could match before the whole number had.


def test_loader_boots_stub_kernel(artifacts, boot):
    vm = boot(artifacts.esp("plain"))
    vm.expect(re.escape("[uefi] Cyrius UEFI loader"))
    size = int(vm.expect(r"\[uefi\] loading kernel\.elf \((\d+) bytes\)").group(1))
    assert size == artifacts.kernel.stat().st_size
    entry = int(vm.expect(r"jumping to kernel at 0x([0-9a-f]+) \(boot_info").group(1), 16)
    assert entry == artifacts.report.entry == artifacts.symbol("_start")

    vm.expect(r"stub: kernel_main reached")
    seconds = time.monotonic() - vm.start
    m = vm.expect(r"stub: boot_info ok, memmap=(\d+) entries, rsdp=0x([0-9a-f]+)(?=\s)")
    assert int(m.group(1)) > 10
    assert int(m.group(2), 16) != 0
    vm.expect(r"stub: rsdp signature ok, revision 2")
    mib = int(vm.expect(r"stub: conventional memory (\d+) MiB").group(1))
    assert 300 < mib < 512   # -m 512, minus firmware and our allocations
    vm.expect(r"stub: done")
    assert vm.exit_code() == STUB_EXIT_OK
    print(f"TCG: QEMU start -> kernel_main in {seconds:.1f} s")


def test_loader_2mib_pages_and_memory_above_4g(artifacts, boot):
    """qemu64 has no 1 GiB pages: the direct map falls back to 2 MiB pages; with 6 GiB of RAM,
    QEMU puts 4 GiB above the 32-bit PCI hole, so the map must reach past 4 GiB."""
    vm = boot(artifacts.esp("plain"), cpu_model="qemu64", memory_mib=6144)
    vm.expect(r"\[uefi\] page tables: \d+ pages, direct map 8 GiB with 2 MiB pages")
    mib = int(vm.expect(r"stub: conventional memory (\d+) MiB, direct map 8 GiB").group(1))
    assert mib > 5000
    vm.expect(r"stub: done")
    assert vm.exit_code() == STUB_EXIT_OK


def test_int3_reaches_kernel_trap_with_full_frame(artifacts, boot):
    vm = boot(artifacts.esp("int3", cmdline="int3"))
    vm.expect(r"stub: cmdline 'int3'")
    m = vm.expect(r"stub: trap frame=0x[0-9a-f]+ vector=(\d+) error=0x([0-9a-f]+) rip=0x([0-9a-f]+) "
                  r"cs=0x([0-9a-f]+) ss=0x([0-9a-f]+) rsp=0x([0-9a-f]+)(?=\s)")
    vector, error, rip, cs, ss, rsp = int(m.group(1)), *(int(g, 16) for g in m.groups()[1:])
    assert vector == 3
    assert error == 0                                   # the stub's dummy error code
    assert rip == artifacts.symbol("stub_after_int3")   # #BP is a trap: rip is past the int3
    assert (cs, ss) == (0x08, 0x10)                     # our GDT's kernel selectors
    assert artifacts.symbol("boot_stack_bottom") < rsp <= artifacts.symbol("boot_stack_top")
    # Registers set just before int3 come back in the right trap_frame slots.
    m = vm.expect(r"stub: regs r15=0x(\w+) r8=0x(\w+) rbx=0x(\w+) rax=0x(\w+)(?=\s)")
    assert [int(g, 16) for g in m.groups()] == [0x1515151515151515, 0x0808080808080808,
                                                 0xBBBBBBBBBBBBBBBB, 0xAAAAAAAAAAAAAAAA]
    vm.expect(r"stub: int3 returned")                   # iretq resumed the kernel
    vm.expect(r"stub: done")
    assert vm.exit_code() == STUB_EXIT_OK


# #PF error code bits: P=1 (protection, not absence), W=2, I/D=0x10 (instruction fetch).
@pytest.mark.parametrize("mode, error_code, cr2", [
    ("pagefault", 0x0, lambda a: 0x700000000000),             # lower half beyond the identity map
    ("write-rodata", 0x3, lambda a: a.symbol("stub_rodata_word")),  # loader maps .rodata R, sets CR0.WP
    ("exec-data", 0x11, lambda a: a.symbol("stub_data_code")),      # loader maps .data NX
])
def test_page_faults_match_the_loader_mappings(artifacts, boot, mode, error_code, cr2):
    """Vector 14 has a CPU error code: the frame must line up without the dummy push."""
    vm = boot(artifacts.esp(mode, cmdline=mode))
    m = vm.expect(r"stub: trap frame=0x[0-9a-f]+ vector=(\d+) error=0x([0-9a-f]+) rip=0x([0-9a-f]+) "
                  r"cs=0x8 ss=0x10")
    assert int(m.group(1)) == 14
    assert int(m.group(2), 16) == error_code
    rip = int(m.group(3), 16)
    if mode == "exec-data":
        assert rip == cr2(artifacts)
    else:
        assert artifacts.symbol("__kernel_start") <= rip < artifacts.symbol("__text_end")
    assert int(vm.expect(r"cr2=0x([0-9a-f]+)(?=\s)").group(1), 16) == cr2(artifacts)
    assert vm.exit_code() == STUB_EXIT_TRAP


def test_double_fault_runs_on_ist1_stack(artifacts, boot):
    vm = boot(artifacts.esp("doublefault", cmdline="doublefault"))
    m = vm.expect(r"stub: trap frame=0x([0-9a-f]+) vector=(\d+) error=0x([0-9a-f]+)(?=\s)")
    frame, vector, error = int(m.group(1), 16), int(m.group(2)), int(m.group(3), 16)
    assert (vector, error) == (8, 0)
    assert artifacts.symbol("df_stack") <= frame < artifacts.symbol("df_stack_top")
    assert vm.exit_code() == STUB_EXIT_TRAP


@pytest.mark.parametrize("case, make, message", [
    ("garbage", lambda k: bytes(range(256)) * 16,
     "[uefi] error: kernel.elf is not an ELF file"),
    ("truncated", lambda k: k.read_bytes()[:3000],
     "[uefi] error: kernel.elf segment 0 lies outside the file"),
    ("elf32", lambda k: k.read_bytes()[:4] + b"\x01" + k.read_bytes()[5:],
     "[uefi] error: kernel.elf is not a little-endian ELF64 file"),
])
def test_loader_rejects_bad_kernel(artifacts, boot, tmp_path, case, make, message):
    bad = tmp_path / f"{case}.elf"
    bad.write_bytes(make(artifacts.kernel))
    vm = boot(artifacts.esp(f"bad-{case}", kernel=bad))
    vm.expect(re.escape(message))
    # The loader returns to the firmware (which moves on to its next boot option); it never
    # jumps anywhere.
    vm.expect(r"BdsDxe: failed to start Boot\d+")
    assert "jumping to kernel" not in vm.child.before
