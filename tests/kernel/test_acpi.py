"""ACPI table parsing under CPython, on tables laid out as the ACPI 6 spec defines them."""
import struct

import pytest

from cyrius.kernel.platform import acpi
from cyrius.kernel.mm import phys
from cyrius.lang import memory, u8, u64

DIRECT_MAP = 0x40_0000_0000


def sdt(signature: bytes, body: bytes, revision=1) -> bytes:
    length = 36 + len(body)
    header = struct.pack("<4sIBB6s8sIII", signature, length, revision, 0, b"CYRIUS", b"TESTTBL ", 1, 0, 0)
    raw = bytearray(header + body)
    raw[9] = (-sum(raw)) & 0xFF
    return bytes(raw)


def place(phys_addr: int, data: bytes) -> int:
    memory.write(DIRECT_MAP + phys_addr, data)
    return phys_addr


@pytest.fixture
def tables():
    memory.reset()
    phys.direct_map = u64(DIRECT_MAP)
    acpi.info.override_count = 0
    acpi.info.ioapic_address = 0
    acpi.info.s5_found = False
    # MADT: LAPIC at 0xfee00000, one IOAPIC, IRQ0 -> GSI2 and IRQ9 level/active-low overrides
    madt_body = struct.pack("<II", 0xFEE00000, 1)
    madt_body += struct.pack("<BBBBII", 1, 12, 0, 0, 0xFEC00000, 0)
    madt_body += struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0)
    madt_body += struct.pack("<BBBBIH", 2, 10, 0, 9, 9, 0x000F)
    madt = place(0x10000, sdt(b"APIC", madt_body))
    # DSDT with Name(_S5_, Package(4) {0x05, 0x05, 0, 0}) somewhere in its AML
    aml = b"\x10\x05\\_SB_" + b"\x08_S5_\x12\x0a\x04\x0a\x05\x0a\x05\x00\x00"
    dsdt = place(0x20000, sdt(b"DSDT", aml, revision=2))
    fadt_body = bytearray(244 - 36)
    struct.pack_into("<I", fadt_body, 40 - 36, dsdt)
    struct.pack_into("<I", fadt_body, 64 - 36, 0x604)  # PM1a_CNT_BLK
    struct.pack_into("<I", fadt_body, 76 - 36, 0x608)  # PM_TMR_BLK
    struct.pack_into("<I", fadt_body, 112 - 36, 1 << 8)  # TMR_VAL_EXT: 32-bit timer
    fadt = place(0x30000, sdt(b"FACP", bytes(fadt_body), revision=6))
    xsdt = place(0x40000, sdt(b"XSDT", struct.pack("<QQ", madt, fadt)))
    rsdp = bytearray(struct.pack("<8sB6sBIIQB3s", b"RSD PTR ", 0, b"CYRIUS", 2, 0, 36, xsdt, 0, b"\0\0\0"))
    rsdp[8] = (-sum(rsdp[:20])) & 0xFF
    rsdp[32] = (-sum(rsdp)) & 0xFF
    return place(0x50000, bytes(rsdp))


def test_madt_and_fadt_are_decoded(tables):
    assert acpi.init(u64(tables))
    info = acpi.info
    assert info.lapic_address == 0xFEE00000
    assert info.ioapic_address == 0xFEC00000
    assert info.pm1a_control_port == 0x604
    assert info.pm_timer_port == 0x608 and info.pm_timer_32bit
    assert info.s5_found and info.s5_sleep_type_a == 5 and info.s5_sleep_type_b == 5
    assert acpi.irq_to_gsi(u8(0)) == 2
    assert acpi.irq_to_gsi(u8(4)) == 4
    assert acpi.irq_flags(u8(9)) == 0xF


def test_bad_checksum_is_rejected(tables):
    raw = bytearray(memory.read(DIRECT_MAP + tables, 36))
    raw[8] ^= 0xFF  # break the RSDP checksum
    memory.write(DIRECT_MAP + tables, bytes(raw))
    assert not acpi.init(u64(tables))
    assert not acpi.init(u64(0))
