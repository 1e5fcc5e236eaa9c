#!/usr/bin/env python3
"""Talks to the nested bed's L1 QEMU over its QMP socket (tests/nested/l1.sh).

Usage: l1-monitor.py SOCKET state

  state  prints where L1's vCPU is: its registers and the instructions at
         RIP, for the record of a stall (tests/integration/t_nested.sh).
         In guest mode RIP is L2's, which QEMU cannot read ("unable to
         read memory").

QMP rather than the human monitor: its replies are JSON, with no line
editing echoed back.  Exits 1 with one line if QEMU does not answer.
"""
import json
import socket
import sys


def command(sock_file, execute, arguments=None):
    msg = {"execute": execute}
    if arguments:
        msg["arguments"] = arguments
    sock_file.write(json.dumps(msg) + "\n")
    sock_file.flush()
    while True:
        line = sock_file.readline()
        if not line:
            raise OSError("QEMU closed the QMP socket")
        reply = json.loads(line)
        # Events (a STOP, say) come in between; skip them.
        if "return" in reply or "error" in reply:
            return reply


def main():
    if len(sys.argv) != 3 or sys.argv[2] != "state":
        print("usage: l1-monitor.py SOCKET state", file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(path)
            f = s.makefile("rw")
            f.readline()  # the greeting
            command(f, "qmp_capabilities")
            for hmp in ("info registers", "x/8i $pc"):
                reply = command(f, "human-monitor-command", {"command-line": hmp})
                print("== " + hmp)
                print(reply.get("return", json.dumps(reply)).rstrip())
    except (OSError, ValueError) as e:
        print("l1-monitor: %s: %s" % (path, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
