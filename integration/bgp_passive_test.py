#!/usr/bin/env python3
"""vipd's BGP listener: passive sessions with a real gobgpd, and RFC 4271 §6.8 collision
detection against a scripted peer that opens a second connection.

Topology as in bgp_gobgpd_test.py: namespace "router" (192.0.2.1/24) and namespace "node"
(vipd-bgp-announce, 192.0.2.2/24) on one veth link. Documentation addresses and ASNs only.
"""
import json
import os
import socket
import sys

from lab import Gobgpd, Driver, run_tests, wait_for
from bgp_gobgpd_test import NODE_V4, ROUTER_V4, established, topology

HERE = os.path.dirname(os.path.abspath(__file__))


def test_passive_session_accepts_gobgpd_with_md5(lab, binary):
    # vipd never connects (passive); gobgpd does, signing with TCP MD5, so the key must sit on
    # vipd's listener for the SYN to be answered at all.
    topology(lab)
    router = Gobgpd(lab, "router", f"""
global:
  config:
    as: 64500
    router-id: {ROUTER_V4}
    port: -1
neighbors:
  - config:
      neighbor-address: {NODE_V4}
      peer-as: 65550
      auth-password: lab-secret
    timers:
      config:
        connect-retry: 1
""")
    driver = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4, "--listen", NODE_V4,
        "--peer", f"{ROUTER_V4},as=64500,passive,password=lab-secret",
        "--route", "203.0.113.60/32"])
    wait_for("gobgpd connects to vipd's listener", lambda: established(router), 40)
    wait_for("route in gobgpd", lambda: "203.0.113.60/32" in router.rib("ipv4"), 10)
    assert "accepted" in driver.log(), driver.log()[-2000:]


def collision_peer(lab, peer_id, established_first=False):
    args = [sys.executable, os.path.join(HERE, "collision_peer.py"), "--listen", ROUTER_V4,
            "--vipd", NODE_V4, "--as", "64500", "--id", peer_id]
    if established_first:
        args.append("--established")
    return lab.run("router", args, f"collision-{peer_id}.log")


def records(lab, process):
    return [json.loads(line) for line in lab.log(process).splitlines() if line.startswith("{")]


def collision(lab, binary, peer_id, established_first=False):
    topology(lab)
    peer = collision_peer(lab, peer_id, established_first)
    wait_for("scripted peer listening", lambda: "listening" in lab.log(peer), 10)
    driver = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4, "--hold", "30", "--listen", NODE_V4,
        "--peer", f"{ROUTER_V4},as=64500", "--route", "203.0.113.61/32"])
    return peer, driver


def notification_on(recs, conn):
    return next((r for r in recs if r.get("conn") == conn and r.get("type") == "NOTIFICATION"),
                None)


def table_on(recs, conn):
    return any(r.get("event") == "table" and r.get("conn") == conn for r in recs)


def test_collision_with_a_higher_peer_id_keeps_the_peers_connection(lab, binary):
    # vipd's identifier 192.0.2.2 < the peer's 198.51.100.9: the connection the peer opened
    # stays; vipd closes its own with Cease / Connection Collision Resolution (6/7).
    peer, driver = collision(lab, binary, "198.51.100.9")
    recs = wait_for("the table on the peer's connection",
                    lambda: records(lab, peer) if table_on(records(lab, peer), "B") else None, 30)
    n = notification_on(recs, "A")
    assert n and (n["code"], n["subcode"]) == (6, 7), recs
    assert notification_on(recs, "B") is None, recs
    assert [r["type"] for r in recs if r.get("conn") == "B" and "type" in r][:2] == \
        ["OPEN", "KEEPALIVE"], recs
    wait_for("vipd Established", lambda: driver.peer(ROUTER_V4)["state"] == "Established", 10)


def test_collision_with_a_lower_peer_id_keeps_vipds_connection(lab, binary):
    # The peer's identifier 192.0.2.1 < vipd's 192.0.2.2: vipd refuses the second connection
    # (6/7 on it, no OPEN) and finishes the session on its own.
    peer, driver = collision(lab, binary, ROUTER_V4)
    recs = wait_for("the table on vipd's connection",
                    lambda: records(lab, peer) if table_on(records(lab, peer), "A") else None, 30)
    n = notification_on(recs, "B")
    assert n and (n["code"], n["subcode"]) == (6, 7), recs
    assert not any(r.get("conn") == "B" and r.get("type") == "OPEN" for r in recs), recs
    assert notification_on(recs, "A") is None, recs
    wait_for("vipd Established", lambda: driver.peer(ROUTER_V4)["state"] == "Established", 10)


def test_second_connection_to_an_established_session_is_refused(lab, binary):
    peer, driver = collision(lab, binary, "198.51.100.9", established_first=True)
    recs = wait_for("6/7 on the second connection",
                    lambda: records(lab, peer) if notification_on(records(lab, peer), "B")
                    else None, 30)
    n = notification_on(recs, "B")
    assert (n["code"], n["subcode"]) == (6, 7), recs
    assert notification_on(recs, "A") is None, recs
    wait_for("vipd still Established", lambda: driver.peer(ROUTER_V4)["state"] == "Established",
             10)
    assert notification_on(records(lab, peer), "A") is None


def test_connection_from_an_unknown_address_is_closed(lab, binary):
    topology(lab)
    lab.addr("router", "r0", "192.0.2.9/24")
    Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4, "--listen", NODE_V4,
        "--peer", f"{ROUTER_V4},as=64500,passive", "--route", "203.0.113.62/32"])
    probe = ("import socket,sys\n"
             "s=socket.create_connection(('192.0.2.2',179),timeout=5,"
             "source_address=('192.0.2.9',0))\n"
             "s.settimeout(5)\nprint('eof' if s.recv(100)==b'' else 'data')\n")

    def closed():
        try:
            out = lab.exec("router", sys.executable, "-c", probe)
        except Exception:
            return None  # listener not up yet
        return out.strip() or None
    assert wait_for("vipd closes the stranger's connection", closed, 15) == "eof"


TESTS = [
    test_passive_session_accepts_gobgpd_with_md5,
    test_collision_with_a_higher_peer_id_keeps_the_peers_connection,
    test_collision_with_a_lower_peer_id_keeps_vipds_connection,
    test_second_connection_to_an_established_session_is_refused,
    test_connection_from_an_unknown_address_is_closed,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, sys.argv[1:]))
