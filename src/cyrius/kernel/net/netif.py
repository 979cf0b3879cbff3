"""A network interface: what the protocol modules know of a network device.

A driver fills one NetIf per device (its MAC, its transmit and receive-poll functions) and the
stack sets `input` (where received frames go) and `wake` (what an interrupt calls to get the
network thread running). IPv4 configuration (by DHCP or the static fallback) lives here too, with
the counters `ifconfig` shows.

Transmission never copies: the stack asks the driver for a frame buffer (tx_alloc), builds the
frame in place and hands it back with tx_send (or returns it unused with tx_free).
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, struct, u8, u32, u64

ETH_HEADER: Final = 14
MTU: Final = 1500
FRAME_MAX: Final = ETH_HEADER + MTU  # no FCS: devices add and check it
MAC_LEN: Final = 6

# NetIf.configured_by
CONF_NONE: Final = 0
CONF_DHCP: Final = 1
CONF_STATIC: Final = 2


@struct
class NetIf:
    name: Ptr[u8]  # b"eth0"
    kind: Ptr[u8]  # b"virtio-net"
    mac: Array[u8, MAC_LEN]
    link_up: bool
    mtu: u32
    ip: u32  # host order; 0 until configured
    mask: u32
    gateway: u32
    dns: u32
    configured_by: u32
    driver: Ptr[None]  # the driver's per-device state
    # Set by the driver:
    tx_alloc: Callable[[Ptr["NetIf"]], Ptr[u8]]  # a FRAME_MAX-byte frame buffer, NULL if none is free
    tx_send: Callable[[Ptr["NetIf"], Ptr[u8], u32], None]  # transmit a frame from tx_alloc (consumes it)
    tx_free: Callable[[Ptr["NetIf"], Ptr[u8]], None]  # give back a frame buffer unsent
    rx_poll: Callable[[Ptr["NetIf"], u32], u32]  # hand up to n received frames to `input`; how many
    # Set by the stack:
    input: Callable[[Ptr["NetIf"], Ptr[u8], u32], None]  # one received frame (Ethernet header first)
    wake: Callable[[Ptr["NetIf"]], None]  # interrupt context: frames arrived or transmit room freed
    # Counters.
    rx_packets: u64
    rx_bytes: u64
    rx_dropped: u64  # not for us, unknown protocol, or no buffer
    rx_errors: u64  # malformed
    tx_packets: u64
    tx_bytes: u64
    tx_dropped: u64  # no buffer, no route, no ARP answer
    wakeups: u64  # times the driver woke the stack from interrupt context


primary: Ptr[NetIf] = NULL  # the interface the stack uses (one for now)
clock: Callable[[], u64] = NULL  # nanoseconds; clock.now_ns in the kernel, a fake in tests
dns_known: Callable[[u32], None] = NULL  # told the DNS server an interface was configured with


def now() -> u64:
    if clock == NULL:
        return 0
    return clock()


def alloc_frame(nif: Ptr[NetIf]) -> Ptr[u8]:
    frame: Ptr[u8] = nif.tx_alloc(nif)
    if frame == NULL:
        nif.tx_dropped += 1
    return frame


def send_frame(nif: Ptr[NetIf], frame: Ptr[u8], length: u32) -> None:
    nif.tx_packets += 1
    nif.tx_bytes += u64(length)
    nif.tx_send(nif, frame, length)


def drop_frame(nif: Ptr[NetIf], frame: Ptr[u8]) -> None:
    """A frame that will not be sent after all (counted as a transmit drop)."""
    nif.tx_dropped += 1
    nif.tx_free(nif, frame)


def same_subnet(nif: Ptr[NetIf], ip: u32) -> bool:
    return (ip & nif.mask) == (nif.ip & nif.mask)


def is_broadcast(nif: Ptr[NetIf], ip: u32) -> bool:
    """The limited broadcast, or the directed broadcast of the interface's subnet."""
    if ip == 0xFFFFFFFF:
        return True
    return nif.mask != 0 and nif.mask != 0xFFFFFFFF and same_subnet(nif, ip) and (ip | nif.mask) == 0xFFFFFFFF


def configure(nif: Ptr[NetIf], ip: u32, mask: u32, gateway: u32, dns: u32, how: u32) -> None:
    nif.ip = ip
    nif.mask = mask
    nif.gateway = gateway
    nif.dns = dns
    nif.configured_by = how
    if dns != 0 and dns_known != NULL:
        dns_known(dns)
