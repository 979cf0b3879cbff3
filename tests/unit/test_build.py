"""`cyrius build`'s incremental translation and compilation, on a copy of the kernel tree."""
import shutil

import pytest

from cyrius.build import Builder
from cyrius.compiler import REPO_ROOT


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO_ROOT / "src" / "cyrius" / "kernel", root / "src" / "cyrius" / "kernel")
    shutil.copytree(REPO_ROOT / "runtime-c", root / "runtime-c")
    return root


def builder(tree, lines):
    return Builder(tree, tree / "build", log=lines.append)


def test_second_build_does_nothing_and_edits_rebuild_only_what_they_affect(tree):
    lines = []
    first = builder(tree, lines).build_objects()
    assert first.translated and len(first.compiled) == len(first.objects)

    again = builder(tree, lines).build_objects()
    assert not again.translated and again.compiled == []
    assert "up to date" in lines[-1]

    # A body-only change: the module's C changes, its header does not -> one object.
    cstr = tree / "src/cyrius/kernel/lib/cstr.py"
    cstr.write_text(cstr.read_text().replace("    n: usize = 0\n", "    n: usize = 0  # counted\n    n = 0\n"))
    body = builder(tree, lines).build_objects()
    assert body.translated and body.compiled == ["cyrius_kernel_lib_cstr.o"]

    # An interface change: every unit that includes cstr's header is rebuilt, nothing else.
    cstr.write_text(cstr.read_text() + "\n\ndef is_empty(s: Ptr[u8]) -> bool:\n    return s[0] == 0\n")
    interface = builder(tree, lines).build_objects()
    direct_users = {h.name.replace(".h", ".o") for h in (tree / "build/kernel/c").glob("*.h")
                    if '#include "cyrius_kernel_lib_cstr.h"' in h.read_text()}
    assert "cyrius_kernel_console.o" in direct_users
    assert direct_users | {"cyrius_kernel_lib_cstr.o"} <= set(interface.compiled)
    assert "rt_mem.o" not in interface.compiled and "cyrius_kernel_mm_phys.o" not in interface.compiled

    final = builder(tree, lines).build_objects()
    assert final.compiled == [] and not final.translated


def test_compile_errors_name_the_python_line(tree):
    bad = tree / "src/cyrius/kernel/lib/bad.py"
    bad.write_text("from cyrius.lang import u32\n\n\ndef f(x: u32) -> u32:\n    return x / 2\n")
    try:
        from cyrius.compiler import CompileErrors
        with pytest.raises(CompileErrors) as info:
            builder(tree, []).build_objects()
        text = info.value.format()
        assert "src/cyrius/kernel/lib/bad.py:5:12: error: '/' (true division) is not in the dialect" in text
        assert "hint: use '//'" in text
    finally:
        bad.unlink()
