"""Host-side boot tooling without QEMU: ELF checks, ESP images, the loader build, QEMU argv."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cyrius.image.elfcheck import KernelElfError, check_kernel_elf
from cyrius.image.esp import esp_size_mib, make_esp_image
from cyrius.image.kernel_link import build_boot_objects, compile_kernel_object, link_kernel
from cyrius.image.toolchain import ToolError
from cyrius.image.uefi_build import build_loader, find_gnu_efi
from cyrius.qemu import QemuError, RunConfig, debug_exit_code, find_ovmf, qemu_command

FIXTURES = Path(__file__).parents[1] / "integration" / "fixtures"


@pytest.fixture(scope="module")
def stub_kernel(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("kernel")
    objs = build_boot_objects(d) + [compile_kernel_object(FIXTURES / "stub_kernel.c", d / "stub.o")]
    return link_kernel(objs, d / "kernel.elf")


def _link_kernel_with(tmp: Path, c_source: str) -> Path:
    src = tmp / "k.c"
    src.write_text(c_source)
    objs = build_boot_objects(tmp) + [compile_kernel_object(src, tmp / "k.o")]
    return link_kernel(objs, tmp / "kernel.elf")


# --- elfcheck ---------------------------------------------------------------------------------

def test_stub_kernel_passes_elfcheck(stub_kernel):
    report = check_kernel_elf(stub_kernel)
    sizes = {s.name: s for s in report.sections}
    assert report.entry >= 0xFFFFFFFF80000000
    assert sizes[".text"].loaded and sizes[".bss"].size >= 64 * 1024  # the boot stack
    assert [p for _, _, p in report.load_segments] == ["r-x", "r--", "rw-"]
    assert ".text" in report.format()


def test_link_rejects_weak_undefined_symbol(tmp_path):
    """A static link turns an unresolved weak call into `call 0`; link_kernel refuses it."""
    with pytest.raises(KernelElfError, match=r"1 undefined symbol\(s\) across the kernel objects: "
                                             r"not_written_yet"):
        _link_kernel_with(tmp_path, """
        #include "boot_info.h"
        #include "trap_frame.h"
        extern void not_written_yet(void) __attribute__((weak));
        void kernel_trap(struct trap_frame *tf) { (void)tf; }
        void kernel_syscall(struct trap_frame *tf) { (void)tf; }
        void kernel_main(struct boot_info *bi) { (void)bi; not_written_yet(); for (;;) {} }
        """)


def test_elfcheck_reports_undefined_symbols(tmp_path):
    """An image whose .symtab still lists UND symbols (e.g. ld -q, other linkers) is refused."""
    kernel = _link_kernel_with(tmp_path, """
        #include "boot_info.h"
        #include "trap_frame.h"
        void kernel_trap(struct trap_frame *tf) { (void)tf; }
        void kernel_syscall(struct trap_frame *tf) { (void)tf; }
        void kernel_main(struct boot_info *bi) { (void)bi; for (;;) {} }
    """)
    # ld -r keeps undefined references in .symtab: a stand-in for such an image.
    odd = tmp_path / "odd.o"
    obj = tmp_path / "extern.o"
    (tmp_path / "extern.c").write_text("extern void missing(void); void f(void) { missing(); }\n")
    subprocess.run(["gcc", "-c", "-mcmodel=kernel", "-fno-pic", "-o", obj, tmp_path / "extern.c"], check=True)
    subprocess.run(["ld", "-r", "-o", odd, obj], check=True)
    with pytest.raises(KernelElfError, match=r"undefined symbol\(s\) in \.symtab: missing"):
        check_kernel_elf(odd)
    check_kernel_elf(kernel)


def test_elfcheck_rejects_lower_half_executable(tmp_path):
    src = tmp_path / "low.c"
    src.write_text("void _start(void) { for (;;) {} }\n")
    exe = tmp_path / "low.elf"
    subprocess.run(["gcc", "-nostdlib", "-static", "-no-pie", "-o", exe, src], check=True)
    with pytest.raises(KernelElfError) as e:
        check_kernel_elf(exe)
    assert "below the kernel base 0xffffffff80000000" in str(e.value)
    assert "entry point 0x" in str(e.value)


def test_elfcheck_rejects_shared_object_and_garbage(tmp_path):
    src = tmp_path / "lib.c"
    src.write_text("int f(void) { return 1; }\n")
    so = tmp_path / "lib.so"
    subprocess.run(["gcc", "-shared", "-fpic", "-nostdlib", "-o", so, src], check=True)
    with pytest.raises(KernelElfError, match="e_type is ET_DYN, want ET_EXEC"):
        check_kernel_elf(so)
    junk = tmp_path / "junk"
    junk.write_bytes(b"MZ" + bytes(100))
    with pytest.raises(KernelElfError, match="not an ELF file"):
        check_kernel_elf(junk)


# --- ESP image --------------------------------------------------------------------------------

def test_esp_image_layout(tmp_path, stub_kernel):
    efi = tmp_path / "BOOTX64.EFI"
    efi.write_bytes(b"MZ fake loader")
    img = make_esp_image(tmp_path / "esp.img", efi, stub_kernel, {"cmdline.txt": b"int3\n"})
    assert img.stat().st_size == 64 << 20
    boot_sector = img.read_bytes()[:512]
    assert boot_sector[82:90] == b"FAT32   " and boot_sector[510:] == b"\x55\xaa"  # no partition table
    env = {"MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(["mtype", "-i", img, "::/EFI/BOOT/BOOTX64.EFI"], capture_output=True, env=env)
    assert out.stdout == b"MZ fake loader"
    out = subprocess.run(["mtype", "-i", img, "::/cmdline.txt"], capture_output=True, env=env)
    assert out.stdout == b"int3\n"
    out = subprocess.run(["mcopy", "-i", img, "::/kernel.elf", "-"], capture_output=True, env=env)
    assert out.stdout == stub_kernel.read_bytes()


def test_esp_size_grows_with_payload():
    assert esp_size_mib(1 << 20) == 64
    assert esp_size_mib(200 << 20) >= 233


# --- loader build -----------------------------------------------------------------------------

def test_loader_build_is_a_pe_and_incremental(tmp_path):
    messages: list[str] = []
    efi = build_loader(tmp_path, log=messages.append)
    data = efi.read_bytes()
    assert data[:2] == b"MZ"
    pe = int.from_bytes(data[0x3C:0x40], "little")
    assert data[pe:pe + 4] == b"PE\0\0"
    assert int.from_bytes(data[pe + 24 + 68:pe + 24 + 70], "little") == 10  # EFI application
    mtime = efi.stat().st_mtime_ns
    messages.clear()
    assert build_loader(tmp_path, log=messages.append) == efi
    assert efi.stat().st_mtime_ns == mtime and any("up to date" in m for m in messages)


def test_missing_gnu_efi_names_the_package(monkeypatch):
    monkeypatch.setenv("GNU_EFI_INCLUDE", "/nonexistent")
    with pytest.raises(ToolError, match="apt-get install gnu-efi"):
        find_gnu_efi()


# --- QEMU command line ------------------------------------------------------------------------

def test_qemu_command_shape(tmp_path):
    esp = tmp_path / "esp.img"
    data = tmp_path / "data.img"
    esp.write_bytes(bytes(512))
    data.write_bytes(bytes(512))
    cfg = RunConfig(esp_image=esp, data_disk=data, accel="tcg", port_forwards=[(23456, 12345)])
    cmd = qemu_command(cfg, tmp_path / "run")
    line = " ".join(cmd)
    assert "-machine q35" in line and "-accel tcg" in line and "-m 512" in line
    ovmf = find_ovmf()
    assert f"if=pflash,format=raw,unit=0,readonly=on,file={ovmf.code}" in line
    vars_copy = tmp_path / "run" / "OVMF_VARS.fd"
    assert f"unit=1,file={vars_copy}" in line and vars_copy.read_bytes() == ovmf.vars.read_bytes()
    assert "virtio-blk-pci,drive=data,disable-legacy=on" in line
    assert "hostfwd=tcp:127.0.0.1:23456-:12345" in line
    assert "virtio-net-pci,netdev=net0,disable-legacy=on" in line
    assert "isa-debug-exit,iobase=0xf4,iosize=0x04" in line
    assert "-display none" in line and "-no-reboot" in line
    assert "-s" not in cmd
    cfg.gdb = True
    assert qemu_command(cfg, tmp_path / "run")[-2:] == ["-s", "-S"]


def test_qemu_config_errors(tmp_path, monkeypatch):
    with pytest.raises(QemuError, match="does not exist"):
        qemu_command(RunConfig(esp_image=tmp_path / "missing.img", accel="tcg"), tmp_path)
    (tmp_path / "esp.img").write_bytes(b"")
    with pytest.raises(QemuError, match="accel must be"):
        qemu_command(RunConfig(esp_image=tmp_path / "esp.img", accel="hvf"), tmp_path)
    monkeypatch.setenv("OVMF_CODE", "/nonexistent")
    with pytest.raises(QemuError, match="OVMF_CODE"):
        find_ovmf()


def test_debug_exit_code():
    assert debug_exit_code(33) == 0x10
    assert debug_exit_code(1) == 0
    assert debug_exit_code(0) is None      # QEMU quit by itself (e.g. triple fault + -no-reboot)
    assert debug_exit_code(-9) is None     # killed
