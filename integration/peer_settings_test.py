#!/usr/bin/env python3
"""Each BGPPeer setting `vipd standalone` honours changes what a real router sees. The file is
written as MetalLB resources beside vipd's own document (node, nodes, services).

Topology: namespace "router" (192.0.2.1/24, 2001:db8::1/64: FRR or gobgpd) and namespace "node"
(`vipd standalone`, 192.0.2.11/24, 2001:db8::11/64) on one veth link. Documentation addresses and
ASNs only.

Usage: peer_settings_test.py --vipd build/dev/daemon/vipd [-k NAME]
"""
import json
import os
import signal
import sys
import time

from lab import Frr, Gobgpd, run_tests, wait_for

ROUTER_V4, ROUTER_V6 = "192.0.2.1", "2001:db8::1"
NODE_V4, NODE_V6 = "192.0.2.11", "2001:db8::11"
ROUTER_AS, NODE_AS = 64500, 64501
VIP_V4, VIP_V6 = "203.0.113.10", "2001:db8:100::10"
ADMIN = "127.0.0.1:7473"


def topology(lab, node_v4=True):
    lab.add_ns("router")
    lab.add_ns("node")
    lab.link("router", "r0", "node", "n0")
    lab.addr("router", "r0", f"{ROUTER_V4}/24")
    lab.addr("router", "r0", f"{ROUTER_V6}/64")
    if node_v4:
        lab.addr("node", "n0", f"{NODE_V4}/24")
    lab.addr("node", "n0", f"{NODE_V6}/64")
    lab.exec("router", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")


def resources(peer_spec, annotations=None, nodes="", services=None):
    """A standalone file: a pool, a BGPAdvertisement, one BGPPeer, and vipd's document."""
    meta = "{name: router" + (", annotations: {" + ", ".join(
        f"'{k}': '{v}'" for k, v in (annotations or {}).items()) + "}" if annotations else "") + "}"
    services = services or [f"{{name: web, addresses: [{VIP_V4}, '{VIP_V6}']}}"]
    return f"""apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {{name: public}}
spec: {{addresses: [203.0.113.0/24, '2001:db8:100::/64']}}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {{name: all}}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {meta}
spec: {{myASN: {NODE_AS}, peerASN: {ROUTER_AS}, {peer_spec}}}
---
node: node1
{nodes}services:
""" + "".join(f"- {s}\n" for s in services)


class Vipd:
    """`vipd standalone` in the node namespace; `vipd status` (the binary itself) reads it."""

    def __init__(self, lab, binary, text, name="vipd"):
        self.lab, self.binary = lab, binary
        self.config = os.path.join(lab.dir, "vipd.yaml")
        self.state_dir = os.path.join(lab.dir, "state")
        self.write(text)
        self.process = lab.run("node", [binary, "standalone", "--config", self.config,
                                        "--state-dir", self.state_dir, "--admin", ADMIN,
                                        "--log-level", "debug"], f"{name}.log")
        self.process.stop_signal = signal.SIGINT

    def write(self, text):
        with open(self.config + ".tmp", "w") as f:
            f.write(text)
        os.rename(self.config + ".tmp", self.config)

    def reload(self, text):
        self.write(text)
        self.process.send_signal(signal.SIGHUP)

    def status(self):
        out = self.lab.exec("node", self.binary, "status", "--admin", ADMIN, "--output", "json",
                            check=False)
        try:
            return json.loads(out)
        except (json.JSONDecodeError, TypeError):
            return None

    def peer(self, address):
        for p in (self.status() or {}).get("peers", []):
            if p["address"] == address:
                return p
        return None

    def announcements(self):
        return [a for a in (self.status() or {}).get("announcements", [])]

    def log(self):
        return self.lab.log(self.process)


def frr_router(lab, extended_next_hop=False):
    extra = f" neighbor {NODE_V6} capability extended-nexthop\n" if extended_next_hop else ""
    return Frr(lab, "router", f"""frr defaults traditional
hostname router
log stdout informational
!
router bgp {ROUTER_AS}
 bgp router-id {ROUTER_V4}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor {NODE_V6} remote-as {NODE_AS}
 neighbor {NODE_V6} passive
{extra} !
 address-family ipv4 unicast
  neighbor {NODE_V6} activate
 exit-address-family
 address-family ipv6 unicast
  neighbor {NODE_V6} activate
 exit-address-family
!
""")


def frr_established(frr):
    return frr.json(f"show bgp neighbors {NODE_V6}").get(NODE_V6, {}).get("bgpState") == \
        "Established"


def test_dual_stack_address_family_sends_ipv4_routes_over_the_ipv6_session(lab, vipd):
    topology(lab)
    frr = frr_router(lab)
    # Without the setting the IPv6 session carries IPv6 only (MetalLB's rule)...
    node = Vipd(lab, vipd, resources(f"peerAddress: '{ROUTER_V6}'"))
    wait_for("FRR session Established", lambda: frr_established(frr), 40)
    wait_for("IPv6 route in FRR",
             lambda: frr.json(f"show bgp ipv6 unicast {VIP_V6}/128").get("paths"), 20)
    time.sleep(1)  # a route that should not come: give it the time it would need
    assert not frr.json(f"show bgp ipv4 unicast {VIP_V4}/32").get("paths")
    assert any(a["reason"] == "addressFamilyNotCarried" and a["prefix"].startswith(VIP_V4)
               for a in node.announcements()), node.announcements()
    # ...with it, the IPv4 route arrives over the same (restarted) session with the node's IPv4
    # address as next hop, and zebra installs it.
    node.reload(resources(f"peerAddress: '{ROUTER_V6}', dualStackAddressFamily: true"))
    route = wait_for("IPv4 route in FRR", lambda: frr.json(
        f"show bgp ipv4 unicast {VIP_V4}/32").get("paths"), 40)[0]
    assert NODE_V4 in [h.get("ip") for h in route.get("nexthops", [])], route
    kernel = wait_for("kernel route", lambda: lab.exec(
        "router", "ip", "route", "show", f"{VIP_V4}/32"), 20)
    assert f"via {NODE_V4}" in kernel, kernel
    assert wait_for("IPv6 route kept", lambda: frr.json(
        f"show bgp ipv6 unicast {VIP_V6}/128").get("paths"), 20)


def test_ipv4_routes_take_the_ipv6_next_hop_on_an_ipv6_only_node(lab, vipd):
    # The node has no IPv4 address: IPv4 routes go with its IPv6 address (RFC 8950), and the
    # router id comes from routerID.
    topology(lab, node_v4=False)
    frr = frr_router(lab, extended_next_hop=True)
    Vipd(lab, vipd, resources(
        f"peerAddress: '{ROUTER_V6}', dualStackAddressFamily: true, routerID: 198.51.100.11"))
    wait_for("FRR session Established", lambda: frr_established(frr), 40)
    neighbor = frr.json(f"show bgp neighbors {NODE_V6}")[NODE_V6]
    assert neighbor.get("remoteRouterId") == "198.51.100.11", neighbor.get("remoteRouterId")
    route = wait_for("IPv4 route in FRR", lambda: frr.json(
        f"show bgp ipv4 unicast {VIP_V4}/32").get("paths"), 20)[0]
    assert NODE_V6 in [h.get("ip") for h in route.get("nexthops", [])], route
    kernel = wait_for("kernel route", lambda: lab.exec(
        "router", "ip", "route", "show", f"{VIP_V4}/32"), 20)
    assert f"via inet6 {NODE_V6}" in kernel, kernel


def gobgpd_router(lab, graceful_restart=False, active=False, ttl_security=False, neighbor=NODE_V4,
                  name="gobgpd", password=None):
    gr = """
    graceful-restart:
      config:
        enabled: true
        restart-time: 60""" if graceful_restart else ""
    gr_family = """
        mp-graceful-restart:
          config:
            enabled: true""" if graceful_restart else ""
    auth = f"\n      auth-password: {password}" if password else ""
    ttl = """
    ttl-security:
      config:
        enabled: true
        ttl-min: 255""" if ttl_security else ""
    return Gobgpd(lab, "router", f"""
global:
  config:
    as: {ROUTER_AS}
    router-id: {ROUTER_V4}
neighbors:
  - config:
      neighbor-address: {neighbor}
      peer-as: {NODE_AS}{auth}
    timers:
      config:
        hold-time: 9
        keepalive-interval: 3
        connect-retry: 1
    transport:
      config:
        passive-mode: {"false" if active else "true"}{gr}{ttl}
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast{gr_family}
""", name=name)


def established(router, neighbor=NODE_V4):
    return router.neighbor_state(neighbor) == "established"


def keeps_route_through_sigkill(lab, vipd, graceful_restart):
    topology(lab)
    router = gobgpd_router(lab, graceful_restart=True)
    spec = f"peerAddress: {ROUTER_V4}" + (", enableGracefulRestart: true" if graceful_restart
                                           else "")
    first = Vipd(lab, vipd, resources(spec), name="vipd-first")
    wait_for("session Established", lambda: established(router), 30)
    wait_for("route in gobgpd", lambda: f"{VIP_V4}/32" in router.rib("ipv4"), 15)
    lab.stop(first.process, signal.SIGKILL)
    # The kernel closes the dead process's connection at once; watch the route for 3 s.
    kept = True
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and kept:
        kept = f"{VIP_V4}/32" in router.rib("ipv4")
        time.sleep(0.2)
    if graceful_restart:
        # Restarted with its state file: the R bit, the same address, End-of-RIB.
        second = Vipd(lab, vipd, resources(spec), name="vipd-second")
        wait_for("session back", lambda: established(router), 30)
        assert f"{VIP_V4}/32" in router.rib("ipv4")
        assert second.peer(ROUTER_V4)["state"] == "Established"
    return kept


def test_enable_graceful_restart_keeps_routes_through_a_sigkill(lab, vipd):
    assert keeps_route_through_sigkill(lab, vipd, graceful_restart=True), \
        "gobgpd dropped the route although vipd announced graceful restart"


def test_without_graceful_restart_the_route_goes_with_the_process(lab, vipd):
    assert not keeps_route_through_sigkill(lab, vipd, graceful_restart=False), \
        "gobgpd kept the route although vipd did not announce graceful restart"


def test_passive_and_timers(lab, vipd):
    # vipd listens (vipd.io/passive) and never dials: gobgpd connects, and the session runs on
    # vipd's hold time (the smaller of the two OPENs', RFC 4271 §4.2).
    topology(lab)
    node = Vipd(lab, vipd, resources(f"peerAddress: {ROUTER_V4}, holdTime: 6s, keepaliveTime: 2s",
                                     annotations={"vipd.io/passive": "true"}))
    wait_for("vipd listening on port 179", lambda: ":179 " in lab.exec("node", "ss", "-ltn"), 15)
    router = gobgpd_router(lab, active=True)
    wait_for("session Established (gobgpd connected to vipd)", lambda: established(router), 40)
    timers = router.json("neighbor", NODE_V4).get("timers", {})
    assert timers.get("state", {}).get("negotiated_hold_time") == 6, timers
    assert wait_for("route in gobgpd", lambda: f"{VIP_V4}/32" in router.rib("ipv4"), 15)
    assert node.peer(ROUTER_V4)["state"] == "Established"
    # No connection of vipd's own: the only one to port 179 is the router's, into the node.
    sockets = lab.exec("node", "ss", "-tn", "state", "established")
    assert f"{NODE_V4}:179" in sockets and f"{ROUTER_V4}:179" not in sockets, sockets


def test_gtsm_accepts_only_a_peer_one_hop_away(lab, vipd):
    # vipd.io/gtsm: vipd sends with TTL 255 and drops what arrives with less (RFC 5082). A router
    # that answers with its default TTL never gets a session...
    topology(lab)
    spec = f"peerAddress: {ROUTER_V4}, connectTime: 2s"
    node = Vipd(lab, vipd, resources(spec, annotations={"vipd.io/gtsm": "true"}))
    plain = gobgpd_router(lab, name="gobgpd-plain")
    time.sleep(6)  # three connection attempts at the 2 s connect time
    assert not established(plain), "a peer answering with TTL 64 got a session through GTSM"
    # (The TCP handshake completes, then the router's OPEN is dropped: vipd waits in OpenSent,
    # as RFC 4271 has it, until its OpenSent hold timer; start afresh for the next router.)
    assert node.peer(ROUTER_V4)["state"] != "Established"
    lab.stop(plain.process, signal.SIGINT)
    lab.stop(node.process, signal.SIGINT)
    # ...one with ttl-security (TTL 255 both ways) does.
    Vipd(lab, vipd, resources(spec, annotations={"vipd.io/gtsm": "true"}), name="vipd-second")
    router = gobgpd_router(lab, ttl_security=True)
    wait_for("session Established with ttl-security", lambda: established(router), 30)
    assert wait_for("route in gobgpd", lambda: f"{VIP_V4}/32" in router.rib("ipv4"), 15)


def test_source_address_and_password(lab, vipd):
    # The router knows the node by a second address, and signs with TCP MD5 (RFC 2385): the
    # session comes up only from sourceAddress and with the same password.
    topology(lab)
    lab.addr("node", "n0", "192.0.2.12/24")
    router = gobgpd_router(lab, neighbor="192.0.2.12", password="s3cret")
    Vipd(lab, vipd, resources(f"peerAddress: {ROUTER_V4}, sourceAddress: 192.0.2.12, "
                              "password: s3cret"))
    wait_for("session Established from 192.0.2.12 with MD5",
             lambda: established(router, "192.0.2.12"), 30)
    route = wait_for("route in gobgpd", lambda: router.rib("ipv4").get(f"{VIP_V4}/32"), 15)
    assert route[0]["nexthop"] == "192.0.2.12", route


def test_node_selectors_see_the_labels_listed_in_nodes(lab, vipd):
    topology(lab)
    router = gobgpd_router(lab)
    selector = f"peerAddress: {ROUTER_V4}, nodeSelectors: [{{matchLabels: {{rack: a}}}}]"
    nodes_b = "nodes:\n- {name: node1, labels: {rack: b}}\n"
    nodes_a = "nodes:\n- {name: node1, labels: {rack: a}}\n"
    node = Vipd(lab, vipd, resources(selector, nodes=nodes_b))
    wait_for("vipd ready", lambda: (node.status() or {}).get("ready"), 15)
    assert node.peer(ROUTER_V4) is None, node.status()["peers"]
    node.reload(resources(selector, nodes=nodes_a))
    wait_for("session Established once the node's label matches", lambda: established(router), 30)
    assert wait_for("route in gobgpd", lambda: f"{VIP_V4}/32" in router.rib("ipv4"), 15)


TESTS = [
    test_dual_stack_address_family_sends_ipv4_routes_over_the_ipv6_session,
    test_ipv4_routes_take_the_ipv6_next_hop_on_an_ipv6_only_node,
    test_enable_graceful_restart_keeps_routes_through_a_sigkill,
    test_without_graceful_restart_the_route_goes_with_the_process,
    test_passive_and_timers,
    test_gtsm_accepts_only_a_peer_one_hop_away,
    test_source_address_and_password,
    test_node_selectors_see_the_labels_listed_in_nodes,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, sys.argv[1:], binary_flag="--vipd", remove_dirs=True))
