"""Stage 1: parse — source bytes to a Python `ast`; every failure is a CompileError naming the file."""
from __future__ import annotations

import ast
import warnings
from pathlib import Path

from .errors import CompileError, SourceFile, nested_too_deeply


def _position(text: str, offset: int) -> ast.AST:
    """A node that only carries the line and column of `offset` in `text`, for the error message."""
    line = text.count("\n", 0, offset) + 1
    return ast.Pass(lineno=line, col_offset=offset - (text.rfind("\n", 0, offset) + 1))


def read_source(path: Path, display: str) -> SourceFile:
    data = path.read_bytes()
    try:
        return SourceFile(path, display, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        good = data[:exc.start].decode("utf-8")
        text = good + data[exc.start:].decode("utf-8", errors="replace")  # the caret lands on the bad byte
        raise CompileError(SourceFile(path, display, text), _position(text, len(good)),
                           f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                           "save it as UTF-8") from None


def parse_module(source: SourceFile) -> ast.Module:
    nul = source.text.find("\0")
    if nul >= 0:  # before Python 3.12 ast.parse raises ValueError for it, without a position
        raise CompileError(source, _position(source.text, nul), "the source contains a NUL byte", "remove it")
    try:
        with warnings.catch_warnings():  # e.g. "'is' with a literal": the checker reports what matters
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(source.text, filename=source.display, type_comments=False)
    except SyntaxError as exc:
        node = ast.Pass(lineno=exc.lineno or 0, col_offset=max((exc.offset or 1) - 1, 0))
        raise CompileError(source, node, f"Python syntax error: {exc.msg}") from None
    except ValueError as exc:  # e.g. UnicodeEncodeError for a lone surrogate
        raise CompileError(source, None, f"the source cannot be parsed: {exc}") from None
    except (RecursionError, MemoryError):  # how CPython's parser gives up on very deep nesting
        raise nested_too_deeply(source, None) from None
