"""ELF validation on real binaries: Debian's busybox-static, gcc and musl-gcc programs."""
import os
import struct
import subprocess
from pathlib import Path

import pytest

from cyrius.kernel import errno
from cyrius.kernel.linux import elf
from cyrius.lang import Ptr, addr, memory, sizeof, u8, usize
from tooling import needs

BUSYBOX = Path("/bin/busybox")


def check(data: bytes):
    base = memory.alloc(len(data) + 1)
    memory.write(base, data)
    info = elf.ElfInfo()
    return elf.check(Ptr[u8](base), usize(len(data)), addr(info)), info


def test_layouts_match_the_elf_spec():
    assert sizeof(elf.Elf64Ehdr) == 64 and sizeof(elf.Elf64Phdr) == 56


@needs("/bin/busybox")
def test_busybox_static():
    data = BUSYBOX.read_bytes()
    err, info = check(data)
    assert err == 0
    entry, phoff, phnum = struct.unpack_from("<QQ", data, 24)[0], struct.unpack_from("<Q", data, 32)[0], \
        struct.unpack_from("<H", data, 56)[0]
    assert info.entry == entry and not info.position_independent
    assert info.phnum == phnum and info.lowest_vaddr == 0x400000
    assert info.phdr_vaddr == 0x400000 + phoff
    assert info.interp_offset == 0 and info.tls_memsz > 0 and not info.executable_stack


def compile_program(tmp_path, compiler, flags) -> bytes:
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    out = tmp_path / "hello"
    subprocess.run([compiler, *flags, str(src), "-o", str(out)], check=True, capture_output=True)
    return out.read_bytes()


def test_glibc_static_pie(tmp_path):
    err, info = check(compile_program(tmp_path, "gcc", ["-static-pie", "-O2"]))
    assert err == 0 and info.position_independent and info.interp_offset == 0
    assert info.lowest_vaddr == 0


@needs("musl-gcc")
def test_musl_static(tmp_path):
    err, info = check(compile_program(tmp_path, "musl-gcc", ["-static", "-O2"]))
    assert err == 0 and not info.position_independent and info.interp_offset == 0


def test_dynamic_program_reports_its_interpreter(tmp_path):
    data = compile_program(tmp_path, "gcc", ["-O2"])
    err, info = check(data)
    assert err == 0
    assert data[info.interp_offset:info.interp_offset + info.interp_length] == b"/lib64/ld-linux-x86-64.so.2"


@needs("/bin/busybox")
@pytest.mark.parametrize("damage", ["magic", "class32", "machine", "truncated", "phoff", "segment_past_end",
                                    "kernel_address", "entry_outside", "misaligned", "empty"])
def test_malformed_images_are_enoexec(damage):
    data = bytearray(BUSYBOX.read_bytes()[:0x200000])
    phoff = struct.unpack_from("<Q", data, 32)[0]
    first_load = phoff + 56  # busybox: PT_LOAD #1 (R), then #2 (R E) at index 1
    if damage == "magic":
        data[0] = 0x7E
    elif damage == "class32":
        data[4] = 1
    elif damage == "machine":
        struct.pack_into("<H", data, 18, 3)
    elif damage == "truncated":
        data = data[:40]
    elif damage == "phoff":
        struct.pack_into("<Q", data, 32, len(data) - 8)
    elif damage == "segment_past_end":
        struct.pack_into("<Q", data, first_load + 32, len(data) * 2)  # filesz
        struct.pack_into("<Q", data, first_load + 40, len(data) * 2)  # memsz
    elif damage == "kernel_address":
        struct.pack_into("<Q", data, first_load + 16, 0xFFFF800000001000)
    elif damage == "entry_outside":
        struct.pack_into("<Q", data, 24, 0x10)
    elif damage == "misaligned":
        struct.pack_into("<Q", data, first_load + 16, 0x401010)
    elif damage == "empty":
        data = bytearray()
    err, _ = check(bytes(data) + os.urandom(0))
    assert err == -errno.ENOEXEC
