#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Relay one connection between stdin/stdout and HOST:PORT.

QEMU's user-mode network spawns this for each guest connection to the
guestfwd address (guestfwd=tcp:10.0.2.100:8474-cmd:relay.py HOST PORT), so
the guest reaches exactly one service on the host's loopback and nothing else
(the netdev has restrict=on).  A tcp: chardev would connect once, at QEMU's
start, and serve a single guest connection; the agent may make several.
"""
import os
import select
import socket
import sys


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as e:
        print(f"relay: {host}:{port}: {e}", file=sys.stderr)
        return 1
    sock.settimeout(None)
    rfd, wfd = sys.stdin.fileno(), sys.stdout.fileno()
    inputs = [rfd, sock]
    while inputs:
        ready, _, _ = select.select(inputs, [], [], 120)
        if not ready:
            return 1
        if rfd in ready:
            data = os.read(rfd, 65536)
            if data:
                sock.sendall(data)
            else:
                inputs.remove(rfd)
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        if sock in ready:
            data = sock.recv(65536)
            if not data:
                return 0
            view = memoryview(data)
            while view:
                n = os.write(wfd, view)
                view = view[n:]
    return 0


if __name__ == "__main__":
    sys.exit(main())
