"""cyrius.linecount on a small fake repository."""
from textwrap import dedent

from cyrius.linecount import LIMIT, count_lines, kernel_packages, native_lines, native_share, python_lines, report


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip("\n"))


def test_python_skips_blanks_comments_and_docstrings():
    source = dedent('''
        """Module docstring,
        over two lines."""
        # a comment

        X: int = 1  # trailing comment: still code


        def f(a: int) -> int:
            """Docstring."""
            s = """not a docstring,
            but a value"""
            return a


        class C:
            """Class docstring."""
            y: int
    ''')
    # X, def, s = (2 lines), return, class, y
    assert python_lines(source) == 7


def test_c_comments_and_strings():
    source = dedent('''
        /*
         * Block comment.
         */
        #include "mem.h"

        // line comment
        static const char *s = "/* not a comment */";   /* trailing */
        int x; /* starts here
                  ends here */ int y;
        char c = '"'; int z;
    ''')
    # #include, s, x, ends-here line, c
    assert native_lines(source, "c") == 5


def test_asm_hash_comments_and_cpp_directives():
    source = dedent('''
        # a gas comment
        #include "entry.h"
        #define STACK 4096
        /* C comment in .S */
            .globl entry   # trailing
        entry:
            mov $1, %rax   // also a comment
            .ascii "#not a comment"
        # another
    ''')
    # #include, #define, .globl, entry:, mov, .ascii
    assert native_lines(source, "asm") == 6


def test_count_and_report(tmp_path):
    write(tmp_path, "src/cyrius/kernel/__init__.py", '"""The kernel."""\n')
    write(tmp_path, "src/cyrius/kernel/mm/frames.py", """
        from cyrius.lang import u64

        # Frame allocator.
        def alloc() -> u64:
            return u64(0)
    """)
    write(tmp_path, "src/cyrius/kernel/mm/table.py", "x: u64 = u64(1)\n" * 31)
    write(tmp_path, "runtime-c/src/mem.c", "/* mem */\nint a;\nint b;\n")
    write(tmp_path, "runtime-c/include/mem.h", "int a;\n")
    write(tmp_path, "runtime-c/README.md", "not source\n")
    write(tmp_path, "boot/entry.S", "# entry\n.globl entry\nentry: hlt\n")
    write(tmp_path, "boot/kernel.ld", "/* layout */\nENTRY(entry)\n")
    write(tmp_path, "codegen/module.c.j2", "not kernel source\n")

    counts = count_lines(tmp_path)
    assert counts == {
        "python": {"files": 3, "lines": 34},
        "c": {"files": 2, "lines": 3},
        "asm": {"files": 1, "lines": 2},
        "ld": {"files": 1, "lines": 1},
    }
    text = report(tmp_path)
    assert "15.0% of kernel source lines (limit 15%): OK" in text

    write(tmp_path, "boot/extra.c", "int c;\n")
    assert "OVER THE LIMIT" in report(tmp_path)


def test_empty_tree(tmp_path):
    assert all(c == {"files": 0, "lines": 0} for c in count_lines(tmp_path).values())
    assert "0.0% of kernel source lines (limit 15%): OK" in report(tmp_path)


def test_kernel_lines_by_subsystem(tmp_path):
    write(tmp_path, "src/cyrius/kernel/main.py", "X: int = 1\n")
    write(tmp_path, "src/cyrius/kernel/fs/vfs.py", "A: int = 1\nB: int = 2\n")
    write(tmp_path, "src/cyrius/kernel/fs/memfs.py", "C: int = 3\n")
    write(tmp_path, "src/cyrius/kernel/shell/core.py", '"""doc"""\nD: int = 4\n')
    assert kernel_packages(tmp_path) == {"(top level)": {"files": 1, "lines": 1}, "fs": {"files": 2, "lines": 3},
                                         "shell": {"files": 1, "lines": 1}}
    text = report(tmp_path)
    assert "kernel subsystem" in text and "fs" in text and "shell" in text


def test_the_real_kernel_keeps_hand_written_c_and_asm_under_the_limit():
    """The rule the README states, checked on this repository's own tree."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    counts = count_lines(root)
    assert counts["python"]["lines"] > 10000
    assert native_share(counts) <= LIMIT
