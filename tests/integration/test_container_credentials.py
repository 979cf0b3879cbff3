"""config.json's credentials applied inside a container (issue 17): process.capabilities (runc's default
set less CAP_CHOWN and CAP_NET_BIND_SERVICE, for a root init; NET_BIND_SERVICE as an ambient capability
for a uid-1000 init), noNewPrivileges, user.additionalGids, rlimits (RLIMIT_FSIZE enforced, RLIMIT_NOFILE
shown) and oomScoreAdj, as /proc/self/status, id, ulimit and the refused operations show them."""
import pytest

from busybox_bundles import busybox_disk
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration, needs("umoci")]

CAPS = {"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "FSETID": 4, "KILL": 5, "SETGID": 6, "SETUID": 7, "SETPCAP": 8,
        "NET_BIND_SERVICE": 10, "NET_RAW": 13, "SYS_CHROOT": 18, "MKNOD": 27, "AUDIT_WRITE": 29, "SETFCAP": 31}
RUNC_DEFAULT = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
                "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"]
REDUCED = [c for c in RUNC_DEFAULT if c not in ("CHOWN", "NET_BIND_SERVICE")]
FSIZE = 64 * 1024
STATUS = "grep -E '^(Cap|NoNewPrivs|Groups)' /proc/self/status"
ROOT_SCRIPT = (f"{STATUS}; cat /proc/self/oom_score_adj; id; ulimit -n; ulimit -f; "
               "touch /tmp/x; chown 1000 /tmp/x; echo chown=$?; "
               "httpd -p 80 -h /tmp; echo httpd80=$?; httpd -p 8080 -h /tmp; echo httpd8080=$?; "
               "trap '' XFSZ; dd if=/dev/zero of=/tmp/big bs=1024 count=128; echo dd=$?; wc -c < /tmp/big; "
               "trap - XFSZ; sh -c 'dd if=/dev/zero of=/tmp/big2 bs=1024 count=128'; echo killed=$?")
USER_SCRIPT = f"{STATUS}; id; httpd -p 80 -h /tmp; echo httpd80=$?"


def names(caps: list[str]) -> list[str]:
    return [f"CAP_{c}" for c in caps]


def mask(caps: list[str]) -> str:
    return f"{sum(1 << CAPS[c] for c in caps):016x}"


@pytest.fixture(scope="module")
def console(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("credentials")
    reduced = {"bounding": names(REDUCED), "effective": names(REDUCED), "permitted": names(REDUCED)}
    ambient = {s: names(["NET_BIND_SERVICE"]) for s in ("bounding", "effective", "permitted", "inheritable", "ambient")}
    disk = busybox_disk(work, {
        "r": {"terminal": True, "args": ["sh", "-c", ROOT_SCRIPT], "capabilities": reduced, "noNewPrivileges": True,
              "user": {"uid": 0, "gid": 0, "additionalGids": [20, 10]}, "oomScoreAdj": -500,
              "rlimits": [{"type": "RLIMIT_FSIZE", "soft": FSIZE, "hard": FSIZE},
                          {"type": "RLIMIT_NOFILE", "soft": 64, "hard": 64}]},
        "u": {"terminal": True, "args": ["sh", "-c", USER_SCRIPT], "capabilities": ambient, "noNewPrivileges": False,
              "user": {"uid": 1000, "gid": 1000, "additionalGids": [30]}},
    })
    c = Console(image, work, data_disk=disk)
    c.wait_for_prompt()
    yield c
    c.close()


def start(console, name: str) -> list[str]:
    assert console.run(f"tar mnt/{name}.tar /{name}", timeout=120) == ""
    assert console.run(f"oci-runtime create {name} /{name}") == f"container {name} created"
    return [line.strip() for line in console.run(f"oci-runtime start {name}", timeout=180).splitlines()]


@pytest.fixture(scope="module")
def root_out(console):
    return start(console, "r")


@pytest.fixture(scope="module")
def user_out(console):
    return start(console, "u")


def test_a_root_init_holds_the_configured_bounding_set(root_out):
    joined = "\n".join(root_out).replace("\t", " ")
    for line in ("CapInh: 0000000000000000", f"CapPrm: {mask(REDUCED)}", f"CapEff: {mask(REDUCED)}",
                 f"CapBnd: {mask(REDUCED)}", "CapAmb: 0000000000000000", "NoNewPrivs: 1", "Groups: 10 20"):
        assert line in joined, (line, root_out)


def test_dropped_capabilities_refuse_what_they_guard(root_out):
    assert "chown=1" in root_out and any("Operation not permitted" in line for line in root_out), root_out
    assert "httpd80=1" in root_out and any("Permission denied" in line for line in root_out), root_out
    assert "httpd8080=0" in root_out  # an unprivileged port needs nothing


def test_ids_limits_and_oom_score_adj(root_out):
    assert "-500" in root_out
    assert any(line.startswith("uid=0(root) gid=0(root) groups=") and "10" in line and "20" in line
               for line in root_out), root_out
    assert "64" in root_out  # ulimit -n
    assert str(FSIZE // 512) in root_out  # ulimit -f counts 512-byte blocks


def test_rlimit_fsize_stops_a_write_with_efbig_and_sigxfsz(root_out):
    assert any("File too large" in line for line in root_out), root_out
    assert "dd=1" in root_out and str(FSIZE) in root_out  # the file stopped at the limit
    assert "killed=153" in root_out  # 128 + SIGXFSZ: the default action


def test_a_non_root_init_keeps_its_ambient_capability(user_out):
    joined = "\n".join(user_out).replace("\t", " ")
    for line in ("CapInh: 0000000000000400", "CapPrm: 0000000000000400", "CapEff: 0000000000000400",
                 "CapBnd: 0000000000000400", "CapAmb: 0000000000000400", "NoNewPrivs: 0", "Groups: 30"):
        assert line in joined, (line, user_out)
    assert any(line.startswith("uid=1000 gid=1000 groups=") and "30" in line for line in user_out), user_out
    assert "httpd80=0" in user_out  # NET_BIND_SERVICE, ambient across the runtime's execve
