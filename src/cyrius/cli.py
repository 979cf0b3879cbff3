"""The `cyrius` command: build the kernel, and report on it."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .compiler import REPO_ROOT, CompileErrors
from .compiler.externs import ExternError


def cmd_build(args) -> int:
    from .build import Builder, BuildError

    start = time.monotonic()
    try:
        Builder(REPO_ROOT, Path(args.out) if args.out else None, jobs=args.jobs).build_objects()
    except CompileErrors as errs:
        print(errs.format(), file=sys.stderr)
        return 1
    except (BuildError, ExternError) as err:
        print(f"cyrius build: {err}", file=sys.stderr)
        return 1
    print(f"[build] done in {time.monotonic() - start:.2f} s")
    return 0


def cmd_lines(args) -> int:
    from .linecount import report

    print(report(REPO_ROOT))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cyrius", description="Build and run the Cyrius operating system.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="translate the kernel to C and compile it (incremental)")
    p.add_argument("--out", help="build directory (default: build/)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="parallel compile jobs (default: CPU count)")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("lines", help="kernel source lines by language and the C/asm share")
    p.set_defaults(func=cmd_lines)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
