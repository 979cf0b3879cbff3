"""Network addresses on the console: dotted quads and MACs."""
from cyrius.lang import Ptr, u8, u32, u64

from .. import console


def put_ip(ip: u32) -> None:
    """Dotted quad on the console."""
    console.put_dec(u64(ip >> 24))
    console.puts(b".")
    console.put_dec(u64((ip >> 16) & 0xFF))
    console.puts(b".")
    console.put_dec(u64((ip >> 8) & 0xFF))
    console.puts(b".")
    console.put_dec(u64(ip & 0xFF))


def put_hex_byte(b: u8) -> None:
    digits: Ptr[u8] = b"0123456789abcdef"
    console.putc(digits[b >> 4])
    console.putc(digits[b & 0xF])


def put_mac(mac: Ptr[u8]) -> None:
    for i in range(6):
        if i > 0:
            console.puts(b":")
        put_hex_byte(mac[i])
