#!/bin/sh
# Set up a Debian 12 machine for Cyrius: system packages (as root, or through sudo) and a Python
# virtual environment in .venv with the cyrius package installed in editable mode.
set -eu
cd "$(dirname "$0")/.."

# procps and tar: tests copy /bin/ps into a container and compare with GNU tar's archives; Debian images
# without them would otherwise skip those tests. runc and crun: tests start the config.json their
# `spec` writes. golang-go, redis-server and redis-tools: Debian programs the integration tests run in
# containers (a Go binary built at test time, redis-server with redis-cli).
PACKAGES="gcc binutils make python3 python3-venv python3-pip qemu-system-x86 ovmf gnu-efi mtools dosfstools
busybox-static umoci musl-tools gdb procps tar runc crun golang-go redis-server redis-tools"

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "[setup] installing system packages:$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi

# Debian's own Python (the python3 package above), not whichever python3 comes first on PATH (pyenv, a
# venv): the README's machine has only this one. A .venv made from another Python (or broken) is made
# again, so tests never pass here on an interpreter a fresh machine does not have.
PYTHON=/usr/bin/python3
if [ ! -x .venv/bin/python ]; then
    echo "[setup] creating .venv with $PYTHON"
    "$PYTHON" -m venv --clear .venv
elif [ "$(readlink -f .venv/bin/python)" != "$(readlink -f "$PYTHON")" ]; then
    echo "[setup] .venv uses $(readlink -f .venv/bin/python), not $PYTHON: making it again"
    "$PYTHON" -m venv --clear .venv
fi
echo "[setup] installing cyrius and its test tools into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
echo "[setup] ready: .venv/bin/cyrius"
