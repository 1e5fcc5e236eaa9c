#!/usr/bin/env python3
"""csum_pcap.py FILE - writes a pcap of five IPv4 frames with known
checksum verdicts, to prove a tshark filter for bad checksums finds bad
ones (tests/integration/t_linux_net.sh runs it before trusting the filter):

  1  TCP, all checksums right
  2  TCP, TCP checksum wrong
  3  UDP, all checksums right
  4  UDP, UDP checksum wrong
  5  TCP, IP header checksum wrong (TCP right)

The checksums are computed here with a plain RFC 1071 sum, independently
of tshark and of minivmm's net/csum.c; a wrong one is the right one
XOR 0x1111 (IP) or 0x2222 (TCP/UDP), never equal to it.
"""
import struct
import sys

SRC = bytes([10, 77, 0, 1])
DST = bytes([10, 77, 0, 50])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, payload, bad=False):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0,
                      64, proto, 0, SRC, DST)
    c = csum(hdr) ^ (0x1111 if bad else 0)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def l4(proto, seg, off, bad=False):
    pseudo = SRC + DST + struct.pack("!BBH", 0, proto, len(seg))
    c = csum(pseudo + seg)
    if proto == 17 and c == 0:
        c = 0xFFFF      # RFC 768: 0 means "no checksum"
    c ^= 0x2222 if bad else 0
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def main():
    tcp = struct.pack("!HHIIBBHHH", 80, 40000, 1, 0, 0x50, 0x18, 1000, 0,
                      0) + b"hello"
    udp = struct.pack("!HHHH", 5000, 5001, 8 + 4, 0) + b"abcd"
    frames = [ipv4(6, l4(6, tcp, 16)), ipv4(6, l4(6, tcp, 16, True)),
              ipv4(17, l4(17, udp, 6)), ipv4(17, l4(17, udp, 6, True)),
              ipv4(6, l4(6, tcp, 16), True)]
    eth = bytes.fromhex("525400123456" "525400abcdef" "0800")
    with open(sys.argv[1], "wb") as f:
        # pcap global header: magic, v2.4, tz 0, sigfigs 0, snaplen, DLT_EN10MB
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            pkt = eth + fr
            f.write(struct.pack("<IIII", i, 0, len(pkt), len(pkt)) + pkt)


if __name__ == "__main__":
    main()
