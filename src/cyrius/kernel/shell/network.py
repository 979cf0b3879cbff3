"""The shell's network commands: ifconfig (the interface) and netstat (TCP and UDP endpoints)."""
from cyrius.lang import NULL, Ptr, addr, u8, u16, u32, u64

from .. import console
from ..lib import cstr
from ..net import netif, show, tcp, udp
from ..net.netif import NetIf
from ..net.tcp import TcpConn


def dec_length(value: u64) -> u32:
    n: u32 = 1
    while value >= 10:
        value = value // 10
        n += 1
    return n


def ip_length(ip: u32) -> u32:
    return dec_length(u64(ip >> 24)) + dec_length(u64((ip >> 16) & 0xFF)) + dec_length(u64((ip >> 8) & 0xFF)) + \
        dec_length(u64(ip & 0xFF)) + 3


def pad(used: u32, width: u32) -> None:
    while used < width:
        console.puts(b" ")
        used += 1


def endpoint(ip: u32, port: u16, width: u32) -> None:
    """`10.0.2.15:12345` (or `0.0.0.0:*` for no port), padded to width."""
    show.put_ip(ip)
    console.puts(b":")
    used: u32 = ip_length(ip) + 1
    if port == 0:
        console.puts(b"*")
        used += 1
    else:
        console.put_dec(u64(port))
        used += dec_length(u64(port))
    pad(used, width)


def cmd_ifconfig(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    nif: Ptr[NetIf] = netif.primary
    if nif == NULL:
        console.puts(b"ifconfig: no network interface\n")
        return
    console.puts(nif.name)
    console.puts(b": ")
    console.puts(nif.kind)
    console.puts(b" ether ")
    show.put_mac(addr(nif.mac))
    console.puts(b" mtu ")
    console.put_dec(u64(nif.mtu))
    console.puts(b" link up\n" if nif.link_up else b" link down\n")
    console.puts(b"    inet ")
    show.put_ip(nif.ip)
    console.puts(b" netmask ")
    show.put_ip(nif.mask)
    console.puts(b" gateway ")
    show.put_ip(nif.gateway)
    console.puts(b" dns ")
    show.put_ip(nif.dns)
    if nif.configured_by == netif.CONF_DHCP:
        console.puts(b" (dhcp)\n")
    elif nif.configured_by == netif.CONF_STATIC:
        console.puts(b" (static)\n")
    else:
        console.puts(b" (unconfigured)\n")
    console.puts(b"    rx packets ")
    console.put_dec(nif.rx_packets)
    console.puts(b" bytes ")
    console.put_dec(nif.rx_bytes)
    console.puts(b" dropped ")
    console.put_dec(nif.rx_dropped)
    console.puts(b" errors ")
    console.put_dec(nif.rx_errors)
    console.puts(b"\n    tx packets ")
    console.put_dec(nif.tx_packets)
    console.puts(b" bytes ")
    console.put_dec(nif.tx_bytes)
    console.puts(b" dropped ")
    console.put_dec(nif.tx_dropped)
    console.puts(b"\n    wakeups ")
    console.put_dec(nif.wakeups)
    console.puts(b"\n")


def cmd_netstat(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    console.puts(b"Proto Local Address          Foreign Address        State        Recv-Q Send-Q\n")
    c: Ptr[TcpConn] = tcp.conns
    while c != NULL:
        if c.state != tcp.CLOSED:
            console.puts(b"tcp   ")
            endpoint(c.local_ip, c.local_port, u32(23))
            endpoint(c.remote_ip, c.remote_port, u32(23))
            name: Ptr[u8] = tcp.state_name(c.state)
            console.puts(name)
            pad(u32(cstr.length(name)), u32(12))
            console.put_padded(u64(c.rcv.count), u32(7))
            console.put_padded(u64(c.snd.count), u32(7))
            console.puts(b"\n")
        c = c.next
    for i in range(udp.MAX_BINDINGS):
        if udp.bindings[i].port != 0:
            console.puts(b"udp   ")
            endpoint(udp.bindings[i].ip, udp.bindings[i].port, u32(23))
            endpoint(u32(0), u16(0), u32(23))
            console.puts(b"\n")
    console.puts(b"tcp: ")
    console.put_dec(tcp.segments_in)
    console.puts(b" segments in, ")
    console.put_dec(tcp.segments_out)
    console.puts(b" out, ")
    console.put_dec(tcp.retransmitted)
    console.puts(b" retransmitted, ")
    console.put_dec(tcp.resets_sent)
    console.puts(b" resets sent, ")
    console.put_dec(tcp.passive_opens)
    console.puts(b" accepted\n")
