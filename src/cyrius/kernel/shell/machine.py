"""Shell commands about the machine: echo, mem, uptime, dmesg, sync, poweroff and the fault test aid."""
from cyrius.lang import Ptr, cast, i64, u8, u32, u64, usize

from .. import console, errno, klog
from ..dev import bcache
from ..fs import vfs
from ..mm import frames, heap
from ..platform import clock, power


def cmd_echo(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    for i in range(u32(1), argc):
        if i > 1:
            console.puts(b" ")
        console.puts(args[i])
    console.puts(b"\n")


def cmd_dmesg(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    klog.replay(console.write)


def cmd_mem(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    console.puts(b"frames: ")
    console.put_dec(frames.free_frames)
    console.puts(b" free of ")
    console.put_dec(frames.usable_frames)
    console.puts(b" (")
    console.put_dec(frames.free_frames * 4)
    console.puts(b" KiB free)\nheap: ")
    console.put_dec(heap.bytes_in_use)
    console.puts(b" bytes in ")
    console.put_dec(heap.live_blocks)
    console.puts(b" blocks, ")
    console.put_dec(heap.frames_held)
    console.puts(b" frames held\n")


def cmd_uptime(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    ns: u64 = clock.now_ns()
    console.puts(b"up ")
    console.put_dec(ns // 1000000000)
    console.puts(b".")
    console.put_padded_zero(ns // 1000000 % 1000, u32(3))
    console.puts(b" s\n")


def cmd_sync(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    err: i64 = vfs.sync_filesystems()
    if err == 0:
        err = bcache.sync_all()
    if err < 0:
        console.puts(b"sync: ")
        console.puts(errno.message(err))
        console.puts(b"\n")


def cmd_poweroff(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    power.poweroff()


def cmd_fault(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    # Testing aid: write to an address nothing maps, so the page-fault panic path can be checked.
    target: Ptr[u64] = cast(Ptr[u64], usize(0xFFFFA00000000000))
    target[0] = 1
