#!/usr/bin/env python3
"""Writes the vmlinux ELF inside a bzImage: extract-vmlinux.py BZIMAGE OUT.

The nested test bed boots Linux both ways users do: the bzImage, and the
bare vmlinux ELF (what `make` leaves in a kernel tree, and what
minivmm loads with no decompression at all).  Debian ships only the
bzImage, so the ELF is taken from it here.  The payload's place comes from
the setup header (Linux boot protocol 2.08+: payload_offset at 0x248 and
payload_length at 0x24c, counted from the end of the real-mode setup),
not from a search for magic bytes that could also occur in the setup code.
"""
import lzma
import struct
import sys
import zlib


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-vmlinux.py BZIMAGE OUT")
    data = open(sys.argv[1], "rb").read()
    if len(data) < 0x250 or data[0x202:0x206] != b"HdrS":
        sys.exit(f"extract-vmlinux: {sys.argv[1]}: not a bzImage")
    setup_sects = data[0x1f1] or 4
    off, length = struct.unpack_from("<II", data, 0x248)
    start = (setup_sects + 1) * 512 + off
    payload = data[start:start + length]
    # One stream each: the kernel's build appends the 4-byte uncompressed
    # size after it, which a multi-stream reader would take for a second one.
    if payload[:6] == b"\xfd7zXZ\x00":
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    elif payload[:2] == b"\x1f\x8b":
        elf = zlib.decompressobj(wbits=31).decompress(payload)
    else:
        sys.exit(f"extract-vmlinux: payload format {payload[:4].hex()} not handled here (xz and gzip are)")
    if elf[:4] != b"\x7fELF":
        sys.exit("extract-vmlinux: the payload is not an ELF")
    with open(sys.argv[2], "wb") as f:
        f.write(elf)


main()
