"""The host shell's file commands on the memfs root, in a booted VM."""
import pytest

pytestmark = pytest.mark.integration


def test_root_layout(vm):
    assert vm.run("ls /") == "d 0 dev\nd 0 etc\nd 0 mnt\nd 0 proc\nd 0 sys\nd 0 tmp"


def test_write_cat_ls_and_remove(vm):
    assert vm.run("mkdir /tmp/work /tmp/work/sub") == ""
    assert vm.run("write /tmp/work/greeting hello from   the host") == ""
    assert vm.run("cat /tmp/work/greeting") == "hello from the host"
    assert vm.run("ls /tmp/work") == " 20 greeting\nd 0 sub"
    assert vm.run("ls -l /tmp/work/greeting") == "-rw-r--r--   1    0    0        20 greeting"
    assert vm.run("cd /tmp/work/sub") == ""
    assert vm.run("pwd") == "/tmp/work/sub"
    assert vm.run("cat ../greeting") == "hello from the host"
    assert vm.run("cd ../../..") == ""
    assert vm.run("pwd") == "/"
    assert vm.run("rm /tmp/work") == "rm: /tmp/work: Directory not empty"
    assert vm.run("rm -r /tmp/work") == ""
    assert vm.run("ls /tmp") == ""


def test_errors_name_the_path(vm):
    assert vm.run("cat /nope") == "cat: /nope: No such file or directory"
    assert vm.run("cd /tmp/../dev/../nothing") == "cd: /tmp/../dev/../nothing: No such file or directory"
    assert vm.run("mkdir /tmp") == "mkdir: /tmp: File exists"
