"""Print the figures of bench/RESULTS.md that miss their target (or could not be judged against it: a
suspect peer, or not measured), one line each: figure, ratio, target. `nox -s bench` runs it last."""
from __future__ import annotations

import common


def main() -> None:
    missed = [r for r in common.read_rows() if r.target and not r.target.endswith("— met")]
    print(f"[bench] {len(missed)} figure{'' if len(missed) == 1 else 's'} miss{'es' if len(missed) == 1 else ''} "
          f"their target" + (":" if missed else ""))
    for r in missed:
        print(f"  {r.figure}: {r.ratio} (target {r.target})")


if __name__ == "__main__":
    main()
