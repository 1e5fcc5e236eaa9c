#!/usr/bin/env python3
"""make_seeds.py - writes the seed corpora tests/fuzz/corpus/<target>/.

A few valid inputs per target, in each target's input layout (see the
comment at the top of each fuzz_*.c), so fuzzing starts from inputs that
reach deep code instead of having to discover the layouts.  Checksums here
are computed with a naive one's-complement sum written for this script.
Run it again after changing a target's input layout; the seeds are
committed, so tests do not depend on it.
"""
import gzip
import lzma
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def csum(data, start=0):
    s = start
    if len(data) % 2:
        data += b"\0"
    for i in range(0, len(data), 2):
        s += data[i] << 8 | data[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def vnet_hdr(flags=0, gso=0, hdr_len=0, gso_size=0, cs_start=0, cs_off=0, nbuf=0):
    return struct.pack("<BBHHHHH", flags, gso, hdr_len, gso_size, cs_start, cs_off, nbuf)


ETH = bytes.fromhex("525400123456" "020000000001")


def ipv4_tcp(payload, partial=False):
    tcp_len = 20 + len(payload)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tcp_len, 0x1234, 0x4000, 64, 6, 0,
                               bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2])))
    ip[10:12] = struct.pack("!H", ~csum(bytes(ip)) & 0xFFFF)
    tcp = bytearray(struct.pack("!HHIIBBHHH", 40000, 80, 1000, 1, 5 << 4, 0x18, 65535, 0, 0)) + payload
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, tcp_len)
    if partial:
        tcp[16:18] = struct.pack("!H", csum(bytes(pseudo)))
    else:
        tcp[16:18] = struct.pack("!H", ~csum(bytes(pseudo) + bytes(tcp)) & 0xFFFF)
    return ETH + b"\x08\x00" + bytes(ip) + bytes(tcp)


def ipv4_udp(payload):
    udp_len = 8 + len(payload)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0, 64, 17, 0,
                               bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2])))
    ip[10:12] = struct.pack("!H", ~csum(bytes(ip)) & 0xFFFF)
    udp = bytearray(struct.pack("!HHHH", 5000, 7, udp_len, 0)) + payload
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, udp_len)
    udp[6:8] = struct.pack("!H", (~csum(bytes(pseudo) + bytes(udp)) & 0xFFFF) or 0xFFFF)
    return ETH + b"\x08\x00" + bytes(ip) + bytes(udp)


def ipv6_tcp(payload):
    tcp_len = 20 + len(payload)
    src = bytes.fromhex("fec00000000000000000000000000015")
    dst = bytes.fromhex("fec00000000000000000000000000002")
    ip = struct.pack("!IHBB", 6 << 28, tcp_len, 6, 64) + src + dst
    tcp = bytearray(struct.pack("!HHIIBBHHH", 40000, 80, 1000, 1, 5 << 4, 0x18, 65535, 0, 0)) + payload
    pseudo = src + dst + struct.pack("!II", tcp_len, 6)
    tcp[16:18] = struct.pack("!H", ~csum(pseudo + bytes(tcp)) & 0xFFFF)
    return ETH + b"\x86\xdd" + ip + bytes(tcp)


def arp():
    return (b"\xff" * 6 + ETH[6:] + b"\x08\x06" +
            bytes.fromhex("0001080006040001") + ETH[6:] + bytes([10, 0, 2, 15]) +
            b"\0" * 6 + bytes([10, 0, 2, 2]))


def vlan_icmp():
    icmp = bytearray(b"\x08\x00\x00\x00\x00\x01\x00\x01" + b"ping")
    icmp[2:4] = struct.pack("!H", ~csum(bytes(icmp)) & 0xFFFF)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 2, 0, 64, 1, 0,
                               bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2])))
    ip[10:12] = struct.pack("!H", ~csum(bytes(ip)) & 0xFFFF)
    return ETH + b"\x81\x00\x00\x05\x08\x00" + bytes(ip) + bytes(icmp)


PAY = bytes((i * 7 + 3) & 0xFF for i in range(400))
FRAMES = {
    "tcp4": vnet_hdr() + ipv4_tcp(PAY[:64]),
    "tcp4_partial": vnet_hdr(1, 0, 0, 0, 34, 16) + ipv4_tcp(PAY[:100], partial=True),
    "tso4": vnet_hdr(1, 1, 54, 100, 34, 16) + ipv4_tcp(PAY, partial=True),
    "tso6": vnet_hdr(1, 4, 74, 120, 54, 16) + ipv6_tcp(PAY),
    "ufo": vnet_hdr(1, 3, 42, 200, 34, 6) + ipv4_udp(PAY),
    "uso": vnet_hdr(1, 5, 42, 150, 34, 6) + ipv4_udp(PAY),
    "udp4": vnet_hdr() + ipv4_udp(PAY[:40]),
    "arp": vnet_hdr() + arp(),
    "vlan_icmp": vnet_hdr() + vlan_icmp(),
}

ALL = b"\xff" * 8


def net_seeds():
    for name, f in FRAMES.items():
        write("fuzz_packet", name, f[12:])
        for accepts in (0x00, 0x01, 0x1F):
            write("fuzz_offload", "%s_%02x" % (name, accepts), bytes([accepts]) + f)
        # TX: caps, options, queue size 64, every feature, one send op.
        for caps, shape in ((0, 1), (3, 2), (1, 0), (0, 5)):
            write("fuzz_virtio_net_tx", "%s_c%d_s%d" % (name, caps, shape),
                  bytes([caps, 0, 5]) + ALL + bytes([0]) + struct.pack("<H", len(f)) +
                  bytes([shape]) + f)
        # RX: post 4 buffers of 2 KiB (split header), frame from the backend.
        for caps, opts in ((0, 0), (3, 0), (3, 4)):
            write("fuzz_virtio_net_rx", "%s_c%d_o%d" % (name, caps, opts),
                  bytes([caps, opts, 5]) + ALL + bytes([0, 3]) + struct.pack("<H", 2047) +
                  bytes([1]) + bytes([1]) + struct.pack("<H", len(f)) + f + bytes([2]))
    # RX with small buffers and MRG_RXBUF; then a control-queue command.
    write("fuzz_virtio_net_rx", "mrg_small_bufs",
          bytes([3, 0, 5]) + ALL + bytes([0, 15]) + struct.pack("<H", 100) + bytes([0]) +
          bytes([1]) + struct.pack("<H", len(FRAMES["tso4"])) + FRAMES["tso4"])
    # RX without MRG_RXBUF into chains of more pieces than recv() takes
    # (issue 13): 64 direct pieces, and 127 through an indirect table.
    for name, shape in (("long_chain_direct", 0x10), ("long_chain_indirect", 0xF4)):
        write("fuzz_virtio_net_rx", name,
              bytes([0, 4, 5]) + ALL + bytes([0, 0]) + struct.pack("<H", 2047) +
              bytes([shape]) + bytes([1]) + struct.pack("<H", len(FRAMES["tcp4"])) +
              FRAMES["tcp4"] + bytes([2]))
    write("fuzz_virtio_net_rx", "ctrl_promisc",
          bytes([0, 0, 5]) + ALL + bytes([3, 0, 0, 1, 1]))


def virtqueue_seeds():
    ram = bytearray(16 << 10)
    base = 0x10000
    # size 8; desc at 0, avail at 0x100, used at 0x200; data at 0x1000.
    def desc(i, addr, ln, flags, nxt):
        ram[16 * i:16 * i + 16] = struct.pack("<QIHH", addr, ln, flags, nxt)
    desc(0, base + 0x1000, 12, 1, 1)
    desc(1, base + 0x1100, 100, 1, 2)
    desc(2, base + 0x1200, 200, 2, 0)
    desc(3, base + 0x2000, 32, 4, 0)          # indirect table, 2 entries
    ram[0x2000:0x2010] = struct.pack("<QIHH", base + 0x1300, 50, 1, 1)
    ram[0x2010:0x2020] = struct.pack("<QIHH", base + 0x1400, 60, 2, 0)
    ram[0x100:0x108] = struct.pack("<HHHH", 0, 2, 0, 3)
    ops = bytes([0, 0, 3, 4, 5, 7, 0, 0x80, 0])
    hdr = bytes([2, 3]) + struct.pack("<HHH", 0, 0x100, 0x200) + bytes([len(ops)]) + ops
    write("fuzz_virtqueue", "two_chains_one_indirect", hdr + bytes(ram[:0x2100]))
    desc(4, base + 0x1000, 8, 1, 4)             # a loop
    ram[0x100:0x106] = struct.pack("<HHH", 0, 1, 4)
    write("fuzz_virtqueue", "loop", hdr + bytes(ram[:0x2100]))


def tiny_elf(pvh=True):
    """ELF64 x86-64: one PT_LOAD at 1 MiB (16 bytes of code), a PVH note."""
    note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", 0x100000)
    code = b"\xf4" * 16
    phnum = 2 if pvh else 1
    ehsize, phsize = 64, 56
    off = ehsize + phnum * phsize
    eh = (b"\x7fELF\x02\x01\x01" + b"\0" * 9 +
          struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x100000, ehsize, 0, 0, ehsize, phsize,
                      phnum, 0, 0, 0))
    ph = struct.pack("<IIQQQQQQ", 1, 5, off, 0x100000, 0x100000, len(code), 0x1000, 0x1000)
    if pvh:
        ph += struct.pack("<IIQQQQQQ", 4, 4, off + len(code), 0, 0, len(note), len(note), 4)
    return eh + ph + code + (note if pvh else b"")


def bzimage(payload, usize):
    img = bytearray(1024)
    img[0x1f1] = 1                                   # setup_sects: setup is 1 KiB
    img[0x1fe:0x200] = b"\x55\xaa"
    img[0x202:0x206] = b"HdrS"
    img[0x206:0x208] = struct.pack("<H", 0x020F)
    img[0x211] = 0x01                                # loadflags
    img[0x234] = 1                                   # relocatable_kernel
    img[0x236:0x238] = struct.pack("<H", 0x1)        # XLF_KERNEL_64
    img[0x238:0x23c] = struct.pack("<I", 2047)       # cmdline_size
    pm = bytearray(0x40) + payload + struct.pack("<I", usize)
    img[0x248:0x24c] = struct.pack("<I", 0x40)       # payload_offset
    img[0x24c:0x250] = struct.pack("<I", len(payload) + 4)
    img[0x260:0x264] = struct.pack("<I", 0x100000)   # init_size
    return bytes(img) + bytes(pm)


def image_seeds():
    elf = tiny_elf()
    write("fuzz_elf", "pvh", elf)
    write("fuzz_elf", "no_note", tiny_elf(False))
    write("fuzz_bzimage", "gzip", bzimage(gzip.compress(elf, mtime=0), len(elf)))
    write("fuzz_bzimage", "xz", bzimage(lzma.compress(elf, format=lzma.FORMAT_XZ,
                                                     check=lzma.CHECK_CRC32), len(elf)))
    write("fuzz_bzimage", "lzma", bzimage(lzma.compress(elf, format=lzma.FORMAT_ALONE), len(elf)))
    write("fuzz_bzimage", "none", bzimage(elf, len(elf)))


def emulate_seeds():
    codes = {
        "int3": b"\xcc", "int_80": b"\xcd\x80", "clac": b"\x0f\x01\xca",
        "stac": b"\x0f\x01\xcb", "popcnt": b"\xf3\x48\x0f\xb8\xc1", "fwait": b"\x9b",
        "ldmxcsr": b"\x0f\xae\x10", "stmxcsr": b"\x0f\xae\x18",
        "movd_xmm15": b"\x66\x44\x0f\x6e\xf9", "cmpxchg16b": b"\x48\x0f\xc7\x0e",
        "fxsave64": b"\x48\x0f\xae\x00", "iret": b"\xcf", "xrstor": b"\x0f\xae\x28",
    }
    for name, code in codes.items():
        body = code.ljust(16, b"\x90")
        # rax/rsi point at data, rcx a value: "reg 0 = DATA", "reg 4 = DATA".
        ops = (bytes([0, 0]) + struct.pack("<Q", 0x11000) + bytes([0, 4]) +
               struct.pack("<Q", 0x11000) + bytes([0, 2]) + struct.pack("<Q", 0xF0F0))
        write("fuzz_emulate", name + "_long", bytes([0, 1]) + body + ops)
        write("fuzz_emulate", name + "_ring3", bytes([1, 1]) + body + ops)
    write("fuzz_emulate", "iret_32", bytes([2, 1]) + b"\xcf".ljust(16, b"\x90"))
    write("fuzz_emulate", "int3_pae", bytes([3, 0]) + b"\xcc".ljust(16, b"\x90"))
    write("fuzz_emulate", "int3_real", bytes([5, 0]) + b"\xcc".ljust(16, b"\x90"))


def pci_seeds():
    def cfg_w(off, val, ln=4):
        return bytes([0 | {1: 0, 2: 8, 4: 16}[ln], 1, off]) + struct.pack("<I", val)

    def cfg_r(off, ln=4):
        return bytes([1 | {1: 0, 2: 8, 4: 16}[ln], 1, off]) + struct.pack("<I", 0)

    def bar_w(off, val, ln):
        return bytes([2 | {1: 0, 2: 8, 4: 16, 8: 24}[ln]]) + struct.pack("<HQ", off, val)

    def bar_r(off, ln):
        return bytes([3 | {1: 0, 2: 8, 4: 16, 8: 24}[ln]]) + struct.pack("<HQ", off, 0)

    probe = cfg_r(0) + cfg_r(0x34, 1) + cfg_w(0x10, 0xFFFFFFFF) + cfg_r(0x10) + \
        cfg_w(0x10, 0xC0000000) + cfg_w(0x04, 0x6, 2)
    write("fuzz_pci", "bar_sizing", bytes([0, 0, 5]) + probe)
    init = (bar_w(20, 0, 1) + bar_w(20, 1, 1) + bar_w(20, 3, 1) + bar_w(0, 0, 4) +
            bar_r(4, 4) + bar_w(8, 0, 4) + bar_w(12, 1 << 5, 4) + bar_w(20, 0xB, 1) +
            bar_w(22, 1, 2) + bar_w(24, 64, 2) + bar_w(32, 0x100000, 4) +
            bar_w(40, 0x100400, 4) + bar_w(48, 0x100600, 4) + bar_w(28, 1, 2) +
            bar_w(20, 0xF, 1) + bar_w(0x3004, 1, 2) + bar_r(0x1000, 1) + bar_r(0x2000, 4))
    write("fuzz_pci", "driver_init", bytes([0, 0, 5]) + init)
    msix = cfg_r(0x40) + cfg_w(0x42, 0x8000, 2) + bar_w(0x4000, 0xFEE00000, 8) + \
        bar_w(0x4008, 0x41, 4) + bar_w(26, 0, 2) + bar_r(0x5000, 8)
    write("fuzz_pci", "msix", bytes([0, 0, 5]) + init + msix)


def stream_seeds():
    """fuzz_stream: option byte, then steps (0-4 write, 5-6 receive, 7 send)."""
    def framed(frame):
        return struct.pack("!I", len(frame)) + frame

    def write_step(b):
        return bytes([0]) + struct.pack("<H", len(b) - 1) + b

    def recv_step(*caps):
        return bytes([5, len(caps) - 1]) + b"".join(struct.pack("<H", c) for c in caps)

    def send_step(hdr, frame):
        return bytes([7]) + struct.pack("<H", len(frame)) + hdr + frame

    tcp = ipv4_tcp(b"x" * 100)
    wire = framed(arp()) + framed(tcp) + framed(b"\0" * 5) + framed(ipv4_udp(b"y" * 1400))
    # Two frames and a runt, written in pieces that split length words.
    steps = write_step(wire[:3]) + recv_step(2048) + write_step(wire[3:70]) + \
        recv_step(6, 6, 2036) + write_step(wire[70:]) + recv_step(1000, 1000) + recv_step(60)
    write("fuzz_stream", "split_frames", bytes([1]) + steps)
    # A length past the limit after one good frame: the stream must stop.
    bad = framed(arp()) + struct.pack("!I", 0x10000 + 100) + b"z" * 32
    write("fuzz_stream", "oversize", bytes([0]) + write_step(bad) + recv_step(2048) * 3)
    # Sends: one plain, one with NEEDS_CSUM (refused), one GSO (refused).
    sends = send_step(vnet_hdr(), tcp) + send_step(vnet_hdr(flags=1, cs_start=34, cs_off=16), tcp) + \
        send_step(vnet_hdr(gso=1, hdr_len=54, gso_size=1448), tcp)
    write("fuzz_stream", "sends", bytes([1]) + sends + write_step(framed(tcp)) + recv_step(200))


def text_seeds():
    for i, s in enumerate(["slirp", "none", "tap0,csum=off,tso=off,queue_size=64",
                           "slirp,hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53,ipv6=off",
                           "tap=slirp,mac=52:54:00:12:34:57,mrg_rxbuf=off,event_idx=off,indirect=off",
                           "slirp,pcap=/tmp/x.pcap,romfile=/usr/lib/ipxe/qemu/efi-virtio.rom",
                           "passt,passt=/usr/bin/passt,mrg_rxbuf=off",
                           "stream,path=/tmp/passt.socket,csum=off"]):
        write("fuzz_netspec", "spec%d" % i, s.encode())
    for i, argv in enumerate([["-k", "bzImage", "-m", "512M", "-c", "2", "-net", "slirp"],
                              ["--kernel=vmlinux", "-i", "initrd", "-a", "console=ttyS0", "-v"],
                              ["-k", "x", "-net", "tap0", "-net", "none", "--cpuid", "-x2apic,+popcnt"],
                              ["--cpuid=help"], ["-k", "x", "-m", "2G", "--user", "nobody", "--no-seccomp"]]):
        write("fuzz_options", "argv%d" % i, b"\0".join(a.encode() for a in argv))


if __name__ == "__main__":
    net_seeds()
    virtqueue_seeds()
    image_seeds()
    emulate_seeds()
    pci_seeds()
    stream_seeds()
    text_seeds()
    n = sum(len(fs) for _, _, fs in os.walk(OUT))
    print("make_seeds: %d seed files under %s" % (n, os.path.relpath(OUT)), file=sys.stderr)
