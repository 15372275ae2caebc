#!/usr/bin/env python3
"""Route refresh against a real router: FRR 8.4 asks `vipd standalone` for its routes again.

Topology as in peer_settings_test.py: namespace "router" (FRR, 192.0.2.1/24) and namespace
"node" (`vipd standalone`, 192.0.2.11/24) on one veth link. Documentation addresses and ASNs
only.

`clear bgp <node> soft in` makes FRR send a ROUTE-REFRESH. With Enhanced Route Refresh
(RFC 7313) negotiated, FRR marks what it holds from vipd stale on the BoRR and drops whatever
was not re-sent by the EoRR: the routes survive only if vipd answered with the whole family.

Usage: bgp_refresh_test.py --vipd build/dev/daemon/vipd [-k NAME]
"""
import sys

from lab import Frr, run_tests, wait_for
from peer_settings_test import (NODE_AS, NODE_V4, ROUTER_AS, ROUTER_V4, Vipd, resources,
                                topology)

VIPS = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]


def frr_router(lab):
    return Frr(lab, "router", f"""frr defaults traditional
hostname router
log stdout informational
!
router bgp {ROUTER_AS}
 bgp router-id {ROUTER_V4}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor {NODE_V4} remote-as {NODE_AS}
 neighbor {NODE_V4} passive
 !
 address-family ipv4 unicast
  neighbor {NODE_V4} activate
 exit-address-family
!
""")


def test_frr_soft_in_is_answered_between_borr_and_eorr(lab, vipd):
    topology(lab)
    frr = frr_router(lab)
    services = [f"{{name: web{i}, addresses: [{vip}]}}" for i, vip in enumerate(VIPS)]
    node = Vipd(lab, vipd, resources(f"peerAddress: {ROUTER_V4}", services=services))

    def neighbor():
        return frr.json(f"show bgp neighbors {NODE_V4}").get(NODE_V4, {})

    def routes():
        return [vip for vip in VIPS
                if frr.json(f"show bgp ipv4 unicast {vip}/32").get("paths")]

    wait_for("FRR session Established", lambda: neighbor().get("bgpState") == "Established", 40)
    wait_for("all routes in FRR", lambda: routes() == VIPS, 30)
    n = neighbor()
    capabilities = n.get("neighborCapabilities", {})
    # RFC 7313 §2: both sides advertised the capability (code 70).
    assert capabilities.get("enhancedRouteRefresh") == "advertisedAndReceived", capabilities
    assert "advertised" in str(capabilities.get("routeRefresh", "")), capabilities
    before = n["messageStats"]
    established = n.get("connectionsEstablished")

    frr.vtysh(f"clear bgp {NODE_V4} soft in")

    # FRR sent one ROUTE-REFRESH; vipd answered with a BoRR, the routes, and an EoRR.
    def answered():
        stats = neighbor().get("messageStats", {})
        return (stats.get("routeRefreshSent", 0) >= before["routeRefreshSent"] + 1 and
                stats.get("routeRefreshRecv", 0) >= before["routeRefreshRecv"] + 2 and
                stats.get("updatesRecv", 0) > before["updatesRecv"]) and stats
    after = wait_for("BoRR, UPDATEs and EoRR from vipd", answered, 20)
    assert after["routeRefreshRecv"] == before["routeRefreshRecv"] + 2, (before, after)
    assert after["notificationsSent"] == before["notificationsSent"], (before, after)
    assert after["notificationsRecv"] == before["notificationsRecv"], (before, after)
    # Still the same session, and FRR holds every route, none stale, after the EoRR swept what
    # was not re-sent.
    def fresh():
        held = [frr.json(f"show bgp ipv4 unicast {vip}/32").get("paths", []) for vip in VIPS]
        return all(p and not p[0].get("stale") for p in held) and held
    wait_for("every route held and fresh", fresh, 10)
    n = neighbor()
    assert n.get("bgpState") == "Established", n.get("bgpState")
    assert n.get("connectionsEstablished") == established, (established, n)
    peer = node.peer(ROUTER_V4)
    assert peer and peer.get("state") == "Established", node.status()


if __name__ == "__main__":
    sys.exit(run_tests([test_frr_soft_in_is_answered_between_borr_and_eorr], sys.argv[1:],
                       binary_flag="--vipd", remove_dirs=True))
