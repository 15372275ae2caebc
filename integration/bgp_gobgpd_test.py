#!/usr/bin/env python3
"""vipd's BGP speaker against a real gobgpd, in network namespaces.

Topology: namespace "router" (gobgpd, 192.0.2.1/24, 2001:db8::1/64) and namespace "node"
(vipd-bgp-announce, 192.0.2.2/24, 2001:db8::2/64) on one veth link. Documentation addresses
and ASNs only.
"""
import json
import os
import re
import signal
import sys
import time

from lab import Driver, Gobgpd, run_tests, sh, wait_for

ROUTER_V4, NODE_V4 = "192.0.2.1", "192.0.2.2"
ROUTER_V6, NODE_V6 = "2001:db8::1", "2001:db8::2"


def topology(lab):
    lab.add_ns("router")
    lab.add_ns("node")
    lab.link("router", "r0", "node", "n0")
    lab.addr("router", "r0", f"{ROUTER_V4}/24")
    lab.addr("router", "r0", f"{ROUTER_V6}/64")
    lab.addr("node", "n0", f"{NODE_V4}/24")
    lab.addr("node", "n0", f"{NODE_V6}/64")


def gobgpd(lab, local_as, peer_as, hold=9, password=None, neighbor=NODE_V4):
    auth = f"\n      auth-password: {password}" if password else ""
    return Gobgpd(lab, "router", f"""
global:
  config:
    as: {local_as}
    router-id: {ROUTER_V4}
neighbors:
  - config:
      neighbor-address: {neighbor}
      peer-as: {peer_as}{auth}
    timers:
      config:
        hold-time: {hold}
        keepalive-interval: {max(1, hold // 3)}
    transport:
      config:
        passive-mode: true
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast
      - config:
          afi-safi-name: ipv6-unicast
""")


def rib_of(router, family, count):
    """The router's RIB for `family` once it holds `count` prefixes, else None."""
    rib = router.rib(family)
    return rib if len(rib) == count else None


def established(router, neighbor=NODE_V4):
    return router.neighbor_state(neighbor) == "established"


def test_ebgp_routes_carry_every_attribute_and_withdraw(lab, binary):
    topology(lab)
    router = gobgpd(lab, 64500, 65550)
    driver = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4, "--hold", "9",
        "--peer", f"{ROUTER_V4},as=64500,next-hop-ipv6={NODE_V6}",
        "--route", "203.0.113.10/32,med=10,community=64500:1,community=64500:2,large=65550:1:2",
        "--route", "203.0.113.11/32,origin=egp,local-pref=300",
        "--route", "2001:db8:10::1/128,community=64500:6"])
    wait_for("session Established", lambda: established(router), 30)
    rib = wait_for("IPv4 routes in gobgpd", lambda: rib_of(router, "ipv4", 2), 15)
    p = rib["203.0.113.10/32"][0]
    assert p["nexthop"] == NODE_V4, p
    assert p["as_path"] == [65550], p
    assert p["origin"] == 0, p
    assert p["med"] == 10, p
    assert p["local_pref"] is None, p  # never to an external peer
    assert sorted(p["communities"]) == [(64500 << 16) | 1, (64500 << 16) | 2], p
    assert p["large_communities"] == [(65550, 1, 2)], p
    q = rib["203.0.113.11/32"][0]
    assert q["origin"] == 1 and q["med"] is None and q["local_pref"] is None, q
    v6 = wait_for("IPv6 route in gobgpd", lambda: router.rib("ipv6").get("2001:db8:10::1/128"), 15)
    assert v6[0]["nexthop"] == NODE_V6, v6
    assert v6[0]["communities"] == [(64500 << 16) | 6], v6

    driver.signal(signal.SIGUSR1)  # withdraw everything
    wait_for("withdrawal", lambda: not router.rib("ipv4") and not router.rib("ipv6"), 15)
    driver.signal(signal.SIGUSR2)  # and back
    wait_for("re-announcement", lambda: len(router.rib("ipv4")) == 2, 15)
    assert established(router)


def test_ibgp_sends_local_pref_and_an_empty_as_path(lab, binary):
    topology(lab)
    router = gobgpd(lab, 64510, 64510)
    Driver(lab, "node", binary, [
        "--local-as", "64510", "--router-id", NODE_V4,
        "--peer", f"{ROUTER_V4},as=64510",
        "--route", "203.0.113.20/32,local-pref=200,med=5", "--route", "203.0.113.21/32"])
    wait_for("session Established", lambda: established(router), 30)
    rib = wait_for("routes", lambda: rib_of(router, "ipv4", 2), 15)
    p = rib["203.0.113.20/32"][0]
    assert p["local_pref"] == 200 and p["as_path"] == [] and p["med"] == 5, p
    assert rib["203.0.113.21/32"][0]["local_pref"] == 100, rib  # the default toward iBGP


def test_two_octet_local_as_and_four_octet_peer(lab, binary):
    topology(lab)
    router = gobgpd(lab, 65551, 64501)
    Driver(lab, "node", binary, ["--local-as", "64501", "--router-id", NODE_V4,
                                 "--peer", f"{ROUTER_V4},as=65551", "--route", "203.0.113.30/32"])
    wait_for("session Established", lambda: established(router), 30)
    p = wait_for("route", lambda: router.rib("ipv4").get("203.0.113.30/32"), 15)[0]
    assert p["as_path"] == [64501], p


def test_ipv6_session_carries_ipv6_routes_with_the_session_address_as_next_hop(lab, binary):
    topology(lab)
    router = gobgpd(lab, 64500, 65550, neighbor=NODE_V6)
    driver = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4,
        "--peer", f"{ROUTER_V6},as=64500",
        "--route", "2001:db8:20::1/128,community=64500:9", "--route", "2001:db8:21::/48"])
    wait_for("IPv6 session Established", lambda: established(router, NODE_V6), 30)
    rib = wait_for("IPv6 routes in gobgpd", lambda: rib_of(router, "ipv6", 2), 15)
    p = rib["2001:db8:20::1/128"][0]
    assert p["nexthop"] == NODE_V6, p
    assert p["as_path"] == [65550], p
    assert p["communities"] == [(64500 << 16) | 9], p
    assert rib["2001:db8:21::/48"][0]["nexthop"] == NODE_V6, rib
    driver.signal(signal.SIGUSR1)
    wait_for("IPv6 withdraw", lambda: rib_of(router, "ipv6", 0) is not None, 15)


def test_md5_password_match_establishes_and_mismatch_never_does(lab, binary):
    topology(lab)
    router = gobgpd(lab, 64500, 65550, password="s3cret")
    good = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4,
        "--peer", f"{ROUTER_V4},as=64500,password=s3cret", "--route", "203.0.113.40/32"],
        name="good")
    wait_for("session with the right password", lambda: established(router), 30)
    wait_for("route", lambda: router.rib("ipv4").get("203.0.113.40/32"), 15)
    lab.stop(good.process, signal.SIGINT)
    wait_for("session down", lambda: not established(router), 15)

    bad = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4,
        "--peer", f"{ROUTER_V4},as=64500,password=wrong", "--route", "203.0.113.41/32"],
        name="bad")
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        assert not established(router), "established with the wrong password"
        time.sleep(0.2)
    assert "TCP MD5" in bad.log(), bad.log()[-2000:]


def test_silent_peer_is_dropped_within_the_hold_time(lab, binary):
    topology(lab)
    router = gobgpd(lab, 64500, 65550, hold=3)
    driver = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4, "--hold", "3",
        "--peer", f"{ROUTER_V4},as=64500", "--route", "203.0.113.50/32"])
    wait_for("session Established", lambda: established(router), 30)
    wait_for("driver sees Established",
             lambda: driver.peer(ROUTER_V4)["state"] == "Established", 10)
    pcap = os.path.join(lab.dir, "hold.pcap")
    capture = lab.run("router", ["tcpdump", "-i", lab.prefix + "r0", "-U", "-w", pcap, "tcp port 179"],
                      "tcpdump.log")
    wait_for("tcpdump listening", lambda: "listening on" in lab.log(capture), 10)
    router.process.send_signal(signal.SIGSTOP)
    stopped = time.monotonic()
    wait_for("hold timer expiry", lambda: driver.peer(ROUTER_V4)["state"] != "Established", 10)
    took = time.monotonic() - stopped
    router.process.send_signal(signal.SIGCONT)
    assert took <= 4.5, f"took {took:.1f}s for a 3 s hold time"
    assert "hold-timer-expired" in driver.log(), driver.log()[-2000:]
    # vipd sent Hold Timer Expired (4/0) before closing. gobgpd itself never reads it (its own
    # hold timer fires first when it resumes), so the wire is the witness: tcpdump's decode.
    def sent_4_0():
        decoded = sh("tcpdump", "-r", pcap, "-nn", "-vv", f"src host {NODE_V4}", check=False)
        return re.search(r"Notification Message[^\n]*\n?[^\n]*Hold Timer Expired", decoded)
    wait_for("vipd's Hold Timer Expired NOTIFICATION on the wire", sent_4_0, 10)
    lab.stop(capture, signal.SIGINT)
    # The peer comes back: the session and the route return by themselves.
    wait_for("re-established", lambda: established(router), 40)
    wait_for("route again", lambda: router.rib("ipv4").get("203.0.113.50/32"), 15)


def test_restarted_peer_is_reconnected_with_backoff(lab, binary):
    topology(lab)
    router = gobgpd(lab, 64500, 65550)
    driver = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4,
        "--peer", f"{ROUTER_V4},as=64500", "--route", "203.0.113.60/32"])
    wait_for("session Established", lambda: established(router), 30)
    lab.stop(router.process, signal.SIGKILL)
    wait_for("driver notices", lambda: driver.peer(ROUTER_V4)["state"] != "Established", 15)
    time.sleep(2)  # let a few connection attempts fail while the peer is away
    router.start()
    wait_for("re-established", lambda: established(router), 40)
    wait_for("route again", lambda: router.rib("ipv4").get("203.0.113.60/32"), 15)
    assert "connect-failed" in driver.log(), driver.log()[-2000:]


def test_drain_shows_graceful_shutdown_before_the_withdraw(lab, binary):
    topology(lab)
    router = gobgpd(lab, 64510, 64510)
    driver = Driver(lab, "node", binary, [
        "--local-as", "64510", "--router-id", NODE_V4, "--drain-time", "3",
        "--peer", f"{ROUTER_V4},as=64510", "--route", "203.0.113.70/32,local-pref=250"])
    wait_for("session Established", lambda: established(router), 30)
    p = wait_for("route", lambda: router.rib("ipv4").get("203.0.113.70/32"), 15)[0]
    assert p["local_pref"] == 250 and p["communities"] == [], p
    driver.signal(signal.SIGTERM)
    drained = wait_for("GRACEFUL_SHUTDOWN and LOCAL_PREF 0 (RFC 8326)", lambda: (
        r := router.rib("ipv4").get("203.0.113.70/32")) and r[0]["local_pref"] == 0 and r, 5)
    assert 0xFFFF0000 in drained[0]["communities"], drained
    started = time.monotonic()
    wait_for("withdraw after the drain time", lambda: "203.0.113.70/32" not in router.rib("ipv4"),
             10)
    assert time.monotonic() - started >= 2.0, "withdrawn before the drain time passed"
    assert driver.process.wait(10) == 0
    log = lab.log(router.process)
    assert "Peer Down" in log, log[-2000:]


def test_graceful_restart_keeps_routes_through_a_kill(lab, binary):
    topology(lab)
    router = Gobgpd(lab, "router", f"""
global:
  config:
    as: 64500
    router-id: {ROUTER_V4}
neighbors:
  - config:
      neighbor-address: {NODE_V4}
      peer-as: 65550
    timers:
      config:
        hold-time: 9
        keepalive-interval: 3
    transport:
      config:
        passive-mode: true
    graceful-restart:
      config:
        enabled: true
        restart-time: 60
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast
        mp-graceful-restart:
          config:
            enabled: true
""")
    args = ["--local-as", "65550", "--router-id", NODE_V4, "--graceful-restart", "60",
            "--peer", f"{ROUTER_V4},as=64500"]
    first = Driver(lab, "node", binary, args + ["--route", "203.0.113.80/32",
                                                "--route", "203.0.113.81/32"], name="first")
    wait_for("session Established", lambda: established(router), 30)
    wait_for("both routes", lambda: rib_of(router, "ipv4", 2), 15)
    lab.stop(first.process, signal.SIGKILL)
    # While vipd is gone the router keeps both routes (stale), never dropping them.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert "203.0.113.80/32" in router.rib("ipv4"), "route dropped during the restart"
        time.sleep(0.2)
    Driver(lab, "node", binary, args + ["--restarting", "--route", "203.0.113.80/32"],
           name="second")
    wait_for("session back", lambda: established(router), 30)
    # After End-of-RIB the stale route that vipd no longer announces is gone, the other stays.
    wait_for("stale route removed", lambda: rib_of(router, "ipv4", 1), 15)
    assert "203.0.113.80/32" in router.rib("ipv4")


def scripted_peer(lab, action):
    here = os.path.dirname(os.path.abspath(__file__))
    return lab.run("router", [sys.executable, os.path.join(here, "test_peer.py"), "--listen",
                              ROUTER_V4, "--as", "64500", "--id", ROUTER_V4, "--then", action],
                   f"peer-{action}.log")


def peer_records(lab, process):
    return [json.loads(line) for line in lab.log(process).splitlines() if line.startswith("{")]


def test_garbage_gets_the_rfc_notification_and_other_sessions_stay_up(lab, binary):
    topology(lab)
    lab.addr("router", "r0", "192.0.2.3/24")  # a second router address for gobgpd
    router = Gobgpd(lab, "router", f"""
global:
  config:
    as: 64501
    router-id: 192.0.2.3
    local-address-list: [192.0.2.3]
neighbors:
  - config:
      neighbor-address: {NODE_V4}
      peer-as: 65550
    transport:
      config:
        passive-mode: true
        local-address: 192.0.2.3
""")
    peer = scripted_peer(lab, "garbage-marker")
    wait_for("scripted peer listening", lambda: "listening" in lab.log(peer), 10)
    driver = Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4,
        "--peer", f"{ROUTER_V4},as=64500", "--peer", "192.0.2.3,as=64501",
        "--route", "203.0.113.90/32"])
    wait_for("gobgpd session Established", lambda: established(router), 30)
    notification = wait_for("NOTIFICATION for the bad marker", lambda: next(
        (r for r in peer_records(lab, peer) if r.get("type") == "NOTIFICATION"), None), 20)
    assert (notification["code"], notification["subcode"]) == (1, 1), notification
    # The other session never noticed.
    assert established(router)
    assert "203.0.113.90/32" in router.rib("ipv4")
    assert driver.peer("192.0.2.3")["state"] == "Established"


def test_route_refresh_is_answered_with_the_table(lab, binary):
    topology(lab)
    peer = scripted_peer(lab, "route-refresh")
    wait_for("scripted peer listening", lambda: "listening" in lab.log(peer), 10)
    Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4, "--peer", f"{ROUTER_V4},as=64500",
        "--route", "203.0.113.91/32", "--route", "203.0.113.92/32"])

    def answered():
        records = peer_records(lab, peer)
        sent = next((i for i, r in enumerate(records) if r.get("event") == "sent"), None)
        if sent is None:
            return None
        after = [r for r in records[sent + 1:] if r.get("type") == "UPDATE"]
        return after if sum(u["nlri_octets"] for u in after) >= 10 else None
    updates = wait_for("the table again after ROUTE-REFRESH", answered, 20)
    assert sum(u["nlri_octets"] for u in updates) == 10, updates  # two /32s, 5 octets each
    # RFC 2918 §4: the Adj-RIB-Out again, nothing more (End-of-RIB belongs to the session's
    # start; this peer offers no Enhanced Route Refresh, so no BoRR/EoRR either).
    assert not any(u["end_of_rib"] for u in updates), updates


TESTS = [
    test_ebgp_routes_carry_every_attribute_and_withdraw,
    test_ibgp_sends_local_pref_and_an_empty_as_path,
    test_two_octet_local_as_and_four_octet_peer,
    test_ipv6_session_carries_ipv6_routes_with_the_session_address_as_next_hop,
    test_md5_password_match_establishes_and_mismatch_never_does,
    test_silent_peer_is_dropped_within_the_hold_time,
    test_restarted_peer_is_reconnected_with_backoff,
    test_drain_shows_graceful_shutdown_before_the_withdraw,
    test_graceful_restart_keeps_routes_through_a_kill,
    test_garbage_gets_the_rfc_notification_and_other_sessions_stay_up,
    test_route_refresh_is_answered_with_the_table,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, sys.argv[1:]))
