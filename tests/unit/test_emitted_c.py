"""The emitted C itself: warning-free as freestanding C11, a `#line` before every statement naming
the Python line it came from, and runtime checks (assert, array bounds) that stop the program."""
import ast
import re
import subprocess
import sys
import textwrap

import pytest

from cyrius.build import KERNEL_CFLAGS
from cyrius.compiler import RUNTIME_INCLUDE

from compiled_programs import PROGRAMS, UNIT

LINE = re.compile(r'#line (\d+) "([^"]+)"$')


@pytest.mark.parametrize("flags", [
    ["-std=c11", "-ffreestanding", "-O2", "-Wall", "-Wextra", "-Werror"],
    KERNEL_CFLAGS,
], ids=["freestanding", "kernel"])
def test_every_unit_compiles_freestanding_without_warnings(programs_build, flags, tmp_path):
    for module in PROGRAMS:
        unit = programs_build.workdir / f"{module.replace('.', '_')}.c"
        result = subprocess.run(["gcc", *flags, f"-I{RUNTIME_INCLUDE}", f"-I{programs_build.workdir}", "-c",
                                 str(unit), "-o", str(tmp_path / "out.o")], capture_output=True, text=True)
        assert result.returncode == 0 and result.stderr == "", f"{unit.name}:\n{result.stderr}"


def python_file(module: str):
    return UNIT.joinpath(*module.split(".")).with_suffix(".py")


def function_spans(path) -> list[tuple[int, int]]:
    tree = ast.parse(path.read_text())
    return [(n.lineno, n.end_lineno) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]


@pytest.mark.parametrize("module", PROGRAMS)
def test_every_statement_follows_a_line_directive_of_its_function(programs_build, module):
    path = python_file(module)
    spans = function_spans(path)
    lines = programs_build.c_source(module).splitlines()
    in_body = False
    statements = 0
    for prev, line in zip(lines, lines[1:], strict=False):
        if re.match(r"^\S.*\) \{$", line):         # a function's signature opens its body
            in_body, span = True, next(s for s in spans if s[0] == int(LINE.match(prev).group(1)))
            continue
        if line == "}":
            in_body = False
        stripped = line.strip()
        if not in_body or stripped.startswith("#line") or stripped == "}":
            continue
        if stripped.startswith("(void)") or "__attribute__((unused))" in stripped:
            continue                                 # the hoisted locals: they are not statements
        statements += 1
        m = LINE.match(prev)
        assert m, f"no #line before {stripped!r}"
        assert m.group(2) == str(path)
        assert span[0] <= int(m.group(1)) <= span[1], f"{stripped!r} attributed to line {m.group(1)}"
    assert statements > 0


def lines_of(module: str, start: str) -> list[int]:
    """The 1-based numbers of the Python module's lines that start with `start` (indentation aside)."""
    return [i for i, text in enumerate(python_file(module).read_text().splitlines(), 1)
            if text.strip().startswith(start)]


def line_of(module: str, start: str) -> int:
    found = lines_of(module, start)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("module, python, c", [
    ("programs.control", "n = 3 * n + 1", "* (uint32_t)n)) + (uint32_t)((uint32_t)1ULL)));"),
    ("programs.control", "for i in range(a, ", "for (i = a; i "),
    ("programs.control", "assert x < 1000", "cy_assert_fail"),
    ("programs.consts", "return x ^ BIG",
     "return ((uint64_t)((uint64_t)x ^ (uint64_t)((uint64_t)18446744073709551615ULL)));"),
    ("programs.structs", "corner[1].x = 7", "corner[((int64_t)1LL)].x = ((uint32_t)7ULL);"),
    ("programs.funcptr", "r += handler(x)", "(programs_funcptr__handler)(x)"),
    ("programs.pointers", "volatile_store(p, v)", "(*(volatile uint32_t *)(p) = v);"),
])
def test_line_directive_names_the_python_line(programs_build, module, python, c):
    lines = programs_build.c_source(module).splitlines()
    directives = [LINE.match(lines[i - 1]) for i, text in enumerate(lines) if c in text]
    assert directives and all(directives), f"{c!r} not in the C of {module}, or without #line"
    assert {m.group(2) for m in directives} == {str(python_file(module))}
    assert [int(m.group(1)) for m in directives] == lines_of(module, python)


def test_struct_and_global_declarations_carry_line_directives(programs_build):
    c = programs_build.c_source("programs.globals_")
    assert f'#line {line_of("programs.globals_", "counter: u32 = 0")} "' in c
    h = (programs_build.workdir / "programs_structs.h").read_text()
    assert f'#line {line_of("programs.structs", "class Packed:")} "' in h
    assert "__attribute__((packed))" in h


def run_c(programs_build, function: str, *args: int) -> subprocess.CompletedProcess:
    """Call a compiled function in a child process (a failing check aborts it)."""
    lib = next(programs_build.workdir.glob("libcyhost-*.so"))
    script = textwrap.dedent(f"""
        import ctypes
        lib = ctypes.CDLL({str(lib)!r})
        f = lib.{function}
        f.argtypes = [ctypes.c_uint32] * {len(args)}
        f({', '.join(map(str, args))})
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def test_array_index_out_of_bounds_stops_compiled_code(programs_build):
    result = run_c(programs_build, "programs_pointers__array_index_checked", 4)
    assert result.returncode != 0
    line = line_of("programs.pointers", "buf[i] = 1")
    assert f"pointers.py:{line}: index 4 out of range 0..3" in result.stderr
    assert run_c(programs_build, "programs_pointers__array_index_checked", 3).returncode == 0


def test_array_index_out_of_bounds_raises_in_host_mode(programs_build):
    from programs import pointers
    with pytest.raises(IndexError, match="array index 4 out of range 0..3"):
        pointers.array_index_checked(4)


def test_failed_assert_stops_compiled_code_naming_file_and_line(programs_build):
    result = run_c(programs_build, "programs_control__assert_passes", 1000)
    assert result.returncode != 0
    line = lines_of("programs.control", "assert x < 1000")[0]
    assert f"control.py:{line}: assertion failed: x < 1000" in result.stderr


def test_failed_assert_raises_in_host_mode(programs_build):
    from programs import control
    with pytest.raises(AssertionError):
        control.assert_passes(1000)
