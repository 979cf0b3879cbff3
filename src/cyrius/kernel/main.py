"""kernel_main: the first Python the CPU runs, called by boot/x86_64/entry.S with the boot info."""
from cyrius.lang import Ptr, cast, export, u8, u32, u64, usize
from cyrius.rt import kernel_linetable_end, kernel_linetable_start, rdtsc, sti, sti_hlt

from .platform import acpi, clock
from . import bootinfo, console
from .shell import core
from .tty import ldisc
from .fs import devfs, namespace
from .arch.x86_64 import cpu, ioapic, lapic, pic
from .bootinfo import BootInfo
from .debug import linetable
from .debug import blk_selftest
from .dev import pci, virtio_blk, virtio_net
from .host import syscalls as host_syscalls
from .linux import abi
from .mm import frames, heap, paging, phys, uspace
from .net import netif, stack
from .proc import entry, process, sched
from .panic import panic


entry_tsc: u64 = 0


def banner() -> None:
    console.puts(b"   _____           _\n")
    console.puts(b"  / ____|         (_)\n")
    console.puts(b" | |    _   _ _ __ _ _   _ ___\n")
    console.puts(b" | |   | | | | '__| | | | / __|\n")
    console.puts(b" | |___| |_| | |  | | |_| \\__ \\\n")
    console.puts(b"  \\_____|\\__, |_|  |_|\\__,_|___/\n")
    console.puts(b"          __/ |\n")
    console.puts(b"         |___/\n\n")


def init_interrupts() -> None:
    pic.disable()
    if not acpi.info.found or acpi.info.ioapic_address == 0:
        panic(b"acpi: no MADT with an I/O APIC; Cyrius needs one")
    lapic.init(acpi.info.lapic_address)
    ioapic.init(acpi.info.ioapic_address)
    ldisc.init()
    ioapic.route_irq(u8(ldisc.SERIAL_IRQ), u8(ldisc.SERIAL_VECTOR), lapic.id())


@export("kernel_main")
def kernel_main(info: Ptr[BootInfo]) -> None:
    global entry_tsc
    entry_tsc = rdtsc()
    console.init()
    if info.magic != bootinfo.BOOT_INFO_MAGIC or info.version != bootinfo.BOOT_INFO_VERSION:
        panic(b"boot: the boot-info block has a bad magic or version; BOOTX64.EFI and kernel.elf do not match")
    table_size: u64 = cast(u64, kernel_linetable_end) - cast(u64, kernel_linetable_start)
    linetable.install(kernel_linetable_start, usize(table_size))
    phys.direct_map = info.direct_map_base
    paging.kernel_root = info.page_table_root
    paging.drop_identity_map(info.page_table_root)
    frames.init(info)
    heap.init()
    uspace.init()
    cpu.init()
    acpi.init(info.acpi_rsdp)
    init_interrupts()
    clock.init()
    pci.init(info)
    virtio_blk.init()
    virtio_net.init()
    blk_selftest.run_if_requested(info)
    namespace.init(clock.coarse_realtime_ns)
    devfs.seed(rdtsc(), clock.now_ns())
    if virtio_blk.count > 0:
        # The seed's log line names the first virtio disk this way.
        namespace.mount_data_disk(virtio_blk.block_device(u32(0)), b"virtio-blk0")
    process.init_host(sched.init(), namespace.host_root)
    netif.dns_known = namespace.write_resolv_conf
    stack.start()  # the network thread, DHCP and the echo server; waits for an address
    entry.init()
    abi.init()
    host_syscalls.init()
    core.init()
    banner()
    sti()
    while clock.ticks == 0:
        sti_hlt()  # an external call: ticks is re-read after every interrupt
    console.puts(b"[boot] kernel ready in ")
    console.put_dec(clock.tsc_ms_since(entry_tsc))
    console.puts(b" ms\n")
    console.log(b"shell", b"ready; type `help` for command list")
    core.run()
