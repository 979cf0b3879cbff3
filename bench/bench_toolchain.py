"""Toolchain speed: `cyrius build` from clean, a no-op rebuild, a one-module edit rebuild, and how many
lines of dialect Python the transpiler turns into C per second.

The source tree is never touched: src/ and runtime-c/ are copied to a temporary directory, and each build
runs there in a fresh Python process (`Builder(copy, out=copy/build).build_image()`, what `cyrius build`
does, interpreter start-up included) with the default job count (one per CPU). The edit is one inserted
`pass` statement in a function of kernel/shell/processes.py: that module's C unit changes, no header does.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import REPO_ROOT

from cyrius.build import kernel_modules
from cyrius.compiler import translate

EDITED = Path("cyrius/kernel/shell/processes.py")
FULL_TARGET, NOOP_TARGET = 10.0, 1.0
DRIVER = """
import sys, time
from pathlib import Path
from cyrius.build import Builder
t0 = time.monotonic()
Builder(Path(sys.argv[1]), out=Path(sys.argv[2])).build_image()
print(f"[build] done in {time.monotonic() - t0:.2f} s")
"""
STAGE = re.compile(r"^\[build\] (\w+)\s+(.*) \((\d+) ms\)$")


def copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO_ROOT / "src", dest / "src", ignore=ignore)
    shutil.copytree(REPO_ROOT / "runtime-c", dest / "runtime-c", ignore=ignore)


def build(root: Path) -> tuple[float, dict[str, tuple[float, str]]]:
    """Wall seconds of one build in a new interpreter, and each stage's (seconds, detail)."""
    t0 = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", DRIVER, str(root), str(root / "build")],
                            capture_output=True, text=True, cwd=root)
    wall = time.perf_counter() - t0
    if result.returncode != 0:
        raise RuntimeError(f"build in {root} failed:\n{result.stdout}\n{result.stderr}")
    stages = {}
    for line in result.stdout.splitlines():
        m = STAGE.match(line)
        if m:
            stages[m.group(1)] = (int(m.group(3)) / 1000, m.group(2))
    return wall, stages


def edit(path: Path) -> None:
    """Insert `pass` as the first statement (after any docstring) of the module's first function."""
    text = path.read_text()
    fn = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))
    first = fn.body[0]
    is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    lines = text.splitlines(keepends=True)
    anchor = lines[first.lineno - 1]
    indent = anchor[:len(anchor) - len(anchor.lstrip())]
    at = first.end_lineno if is_doc else first.lineno - 1
    lines.insert(at, f"{indent}pass\n")
    path.write_text("".join(lines))


def stage_summary(stages) -> str:
    keep = ["translate", "compile", "link", "uefi", "image"]
    return ", ".join(f"{k} {stages[k][0]:.1f} s" for k in keep if k in stages)


def transpile_rate(src: Path, repeat: int) -> tuple[int, int, float]:
    """(modules, lines, best seconds) for translating the whole kernel in this process."""
    modules = kernel_modules(src)
    lines = sum(len((src / Path(*m.split("."))).with_suffix(".py").read_text().splitlines()) for m in modules)
    best = common.best_of(lambda: translate([src], modules, display_root=src.parent), repeat)
    return len(modules), lines, best


def main() -> None:
    args = common.arguments(__doc__.splitlines()[0])
    full, noop, edited = [], [], []
    stages_full = stages_edit = {}
    with tempfile.TemporaryDirectory(prefix="cyrius-bench-toolchain-") as tmp:
        for i in range(args.repeat):
            root = Path(tmp) / f"tree{i}"
            copy_tree(root)
            wall, stages = build(root)
            full.append(wall)
            if wall == min(full):
                stages_full = stages
            noop.append(build(root)[0])
            edit(root / "src" / EDITED)
            wall, stages = build(root)
            edited.append(wall)
            if wall == min(edited):
                stages_edit = stages
            common.log(f"run {i + 1}: full {full[-1]:.2f} s, no-op {noop[-1]:.2f} s, edit {edited[-1]:.2f} s")
        modules, lines, seconds = transpile_rate(Path(tmp) / "tree0" / "src", args.repeat)
    rate = lines / seconds
    compiled = stages_edit.get("compile", (0, "?"))[1]
    rows = [
        common.row(f"toolchain: full build from clean ({modules} modules, -j{os.cpu_count()})",
                   f"{min(full):.2f} s ({stage_summary(stages_full)})", "—", "—",
                   common.target_verdict(min(full), FULL_TARGET, "≤ 10 s")),
        common.row("toolchain: no-op rebuild", f"{min(noop):.2f} s", "—", "—",
                   common.target_verdict(min(noop), NOOP_TARGET, "≤ 1 s")),
        common.row(f"toolchain: one-module edit rebuild ({EDITED.name})",
                   f"{min(edited):.2f} s ({compiled}; {stage_summary(stages_edit)})", "—", "—", ""),
        common.row("toolchain: lines transpiled per second",
                   f"{rate:,.0f} lines/s ({lines:,} lines of kernel Python in {seconds:.2f} s)", "—", "—", ""),
    ]
    common.report(rows, write=not args.no_write)


if __name__ == "__main__":
    main()
