#!/usr/bin/env python3
"""Host-side peer for the probe guest (firmware/probe).

Serves, on one address:
  UDP PORT  echo: every datagram goes back to its sender, except
            "DISCARD ..." (counted, not answered; blast=tx) and
            "BLAST <payload-len> <count>" (answered with <count> datagrams
            of that length, each starting "BLAST "; blast=rx).
  TCP PORT  one request line per connection, then close:
            "GET n\\n" -> "HASH 0x<fnv1a64 of the n bytes>\\n" + n stream bytes
            "PUT n\\n" + n bytes -> "HASH 0x<fnv1a64 of what arrived> <count>\\n"

The stream and the hash are the probe's (firmware/probe/stream.c): byte k
is byte k%4 (little-endian) of mix32(k//4), mix32 the murmur3 finaliser of
i*0x9e3779b1+0x7f4a7c15; FNV-1a 64 over the bytes.

Prints "PEER udp=<port> tcp=<port>" once listening (port 0 = pick one),
logs one line per connection on stderr, exits after --timeout seconds.
"""
import argparse
import socket
import sys
import threading
import time

M32 = 0xFFFFFFFF
FNV_INIT = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
M64 = (1 << 64) - 1


def mix32(i):
    x = (i * 0x9E3779B1 + 0x7F4A7C15) & M32
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & M32
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & M32
    x ^= x >> 16
    return x


def fnv1a64(data, h=FNV_INIT):
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & M64
    return h


_cache = {}
_cache_lock = threading.Lock()


def stream(n):
    """First n stream bytes and their hash (cached: transfers repeat sizes)."""
    with _cache_lock:
        if n not in _cache:
            words = (n + 3) // 4
            data = b"".join(mix32(i).to_bytes(4, "little") for i in range(words))[:n]
            _cache[n] = (data, fnv1a64(data))
        return _cache[n]


def log(msg):
    print("peer: " + msg, file=sys.stderr, flush=True)


def udp_server(sock):
    discarded = 0
    while True:
        data, addr = sock.recvfrom(65535)
        if data.startswith(b"DISCARD"):
            discarded += 1
            if discarded % 10000 == 0:
                log("udp discarded %d" % discarded)
            continue
        if data.startswith(b"BLAST "):
            try:
                _, plen, count = data.split()
                plen, count = int(plen), int(count)
            except ValueError:
                continue
            payload = (b"BLAST " + b"b" * max(0, plen - 6))[:max(plen, 6)]
            for _ in range(count):
                sock.sendto(payload, addr)
            log("udp blast %d x %d to %s:%d" % (count, len(payload), *addr))
            continue
        sock.sendto(data, addr)


def recv_line(conn):
    line = b""
    while not line.endswith(b"\n") and len(line) < 64:
        b = conn.recv(1)
        if not b:
            break
        line += b
    return line.decode("ascii", "replace").strip()


def tcp_conn(conn, addr):
    with conn:
        conn.settimeout(30)
        req = recv_line(conn)
        parts = req.split()
        if len(parts) != 2 or parts[0] not in ("GET", "PUT") or not parts[1].isdigit():
            log("tcp %s:%d bad request %r" % (addr[0], addr[1], req))
            return
        n = int(parts[1])
        t0 = time.time()
        if parts[0] == "GET":
            data, h = stream(n)
            conn.sendall(b"HASH 0x%016x\n" % h)
            conn.sendall(data)
            log("tcp GET %d fnv=%016x %.0f ms" % (n, h, (time.time() - t0) * 1000))
        else:
            got = bytearray()
            while len(got) < n:
                chunk = conn.recv(min(262144, n - len(got)))
                if not chunk:
                    break
                got += chunk
            want, wh = stream(n)
            # Equal to the stream: its hash is already known; else hash it.
            h = wh if bytes(got) == want else fnv1a64(got)
            conn.sendall(b"HASH 0x%016x %d\n" % (h, len(got)))
            log("tcp PUT %d got %d fnv=%016x %s %.0f ms" % (
                n, len(got), h, "ok" if h == wh and len(got) == n else "MISMATCH",
                (time.time() - t0) * 1000))
        conn.shutdown(socket.SHUT_WR)
        # Drain until the guest closes, so its FIN is taken cleanly.
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass


def tcp_server(sock):
    while True:
        conn, addr = sock.accept()
        threading.Thread(target=tcp_conn, args=(conn, addr), daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--udp", type=int, default=0)
    ap.add_argument("--tcp", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--warm", type=int, default=1 << 20,
                    help="precompute the stream of this size (bytes=)")
    args = ap.parse_args()

    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    us.bind((args.bind, args.udp))
    ts = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ts.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ts.bind((args.bind, args.tcp))
    ts.listen(8)
    if args.warm:
        stream(args.warm)
    print("PEER udp=%d tcp=%d" % (us.getsockname()[1], ts.getsockname()[1]), flush=True)
    threading.Thread(target=udp_server, args=(us,), daemon=True).start()
    threading.Thread(target=tcp_server, args=(ts,), daemon=True).start()
    time.sleep(args.timeout)


if __name__ == "__main__":
    main()
