"""Ethernet II framing: 6-byte destination and source MACs, a 2-byte EtherType, the payload."""
from cyrius.lang import Final, Ptr, cast, u8, u16, usize
from cyrius.rt import memcpy

from . import wire

DST: Final = 0
SRC: Final = 6
TYPE: Final = 12
HEADER: Final = 14
TYPE_IPV4: Final = 0x0800
TYPE_ARP: Final = 0x0806


def write_header(frame: Ptr[u8], dst: Ptr[u8], src: Ptr[u8], kind: u16) -> None:
    memcpy(cast(Ptr[None], frame + DST), cast(Ptr[None], dst), usize(6))
    memcpy(cast(Ptr[None], frame + SRC), cast(Ptr[None], src), usize(6))
    wire.put16(frame + TYPE, kind)


def set_broadcast(mac: Ptr[u8]) -> None:
    for i in range(6):
        mac[i] = 0xFF


def is_broadcast(mac: Ptr[u8]) -> bool:
    for i in range(6):
        if mac[i] != 0xFF:
            return False
    return True


def same_mac(a: Ptr[u8], b: Ptr[u8]) -> bool:
    for i in range(6):
        if a[i] != b[i]:
            return False
    return True


def kind_of(frame: Ptr[u8]) -> u16:
    return wire.get16(frame + TYPE)
