"""`cyrius run --gdb`: gdb on build/kernel.elf stops in kernel_main and speaks Python lines."""
import subprocess

import pexpect
import pytest

from cyrius.compiler import REPO_ROOT
from cyrius.qemu import RunConfig, free_tcp_port, qemu_command
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("gdb")]


def test_gdb_breaks_on_kernel_main_at_its_python_line(image, tmp_path):
    port = free_tcp_port()
    cfg = RunConfig(esp_image=image, accel="tcg", port_forwards=[], serial=f"file:{tmp_path / 'serial.log'}",
                    extra_args=["-gdb", f"tcp:127.0.0.1:{port}", "-S"])
    qemu = subprocess.Popen(qemu_command(cfg, tmp_path), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        gdb = pexpect.spawn("gdb", ["-q", "-nx", "-iex", "set style enabled off", "-iex", "set width 0",
                                    str(REPO_ROOT / "build" / "kernel.elf")], encoding="utf-8",
                            timeout=120, cwd=str(REPO_ROOT))
        gdb.expect_exact("(gdb) ")
        for command in (f"target remote 127.0.0.1:{port}", "hbreak kernel_main", "continue"):
            gdb.sendline(command)
        gdb.expect(r"kernel_main \(info=0x[0-9a-f]+\)\s+at src/cyrius/kernel/main\.py:(\d+)")
        line = int(gdb.match.group(1))
        source = (REPO_ROOT / "src/cyrius/kernel/main.py").read_text().splitlines()
        assert "entry_tsc = rdtsc()" in source[line - 1] or "def kernel_main" in source[line - 2]
        gdb.sendline("kill")
        gdb.sendline("quit")
        gdb.close(force=True)
    finally:
        qemu.kill()
        qemu.wait()
