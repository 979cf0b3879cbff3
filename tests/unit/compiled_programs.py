"""The test programs (tests/unit/programs) and their host build, shared by the unit tests."""
from dataclasses import dataclass
from pathlib import Path

from cyrius.compiler import REPO_ROOT
from cyrius.hostbuild import HostLibrary

UNIT = Path(__file__).resolve().parent
PROGRAMS = sorted(
    ".".join(p.relative_to(UNIT).with_suffix("").parts)
    for p in (UNIT / "programs").rglob("*.py") if p.name != "__init__.py")


@dataclass
class Build:
    lib: HostLibrary
    workdir: Path

    def c_source(self, module: str) -> str:
        return (self.workdir / f"{module.replace('.', '_')}.c").read_text()


def build(workdir: Path) -> Build:
    # mem.c: programs.externs calls the C runtime's memcpy/memset/memcmp/strlen
    return Build(HostLibrary([UNIT], PROGRAMS, workdir, extra_c=[REPO_ROOT / "runtime-c" / "src" / "mem.c"]),
                 workdir)
