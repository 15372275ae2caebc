#!/usr/bin/env python3
"""A scripted BGP peer for integration tests: listens on port 179, completes the OPEN exchange
with vipd, then does what the test asks (send garbage, ask for a ROUTE-REFRESH) and reports,
one JSON object per line on stdout, every message vipd sent.

Usage: test_peer.py --listen ADDR --as N --peer-as N --id A.B.C.D --then ACTION
  ACTION: garbage-marker | bad-type | route-refresh | hold
"""
import argparse
import json
import socket
import struct
import sys
import time

MARKER = b"\xff" * 16


def message(kind, body=b""):
    return MARKER + struct.pack("!HB", 19 + len(body), kind) + body


def open_message(asn, hold, router_id):
    caps = b""
    caps += bytes([1, 4]) + struct.pack("!HBB", 1, 0, 1)  # multiprotocol IPv4 unicast
    caps += bytes([2, 0])                                  # route refresh
    caps += bytes([65, 4]) + struct.pack("!I", asn)       # four-octet AS
    params = bytes([2, len(caps)]) + caps
    my_as = asn if asn <= 0xffff else 23456
    body = struct.pack("!BHH", 4, my_as, hold) + socket.inet_aton(router_id)
    return message(1, body + bytes([len(params)]) + params)


def read_message(conn, deadline):
    data = b""
    while len(data) < 19:
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = conn.recv(19 - len(data))
        if not chunk:
            return None
        data += chunk
    length = struct.unpack("!H", data[16:18])[0]
    while len(data) < length:
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = conn.recv(length - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def describe(raw):
    kind = raw[18]
    d = {"type": {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}
         .get(kind, str(kind)), "length": len(raw)}
    if kind == 3:
        d["code"], d["subcode"] = raw[19], raw[20]
        d["data"] = raw[21:].hex()
    if kind == 2:
        withdrawn = struct.unpack("!H", raw[19:21])[0]
        attrs = struct.unpack("!H", raw[21 + withdrawn:23 + withdrawn])[0]
        d["end_of_rib"] = withdrawn == 0 and attrs == 0 and len(raw) == 23
        nlri = raw[23 + withdrawn + attrs:]
        d["nlri_octets"] = len(nlri)
    return d


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--as", dest="asn", type=int, required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--hold", type=int, default=30)
    p.add_argument("--then", required=True)
    p.add_argument("--seconds", type=float, default=20)
    a = p.parse_args()
    deadline = time.monotonic() + a.seconds

    family = socket.AF_INET6 if ":" in a.listen else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((a.listen, 179))
    server.listen(1)
    server.settimeout(a.seconds)
    emit({"event": "listening"})
    conn, _ = server.accept()
    conn.sendall(open_message(a.asn, a.hold, a.id))
    established = False
    while time.monotonic() < deadline:
        try:
            raw = read_message(conn, deadline)
        except socket.timeout:
            break
        if raw is None:
            emit({"event": "closed"})
            return 0
        d = describe(raw)
        emit(d)
        if d["type"] == "OPEN":
            conn.sendall(message(4))
        elif d["type"] == "KEEPALIVE" and not established:
            established = True
            emit({"event": "established"})
        elif d["type"] == "UPDATE" and d.get("end_of_rib") and a.then != "hold":
            action, a.then = a.then, "hold"  # act once, after the initial table
            if action == "garbage-marker":
                conn.sendall(b"\x00" * 16 + struct.pack("!HB", 19, 4))
            elif action == "bad-type":
                conn.sendall(message(9))
            elif action == "route-refresh":
                conn.sendall(message(5, struct.pack("!HBB", 1, 0, 1)))
            emit({"event": "sent", "action": action})
        if d["type"] == "KEEPALIVE" and established:
            conn.sendall(message(4))
    emit({"event": "timeout"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
