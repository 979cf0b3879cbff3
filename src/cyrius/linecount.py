"""Source-line report: how much of the kernel is hand-written C and assembly (`cyrius lines`).

Hand-written C + asm stay under 15% of kernel source lines (docs/architecture.md, "Hand-written C
and assembly"). Kernel source is
- Python: every .py under src/cyrius/kernel/;
- C: .c and .h under runtime-c/ and boot/;
- asm: .S and .s under runtime-c/ and boot/;
- ld: linker scripts (.ld) under runtime-c/ and boot/. They are neither C nor asm, but they
  are hand-written non-Python kernel source, so they count on the C/asm side: the check is
  conservative rather than gameable.
A line counts when it holds code: blank lines, comment-only lines and Python docstrings do not.
Generated code (build/) and the compiler's templates (codegen/) are not kernel source.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

LIMIT = 0.15
LANGUAGES = ("python", "c", "asm", "ld")
NATIVE_DIRS = ("runtime-c", "boot")
NATIVE_EXTENSIONS = {".c": "c", ".h": "c", ".S": "asm", ".s": "asm", ".ld": "ld"}

_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
             tokenize.ENCODING, tokenize.ENDMARKER}
_CPP_DIRECTIVE = re.compile(r"\s*#\s*(include|define|undef|if|ifdef|ifndef|elif|else|endif|"
                            r"error|warning|pragma|line)\b")


def python_lines(source: str) -> int:
    """Lines holding at least one token that is neither a comment nor part of a docstring."""
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                docstrings.add((first.value.lineno, first.value.col_offset))
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _NOT_CODE or (tok.type == tokenize.STRING and tok.start in docstrings):
            continue
        lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines)


def _strip_comments(text: str, *, char_literals: bool) -> str:
    """`text` with /* */ and // comments blanked out (newlines kept). String literals are
    skipped whole, so comment markers inside them stay; so are C character literals, which
    asm lacks (gas writes the character constant 'a without a closing quote)."""
    out = []
    i, n = 0, len(text)
    quotes = "\"'" if char_literals else '"'
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in quotes:
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _cut_hash_comment(line: str) -> str:
    """The part of an assembly line before a '#' comment (not counting '#' inside strings)."""
    in_string = False
    i = 0
    while i < len(line):
        c = line[i]
        if in_string and c == "\\":
            i += 2
            continue
        if c == '"':
            in_string = not in_string
        elif c == "#" and not in_string:
            return line[:i]
        i += 1
    return line


def native_lines(text: str, language: str) -> int:
    """Code lines of a C, asm or linker-script file."""
    text = _strip_comments(text, char_literals=(language == "c"))
    count = 0
    for line in text.splitlines():
        # In asm '#' starts a comment, except that a preprocessed .S file's cpp directives
        # (#include, #define, ...) are code.
        if language == "asm" and not _CPP_DIRECTIVE.match(line):
            line = _cut_hash_comment(line)
        if line.strip():
            count += 1
    return count


def _files(root: Path, pattern: str):
    return sorted(p for p in root.glob(pattern) if p.is_file()) if root.is_dir() else []


def count_lines(repo_root) -> dict:
    """{language: {"files": n, "lines": n}} for "python", "c", "asm" and "ld"."""
    root = Path(repo_root)
    counts = {lang: {"files": 0, "lines": 0} for lang in LANGUAGES}
    for path in _files(root / "src" / "cyrius" / "kernel", "**/*.py"):
        counts["python"]["files"] += 1
        counts["python"]["lines"] += python_lines(path.read_text(encoding="utf-8"))
    for top in NATIVE_DIRS:
        for path in _files(root / top, "**/*"):
            lang = NATIVE_EXTENSIONS.get(path.suffix)
            if lang is not None:
                counts[lang]["files"] += 1
                counts[lang]["lines"] += native_lines(path.read_text(encoding="utf-8",
                                                                     errors="replace"), lang)
    return counts


def kernel_packages(repo_root) -> dict:
    """{subsystem: {"files": n, "lines": n}} of kernel Python: each package under src/cyrius/kernel/
    (arch, mm, proc, fs, ...) by its own name, and the modules at the top level as "(top level)"."""
    base = Path(repo_root) / "src" / "cyrius" / "kernel"
    packages: dict = {}
    for path in _files(base, "**/*.py"):
        rel = path.relative_to(base)
        name = rel.parts[0] if len(rel.parts) > 1 else "(top level)"
        entry = packages.setdefault(name, {"files": 0, "lines": 0})
        entry["files"] += 1
        entry["lines"] += python_lines(path.read_text(encoding="utf-8"))
    return dict(sorted(packages.items()))


def native_share(counts: dict) -> float:
    """Fraction of kernel source lines that are not Python (0.0 for an empty tree)."""
    total = sum(c["lines"] for c in counts.values())
    native = total - counts["python"]["lines"]
    return native / total if total else 0.0


def report(repo_root) -> str:
    counts = count_lines(repo_root)
    total = sum(c["lines"] for c in counts.values())
    where = {"python": "src/cyrius/kernel", "c": "runtime-c, boot", "asm": "runtime-c, boot",
             "ld": "runtime-c, boot"}
    rows = [f"{'language':<10}{'where':<20}{'files':>7}{'lines':>9}{'share':>8}"]
    for lang in LANGUAGES:
        c = counts[lang]
        share = c["lines"] / total if total else 0.0
        rows.append(f"{lang:<10}{where[lang]:<20}{c['files']:>7}{c['lines']:>9}{share:>8.1%}")
    rows.append(f"{'total':<30}{sum(c['files'] for c in counts.values()):>7}{total:>9}")
    share = native_share(counts)
    verdict = "OK" if share <= LIMIT else "OVER THE LIMIT"
    rows.append(f"hand-written C/asm/ld: {share:.1%} of kernel source lines "
                f"(limit {LIMIT:.0%}): {verdict}")
    rows.append("")
    rows.append(f"{'kernel subsystem':<30}{'files':>7}{'lines':>9}")
    for name, c in kernel_packages(repo_root).items():
        rows.append(f"{name:<30}{c['files']:>7}{c['lines']:>9}")
    return "\n".join(rows) + "\n"
