"""`cyrius disk DIR -o IMG` makes a FAT32 image that fsck.fat and mtools agree with."""
import os
import subprocess


from cyrius.cli import main
from tooling import needs

pytestmark = needs("mkfs.fat", "mcopy")


def test_disk_from_directory(tmp_path, capsys):
    src = tmp_path / "src"
    (src / "nested" / "deeper").mkdir(parents=True)
    (src / "busybox.tar").write_bytes(os.urandom(300_000))
    (src / "nested" / "deeper" / "A Long File Name.json").write_text('{"ok": true}\n')
    (src / "link").symlink_to("busybox.tar")
    img = tmp_path / "data.img"
    assert main(["disk", str(src), "-o", str(img)]) == 0
    out = capsys.readouterr().out
    assert "FAT32" in out and "skipped link" in out
    check = subprocess.run(["fsck.fat", "-n", str(img)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    back = tmp_path / "back.tar"
    subprocess.run(["mcopy", "-i", str(img), "::/busybox.tar", str(back)], check=True, env=env)
    assert back.read_bytes() == (src / "busybox.tar").read_bytes()
    listing = subprocess.run(["mdir", "-i", str(img), "-b", "::/nested/deeper"], capture_output=True, text=True,
                             env=env, check=True).stdout
    assert "A Long File Name.json" in listing


def test_disk_rejects_a_missing_directory(tmp_path, capsys):
    assert main(["disk", str(tmp_path / "nope"), "-o", str(tmp_path / "x.img")]) == 1
    assert "is not a directory" in capsys.readouterr().err
