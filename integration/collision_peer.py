#!/usr/bin/env python3
"""A scripted BGP peer that opens a second connection to vipd, for RFC 4271 §6.8 tests.

It accepts vipd's connection (A) on port 179 and reads vipd's OPEN there without answering,
then connects to vipd's listener (B) and sends its own OPEN with --id. With --established it
first completes the session on A (OPEN, KEEPALIVE) and only then opens B. Every message vipd
sends is reported as one JSON line with the connection it came on; after a collision the
connection vipd kept is driven to Established.

Usage: collision_peer.py --listen ADDR --vipd ADDR --as N --id A.B.C.D [--established]
"""
import argparse
import json
import select
import socket
import sys
import time

from test_peer import describe, message, open_message, read_message


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--vipd", required=True)
    p.add_argument("--as", dest="asn", type=int, required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--established", action="store_true")
    p.add_argument("--seconds", type=float, default=20)
    a = p.parse_args()
    deadline = time.monotonic() + a.seconds

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((a.listen, 179))
    server.listen(1)
    server.settimeout(a.seconds)
    emit({"event": "listening"})
    conn_a, _ = server.accept()
    first = describe(read_message(conn_a, deadline))
    emit({"conn": "A", **first})
    if a.established:
        conn_a.sendall(open_message(a.asn, 30, a.id))
        while time.monotonic() < deadline:
            d = describe(read_message(conn_a, deadline))
            emit({"conn": "A", **d})
            if d["type"] == "KEEPALIVE":
                conn_a.sendall(message(4))
                emit({"event": "established", "conn": "A"})
                break
    conn_b = socket.create_connection((a.vipd, 179), timeout=5, source_address=(a.listen, 0))
    conn_b.sendall(open_message(a.asn, 30, a.id))
    emit({"event": "connected", "conn": "B"})

    conns = {"A": conn_a, "B": conn_b}
    while conns and time.monotonic() < deadline:
        ready, _, _ = select.select(list(conns.values()), [], [], 0.2)
        for name, conn in list(conns.items()):
            if conn not in ready:
                continue
            try:
                raw = read_message(conn, deadline)
            except (socket.timeout, ConnectionResetError):
                raw = None
            if raw is None:
                emit({"event": "closed", "conn": name})
                del conns[name]
                continue
            d = describe(raw)
            emit({"conn": name, **d})
            if d["type"] == "NOTIFICATION" and name == "B" and "A" in conns and not a.established:
                # vipd kept its own connection: carry on there, where its OPEN waits for ours.
                conns["A"].sendall(open_message(a.asn, 30, a.id))
            elif d["type"] == "KEEPALIVE":
                conn.sendall(message(4))
            elif d["type"] == "UPDATE" and d.get("end_of_rib"):
                emit({"event": "table", "conn": name})
    emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
