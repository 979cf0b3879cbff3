"""Ethernet / IPv4 / UDP headers: packed @structs over a frame buffer, fields in network (big-endian)
byte order converted explicitly, header checksums."""
from cyrius.lang import Array, Final, Ptr, addr, cast, i32, sizeof, struct, u8, u16, u32, u64, usize

from . import checksum

ETHERTYPE_IPV4: Final = 0x0800
PROTO_UDP: Final = 17
ETH_LEN: Final = 14
IP_LEN: Final = 20
UDP_LEN: Final = 8

E_SHORT: Final = -1
E_VERSION: Final = -2
E_LENGTH: Final = -3
E_CHECKSUM: Final = -4
E_NOT_UDP: Final = -5


@struct(packed=True)
class EthHeader:
    dst: Array[u8, 6]
    src: Array[u8, 6]
    ethertype: u16


@struct(packed=True)
class Ipv4Header:
    ver_ihl: u8
    tos: u8
    total_len: u16
    ident: u16
    flags_frag: u16
    ttl: u8
    proto: u8
    checksum: u16
    src: u32
    dst: u32


@struct(packed=True)
class UdpHeader:
    src_port: u16
    dst_port: u16
    length: u16
    checksum: u16


@struct
class PacketInfo:
    """A parsed frame, in host byte order."""
    src_ip: u32
    dst_ip: u32
    src_port: u16
    dst_port: u16
    payload_len: u16
    ttl: u8
    fragment: bool
    ident: u16
    payload_offset: u32


def bswap16(x: u16) -> u16:
    return x << 8 | x >> 8


def bswap32(x: u32) -> u32:
    return (x >> 24) | ((x >> 8) & 0xFF00) | ((x << 8) & 0xFF0000) | (x << 24)


def bswap64(x: u64) -> u64:
    return u64(bswap32(u32(x))) << 32 | u64(bswap32(u32(x >> 32)))


def load_be32(p: Ptr[u8]) -> u32:
    return u32(p[0]) << 24 | u32(p[1]) << 16 | u32(p[2]) << 8 | u32(p[3])


def ipv4_header_checksum(ip: Ptr[Ipv4Header]) -> u16:
    return checksum.inet_checksum(cast(Ptr[u8], ip), usize(sizeof(Ipv4Header)))


def parse_frame(frame: Ptr[u8], n: u32, info: Ptr[PacketInfo]) -> i32:
    """Validate an Ethernet+IPv4+UDP frame and fill `info`; 0 or a negative error."""
    if n < ETH_LEN + IP_LEN + UDP_LEN:
        return E_SHORT
    eth: Ptr[EthHeader] = cast(Ptr[EthHeader], frame)
    if bswap16(eth.ethertype) != ETHERTYPE_IPV4:
        return E_VERSION
    ip: Ptr[Ipv4Header] = cast(Ptr[Ipv4Header], frame + ETH_LEN)
    if ip.ver_ihl >> 4 != 4:
        return E_VERSION
    ihl: u32 = u32(ip.ver_ihl & 0xF) * 4
    total: u32 = u32(bswap16(ip.total_len))
    if ihl < IP_LEN or total < ihl + UDP_LEN or ETH_LEN + total > n:
        return E_LENGTH
    if checksum.inet_checksum(cast(Ptr[u8], ip), usize(ihl)) != 0:
        return E_CHECKSUM
    if ip.proto != PROTO_UDP:
        return E_NOT_UDP
    udp: Ptr[UdpHeader] = cast(Ptr[UdpHeader], cast(Ptr[u8], ip) + ihl)
    udp_len: u32 = u32(bswap16(udp.length))
    if udp_len < UDP_LEN or udp_len > total - ihl:
        return E_LENGTH
    info.src_ip = bswap32(ip.src)
    info.dst_ip = load_be32(frame + ETH_LEN + 16)
    info.src_port = bswap16(udp.src_port)
    info.dst_port = bswap16(udp.dst_port)
    info.payload_len = u16(udp_len - UDP_LEN)
    info.ttl = ip.ttl
    info.fragment = bswap16(ip.flags_frag) & 0x3FFF != 0
    info.ident = bswap16(ip.ident)
    info.payload_offset = ETH_LEN + ihl + UDP_LEN
    return 0


def build_frame(out: Ptr[u8], src_ip: u32, dst_ip: u32, src_port: u16, dst_port: u16, payload: Ptr[u8],
                length: u16, ident: u16) -> u32:
    """Write a complete frame (broadcast MAC, no UDP checksum); return its length."""
    eth: Ptr[EthHeader] = cast(Ptr[EthHeader], out)
    for i in range(6):
        eth.dst[i] = 0xFF
        eth.src[i] = u8(i) * 17
    eth.ethertype = bswap16(ETHERTYPE_IPV4)
    ip: Ptr[Ipv4Header] = cast(Ptr[Ipv4Header], out + ETH_LEN)
    ip.ver_ihl = 0x45
    ip.tos = 0
    ip.total_len = bswap16(u16(IP_LEN + UDP_LEN) + length)
    ip.ident = bswap16(ident)
    ip.flags_frag = bswap16(0x4000)
    ip.ttl = 64
    ip.proto = PROTO_UDP
    ip.checksum = 0
    ip.src = bswap32(src_ip)
    ip.dst = bswap32(dst_ip)
    ip.checksum = bswap16(ipv4_header_checksum(ip))
    udp: Ptr[UdpHeader] = cast(Ptr[UdpHeader], out + ETH_LEN + IP_LEN)
    udp.src_port = bswap16(src_port)
    udp.dst_port = bswap16(dst_port)
    udp.length = bswap16(u16(UDP_LEN) + length)
    udp.checksum = 0
    body: Ptr[u8] = out + ETH_LEN + IP_LEN + UDP_LEN
    for j in range(length):
        body[j] = payload[j]
    return u32(ETH_LEN + IP_LEN + UDP_LEN) + u32(length)


def roundtrip(out: Ptr[u8], src_ip: u32, dst_ip: u32, ports: u32, payload: Ptr[u8], length: u16) -> u64:
    """Build a frame, parse it back, fold what came out into one number."""
    n: u32 = build_frame(out, src_ip, dst_ip, u16(ports >> 16), u16(ports), payload, length, u16(ports * 7))
    info: PacketInfo = PacketInfo()
    err: i32 = parse_frame(out, n, addr(info))
    if err != 0:
        return u64(err)
    return (u64(info.src_ip) ^ u64(info.dst_ip) << 32) + u64(info.src_port) + (u64(info.dst_port) << 16) \
        + u64(info.payload_len) * 3 + u64(info.ttl) + u64(info.fragment) + u64(info.payload_offset)
