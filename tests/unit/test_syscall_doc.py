"""docs/linux-syscalls.md is generated from the kernel's system-call table and must match it."""
from cyrius import syscall_doc


def test_compatibility_list_is_generated_from_the_table():
    rows = syscall_doc.collect()
    names = {name: (support, note) for _, name, support, note in rows}
    assert names["read"][0] != "ENOSYS" or names["fork"][0] == "full"
    assert names["clone"][0] == "partial" and "thread" in names["clone"][1]
    assert names["io_uring_setup"][0] == "ENOSYS"
    assert syscall_doc.DOC.read_text() == syscall_doc.render(rows), "run: python -m cyrius.syscall_doc"
