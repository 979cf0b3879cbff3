"""The kernel log: a ring of the last LOG_SIZE bytes, where unimplemented system calls are noted instead
of on the terminal a program writes to."""
from cyrius.kernel import console, klog
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.linux import syscall_names, syscalls
from cyrius.lang import addr, u64


def logged() -> bytes:
    pieces = []
    klog.replay(lambda data, length: pieces.append(bytes(data[i] for i in range(int(length)))))
    return b"".join(pieces)


def test_the_ring_keeps_the_newest_bytes_in_order(machine):
    klog.written = u64(0)
    klog.puts(b"first\n")
    assert logged() == b"first\n"
    line = b"0123456789abcdef"
    for _ in range(klog.LOG_SIZE // len(line) + 3):
        klog.puts(line)
    out = logged()
    assert len(out) == klog.LOG_SIZE and out.endswith(line) and b"first" not in out
    assert out == (line * (len(out) // len(line) + 1))[-len(out):]


def test_an_unimplemented_call_is_noted_once_in_the_log_not_on_the_console(machine, monkeypatch):
    klog.written = u64(0)
    shown = []
    monkeypatch.setattr(console, "sink", lambda data, length: shown.append(length))
    number = next(n for n in range(syscall_names.COUNT) if syscalls.table[n].handler is None
                  or not syscalls.table[n].handler)
    syscalls.table[number].logged = False
    frame = TrapFrame()
    frame.rax = u64(number)
    for _ in range(3):
        assert syscalls.dispatch(addr(frame)) == -38  # ENOSYS
    name = bytes(syscall_names.name_of(u64(number))[i] for i in range(40)).split(b"\0")[0]
    assert logged() == b"[linux] unimplemented system call " + name + f" ({number}): ENOSYS\n".encode()
    assert shown == []
    console.log(b"boot", b"a boot message")  # console.log goes to both
    assert logged().endswith(b"[boot] a boot message\n") and shown
