"""Dialect modules shaped like kernel work, run under CPython and compiled for the host by
tests/diff: checksums, bitmaps, ring buffers, packet and FAT headers, byte-buffer walks and
integer edge cases."""
from cyrius.lang import install_host_mode

install_host_mode(__name__)
