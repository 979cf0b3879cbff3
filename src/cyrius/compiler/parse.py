"""Stage 1: parse — source text to a Python `ast`, with syntax errors as CompileErrors."""
from __future__ import annotations

import ast
import warnings

from .errors import CompileError, SourceFile


def parse_module(source: SourceFile) -> ast.Module:
    try:
        with warnings.catch_warnings():  # e.g. "'is' with a literal": the checker reports what matters
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(source.text, filename=source.display, type_comments=False)
    except SyntaxError as exc:
        node = ast.Pass(lineno=exc.lineno or 0, col_offset=max((exc.offset or 1) - 1, 0))
        raise CompileError(source, node, f"Python syntax error: {exc.msg}") from None
