"""Power off through ACPI S5 (QEMU exits with status 0)."""
from cyrius.lang import Final, u16
from cyrius.rt import outw

from . import acpi
from .. import console
from ..dev import bcache
from ..fs import vfs
from ..panic import halt_forever

SLP_EN: Final = 1 << 13


def poweroff() -> None:
    if vfs.sync_filesystems() < 0 or bcache.sync_all() < 0:
        console.log(b"power", b"warning: writing cached disk sectors back failed")
    console.log(b"power", b"powering off")
    if acpi.info.s5_found and acpi.info.pm1a_control_port != 0:
        outw(u16(acpi.info.pm1a_control_port), (acpi.info.s5_sleep_type_a << 10) | SLP_EN)
        if acpi.info.pm1b_control_port != 0:
            outw(u16(acpi.info.pm1b_control_port), (acpi.info.s5_sleep_type_b << 10) | SLP_EN)
    console.log(b"power", b"ACPI S5 did not take effect; halting")
    halt_forever()
