#!/usr/bin/env python3
"""BFD guarding BGP between `vipd standalone` (a BFDProfile on its BGPPeer) and FRR 8.4 (bgpd
with `neighbor ... bfd`, bfdd, zebra), in network namespaces:

- BGP waits for BFD: vipd's session starts only once BFD is Up (FRR creates its single-hop
  session before BGP), and the route reaches the router's kernel;
- vipd frozen (SIGSTOP): FRR's BFD drops the BGP session and the route leaves the router's
  kernel within the detection time (the hold time is 90 s), measured and printed;
- FRR's bfdd frozen: vipd's BFD goes Down, vipd closes BGP with Cease / BFD Down (RFC 9384
  subcode 10, which FRR reports) and stays Idle until BFD is Up again, then comes back;
- FRR shuts the BFD session down (AdminDown): BGP stays up on both sides (RFC 5882 §3.2);
- new BFD timers on reload reach the router without restarting BGP (Poll Sequence);
- an ebgp-multihop peer one router away gets RFC 5883 multihop BFD (port 4784, minimum TTL 254);
  FRR 8.4 starts that session only once BGP is up, so vipd's BGP starts after its bounded wait.

Topology: "router" (192.0.2.1/24) -- veth -- "node" (192.0.2.11/24). Intervals 300 ms, Detect
Mult 3 unless a test says otherwise. Documentation addresses and ASNs only.

Usage: bfd_bgp_test.py --vipd build/dev/daemon/vipd [-k NAME]
"""
import signal
import sys
import time

from bfd_frr_test import MH_NODE_V4, multihop_topology
from lab import Frr, run_tests, wait_for
from peer_settings_test import (NODE_AS, NODE_V4, ROUTER_AS, ROUTER_V4, VIP_V4, Vipd,
                                resources, topology)

# What an observer outside both daemons may add to the 900 ms detection time: up to one
# transmit interval since the last packet, polling, vtysh and zebra latency.
DETECT_DEADLINE = 2.0


def profile(rx=300, tx=300, mult=3):
    return f"""apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: {{name: fast}}
spec: {{receiveInterval: {rx}, transmitInterval: {tx}, detectMultiplier: {mult}}}
---
"""


def config(rx=300, tx=300, mult=3, peer_extra=""):
    """The standalone file: the profile, and peer_settings_test's pool, advertisement, BGPPeer
    (naming the profile) and service, IPv4 only."""
    return profile(rx, tx, mult) + resources(
        f"peerAddress: {ROUTER_V4}, bfdProfile: fast{peer_extra}",
        services=[f"{{name: web, addresses: [{VIP_V4}]}}"])


def frr_router(lab):
    """FRR with BFD on its neighbor: bfdd's defaults are 300 ms / 300 ms / 3, the profile's."""
    return Frr(lab, "router", f"""frr defaults traditional
hostname router
log stdout informational
!
router bgp {ROUTER_AS}
 bgp router-id {ROUTER_V4}
 no bgp ebgp-requires-policy
 neighbor {NODE_V4} remote-as {NODE_AS}
 neighbor {NODE_V4} bfd
!
""", bfdd_conf="hostname bfdd\nlog stdout informational\n!\nbfd\n!\n")


def frr_bfd(frr):
    for p in frr.json("show bfd peers", daemon="bfdd") or []:
        if p.get("peer") == NODE_V4:
            return p
    return None


def frr_bfd_status(frr):
    p = frr_bfd(frr)
    return p.get("status") if p else None


def frr_bgp(frr):
    return frr.json(f"show bgp neighbors {NODE_V4}", daemon="bgpd").get(NODE_V4, {})


def frr_established(frr):
    return frr_bgp(frr).get("bgpState") == "Established"


def route_on_router(lab):
    return "bgp" in lab.exec("router", "ip", "route", "show", f"{VIP_V4}/32")


def start(lab, vipd_binary):
    topology(lab)
    frr = frr_router(lab)
    vipd = Vipd(lab, vipd_binary, config())
    wait_for("BFD Up at the router", lambda: frr_bfd_status(frr) == "up", 15)
    wait_for("BGP Established", lambda: frr_established(frr), 15)
    wait_for("the route in the router's kernel", lambda: route_on_router(lab), 10)
    return frr, vipd


def log_index(log, text):
    i = log.find(text)
    assert i >= 0, f"{text!r} not in vipd's log"
    return i


def test_bgp_waits_for_bfd_and_a_frozen_node_is_dropped_within_the_detection_time(lab, vipd_bin):
    frr, vipd = start(lab, vipd_bin)
    log = vipd.log()
    # The session was held until BFD came Up: its first attempt follows the BFD Up line.
    waits = log_index(log, f"peer {ROUTER_V4}: added; BGP waits for BFD (profile \"fast\")")
    up = log_index(log, f"peer {ROUTER_V4}: BFD Up: the BGP session may run")
    connect = log_index(log, f"peer {ROUTER_V4}: Idle -> Connect")
    assert waits < up < connect, (waits, up, connect)
    peer = vipd.peer(ROUTER_V4)
    assert peer["bfd"]["state"] == "Up" and peer["bfd"]["profile"] == "fast", peer
    assert peer["bfd"]["detection_time_ms"] == 900, peer
    assert "held_by_bfd" not in peer, peer
    # FRR replaced its first BFD session once BGP gave it the source address: not a failure.
    assert peer["transitions"].get("bfd-down") is None, peer
    metrics = lab.exec("node", sys.executable, "-c", "import urllib.request; print(urllib.request."
                       "urlopen('http://127.0.0.1:7473/metrics').read().decode())")
    assert f'vipd_bfd_session_up{{peer="{ROUTER_V4}"}} 1' in metrics, metrics

    vipd.process.send_signal(signal.SIGSTOP)
    frozen = time.monotonic()
    wait_for("the route to leave the router's kernel", lambda: not route_on_router(lab),
             DETECT_DEADLINE)
    gone = time.monotonic() - frozen
    bgp = frr_bgp(frr)
    print(f"  vipd frozen: the router's kernel route went after {gone * 1000:.0f} ms "
          f"(BFD 300 ms x 3; BGP hold time {bgp.get('bgpTimerHoldTimeMsecs', 0) // 1000} s); "
          f"FRR: {bgp.get('lastResetDueTo')}, {bgp.get('lastNotificationReason')}", flush=True)
    assert bgp.get("bgpState") != "Established", bgp
    # FRR's own BFD took the session down: it sent Cease / BFD Down (6/10).
    assert bgp.get("lastErrorCodeSubcode") == "060A", bgp

    vipd.process.send_signal(signal.SIGCONT)
    wait_for("BFD Up again", lambda: frr_bfd_status(frr) == "up", 15)
    wait_for("BGP Established again", lambda: frr_established(frr), 20)
    wait_for("the route back in the router's kernel", lambda: route_on_router(lab), 10)


def test_a_silent_router_bfd_closes_bgp_with_cease_bfd_down_until_bfd_is_up(lab, vipd_bin):
    frr, vipd = start(lab, vipd_bin)
    frr.bfdd.send_signal(signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        held = wait_for("vipd to hold BGP down",
                        lambda: (vipd.peer(ROUTER_V4) or {}).get("held_by_bfd"), DETECT_DEADLINE)
        detected = time.monotonic() - stopped
        print(f"  router's bfdd frozen: vipd closed BGP after {detected * 1000:.0f} ms ({held})",
              flush=True)
        assert held == "BFD Down: Control Detection Time Expired", held
        # FRR received the RFC 9384 NOTIFICATION (Cease, subcode 10).
        bgp = wait_for("FRR to see the NOTIFICATION",
                       lambda: frr_bgp(frr) if "BFD" in str(frr_bgp(frr).get(
                           "lastNotificationReason", "")) else None, 5)
        print(f"  FRR: {bgp.get('lastNotificationReason')}", flush=True)
        assert "Cease/BFD Down" in bgp["lastNotificationReason"], bgp
        wait_for("the route to leave the router's kernel", lambda: not route_on_router(lab), 5)
        # Held: no new connection while BFD is down, whatever BGP's timers do.
        time.sleep(3)
        peer = vipd.peer(ROUTER_V4)
        assert peer["state"] == "Idle" and peer["bfd"]["state"] == "Down", peer
        assert peer["transitions"].get("bfd-down") == 1, peer
        assert not frr_established(frr)
        status_text = lab.exec("node", vipd.binary, "status", "--admin", "127.0.0.1:7473")
        assert "held: BFD Down: Control Detection Time Expired" in status_text, status_text
    finally:
        frr.bfdd.send_signal(signal.SIGCONT)
    wait_for("BFD Up again", lambda: frr_bfd_status(frr) == "up", 15)
    wait_for("BGP Established again", lambda: frr_established(frr), 20)
    wait_for("the route back in the router's kernel", lambda: route_on_router(lab), 10)
    assert "held_by_bfd" not in vipd.peer(ROUTER_V4)


def test_admin_down_from_the_router_leaves_bgp_up(lab, vipd_bin):
    frr, vipd = start(lab, vipd_bin)
    p = frr_bfd(frr)
    key = f"peer {NODE_V4}" + (f" local-address {p['local']}" if p.get("local") else "") + \
        (f" interface {p['interface']}" if p.get("interface") else "")
    frr.vtysh("configure terminal", "bfd", key, "shutdown", daemon="bfdd")
    wait_for("vipd to see AdminDown", lambda: (vipd.peer(ROUTER_V4) or {}).get("bfd", {}).get(
        "remote_state") == "AdminDown", 5)
    time.sleep(2)
    peer = vipd.peer(ROUTER_V4)
    assert peer["bfd"]["state"] == "Down", peer
    assert peer["bfd"]["diag"] == "Neighbor Signaled Session Down", peer
    assert peer["state"] == "Established" and "held_by_bfd" not in peer, peer
    assert frr_established(frr) and route_on_router(lab)
    assert "BFD Down as the peer says, in state AdminDown" in vipd.log()

    frr.vtysh("configure terminal", "bfd", key, "no shutdown", daemon="bfdd")
    wait_for("BFD Up again", lambda: (vipd.peer(ROUTER_V4) or {}).get("bfd", {}).get(
        "state") == "Up", 10)
    assert vipd.peer(ROUTER_V4)["transitions"].get("bfd-down") is None


def test_new_timers_on_reload_reach_the_router_without_restarting_bgp(lab, vipd_bin):
    frr, vipd = start(lab, vipd_bin)
    before = vipd.peer(ROUTER_V4)["transitions"]
    vipd.reload(config(rx=200, tx=200, mult=4))
    wait_for("the router to learn the new intervals",
             lambda: (frr_bfd(frr) or {}).get("remote-receive-interval") == 200 and
             frr_bfd(frr).get("remote-detect-multiplier") == 4, 10)
    peer = vipd.peer(ROUTER_V4)
    # vipd's detection time is the router's multiplier x max(200 ms asked, 300 ms it sends).
    assert peer["bfd"]["state"] == "Up" and peer["bfd"]["detection_time_ms"] == 900, peer
    assert peer["bfd"]["required_min_rx_ms"] == 200 and peer["bfd"]["detect_multiplier"] == 4
    assert peer["state"] == "Established" and peer["transitions"] == before, (before, peer)
    assert frr_bfd_status(frr) == "up" and frr_established(frr)
    assert "BFD profile \"fast\" applied" in vipd.log()


def test_multihop_bfd_toward_an_ebgp_multihop_peer(lab, vipd_bin):
    multihop_topology(lab)
    frr = Frr(lab, "router", f"""frr defaults traditional
hostname router
log stdout informational
!
router bgp {ROUTER_AS}
 bgp router-id {ROUTER_V4}
 no bgp ebgp-requires-policy
 neighbor {MH_NODE_V4} remote-as {NODE_AS}
 neighbor {MH_NODE_V4} ebgp-multihop 2
 neighbor {MH_NODE_V4} update-source {ROUTER_V4}
 neighbor {MH_NODE_V4} bfd
!
""", bfdd_conf="hostname bfdd\nlog stdout informational\n!\nbfd\n!\n")
    text = config(peer_extra=", ebgpMultiHop: true")
    vipd = Vipd(lab, vipd_bin, text)

    def far_bfd():
        for p in frr.json("show bfd peers", daemon="bfdd") or []:
            if p.get("peer") == MH_NODE_V4:
                return p
        return None

    def far_bgp():
        return frr.json(f"show bgp neighbors {MH_NODE_V4}", daemon="bgpd").get(MH_NODE_V4, {})

    # FRR 8.4 installs a multihop BFD session only once BGP has given it the source address
    # ("multi hop but no local address provided"): vipd's BGP starts after its 5 s wait.
    wait_for("multihop BFD Up at the router", lambda: (far_bfd() or {}).get("status") == "up", 20)
    assert "BFD not Up after 5 s: the BGP session starts without it" in vipd.log()
    assert far_bfd().get("multihop") is True, far_bfd()
    wait_for("BGP Established", lambda: far_bgp().get("bgpState") == "Established", 15)
    wait_for("the route in the router's kernel", lambda: route_on_router(lab), 10)
    peer = vipd.peer(ROUTER_V4)
    assert peer["bfd"]["state"] == "Up" and peer["bfd"]["multihop"] is True, peer
    assert peer["transitions"].get("bfd-down") is None, peer

    vipd.process.send_signal(signal.SIGSTOP)
    frozen = time.monotonic()
    wait_for("the route to leave the router's kernel", lambda: not route_on_router(lab),
             DETECT_DEADLINE)
    print(f"  multihop, vipd frozen: the router's kernel route went after "
          f"{(time.monotonic() - frozen) * 1000:.0f} ms", flush=True)
    vipd.process.send_signal(signal.SIGCONT)
    wait_for("BGP Established again", lambda: far_bgp().get("bgpState") == "Established", 20)


TESTS = [
    test_bgp_waits_for_bfd_and_a_frozen_node_is_dropped_within_the_detection_time,
    test_a_silent_router_bfd_closes_bgp_with_cease_bfd_down_until_bfd_is_up,
    test_admin_down_from_the_router_leaves_bgp_up,
    test_new_timers_on_reload_reach_the_router_without_restarting_bgp,
    test_multihop_bfd_toward_an_ebgp_multihop_peer,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, sys.argv[1:], binary_flag="--vipd", remove_dirs=True))
