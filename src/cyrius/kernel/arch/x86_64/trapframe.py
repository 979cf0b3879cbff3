"""The register frame isr.S saves for every interrupt and exception (boot/include/trap_frame.h)."""
from cyrius.lang import Final, struct, u64

SYSCALL_VECTOR: Final = 0x100  # TrapFrame.vector of a system call (boot/include/percpu.h)
SYSCALL_INSN_LEN: Final = 2  # the `syscall` instruction: a restart steps rip back over it


@struct
class TrapFrame:
    r15: u64
    r14: u64
    r13: u64
    r12: u64
    r11: u64
    r10: u64
    r9: u64
    r8: u64
    rbp: u64
    rdi: u64
    rsi: u64
    rdx: u64
    rcx: u64
    rbx: u64
    rax: u64
    vector: u64
    error_code: u64
    rip: u64
    cs: u64
    rflags: u64
    rsp: u64
    ss: u64
