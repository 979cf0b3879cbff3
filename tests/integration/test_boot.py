"""Boot to the host shell and exercise the first commands, under TCG."""
import re
import time

import pytest

from cyrius.compiler import REPO_ROOT

pytestmark = pytest.mark.integration


def test_banner_log_lines_and_prompt(vm):
    out = vm.boot_output
    assert "[uefi] Cyrius UEFI loader" in out
    assert r"| |___| |_| | |  | | |_| \__ \ " .rstrip() in out
    assert "[timer] first tick" in out
    ready = re.search(r"\[boot\] kernel ready in (\d+) ms", out)
    assert ready and 0 < int(ready.group(1)) < 60000


def test_help_lists_the_commands(vm):
    out = vm.run("help")
    for name in ("help", "echo", "mem", "uptime", "poweroff", "fault", "oci-runtime"):
        assert re.search(rf"^  {name} ", out, re.M), out


def test_dmesg_replays_the_boot_log(vm):
    log = vm.run("dmesg").splitlines()
    assert "[timer] first tick" in log and log[-1].startswith("[shell] ready")


def test_echo_and_unknown_command(vm):
    assert vm.run("echo hello   from  cyrius") == "hello from cyrius"
    assert vm.run("frobnicate now") == "frobnicate: command not found (type `help`)"


def test_mem_numbers_are_sane(vm):
    out = vm.run("mem")
    m = re.search(r"frames: (\d+) free of (\d+) \((\d+) KiB free\)", out)
    assert m, out
    free, usable, kib = map(int, m.groups())
    # 512 MiB guest: most of it is usable; the kernel itself uses little so far
    assert 300 * 256 < usable < 512 * 256
    assert 0.9 * usable < free <= usable
    assert kib == free * 4
    heap = re.search(r"heap: (\d+) bytes in (\d+) blocks", out)
    assert heap, out


def test_uptime_advances_at_real_speed(vm):
    def uptime() -> tuple[float, float]:
        out = vm.run("uptime")
        m = re.search(r"up (\d+)\.(\d{3}) s", out)
        assert m, out
        return int(m.group(1)) + int(m.group(2)) / 1000, time.monotonic()

    guest0, host0 = uptime()
    time.sleep(5)
    guest1, host1 = uptime()
    ratio = (guest1 - guest0) / (host1 - host0)
    assert 0.8 < ratio < 1.2, ratio


def test_line_editing_over_serial(vm):
    vm.child.send("echo abd\x1b[Dc\r")  # left arrow, insert: "echo abcd"
    vm.child.expect(r"\r+\nabcd\r+\n\$ ")


def test_fault_panics_naming_the_python_line(fresh_vm):
    source = (REPO_ROOT / "src/cyrius/kernel/shell/machine.py").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if text.strip() == "target[0] = 1")
    fresh_vm.child.send("fault\r")
    fresh_vm.expect(r"\[panic\] page fault \(vector 14\)")
    fresh_vm.expect(r"cr2 0xffffa00000000000")
    fresh_vm.expect(rf"src/cyrius/kernel/shell/machine\.py:{line} cmd_fault")
    fresh_vm.expect(r"backtrace \(most recent call first\):")
    fresh_vm.expect(r"src/cyrius/kernel/main\.py:\d+ kernel_main")


def test_poweroff_exits_qemu_cleanly(fresh_vm):
    fresh_vm.child.send("poweroff\r")
    assert fresh_vm.wait_exit() == 0
