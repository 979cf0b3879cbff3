"""execve's loader under CPython on real static binaries (musl and glibc, built at test time) placed in a
memfs: the mappings exec.prepare builds for each PT_LOAD (checked against pyelftools' reading of the same
file), the initial stack (argc, argv, envp, auxv as Linux lays them out), static-PIE bias, `#!` scripts,
and the errors: ELOOP, ENOEXEC with nothing left mapped, EACCES."""
import io
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from cyrius import rt
from cyrius.kernel import errno
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.fs import devfs, file, memfs, vfs
from cyrius.kernel.linux import elf
from cyrius.kernel.linux import exec as execve
from cyrius.kernel.mm import frames, heap, paging, uaccess, uspace
from cyrius.kernel.proc import process, sched
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8, u32, u64, usize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import linux_programs as lp  # noqa: E402  (needs the path above)
from tooling import missing_tools, unavailable  # noqa: E402

HWCAP = 0x178BFBFF  # what the fake CPUID.1:EDX reports
AT = {"NULL": 0, "PHDR": 3, "PHENT": 4, "PHNUM": 5, "PAGESZ": 6, "BASE": 7, "FLAGS": 8, "ENTRY": 9, "UID": 11,
      "EUID": 12, "GID": 13, "EGID": 14, "PLATFORM": 15, "HWCAP": 16, "CLKTCK": 17, "SECURE": 23, "RANDOM": 25,
      "HWCAP2": 26, "EXECFN": 31}
HELLO = '#include <stdio.h>\nint main(int argc, char **argv) { printf("%d %s\\n", argc, argv[0]); return 0; }\n'


class Programs(dict):
    """Program images by kind, None for a kind that could not be built here; why_not[kind] says why."""

    def __init__(self):
        super().__init__()
        self.why_not: dict[str, str] = {}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Program images by kind, compiled once per session."""
    out = Programs()
    for compiler in ("musl", "glibc"):
        missing = lp.compiler_missing(compiler)
        out[compiler] = lp.compile_program("ids", compiler).read_bytes() if not missing else None
        if missing:
            out.why_not[compiler] = missing
    work = tmp_path_factory.mktemp("exec")
    (work / "hello.c").write_text(HELLO)
    for kind, cmd in (("glibc-pie", ["gcc", "-static-pie"]), ("dynamic", ["gcc"]),
                      ("musl-pie", ["musl-gcc", "-static-pie"])):
        target = work / kind
        missing = missing_tools(cmd[0])
        if missing:
            out[kind], out.why_not[kind] = None, missing
            continue
        done = subprocess.run([*cmd, "-O1", str(work / "hello.c"), "-o", str(target)], capture_output=True, text=True)
        out[kind] = target.read_bytes() if done.returncode == 0 else None
        if done.returncode != 0:
            out.why_not[kind] = f"{' '.join(cmd)} failed: {done.stderr.strip()}"
    return out


def binary(built, kind: str) -> bytes:
    if built[kind] is None:
        unavailable(f"cannot build the {kind} program here: {built.why_not[kind]}")
    return built[kind]


def kstr(text: bytes) -> Ptr:
    a = memory.alloc(len(text) + 1)
    memory.write(a, text + b"\0")
    return Ptr[u8](a)


class World:
    """A memfs root and a process record that resolves paths in it."""

    def __init__(self):
        paging.kernel_root = paging.new_table()
        uspace.init()
        vfs.init(NULL)
        memfs.init()
        devfs.seed(u64(0x1234_5678), u64(0x9ABC_DEF0))
        self.root = memfs.new_root()
        process.table = NULL
        process.next_pid = u32(1)
        sched.all_tasks = NULL
        self.p = process.allocate(NULL)
        self.p.root = vfs.get(self.root)
        self.p.cwd = vfs.get(self.root)
        self.p.uid, self.p.euid, self.p.gid, self.p.egid = u32(1000), u32(1001), u32(100), u32(101)
        self.p.rlimits[process.RLIMIT_STACK].soft = u64(uspace.STACK_SIZE)  # the host world's
        for d in (b"/bin", b"/tmp"):
            assert vfs.mkdir(vfs.as_kernel(), self.root, self.root, kstr(d), u32(0o755)) == 0

    def install(self, path: bytes, data: bytes, mode: int = 0o755) -> None:
        """Write a file, making its missing parent directories."""
        parts = path.split(b"/")[1:-1]
        for depth in range(1, len(parts) + 1):
            vfs.mkdir(vfs.as_kernel(),
                      self.root, self.root, kstr(b"/" + b"/".join(parts[:depth])), u32(0o755))  # EEXIST is fine
        slot = Array[Ptr[file.File], 1]()
        flags = file.O_WRONLY | file.O_CREAT | file.O_TRUNC
        assert file.open(vfs.as_kernel(), self.root, self.root, kstr(path), u32(flags), u32(mode), addr(slot)) == 0
        if data:
            k = memory.alloc(len(data))
            memory.write(k, data)
            assert file.write(slot[0], Ptr[u8](k), usize(len(data))) == len(data)
        file.close(slot[0])

    def inode(self, path: bytes):
        slot = Array[Ptr[vfs.Inode], 1]()
        assert vfs.lookup_path(vfs.as_kernel(), self.root, self.root, kstr(path), True, addr(slot)) == 0
        vfs.put(slot[0])
        return slot[0]

    def prepare(self, path: bytes, argv: list[bytes], envp: list[bytes] = ()):
        """exec.prepare as execve_at calls it; (result, image)."""
        a = execve.Args()
        assert execve.args_init(addr(a)) == 0
        for s in argv:
            assert execve.args_append(addr(a), kstr(s), u64(len(s))) == 0
            a.argc += 1
        for s in envp:
            assert execve.args_append(addr(a), kstr(s), u64(len(s))) == 0
            a.envc += 1
        img = execve.Image()
        r = int(execve.prepare(self.p, kstr(path), addr(a), addr(img)))
        execve.args_free(addr(a))
        return r, img


@pytest.fixture
def world(machine):
    rt.fake("inl", lambda port: 0)  # process.allocate stamps a start time: the PM timer reads 0
    rt.fake("cpuid", lambda leaf, sub, out: memory.write(int(out), struct.pack("<4I", 0, 0, 0, HWCAP)))
    yield World()


def frames_outside_heap() -> int:
    return int(frames.free_frames) + int(heap.frames_held)


def vmas(space) -> list[tuple[int, int, int, int, int]]:
    out = []
    v = space.vmas
    while v != NULL:
        out.append((int(v.start), int(v.end), int(v.prot), int(v.file_offset), int(v.file_bytes)))
        v = v.next
    return out


def uget(space, at: int, n: int) -> bytes:
    k = memory.alloc(max(n, 1))
    assert uaccess.copy_in(space, Ptr[u8](k), u64(at), u64(n)) == 0, hex(at)
    return memory.read(k, n)


def ustr(space, at: int) -> bytes:
    out = b""
    while True:
        chunk = uget(space, at + len(out), 1)
        if chunk == b"\0":
            return out
        out += chunk


def initial_stack(space, sp: int) -> dict:
    """argc, argv, envp and auxv at the entry rsp, as the System V x86_64 ABI and Linux define them."""
    def word(i):
        return struct.unpack("<Q", uget(space, sp + 8 * i, 8))[0]

    argc = word(0)
    argv = [word(1 + i) for i in range(argc)]
    assert word(1 + argc) == 0, "argv is NULL-terminated"
    k = 2 + argc
    envp = []
    while word(k) != 0:
        envp.append(word(k))
        k += 1
    k += 1
    auxv = []
    while True:
        key, value = word(k), word(k + 1)
        auxv.append((key, value))
        k += 2
        if key == AT["NULL"]:
            break
    return {"argc": argc, "argv": [ustr(space, a) for a in argv], "envp": [ustr(space, a) for a in envp],
            "argv_at": argv, "envp_at": envp, "auxv": dict(auxv), "auxv_keys": [key for key, _ in auxv],
            "end": sp + 8 * k}


def expected_loads(data: bytes, bias: int) -> list[tuple[int, int, int, int, int]]:
    """The mappings a PT_LOAD-by-PT_LOAD loader makes, from pyelftools' reading of the program headers."""
    out = []
    for seg in ELFFile(io.BytesIO(data)).iter_segments():
        if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        flags = seg["p_flags"]
        prot = (uspace.PROT_READ if flags & 4 else 0) | (uspace.PROT_WRITE if flags & 2 else 0) | \
            (uspace.PROT_EXEC if flags & 1 else 0)
        lead = seg["p_vaddr"] % 4096
        start = (seg["p_vaddr"] + bias) & ~4095
        end = (seg["p_vaddr"] + bias + seg["p_memsz"] + 4095) & ~4095
        out.append((start, end, prot, seg["p_offset"] - lead, seg["p_filesz"] + lead))
    return sorted(out)


def phdr_address(data: bytes, bias: int) -> int:
    ef = ELFFile(io.BytesIO(data))
    for seg in ef.iter_segments():
        if seg["p_type"] == "PT_PHDR":
            return seg["p_vaddr"] + bias
    first = next(s for s in ef.iter_segments() if s["p_type"] == "PT_LOAD")
    return first["p_vaddr"] - first["p_offset"] + ef["e_phoff"] + bias


def check_image(img, data: bytes, bias: int, path: bytes | None, argv, envp) -> dict:
    """Every check that does not depend on how the program was linked (path: AT_EXECFN, None to skip)."""
    ef = ELFFile(io.BytesIO(data))
    stack_vma = (uspace.STACK_TOP - uspace.STACK_SIZE, uspace.STACK_TOP, uspace.PROT_READ | uspace.PROT_WRITE, 0, 0)
    assert vmas(img.space) == expected_loads(data, bias) + [stack_vma]
    assert img.entry == ef["e_entry"] + bias
    top = max(end for _, end, _, _, _ in expected_loads(data, bias))
    assert img.space.brk_start == top and img.space.brk == top
    # The loaded bytes are the file's, and .bss reads as zeros.
    for seg in ef.iter_segments():
        if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
            continue
        n = min(seg["p_filesz"], 256)
        assert uget(img.space, seg["p_vaddr"] + bias, n) == data[seg["p_offset"]:seg["p_offset"] + n]
        if seg["p_memsz"] > seg["p_filesz"]:
            tail = min(seg["p_memsz"] - seg["p_filesz"], 64)
            assert uget(img.space, seg["p_vaddr"] + bias + seg["p_filesz"], tail) == bytes(tail)
    sp = int(img.stack)
    assert sp % 16 == 0  # _start sees a 16-byte aligned rsp
    st = initial_stack(img.space, sp)
    assert (st["argc"], st["argv"], st["envp"]) == (len(argv), list(argv), list(envp))
    aux = st["auxv"]
    assert st["auxv_keys"][-1] == AT["NULL"] and len(st["auxv_keys"]) == len(set(st["auxv_keys"]))
    assert aux[AT["PHDR"]] == phdr_address(data, bias)
    assert uget(img.space, aux[AT["PHDR"]], ef["e_phnum"] * 56) == \
        data[ef["e_phoff"]:ef["e_phoff"] + ef["e_phnum"] * 56]  # AT_PHDR points at the mapped headers
    assert (aux[AT["PHENT"]], aux[AT["PHNUM"]], aux[AT["PAGESZ"]]) == (56, ef["e_phnum"], 4096)
    assert aux[AT["ENTRY"]] == ef["e_entry"] + bias and aux[AT["BASE"]] == 0 and aux[AT["FLAGS"]] == 0
    assert (aux[AT["UID"]], aux[AT["EUID"]], aux[AT["GID"]], aux[AT["EGID"]]) == (1000, 1001, 100, 101)
    assert (aux[AT["HWCAP"]], aux[AT["CLKTCK"]], aux[AT["SECURE"]]) == (HWCAP, 100, 0)
    assert ustr(img.space, aux[AT["PLATFORM"]]) == b"x86_64"
    if path is not None:
        assert ustr(img.space, aux[AT["EXECFN"]]) == path
    random = uget(img.space, aux[AT["RANDOM"]], 16)
    assert random != bytes(16)
    # Everything the vector points at lies above it, inside the stack mapping.
    for a in (*st["argv_at"], *st["envp_at"], aux[AT["PLATFORM"]], aux[AT["EXECFN"]], aux[AT["RANDOM"]]):
        assert st["end"] <= a < uspace.STACK_TOP
    return st


@pytest.mark.parametrize("compiler", ["musl", "glibc"])
def test_a_static_program_is_mapped_segment_by_segment(world, built, compiler):
    data = binary(built, compiler)
    world.install(b"/bin/ids", data)
    argv, envp = [b"ids", b"first arg", b""], [b"PATH=/bin", b"HOME=/"]
    r, img = world.prepare(b"/bin/ids", argv, envp)
    assert r == 0
    assert ELFFile(io.BytesIO(data))["e_type"] == "ET_EXEC"
    check_image(img, data, 0, b"/bin/ids", argv, envp)
    assert bytes(img.name[i] for i in range(4)) == b"ids\0"
    assert world.p.space == NULL  # prepare touches only the new image
    # commit: the process now runs the image, from a clean register state.
    process.attach_leader(world.p, sched.new_task())
    world.p.task.fs_base = u64(0x1234)
    world.p.actions[9].handler = u64(0x40_1000)  # a handler: gone with the old image
    world.p.actions[12].handler = u64(1)  # SIG_IGN: stays
    f = TrapFrame()
    f.rbx = u64(77)
    execve.commit(world.p, addr(img), addr(f), False)
    assert world.p.space == img.space and world.p.task.fs_base == 0
    assert (f.rip, f.rsp, f.cs, f.ss, f.rflags, f.rbx, f.rax) == (img.entry, img.stack, 0x23, 0x1B, 0x202, 0, 0)
    assert world.p.actions[9].handler == 0 and world.p.actions[12].handler == 1
    assert bytes(world.p.cmdline[i] for i in range(int(world.p.cmdline_len))) == b"ids\0first arg\0\0"


def test_an_empty_environment_and_two_loads_get_different_at_random(world, built):
    data = binary(built, "musl")
    world.install(b"/bin/p", data)
    r, img = world.prepare(b"/bin/p", [b"p"])
    assert r == 0
    st = check_image(img, data, 0, b"/bin/p", [b"p"], [])
    r, img2 = world.prepare(b"/bin/p", [b"p"])
    assert r == 0
    st2 = initial_stack(img2.space, int(img2.stack))
    assert uget(img.space, st["auxv"][AT["RANDOM"]], 16) != uget(img2.space, st2["auxv"][AT["RANDOM"]], 16)


def test_static_pie_is_loaded_at_the_pie_base(world, built):
    data = binary(built, "glibc-pie")
    ef = ELFFile(io.BytesIO(data))
    assert ef["e_type"] == "ET_DYN" and not any(s["p_type"] == "PT_INTERP" for s in ef.iter_segments())
    world.install(b"/bin/pie", data)
    r, img = world.prepare(b"/bin/pie", [b"pie", b"x"], [b"A=1"])
    assert r == 0
    bias = execve.PIE_BASE - min(s["p_vaddr"] for s in ef.iter_segments() if s["p_type"] == "PT_LOAD")
    assert bias == execve.PIE_BASE  # a static PIE links at 0
    check_image(img, data, bias, b"/bin/pie", [b"pie", b"x"], [b"A=1"])


def interpreter_of(data: bytes) -> bytes | None:
    segment = next((s for s in ELFFile(io.BytesIO(data)).iter_segments() if s["p_type"] == "PT_INTERP"), None)
    return None if segment is None else segment.get_interp_name().encode()


def test_musl_static_pie(world, built):
    """Debian's musl-gcc links -static-pie with an interpreter (there is no static rcrt1 in its specs):
    that is a dynamic program, whose loader this world lacks; a real static PIE loads like glibc's."""
    data = binary(built, "musl-pie")
    world.install(b"/bin/mpie", data)
    r, img = world.prepare(b"/bin/mpie", [b"mpie"])
    if interpreter_of(data) is not None:
        assert r == -errno.ENOENT  # as on Linux: the missing file is the loader, not the program
    else:
        assert r == 0
        check_image(img, data, execve.PIE_BASE, b"/bin/mpie", [b"mpie"], [])


def test_a_dynamic_program_starts_in_its_loader(world, built):
    """The loader named by PT_INTERP is mapped at INTERP_BASE and entered; the program is mapped too, and
    AT_BASE, AT_ENTRY and AT_PHDR tell the loader where each is, as Linux's binfmt_elf does."""
    data = binary(built, "dynamic")
    loader_path = interpreter_of(data)
    loader = Path(loader_path.decode()).read_bytes()
    world.install(loader_path, loader)
    world.install(b"/bin/dyn", data)
    r, img = world.prepare(b"/bin/dyn", [b"dyn"])
    assert r == 0
    program, interp = ELFFile(io.BytesIO(data)), ELFFile(io.BytesIO(loader))
    bias = execve.PIE_BASE if program.header["e_type"] == "ET_DYN" else 0
    assert img.entry == execve.INTERP_BASE + interp.header["e_entry"]
    auxv = initial_stack(img.space, int(img.stack))["auxv"]
    assert auxv[AT["BASE"]] == execve.INTERP_BASE
    assert auxv[AT["ENTRY"]] == bias + program.header["e_entry"]
    assert uget(img.space, auxv[AT["PHDR"]], 56) == data[program.header["e_phoff"]:program.header["e_phoff"] + 56]
    assert uget(img.space, execve.INTERP_BASE, 64) == loader[:64]  # the loader's own ELF header, in place


def test_a_bad_loader_is_elibbad_with_nothing_left_behind(world, built):
    data = binary(built, "dynamic")
    loader_path = interpreter_of(data)
    for name, loader in (("not ELF", b"#!/bin/sh\n" + bytes(100)), ("a fixed-address program", binary(built, "musl")),
                         ("itself dynamic", data)):
        world.install(loader_path, loader)
        world.install(b"/bin/dyn", data)
        free0, live0 = frames_outside_heap(), int(heap.live_blocks)
        r, img = world.prepare(b"/bin/dyn", [b"dyn"])
        assert r == -errno.ELIBBAD, name
        assert img.space == NULL, name
        assert (frames_outside_heap(), int(heap.live_blocks)) == (free0, live0), name


def test_prepare_records_the_programs_path(world, built):
    world.install(b"/bin/p", binary(built, "musl"))
    r, img = world.prepare(b"/bin/p", [b"p"])
    assert r == 0
    assert bytes(img.exe[i] for i in range(7)) == b"/bin/p\0"


def test_a_script_runs_its_interpreter_with_rewritten_argv(world, built):
    data = binary(built, "musl")
    world.install(b"/bin/interp", data)
    world.install(b"/tmp/s1", b"#!/bin/interp -x\necho hi\n")
    r, img = world.prepare(b"/tmp/s1", [b"s1", b"a", b"b"], [b"E=1"])
    assert r == 0
    st = check_image(img, data, 0, None, [b"/bin/interp", b"-x", b"/tmp/s1", b"a", b"b"], [b"E=1"])
    assert st["argc"] == 5
    # No argument; blanks around the interpreter; one argument keeps its inner blanks.
    world.install(b"/tmp/s2", b"#!/bin/interp\n")
    r, img = world.prepare(b"/tmp/s2", [b"s2", b"z"])
    assert r == 0 and initial_stack(img.space, int(img.stack))["argv"] == [b"/bin/interp", b"/tmp/s2", b"z"]
    world.install(b"/tmp/s3", b"#! \t/bin/interp   two words \t\nrest")
    r, img = world.prepare(b"/tmp/s3", [b"s3"])
    assert r == 0 and initial_stack(img.space, int(img.stack))["argv"] == [b"/bin/interp", b"two words", b"/tmp/s3"]
    # A script interpreted by a script (relative path through the cwd as well).
    world.install(b"/tmp/s4", b"#!/tmp/s1 -y\n")
    r, img = world.prepare(b"/tmp/s4", [b"s4", b"q"])
    assert r == 0
    assert initial_stack(img.space, int(img.stack))["argv"] == \
        [b"/bin/interp", b"-x", b"/tmp/s1", b"-y", b"/tmp/s4", b"q"]
    # Errors of the interpreter line.
    world.install(b"/tmp/nointerp", b"#!\n")
    assert world.prepare(b"/tmp/nointerp", [b"x"])[0] == -errno.ENOEXEC
    world.install(b"/tmp/missing", b"#!/bin/none\n")
    assert world.prepare(b"/tmp/missing", [b"x"])[0] == -errno.ENOENT
    world.install(b"/tmp/long", b"#!/bin/interp " + b"x" * 5000 + b"\n")  # no newline in the first page
    assert world.prepare(b"/tmp/long", [b"x"])[0] == -errno.ENOEXEC


def test_a_script_keeps_its_own_name_and_execfn(world, built):
    world.install(b"/bin/interp", binary(built, "musl"))
    world.install(b"/tmp/job", b"#!/bin/interp\n")
    r, img = world.prepare(b"/tmp/job", [b"job"])
    assert r == 0
    st = initial_stack(img.space, int(img.stack))
    assert ustr(img.space, st["auxv"][AT["EXECFN"]]) == b"/tmp/job"
    assert bytes(img.name[i] for i in range(4)) == b"job\0"


def test_too_many_script_levels_is_eloop(world, built):
    world.install(b"/bin/interp", binary(built, "musl"))
    chain = [b"/tmp/l1", b"/tmp/l2", b"/tmp/l3", b"/tmp/l4"]
    for here, there in zip(chain, [*chain[1:], b"/bin/interp"], strict=True):
        world.install(here, b"#!" + there + b"\n")
    r, img = world.prepare(b"/tmp/l1", [b"l1"])
    assert r == 0  # four levels of #! are fine
    assert initial_stack(img.space, int(img.stack))["argv"] == [b"/bin/interp", *reversed(chain)]
    world.install(b"/tmp/self", b"#!/tmp/self\n")
    free0, live0 = frames_outside_heap(), int(heap.live_blocks)
    assert world.prepare(b"/tmp/self", [b"self"])[0] == -errno.ELOOP
    assert (frames_outside_heap(), int(heap.live_blocks)) == (free0, live0)
    world.install(b"/tmp/l0", b"#!/tmp/l1\n")
    assert world.prepare(b"/tmp/l0", [b"l0"])[0] == -errno.ELOOP


def edit(data: bytes, offset: int, fmt: str, *values) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, *values)
    return bytes(b)


def phdr_offset(data: bytes, index: int) -> int:
    return struct.unpack_from("<Q", data, 32)[0] + 56 * index


def loads(data: bytes) -> list[int]:
    phnum = struct.unpack_from("<H", data, 56)[0]
    return [i for i in range(phnum) if struct.unpack_from("<I", data, phdr_offset(data, i))[0] == 1]


def malformed(good: bytes, dynamic: bytes | None) -> dict[str, bytes]:
    first, second, third = loads(good)[:3]
    size = len(good)
    vaddr_of = [struct.unpack_from("<Q", good, phdr_offset(good, i) + 16)[0] for i in (second, third)]
    into_next = vaddr_of[1] - vaddr_of[0] + 4096  # not larger than memory (ENOMEM): only overlapping
    memsz2 = struct.unpack_from("<Q", good, phdr_offset(good, second) + 40)[0]
    cases = {
        "empty": b"",
        "truncated header": good[:40],
        "bad magic": edit(good, 1, "<B", ord("X")),
        "32-bit class": edit(good, 4, "<B", 1),
        "not x86_64": edit(good, 18, "<H", 183),
        "a relocatable object": edit(good, 16, "<H", 1),
        "no program headers": edit(good, 56, "<H", 0),
        "program headers past the end": edit(good, 32, "<Q", size - 20),
        "program headers far away": edit(good, 32, "<Q", 1 << 40),
        "program headers wrapping around": edit(edit(good, 32, "<Q", (1 << 64) - 56 * 100), 56, "<H", 100),
        "a segment past the end of the file": edit(good, phdr_offset(good, second) + 8, "<Q", size + 4096),
        "filesz larger than memsz": edit(good, phdr_offset(good, second) + 32, "<Q", memsz2 + 16),
        "a segment running into the next": edit(good, phdr_offset(good, second) + 40, "<Q", into_next),
        "a segment in the kernel half": edit(good, phdr_offset(good, second) + 16, "<Q", 0xFFFF_8000_0000_0000),
        "the entry outside executable code": edit(good, 24, "<Q", 0x10),
        "text without #!": b"echo hello\n",
    }
    # Two segments sharing a page: the first is mapped before the second collides with it.
    off2 = struct.unpack_from("<Q", good, phdr_offset(good, second) + 8)[0]
    vaddr1 = struct.unpack_from("<Q", good, phdr_offset(good, first) + 16)[0]
    clash = edit(good, phdr_offset(good, second) + 16, "<Q", (vaddr1 & ~4095) + off2 % 4096)
    entry = struct.unpack_from("<Q", good, 24)[0]
    vaddr2 = struct.unpack_from("<Q", good, phdr_offset(good, second) + 16)[0]
    cases["overlapping segments"] = edit(clash, 24, "<Q", entry - vaddr2 + (vaddr1 & ~4095) + off2 % 4096)
    if dynamic is not None:
        segments = list(ELFFile(io.BytesIO(dynamic)).iter_segments())
        interp = next(i for i, seg in enumerate(segments) if seg["p_type"] == "PT_INTERP")
        cases["an interpreter path past the first page"] = edit(dynamic, phdr_offset(dynamic, interp) + 8, "<Q", 8192)
    return cases


def test_malformed_programs_are_enoexec_with_nothing_left_behind(world, built):
    good = binary(built, "musl")
    assert [struct.unpack_from("<I", good, phdr_offset(good, i) + 4)[0] & 1 for i in loads(good)[:2]] == [0, 1], \
        "the program starts with a read-only segment followed by the code"
    cases = malformed(good, built["dynamic"])
    for name in ("overlapping segments", "a segment running into the next"):
        # Valid headers: these fail while mapping, after the first segment is in, and must undo it.
        base = memory.alloc(len(cases[name]))
        memory.write(base, cases[name])
        assert elf.check(Ptr[u8](base), usize(len(cases[name])), addr(elf.ElfInfo())) == 0, name
    for name, data in cases.items():
        world.install(b"/bin/bad", data)
        node = world.inode(b"/bin/bad")
        refs = int(node.refcount)
        free0, live0 = frames_outside_heap(), int(heap.live_blocks)
        r, img = world.prepare(b"/bin/bad", [b"bad", b"arg"])
        assert r == -errno.ENOEXEC, name
        assert img.space == NULL, name
        assert (frames_outside_heap(), int(heap.live_blocks)) == (free0, live0), name  # no mapping, no table
        assert node.refcount == refs, name
        assert vfs.unlink(vfs.as_kernel(), world.root, world.root, kstr(b"/bin/bad")) == 0


def test_headers_must_lie_in_the_page_read():
    """The program headers must lie within the bytes read: an e_phoff near 2**64 must not wrap around
    and make the loader read memory before its header buffer."""
    page = bytearray(4096)
    struct.pack_into("<IBBB", page, 0, 0x464C457F, 2, 1, 1)
    struct.pack_into("<HHIQQ", page, 16, 2, 62, 1, 0x401000, (1 << 64) - 56 * 100)
    struct.pack_into("<HH", page, 54, 56, 100)  # e_phentsize, e_phnum
    base = memory.alloc(2 * 4096 + 56 * 100) + 56 * 100  # room below, so a wrapped read stays in bounds here
    memory.write(base, bytes(page))
    assert not execve.headers_in_page(Ptr[u8](base), 4096)
    struct.pack_into("<Q", page, 32, 4096 - 56)  # the last header ends exactly at the end of the page
    struct.pack_into("<H", page, 56, 1)
    memory.write(base, bytes(page))
    assert execve.headers_in_page(Ptr[u8](base), 4096)
    struct.pack_into("<Q", page, 32, 4096 - 55)
    memory.write(base, bytes(page))
    assert not execve.headers_in_page(Ptr[u8](base), 4096)


def test_what_cannot_be_executed(world, built):
    data = binary(built, "musl")
    world.install(b"/bin/noexec", data, 0o644)
    assert world.prepare(b"/bin/noexec", [b"x"])[0] == -errno.EACCES
    assert world.prepare(b"/bin", [b"x"])[0] == -errno.EACCES
    assert world.prepare(b"/bin/", [b"x"])[0] == -errno.EACCES
    assert world.prepare(b"/bin/absent", [b"x"])[0] == -errno.ENOENT
    assert world.prepare(b"/bin/noexec/x", [b"x"])[0] == -errno.ENOTDIR
    world.install(b"/tmp/script", b"#!/bin/noexec\n")
    assert world.prepare(b"/tmp/script", [b"x"])[0] == -errno.EACCES  # the interpreter must be executable too
    world.install(b"/bin/userexec", data, 0o700)  # any x bit will do (permissions are not checked yet)
    assert world.prepare(b"/bin/userexec", [b"x"])[0] == 0
    assert vfs.symlink(vfs.as_kernel(), world.root, world.root, kstr(b"/bin/userexec"), kstr(b"/bin/link")) == 0
    r, img = world.prepare(b"/bin/link", [b"link"])
    assert r == 0 and bytes(img.name[i] for i in range(5)) == b"link\0"  # comm is the name used, as on Linux


def test_the_initial_stack_follows_rlimit_stack(machine):
    rt.fake("inl", lambda port: 0)  # process.allocate stamps a start time: the PM timer reads 0
    p = process.allocate(NULL)
    for soft, size in ((8 << 20, 8 << 20), (256 << 10, 256 << 10), ((256 << 10) + 100, 256 << 10), (4096, 64 << 10),
                       (1 << 40, uspace.STACK_SIZE), (process.RLIM_INFINITY, uspace.STACK_SIZE)):
        p.rlimits[process.RLIMIT_STACK].soft = u64(soft)
        assert int(execve.stack_size(p)) == size, soft
