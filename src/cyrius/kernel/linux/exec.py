"""execve: load an ELF program (EXEC or PIE, static or with a PT_INTERP dynamic loader) or a `#!`
script into a fresh address space, with the initial stack Linux gives a program (argc, argv, envp,
auxv). A dynamic program's loader (ld-linux, ld-musl) is mapped at INTERP_BASE and started instead
of the program; it finds the program through AT_PHDR/AT_ENTRY and maps the libraries itself.

prepare() does everything that can fail and touches only the new space; commit() then replaces
the process image and cannot fail. A malformed program is -ENOEXEC with nothing mapped.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import cpuid, fxrstor, memcpy, memset, strlen, write_cr3

from .. import errno
from ..arch.x86_64 import cpu
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import devfs, vfs
from ..mm import frames, phys, uaccess, uspace
from ..mm.heap import kalloc, kfree
from ..proc import cred, process, sched, signal, task
from ..proc.task import Process
from . import elf

ARG_MAX: Final = 128 * 1024
MAX_ARGS: Final = 4096
HEADER_BYTES: Final = 4096
PIE_BASE: Final = 0x555555554000
# Between the mmap area (below uspace.MMAP_TOP) and the stack, so no mapping the loader makes
# can land on it.
INTERP_BASE: Final = 0x7FFFF0000000
STACK_FLOOR: Final = uspace.STACK_TOP - uspace.STACK_SIZE
MIN_STACK: Final = 64 * 1024  # the smallest initial stack, whatever RLIMIT_STACK says
MAX_SCRIPT_DEPTH: Final = 4
USER_CS: Final = 0x23
USER_DS: Final = 0x1B
RFLAGS_IF: Final = 0x202
EXEC_BITS: Final = 0o111

AT_NULL: Final = 0
AT_PHDR: Final = 3
AT_PHENT: Final = 4
AT_PHNUM: Final = 5
AT_PAGESZ: Final = 6
AT_BASE: Final = 7
AT_FLAGS: Final = 8
AT_ENTRY: Final = 9
AT_UID: Final = 11
AT_EUID: Final = 12
AT_GID: Final = 13
AT_EGID: Final = 14
AT_PLATFORM: Final = 15
AT_HWCAP: Final = 16
AT_CLKTCK: Final = 17
AT_SECURE: Final = 23
AT_RANDOM: Final = 25
AT_HWCAP2: Final = 26
AT_EXECFN: Final = 31
AUXV_PAIRS: Final = 19


@struct
class Args:
    """argv then envp strings, back to back, each NUL-terminated, in one kernel buffer."""
    data: Ptr[u8]
    used: u64
    argc: u32
    envc: u32


@struct
class Image:
    """A loaded program, ready to commit."""
    space: Ptr[uspace.AddressSpace]
    entry: u64
    stack: u64
    name: Array[u8, task.NAME_LEN]
    exe: Array[u8, task.EXE_LEN]
    cmdline: Array[u8, task.CMDLINE_LEN]
    cmdline_len: u32


def args_init(a: Ptr[Args]) -> i64:
    a.data = cast(Ptr[u8], kalloc(usize(ARG_MAX)))
    a.used = 0
    a.argc = 0
    a.envc = 0
    if a.data == NULL:
        return -errno.ENOMEM
    return 0


def args_free(a: Ptr[Args]) -> None:
    kfree(cast(Ptr[None], a.data))
    a.data = NULL


def args_append(a: Ptr[Args], s: Ptr[u8], length: u64) -> i64:
    if a.used + length + 1 > ARG_MAX or a.argc + a.envc >= MAX_ARGS:
        return -errno.E2BIG
    memcpy(cast(Ptr[None], a.data + a.used), cast(Ptr[None], s), usize(length))
    a.data[a.used + length] = 0
    a.used += length + 1
    return 0


def args_copy_user(a: Ptr[Args], s: Ptr[uspace.AddressSpace], vector: u64, is_env: bool) -> i64:
    """Append the strings of a user argv/envp vector (NULL-terminated array of pointers)."""
    if vector == 0:
        return 0
    slot: Array[u64, 1] = Array[u64, 1]()
    i: u64 = 0
    while True:
        if uaccess.get_u64(s, vector + i * 8, addr(slot)) < 0:
            return -errno.EFAULT
        if slot[0] == 0:
            return 0
        if a.argc + a.envc >= MAX_ARGS:
            return -errno.E2BIG
        n: i64 = uaccess.copy_string_in(s, a.data + a.used, slot[0], u64(ARG_MAX) - a.used)
        if n < 0:
            if n == -errno.ENAMETOOLONG:
                return -errno.E2BIG
            return n
        a.used += u64(n) + 1
        if is_env:
            a.envc += 1
        else:
            a.argc += 1
        i += 1


def string_at(a: Ptr[Args], index: u32) -> Ptr[u8]:
    p: Ptr[u8] = a.data
    for _ in range(index):
        p = p + strlen(p) + 1
    return p


def read_header(node: Ptr[vfs.Inode], buf: Ptr[u8]) -> i64:
    return node.ops.read(node, buf, usize(HEADER_BYTES), u64(0))


def open_program(p: Ptr[Process], path: Ptr[u8], out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The program file at path (one reference in out[0]): -EACCES unless it is a regular file with an
    execute bit on a mount that is not noexec."""
    who: vfs.Cred = vfs.Cred()
    w: vfs.Walk = vfs.Walk()
    r: i64 = vfs.resolve(process.cred_of(p, addr(who)), p.root, p.cwd, path, u32(vfs.FOLLOW), addr(w))
    if r < 0:
        return r
    noexec: bool = (vfs.walk_flags(p.world, addr(w)) & vfs.MNT_NOEXEC) != 0
    node: Ptr[vfs.Inode] = vfs.get(w.node)
    vfs.done(addr(w))
    out[0] = node
    err: i64 = 0
    if vfs.is_dir(node) or (node.mode & vfs.S_IFMT) != vfs.S_IFREG or node.ops.read == NULL:
        err = -errno.EACCES
    elif (node.mode & EXEC_BITS) == 0 or noexec:
        err = -errno.EACCES
    if err < 0:
        vfs.put(node)
    return err


def script_args(header: Ptr[u8], length: i64, path: Ptr[u8], old: Ptr[Args], new: Ptr[Args]) -> i64:
    """`#!interp [arg]` → argv = interp, [arg], path, old argv[1:], then old envp."""
    end: i64 = 2
    while end < length and header[end] != ord("\n"):
        end += 1
    if end >= length:
        return -errno.ENOEXEC  # no newline within the first page
    header[end] = 0
    i: i64 = 2
    while header[i] == ord(" ") or header[i] == ord("\t"):
        i += 1
    interp: i64 = i
    while header[i] != 0 and header[i] != ord(" ") and header[i] != ord("\t"):
        i += 1
    interp_end: i64 = i
    while header[i] == ord(" ") or header[i] == ord("\t"):
        i += 1
    arg: i64 = i
    arg_end: i64 = end
    while arg_end > arg and (header[arg_end - 1] == ord(" ") or header[arg_end - 1] == ord("\t")):
        arg_end -= 1
    if interp_end == interp:
        return -errno.ENOEXEC
    r: i64 = args_append(new, header + interp, u64(interp_end - interp))
    new.argc = 1
    if r == 0 and arg_end > arg:
        r = args_append(new, header + arg, u64(arg_end - arg))
        new.argc += 1
    if r == 0:
        r = args_append(new, path, u64(strlen(path)))
        new.argc += 1
    src: Ptr[u8] = string_at(old, u32(1))
    k: u32 = 1
    while r == 0 and k < old.argc + old.envc:
        n: u64 = u64(strlen(src))
        r = args_append(new, src, n)
        if k < old.argc:
            new.argc += 1
        else:
            new.envc += 1
        src = src + n + 1
        k += 1
    header[interp_end] = 0
    return r


def headers_in_page(image: Ptr[u8], got: i64) -> bool:
    """The program headers, and the interpreter path if any, lie within the `got` bytes read:
    Cyrius reads only the first page of a program before mapping it."""
    if got < elf.EHDR_SIZE:
        return False
    h: Ptr[elf.Elf64Ehdr] = elf.header(image)
    if h.phentsize != elf.PHDR_SIZE or h.phoff > u64(got) or u64(h.phnum) * elf.PHDR_SIZE > u64(got) - h.phoff:
        return False
    for i in range(u32(h.phnum)):
        ph: Ptr[elf.Elf64Phdr] = elf.program_header(image, i)
        if ph.type == elf.PT_INTERP and (ph.offset > u64(got) or ph.filesz > u64(got) - ph.offset):
            return False
    return True


def map_segments(img: Ptr[Image], node: Ptr[vfs.Inode], image: Ptr[u8], bias: u64) -> i64:
    h: Ptr[elf.Elf64Ehdr] = elf.header(image)
    for i in range(u32(h.phnum)):
        ph: Ptr[elf.Elf64Phdr] = elf.program_header(image, i)
        if ph.type != elf.PT_LOAD or ph.memsz == 0:
            continue
        prot: u32 = 0
        if (ph.flags & elf.PF_R) != 0:
            prot |= uspace.PROT_READ
        if (ph.flags & elf.PF_W) != 0:
            prot |= uspace.PROT_WRITE
        if (ph.flags & elf.PF_X) != 0:
            prot |= uspace.PROT_EXEC
        lead: u64 = ph.vaddr & (phys.PAGE - 1)
        start: u64 = uspace.page_down(ph.vaddr + bias)
        end: u64 = uspace.page_up(ph.vaddr + bias + ph.memsz)
        r: i64 = uspace.add(img.space, start, end, prot, node, ph.offset - lead, ph.filesz + lead)
        if r < 0:
            if r == -errno.EEXIST:
                return -errno.ENOEXEC  # segments sharing a page: not a layout Cyrius loads
            return r
    return 0


def stack_size(p: Ptr[Process]) -> u64:
    """The initial stack: RLIMIT_STACK's soft limit in whole pages, at least MIN_STACK and at most
    uspace.STACK_SIZE (the room the layout keeps for it). It does not grow."""
    size: u64 = p.rlimits[process.RLIMIT_STACK].soft & ~u64(4095)
    if size < MIN_STACK:
        return u64(MIN_STACK)
    if size > uspace.STACK_SIZE:
        return u64(uspace.STACK_SIZE)
    return size


def build_stack(p: Ptr[Process], img: Ptr[Image], a: Ptr[Args], info: Ptr[elf.ElfInfo], bias: u64,
                interp_base: u64, execfn: Ptr[u8]) -> i64:
    s: Ptr[uspace.AddressSpace] = img.space
    r: i64 = uspace.add(s, u64(uspace.STACK_TOP) - stack_size(p), u64(uspace.STACK_TOP),
                        u32(uspace.PROT_READ | uspace.PROT_WRITE), NULL, u64(0), u64(0))
    if r < 0:
        return r
    # Strings at the top: argv and envp as one block, then AT_EXECFN, AT_PLATFORM, AT_RANDOM bytes.
    top: u64 = uspace.STACK_TOP - 16
    strings: u64 = top - a.used
    if uaccess.copy_out(s, strings, a.data, a.used) < 0:
        return -errno.EFAULT
    fn_len: u64 = u64(strlen(execfn)) + 1
    fn_addr: u64 = strings - fn_len
    platform_addr: u64 = fn_addr - 7
    random_addr: u64 = (platform_addr - 16) & ~u64(15)
    random: Array[u8, 16] = Array[u8, 16]()
    devfs.fill_random(addr(random), usize(16))
    if (uaccess.copy_out(s, fn_addr, execfn, fn_len) < 0
            or uaccess.copy_out(s, platform_addr, b"x86_64", u64(7)) < 0
            or uaccess.copy_out(s, random_addr, addr(random), u64(16)) < 0):
        return -errno.EFAULT
    words: u64 = 1 + u64(a.argc) + 1 + u64(a.envc) + 1 + AUXV_PAIRS * 2
    sp: u64 = (random_addr - words * 8) & ~u64(15)
    v: Ptr[u64] = cast(Ptr[u64], kalloc(usize(words * 8)))
    if v == NULL:
        return -errno.ENOMEM
    v[0] = u64(a.argc)
    k: u64 = 1
    at: u64 = strings
    n: u32 = 0
    while n < a.argc + a.envc:
        if n == a.argc:
            v[k] = 0  # argv's terminator
            k += 1
        v[k] = at
        k += 1
        at += u64(strlen(a.data + (at - strings))) + 1
        n += 1
    if a.argc + a.envc == a.argc:
        v[k] = 0
        k += 1
    v[k] = 0  # envp's terminator
    k += 1
    regs: Array[u32, 4] = Array[u32, 4]()
    cpuid(u32(1), u32(0), addr(regs))
    phdr: u64 = info.phdr_vaddr + bias
    if info.phdr_vaddr == 0:
        phdr = info.lowest_vaddr + bias + elf.EHDR_SIZE
    k = aux(v, k, u64(AT_PHDR), phdr)
    k = aux(v, k, u64(AT_PHENT), u64(elf.PHDR_SIZE))
    k = aux(v, k, u64(AT_PHNUM), u64(info.phnum))
    k = aux(v, k, u64(AT_PAGESZ), u64(phys.PAGE))
    k = aux(v, k, u64(AT_BASE), interp_base)
    k = aux(v, k, u64(AT_FLAGS), u64(0))
    k = aux(v, k, u64(AT_ENTRY), info.entry + bias)
    k = aux(v, k, u64(AT_UID), u64(p.uid))
    k = aux(v, k, u64(AT_EUID), u64(p.euid))
    k = aux(v, k, u64(AT_GID), u64(p.gid))
    k = aux(v, k, u64(AT_EGID), u64(p.egid))
    k = aux(v, k, u64(AT_PLATFORM), platform_addr)
    k = aux(v, k, u64(AT_HWCAP), u64(regs[3]))
    k = aux(v, k, u64(AT_CLKTCK), u64(100))
    k = aux(v, k, u64(AT_SECURE), u64(0))
    k = aux(v, k, u64(AT_RANDOM), random_addr)
    k = aux(v, k, u64(AT_HWCAP2), u64(0))
    k = aux(v, k, u64(AT_EXECFN), fn_addr)
    k = aux(v, k, u64(AT_NULL), u64(0))
    r = uaccess.copy_out(s, sp, cast(Ptr[u8], v), k * 8)
    kfree(cast(Ptr[None], v))
    img.stack = sp
    return r


def aux(v: Ptr[u64], k: u64, key: u64, value: u64) -> u64:
    v[k] = key
    v[k + 1] = value
    return k + 2


def load_interpreter(p: Ptr[Process], img: Ptr[Image], path: Ptr[u8], base: Ptr[u64]) -> i64:
    """Map the dynamic loader at `path` (inside p's root) at INTERP_BASE: base[0] becomes its load
    address (AT_BASE) and img.entry its entry point. It must be position-independent and need no
    loader of its own."""
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    r: i64 = open_program(p, path, addr(slot))
    if r < 0:
        return r
    header: Ptr[u8] = cast(Ptr[u8], kalloc(usize(HEADER_BYTES)))
    if header == NULL:
        vfs.put(slot[0])
        return -errno.ENOMEM
    got: i64 = read_header(slot[0], header)
    info: elf.ElfInfo = elf.ElfInfo()
    r = -errno.ELIBBAD
    if headers_in_page(header, got) and elf.check(header, usize(slot[0].size), addr(info)) == 0:
        if info.position_independent and info.interp_length == 0:
            r = 0
    if r == 0 and info.highest_vaddr - info.lowest_vaddr > STACK_FLOOR - INTERP_BASE:
        r = -errno.ENOMEM
    if r == 0:
        bias: u64 = INTERP_BASE - info.lowest_vaddr
        r = map_segments(img, slot[0], header, bias)
        base[0] = bias
        img.entry = info.entry + bias
    kfree(cast(Ptr[None], header))
    vfs.put(slot[0])
    return r


def load_elf(p: Ptr[Process], node: Ptr[vfs.Inode], header: Ptr[u8], got: i64, a: Ptr[Args],
             path: Ptr[u8], img: Ptr[Image]) -> i64:
    if not headers_in_page(header, got):
        return -errno.ENOEXEC
    info: elf.ElfInfo = elf.ElfInfo()
    r: i64 = elf.check(header, usize(node.size), addr(info))
    if r < 0:
        return r
    bias: u64 = 0
    if info.position_independent:
        bias = PIE_BASE - info.lowest_vaddr
    if (info.highest_vaddr - info.lowest_vaddr) // phys.PAGE > frames.usable_frames \
            or info.highest_vaddr + bias > uspace.STACK_TOP - uspace.STACK_SIZE:
        return -errno.ENOMEM  # larger than all of memory, or running into the stack
    img.space = uspace.create()
    if img.space == NULL:
        return -errno.ENOMEM
    uspace.set_program(img.space, node)
    img.entry = info.entry + bias
    interp_base: Array[u64, 1] = Array[u64, 1]()
    if p.quota != NULL:
        img.space.charge = addr(p.quota.memory)  # the loader's own page faults count already
    r = map_segments(img, node, header, bias)
    if r == 0 and info.interp_length != 0:
        r = load_interpreter(p, img, header + info.interp_offset, addr(interp_base))
    if r == 0:
        r = build_stack(p, img, a, addr(info), bias, interp_base[0], path)
    if r < 0:
        uspace.destroy(img.space)
        img.space = NULL
        return r
    img.space.brk_start = uspace.page_up(info.highest_vaddr + bias)
    img.space.brk = img.space.brk_start
    return 0


def set_name(img: Ptr[Image], path: Ptr[u8]) -> None:
    base: Ptr[u8] = path
    i: usize = 0
    while path[i] != 0:
        if path[i] == ord("/"):
            base = path + i + 1
        i += 1
    n: u32 = 0
    while n < task.NAME_LEN - 1 and base[n] != 0:
        img.name[n] = base[n]
        n += 1
    img.name[n] = 0


def program_path(p: Ptr[Process], path: Ptr[u8], out: Ptr[u8]) -> None:
    """The program's absolute path inside p's root (/proc/PID/exe); empty if it cannot be told."""
    out[0] = 0
    w: vfs.Walk = vfs.Walk()
    who: vfs.Cred = vfs.Cred()
    if vfs.resolve(process.cred_of(p, addr(who)), p.root, p.cwd, path, u32(vfs.FOLLOW), addr(w)) < 0:
        return
    if w.parent != NULL and w.node != NULL:
        n: i64 = vfs.path_of(p.world, p.root, w.parent, out, usize(task.EXE_LEN))
        if n >= 0 and usize(n) + w.name_len + 2 <= task.EXE_LEN:
            at: usize = usize(n)
            if at != 1:  # the root's path is "/" already
                out[at] = ord("/")
                at += 1
            memcpy(cast(Ptr[None], out + at), cast(Ptr[None], addr(w.name)), w.name_len)
            out[at + w.name_len] = 0
        else:
            out[0] = 0
    vfs.done(addr(w))


def keep_cmdline(img: Ptr[Image], a: Ptr[Args]) -> None:
    """argv as /proc/PID/cmdline shows it (NUL-separated, cut to fit)."""
    end: u64 = 0
    for _ in range(a.argc):
        end += u64(strlen(a.data + end)) + 1
    if end > task.CMDLINE_LEN:
        end = task.CMDLINE_LEN
    memcpy(cast(Ptr[None], addr(img.cmdline)), cast(Ptr[None], a.data), usize(end))
    img.cmdline_len = u32(end)


def prepare(p: Ptr[Process], path: Ptr[u8], a: Ptr[Args], img: Ptr[Image]) -> i64:
    """Load path (following `#!` up to MAX_SCRIPT_DEPTH) into a new space in img; a is consumed
    and replaced when a script rewrites the arguments. Nothing of p changes."""
    header: Ptr[u8] = cast(Ptr[u8], kalloc(usize(HEADER_BYTES + 4096)))
    if header == NULL:
        return -errno.ENOMEM
    current_path: Ptr[u8] = header + HEADER_BYTES  # the path being loaded (a script's interpreter)
    n: usize = strlen(path)
    if n >= 4096:
        kfree(cast(Ptr[None], header))
        return -errno.ENAMETOOLONG
    memcpy(cast(Ptr[None], current_path), cast(Ptr[None], path), n + 1)
    r: i64 = -errno.ELOOP
    depth: u32 = 0
    while depth <= MAX_SCRIPT_DEPTH:
        slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
        r = open_program(p, current_path, addr(slot))
        if r < 0:
            break
        memset(cast(Ptr[None], header), 0, usize(HEADER_BYTES))
        got: i64 = read_header(slot[0], header)
        if got >= 2 and header[0] == ord("#") and header[1] == ord("!"):
            vfs.put(slot[0])
            rewritten: Args = Args()
            r = args_init(addr(rewritten))
            if r == 0:
                r = script_args(header, got, current_path, a, addr(rewritten))
            if r < 0:
                args_free(addr(rewritten))
                break
            args_free(a)
            memcpy(cast(Ptr[None], a), cast(Ptr[None], addr(rewritten)), usize(sizeof(Args)))
            interp: Ptr[u8] = string_at(a, u32(0))
            memcpy(cast(Ptr[None], current_path), cast(Ptr[None], interp), strlen(interp) + 1)
            depth += 1
            r = -errno.ELOOP
            continue
        if got < 0:
            r = got
        else:
            # AT_EXECFN and the process name are the path execve was given, even for a script.
            r = load_elf(p, slot[0], header, got, a, path, img)
            if r == 0:
                set_name(img, path)
                keep_cmdline(img, a)
                program_path(p, current_path, addr(img.exe))
        vfs.put(slot[0])
        break
    kfree(cast(Ptr[None], header))
    return r


def reset_fpu() -> None:
    area: Array[u8, task.FPU_AREA] = Array[u8, task.FPU_AREA]()
    sched.fresh_fpu(addr(area))
    fxrstor(cast(Ptr[None], addr(area)))


def commit(p: Ptr[Process], img: Ptr[Image], frame: Ptr[TrapFrame], running: bool) -> None:
    """Replace p's image with img and point frame at the program's entry. `running`: p is the
    current process (its CPU state is live)."""
    old: Ptr[uspace.AddressSpace] = p.space
    p.space = img.space
    if running:
        write_cr3(img.space.root)
    if old != NULL:
        process.end_vfork(p)
        uspace.put(old)
    process.close_on_exec(p)
    cred.on_exec(p)  # the capability sets a file without capabilities or set-id bits leaves
    for i in range(task.NSIG):
        if p.actions[i].handler != 1:  # handlers are gone with the old image; ignored stays ignored
            p.actions[i].handler = 0
        p.actions[i].flags = 0
        p.actions[i].mask = 0
    memcpy(cast(Ptr[None], addr(p.name)), cast(Ptr[None], addr(img.name)), usize(task.NAME_LEN))
    memcpy(cast(Ptr[None], addr(p.exe)), cast(Ptr[None], addr(img.exe)), usize(task.EXE_LEN))
    memcpy(cast(Ptr[None], addr(p.cmdline)), cast(Ptr[None], addr(img.cmdline)), usize(task.CMDLINE_LEN))
    p.cmdline_len = img.cmdline_len
    t: Ptr[task.Task] = p.task
    t.fs_base = 0
    signal.clear_altstack(t)  # the old image's alternate signal stack is gone with it
    t.gs_base = 0
    t.clear_child_tid = 0
    if running:
        cpu.set_user_fs_base(u64(0))
        cpu.set_user_gs_base(u64(0))
        reset_fpu()
    memset(cast(Ptr[None], frame), 0, usize(sizeof(TrapFrame)))
    frame.rip = img.entry
    frame.rsp = img.stack
    frame.cs = USER_CS
    frame.ss = USER_DS
    frame.rflags = RFLAGS_IF
