"""Compile errors that name file:line:col, show the source line with a caret, and say what to do."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass
class SourceFile:
    path: Path
    display: str  # the name used in messages and #line directives
    text: str

    def line(self, n: int) -> str:
        lines = self.text.splitlines()
        return lines[n - 1] if 0 < n <= len(lines) else ""


class CompileError(Exception):
    def __init__(self, source: SourceFile | None, node: ast.AST | None, message: str, hint: str = ""):
        super().__init__(message)
        self.source = source
        self.line = getattr(node, "lineno", 0) or 0
        self.col = (getattr(node, "col_offset", 0) or 0) + 1
        self.message = message
        self.hint = hint

    def format(self) -> str:
        where = self.source.display if self.source else "<cyrius>"
        out = [f"{where}:{self.line}:{self.col}: error: {self.message}"]
        if self.source and self.line:
            text = self.source.line(self.line)
            out.append(f"    {text}")
            out.append("    " + " " * (self.col - 1) + "^")
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.format()


def nested_too_deeply(source: SourceFile, node: ast.AST | None) -> CompileError:
    """For a RecursionError (or the parser's MemoryError) on deeply nested source."""
    return CompileError(source, node, "this nests too deeply for the compiler",
                        "split the expression or the block into several statements")


class CompileErrors(Exception):
    """Several errors from one build, reported together."""

    def __init__(self, errors: list[CompileError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors

    def format(self) -> str:
        return "\n".join(e.format() for e in self.errors) + f"\n{len(self.errors)} error(s)"

    def __str__(self) -> str:
        return self.format()
