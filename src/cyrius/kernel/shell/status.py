"""The exit status of the host shell's commands, which `$?` shows (shell/core.py expands it): 0 for
success, 1 for a failed operation, 2 for a usage error, 127 for an unknown command; `run`,
`oci-runtime exec` and an attached `oci-runtime start` give the program's own (128 + the signal
that killed it)."""
from cyrius.lang import u32

last: u32 = 0  # the previous command's status: what $? expands to
code: u32 = 0  # the running command's (0 unless it says otherwise)


def begin() -> None:
    global code
    code = 0


def end() -> None:
    global last
    last = code


def fail(value: u32) -> None:
    """The running command ends with status value."""
    global code
    code = value
