"""Compile dialect modules for the host and call them with ctypes (differential testing).

`HostLibrary` translates modules with the real compiler, builds them with the host gcc into a shared
library (same -Wall -Wextra -Werror as the kernel), and exposes each function with ctypes argument
and return types derived from its dialect signature.
"""
from __future__ import annotations

import ctypes
import hashlib
import subprocess
from pathlib import Path

from .compiler import RUNTIME_INCLUDE, translate
from .compiler.types import BOOL, VOID, EnumType, FuncType, IntType, PtrType

_HOST_SUPPORT = r"""
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

HOST_CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fno-builtin"]


def ctype_of(t):
    if isinstance(t, IntType):
        return getattr(ctypes, f"c_{'' if t.signed else 'u'}int{t.bits}")
    if t is BOOL:
        return ctypes.c_bool
    if isinstance(t, EnumType):
        return ctypes.c_int32
    if isinstance(t, (PtrType, FuncType)):
        return ctypes.c_void_p
    if t is VOID:
        return None
    raise TypeError(f"no ctypes equivalent for {t}")


class HostLibrary:
    def __init__(self, roots: list[Path], modules: list[str], workdir: Path, extra_c: list[Path] = ()):
        self.program, units = translate([Path(r) for r in roots], modules, display_root=None)
        workdir.mkdir(parents=True, exist_ok=True)
        sources = []
        for unit in units:
            (workdir / f"{unit.name}.h").write_text(unit.header)
            (workdir / f"{unit.name}.c").write_text(unit.source)
            sources.append(workdir / f"{unit.name}.c")
        support = workdir / "cy_host_support.c"
        support.write_text(_HOST_SUPPORT)
        sources += [support, *extra_c]
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
        lib = workdir / f"libcyhost-{digest}.so"
        if not lib.exists():
            cmd = ["gcc", *HOST_CFLAGS, "-shared", f"-I{RUNTIME_INCLUDE}", f"-I{workdir}", "-o", str(lib),
                   *map(str, sources)]
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"host build failed:\n{' '.join(cmd)}\n{result.stderr}")
        self.lib = ctypes.CDLL(str(lib))

    def function(self, module: str, name: str):
        mod = self.program.modules[module]
        fn = next(f for f in mod.functions if f.name == name and f.struct is None)
        cfn = getattr(self.lib, fn.c_name)
        cfn.argtypes = [ctype_of(t) for _, t in fn.params]
        cfn.restype = ctype_of(fn.ret)
        return cfn
