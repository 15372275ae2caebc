#!/usr/bin/env python3
"""vipd's BGP speaker against FRR (bgpd + zebra) and BIRD 2, in network namespaces.

Topology as in bgp_gobgpd_test.py: "router" (192.0.2.1/24, 2001:db8::1/64) and "node"
(vipd-bgp-announce, 192.0.2.2/24, 2001:db8::2/64). Documentation addresses and ASNs only.
"""
import sys

from bgp_gobgpd_test import NODE_V4, NODE_V6, ROUTER_V4, ROUTER_V6, topology
from lab import Bird, Driver, Frr, run_tests, wait_for


def test_frr_installs_ipv4_routes_over_an_ipv6_session_with_extended_next_hop(lab, binary):
    topology(lab)
    frr = Frr(lab, "router", f"""frr defaults traditional
hostname router
log stdout informational
!
router bgp 64500
 bgp router-id {ROUTER_V4}
 no bgp ebgp-requires-policy
 neighbor {NODE_V6} remote-as 65550
 neighbor {NODE_V6} capability extended-nexthop
 neighbor {NODE_V6} timers connect 5
 !
 address-family ipv4 unicast
  neighbor {NODE_V6} activate
 exit-address-family
 address-family ipv6 unicast
  neighbor {NODE_V6} activate
 exit-address-family
!
""")
    Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4,
        "--peer", f"{ROUTER_V6},as=64500,extended-next-hop",
        "--route", "203.0.113.100/32,med=7,community=64500:100",
        "--route", "2001:db8:20::1/128"])

    def state():
        return frr.json(f"show bgp neighbors {NODE_V6}").get(NODE_V6, {}).get("bgpState")
    wait_for("FRR session Established", lambda: state() == "Established", 40)
    route = wait_for("IPv4 route in FRR", lambda: frr.json(
        "show bgp ipv4 unicast 203.0.113.100/32").get("paths"), 20)[0]
    hops = [h.get("ip") for h in route.get("nexthops", [])]
    assert NODE_V6 in hops, route
    assert route.get("metric") == 7, route  # FRR calls MED "metric"
    assert route.get("community", {}).get("string") == "64500:100", route
    assert route.get("aspath", {}).get("string") == "65550", route
    # zebra put it in the kernel: an IPv4 route through an IPv6 next hop (RFC 8950).
    kernel = wait_for("kernel route", lambda: lab.exec(
        "router", "ip", "route", "show", "203.0.113.100/32"), 20)
    assert f"via inet6 {NODE_V6}" in kernel, kernel
    v6 = wait_for("IPv6 route in the kernel", lambda: lab.exec(
        "router", "ip", "-6", "route", "show", "2001:db8:20::1/128"), 20)
    assert NODE_V6 in v6, v6


def test_bird_accepts_routes_with_their_attributes(lab, binary):
    topology(lab)
    bird = Bird(lab, "router", f"""
router id {ROUTER_V4};
protocol device {{ }}
protocol bgp vipd {{
  local {ROUTER_V4} as 64500;
  neighbor {NODE_V4} as 65550;
  hold time 9;
  ipv4 {{ import all; export none; }};
}}
""")
    Driver(lab, "node", binary, [
        "--local-as", "65550", "--router-id", NODE_V4, "--peer", f"{ROUTER_V4},as=64500",
        "--route", "203.0.113.110/32,med=10,community=64500:1,large=65550:1:2,origin=egp"])
    wait_for("BIRD session Established",
             lambda: "Established" in bird.birdc("show", "protocols", "vipd"), 40)
    out = wait_for("route in BIRD", lambda: (o := bird.birdc(
        "show", "route", "203.0.113.110/32", "all")) and "BGP.as_path" in o and o, 20)
    for expected in ["BGP.origin: EGP", "BGP.as_path: 65550", f"BGP.next_hop: {NODE_V4}",
                     "BGP.med: 10", "BGP.community: (64500,1)",
                     "BGP.large_community: (65550, 1, 2)"]:
        assert expected in out, f"{expected!r} missing from:\n{out}"
    # (BIRD shows BGP.local_pref 100 on eBGP routes: its own default, not from the wire.)


TESTS = [
    test_frr_installs_ipv4_routes_over_an_ipv6_session_with_extended_next_hop,
    test_bird_accepts_routes_with_their_attributes,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, sys.argv[1:]))
