"""Per-CPU state and the CPU setup user code needs: SSE enabled, the kernel GS base, the stack the
CPU enters the kernel on (TSS.RSP0 for interrupts, PerCpu.kernel_rsp for SYSCALL).

Layout of PerCpu is shared with boot/x86_64/syscall.S through boot/include/percpu.h.
"""
from cyrius.lang import Final, Ptr, addr, cast, struct, u32, u64, usize
from cyrius.rt import boot_tss, read_cr0, read_cr4, wrmsr, write_cr0, write_cr4

MSR_FS_BASE: Final = 0xC0000100
MSR_GS_BASE: Final = 0xC0000101
MSR_KERNEL_GS_BASE: Final = 0xC0000102  # the user's GS base while the kernel runs (swapgs)

CR0_MP: Final = 1 << 1
CR0_EM: Final = 1 << 2
CR0_TS: Final = 1 << 3
CR4_OSFXSR: Final = 1 << 9
CR4_OSXMMEXCPT: Final = 1 << 10

TSS_RSP0: Final = 4


@struct
class PerCpu:
    kernel_rsp: u64  # PERCPU_KERNEL_RSP
    user_rsp: u64  # PERCPU_USER_RSP


percpu: PerCpu = PerCpu()


def init() -> None:
    # SSE for user code: FXSAVE/FXRSTOR and SIMD exceptions on, x87 emulation and lazy-FPU traps off.
    write_cr0((read_cr0() | CR0_MP) & ~u64(CR0_EM | CR0_TS))
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT)
    wrmsr(u32(MSR_GS_BASE), cast(u64, addr(percpu)))
    wrmsr(u32(MSR_KERNEL_GS_BASE), u64(0))


def set_kernel_stack(top: u64) -> None:
    """The stack the CPU switches to when ring 3 is interrupted or makes a system call."""
    percpu.kernel_rsp = top
    # RSP0 sits at a 4-byte offset in the TSS: write it as two aligned halves.
    rsp0: Ptr[u32] = cast(Ptr[u32], cast(usize, boot_tss) + TSS_RSP0)
    rsp0[0] = u32(top)
    rsp0[1] = u32(top >> 32)


def set_user_fs_base(value: u64) -> None:
    wrmsr(u32(MSR_FS_BASE), value)


def set_user_gs_base(value: u64) -> None:
    wrmsr(u32(MSR_KERNEL_GS_BASE), value)
