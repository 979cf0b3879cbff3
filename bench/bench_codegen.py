"""Generated code vs hand-written C: the same algorithms in the dialect (bench/dialect/*.py, translated by
the Cyrius compiler) and in C (bench/c/*.c), compiled by one gcc command with the same flags, timed on
the host through ctypes. Each entry point loops `reps` times inside compiled code, so the ctypes call is
noise. Before timing, every dialect module also runs under CPython (host mode) on a small input and must
give the compiled dialect's result, and the C twin must give it too: the two sides compute the same thing.

Flags: the kernel's (cyrius.build.KERNEL_CFLAGS) with -mcmodel=kernel -fno-pic -fno-pie -nostdlib -g
replaced by -fPIC -fvisibility=hidden — a shared library for ctypes whose internal calls and data
accesses are direct, as in the kernel's static link. Exported wrappers (one call per ctypes call) are
generated in shim.c. Emitted C, the library and its disassembly (libbench-HASH.s) are kept in build/bench/codegen/.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import common
from common import BENCH_DIR, BUILD_DIR, REPO_ROOT

from cyrius.build import KERNEL_CFLAGS
from cyrius.compiler import RUNTIME_INCLUDE, translate
from cyrius.compiler.types import IntType, PtrType
from cyrius.hostbuild import ctype_of

WORKDIR = BUILD_DIR / "codegen"
C_DIR = BENCH_DIR / "c"
TARGET = 1.10
_DROP = {"-mcmodel=kernel", "-fno-pic", "-fno-pie", "-nostdlib", "-g"}
CFLAGS = [f for f in KERNEL_CFLAGS if f not in _DROP] + ["-fPIC", "-fvisibility=hidden"]

SUPPORT = r"""
#include <stdio.h>
#include <stdlib.h>
#include "cyrius/lang.h"
void cy_assert_fail(uint8_t *file, int32_t line, uint8_t *what) {
    fprintf(stderr, "%s:%d: assertion failed: %s\n", (char *)file, line, (char *)what);
    abort();
}
void cy_index_fail(uint8_t *file, int32_t line, int64_t index, int64_t length) {
    fprintf(stderr, "%s:%d: index %lld out of range 0..%lld\n", (char *)file, line, (long long)index,
            (long long)length - 1);
    abort();
}
"""


@dataclass
class Algorithm:
    name: str               # module bench/dialect/NAME.py, twin c_NAME_bench in bench/c/NAME.c
    title: str              # for the table
    unit: str               # what one rep processes ("64 KiB", ...)
    inputs: Callable[[int], list]  # size -> fresh argument list (ctypes buffers and ints) without reps
    size: int               # the timed input size
    small: int              # the CPython check's input size


def _bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _buf(data: bytes):
    return ctypes.create_string_buffer(data, max(len(data), 1))


def crc_inputs(n):
    return [_buf(_bytes(n, 1)), n]


def csum_inputs(n):
    return [_buf(_bytes(n, 2)), n]


def copy_inputs(n):
    return [_buf(_bytes(n, 3)), _buf(bytes(n)), n]


def bitmap_inputs(nwords):
    return [(ctypes.c_uint64 * nwords)(*([2**64 - 1] * nwords)), nwords]


def fat_inputs(nclusters):
    """One chain through every cluster 2..n-1 in random order, the reserved top bits set at random."""
    rng = random.Random(5)
    order = list(range(2, nclusters))
    rng.shuffle(order)
    fat = [0x0FFFFFF8, 0x0FFFFFFF] + [0] * (nclusters - 2)
    for here, nxt in zip(order, order[1:] + [0x0FFFFFFF], strict=True):
        fat[here] = nxt | (rng.getrandbits(4) << 28)
    return [(ctypes.c_uint32 * nclusters)(*fat), nclusters]


def json_document(size: int) -> bytes:
    """A config.json-like document of about `size` bytes: nested objects, arrays, escapes, numbers."""
    rng = random.Random(6)
    words = ["process", "args", "env", "PATH=/usr/sbin:/usr/bin", "root", "mounts", "linux", "cgroup",
             'quote"d', "back\\slash", "tab\there", "newline\nhere", "ünïcödé"]
    items, total = [], 0
    while total < size:
        item = {"id": rng.randrange(1 << 40), "name": rng.choice(words), "ratio": rng.random() * 1e6,
                "neg": -rng.randrange(1000), "flags": [rng.choice([True, False, None]) for _ in range(3)],
                "nested": {"a": [rng.choice(words) for _ in range(3)], "b": {"c": rng.randrange(100)}}}
        text = json.dumps(item, indent=2)
        items.append(item)
        total += len(text) + 4
    data = json.dumps({"ociVersion": "1.0.2", "items": items}, indent=2).encode()
    return data


def json_inputs(n):
    data = json_document(n)
    return [_buf(data), len(data)]


ALGORITHMS = [
    Algorithm("crc32", "CRC32", "64 KiB", crc_inputs, 64 * 1024, 100),
    Algorithm("ipcsum", "IP checksum", "64 KiB - 1", csum_inputs, 64 * 1024 - 1, 101),
    Algorithm("copy", "memcpy-style copy", "64 KiB + 5", copy_inputs, 64 * 1024 + 5, 37),
    Algorithm("bitmap", "bitmap scan", "first clear bit of 512 Kibit", bitmap_inputs, 8192, 3),
    Algorithm("fatchain", "FAT chain walk", "walk of a 64 Ki-cluster chain from a varying start",
              fat_inputs, 64 * 1024, 40),
    Algorithm("jsonscan", "JSON scan", "64 KiB document", json_inputs, 64 * 1024, 200),
]


# ---------------------------------------------------------------- build

def _c_type(t) -> str:
    if isinstance(t, IntType):
        return f"{'' if t.signed else 'u'}int{t.bits}_t"
    if isinstance(t, PtrType):
        return "void *"
    raise TypeError(f"bench entry points take integers and pointers, not {t}")


class Library:
    """Both worlds in one shared library; `function` also serves tests/diff/harness.Twin."""

    def __init__(self, workdir: Path = WORKDIR):
        modules = [f"dialect.{a.name}" for a in ALGORITHMS]
        self.program, units = translate([BENCH_DIR], modules, display_root=REPO_ROOT)
        workdir.mkdir(parents=True, exist_ok=True)
        sources = []
        for unit in units:
            (workdir / f"{unit.name}.h").write_text(unit.header)
            (workdir / f"{unit.name}.c").write_text(unit.source)
            sources.append(workdir / f"{unit.name}.c")
        (workdir / "support.c").write_text(SUPPORT)
        (workdir / "shim.c").write_text(self._shim(units))
        sources += [workdir / "support.c", workdir / "shim.c", *(C_DIR / f"{a.name}.c" for a in ALGORITHMS)]
        digest = hashlib.sha256(" ".join(CFLAGS).encode() + b"".join(p.read_bytes() for p in sources)
                                + (C_DIR / "twins.h").read_bytes()).hexdigest()[:16]
        self.path = workdir / f"libbench-{digest}.so"
        if not self.path.exists():
            common.run(["gcc", *CFLAGS, "-shared", f"-I{RUNTIME_INCLUDE}", f"-I{workdir}", f"-I{C_DIR}",
                        "-o", str(self.path), *map(str, sources)])
            disasm = common.run(["objdump", "-d", "--no-show-raw-insn", str(self.path)]).stdout
            self.path.with_suffix(".s").write_text(disasm)
        self.lib = ctypes.CDLL(str(self.path))

    def _decl(self, module: str, name: str):
        return next(f for f in self.program.modules[module].functions if f.name == name and f.struct is None)

    def _shim(self, units) -> str:
        lines = ['#include "twins.h"'] + [f'#include "{u.name}.h"' for u in units]
        for a in ALGORITHMS:
            decl = self._decl(f"dialect.{a.name}", "bench")
            params = ", ".join(f"{_c_type(t)} {p}" for p, t in decl.params)
            names = ", ".join(p for p, _ in decl.params)
            ret = _c_type(decl.ret)
            for side, target in (("cy", decl.c_name), ("c", f"c_{a.name}_bench")):
                lines.append(f'__attribute__((visibility("default"))) {ret} bench_{side}_{a.name}({params}) '
                             f"{{ return {target}({names}); }}")
        return "\n".join(lines) + "\n"

    def _export(self, side: str, name: str):
        decl = self._decl(f"dialect.{name}", "bench")
        fn = getattr(self.lib, f"bench_{side}_{name}")
        fn.argtypes = [ctype_of(t) for _, t in decl.params]
        fn.restype = ctype_of(decl.ret)
        return fn

    def dialect(self, name: str):
        return self._export("cy", name)

    def twin(self, name: str):
        return self._export("c", name)

    def function(self, module: str, name: str):  # the interface harness.Twin expects
        assert name == "bench", "only the bench entry points are exported"
        return self.dialect(module.split(".")[-1])


# ---------------------------------------------------------------- check and time

def _c_args(args):
    return [ctypes.addressof(a) if isinstance(a, ctypes.Array) else a for a in args]


def check(lib: Library, a: Algorithm) -> None:
    """CPython (host mode), the compiled dialect and the C twin agree on a small input."""
    sys.path.insert(0, str(REPO_ROOT / "tests" / "diff"))
    from harness import Buf, Twin

    args = a.inputs(a.small)
    reps = 3
    raw = a.inputs(a.small)  # keeps the buffers alive during the call
    expected = lib.twin(a.name)(*_c_args(raw), reps)
    harness_args = [Buf(bytes(x)) if isinstance(x, ctypes.Array) else x for x in args]
    got = Twin(lib, f"dialect.{a.name}").check("bench", *harness_args, reps)
    if got != expected:
        raise AssertionError(f"{a.name}: dialect gives {got}, the C twin {expected} on the same input")


def _reset(args, pristine) -> None:
    """Put the original bytes back into the argument buffers (the same addresses for both sides)."""
    for a, data in zip(args, pristine, strict=True):
        if data is not None:
            ctypes.memmove(a, data, len(data))


def measure(lib: Library, a: Algorithm, rounds: int, budget: float) -> tuple[float, float]:
    """Seconds per rep for the dialect and the C twin: the fastest of `rounds` alternating runs of ~budget s
    each, on the same buffers (reset before every run), so placement and aliasing are identical. Many short
    interleaved runs keep a burst of load on a shared machine from landing on one side only."""
    args = a.inputs(a.size)
    pristine = [bytes(x) if isinstance(x, ctypes.Array) else None for x in args]
    c_args = _c_args(args)

    def timed(fn, reps):
        _reset(args, pristine)
        t0 = time.perf_counter()
        result = fn(*c_args, reps)
        return time.perf_counter() - t0, result

    cy, c = lib.dialect(a.name), lib.twin(a.name)
    probe = min(timed(c, 1)[0] for _ in range(3))
    reps = max(3, min(1_000_000, int(budget / max(probe, 1e-7))))
    cy_best = c_best = float("inf")
    for k in range(rounds):
        order = [(cy, "cy"), (c, "c")] if k % 2 == 0 else [(c, "c"), (cy, "cy")]
        results = {}
        for fn, side in order:
            t, results[side] = timed(fn, reps)
            if side == "cy":
                cy_best = min(cy_best, t / reps)
            else:
                c_best = min(c_best, t / reps)
        if results["cy"] != results["c"]:
            raise AssertionError(f"{a.name}: dialect returned {results['cy']}, C {results['c']} for {reps} reps")
    return cy_best, c_best


def main() -> None:
    def options(p):
        p.add_argument("--budget", type=float, default=0.05, help="seconds per timed call (default 0.05)")
        p.add_argument("--cflags", default="", help="extra gcc flags for both sides (diagnosis, e.g. "
                       "-falign-loops=64); rows are then printed, not written")

    args = common.arguments(__doc__.splitlines()[0], options)
    if args.cflags:
        CFLAGS.extend(args.cflags.split())
        args.no_write = True
    common.log(f"gcc {' '.join(CFLAGS)}")
    lib = Library()
    common.log(f"library {lib.path.relative_to(REPO_ROOT)}")
    rows = []
    for a in ALGORITHMS:
        check(lib, a)
        cy, c = measure(lib, a, max(10, 5 * args.repeat), args.budget)  # rounds: at least 10
        ratio = cy / c
        rows.append(common.row(f"codegen: {a.title} ({a.unit})", f"{common.fmt_time(cy)}/pass",
                               f"{common.fmt_time(c)}/pass (hand-written C)", common.fmt_ratio(cy, c),
                               common.target_verdict(ratio, TARGET)))
        print(f"  {a.title:<18} dialect {common.fmt_time(cy):>10}  C {common.fmt_time(c):>10}  ratio {ratio:.2f}",
              flush=True)
    common.report(rows, write=not args.no_write)


if __name__ == "__main__":
    main()
