#!/usr/bin/env python3
"""`vipd speaker` on three nodes and `vipd controller`, against the test API server, an FRR
router with ECMP and a gobgpd collector (the Kubernetes lab, k8s_lab.py), driven with kubectl
as a user would: the Kubernetes demo's steps with assertions, and a speaker killed and
restarted, a node excluded from load balancers, a peer whose node selector stops matching, an
invalid configuration, a peer password from a Secret, and a BFDProfile on the router's BGPPeer
(a frozen node leaves the router's route within the BFD detection time).

Usage: speaker_test.py --vipd build/dev/daemon/vipd [-k NAME]
"""
import json
import signal
import sys
import time

from demo_lab import NODES, VIP_V4, VIP_V6
from k8s_lab import CONFIG, KubeDemo, endpoint_slices, web_service
from lab import run_tests, wait_for


def demo_of(lab, vipd):
    demo = KubeDemo(lab, vipd, say=lambda text: print(text, flush=True), strict=True)
    demo.setup()
    demo.wait_ready()
    demo.cluster.kubectl("apply", "-f", "-", input=CONFIG)
    return demo


def hops(demo):
    return {v: demo.kernel_next_hops(v) for v in (VIP_V4, VIP_V6)}


def events(demo, name="web"):
    out = demo.cluster.kubectl_json("get", "events", "-n", "default", "--field-selector",
                                    f"involvedObject.name={name}")
    return [(e.get("reason"), e.get("message"), (e.get("source") or {}).get("component", ""))
            for e in out["items"]]


def bgp_statuses(demo, service="web"):
    """{node: peers} of the ServiceBGPStatus objects of `service`."""
    out = demo.cluster.kubectl_json("get", "servicebgpstatuses", "-n", "metallb-system", "-l",
                                    f"metallb.io/service-name={service}")
    return {i["status"]["node"]: i["status"].get("peers", []) for i in out["items"]
            if i.get("status", {}).get("node")}


def test_the_demo_steps(lab, vipd):
    demo = demo_of(lab, vipd)
    c = demo.cluster
    # A Service with endpoints on node1 and node2, policy Local.
    c.apply(web_service("Local"), *endpoint_slices(["node1", "node2"]))
    assert wait_for("the controller's status", lambda: c.ingress() == [VIP_V4, VIP_V6], 20)
    shown = c.kubectl("get", "service", "web")
    assert VIP_V4 in shown, shown
    took = demo.wait_hops(["node1", "node2"], 20)
    assert took is not None, hops(demo)
    # Every node's sessions are up (router IPv4 and IPv6, collector); node3 announces nothing.
    assert wait_for("nine sessions", lambda: demo.established_sessions() == 9, 15)
    assert demo.speakers["node3"].announcements() == set()
    # ServiceBGPStatus: one per announcing node, naming the peers, as MetalLB ≥ 0.14 keeps them.
    peers = ["collector", "router", "router-v6"]
    assert wait_for("two ServiceBGPStatus objects", lambda: bgp_statuses(demo) ==
                    {"node1": peers, "node2": peers}, 15), bgp_statuses(demo)
    # nodeAssigned Events from the two announcing speakers, as MetalLB's speaker writes them.
    assigned = wait_for("two nodeAssigned Events", lambda: sorted(
        m for r, m, _ in events(demo) if r == "nodeAssigned") or None, 15)
    assert assigned == ['announcing from node "node1" with protocol "bgp"',
                        'announcing from node "node2" with protocol "bgp"'], assigned
    # Real traffic reaches both nodes, and only them.
    traffic = demo.requests(200)
    assert not traffic.failures(), traffic.describe_failures()
    assert set(traffic.answered()) == {"node1", "node2"}, traffic.answered()
    # The endpoint on node2 moves to node3: the routes follow.
    c.apply(*endpoint_slices(["node1", "node3"]))
    assert demo.wait_hops(["node1", "node3"], 15) is not None, hops(demo)
    # Policy Cluster: every node announces.
    c.kubectl("patch", "service", "web", "-p", '{"spec":{"externalTrafficPolicy":"Cluster"}}')
    assert demo.wait_hops(sorted(NODES), 15) is not None, hops(demo)
    assert wait_for("three ServiceBGPStatus objects", lambda: set(bgp_statuses(demo)) ==
                    set(NODES), 15), bgp_statuses(demo)
    # vipd status on a node says what it announces to which peer.
    status = demo.speakers["node2"].status()
    assert status["mode"] == "speaker" and status["ready"], status
    announced = {(a["peer"], a["prefix"]) for a in status["announcements"]
                 if a["reason"] == "announced"}
    assert ("router", f"{VIP_V4}/32") in announced, announced
    assert ("router-v6", f"{VIP_V6}/128") in announced, announced
    # Deleted: withdrawn everywhere.
    c.kubectl("delete", "service", "web")
    assert demo.wait_hops([], 15) is not None, hops(demo)
    assert wait_for("no ServiceBGPStatus left", lambda: bgp_statuses(demo) == {}, 15)


def test_a_killed_speaker_announces_the_same_routes_again_and_a_drained_one_leaves(lab, vipd):
    demo = demo_of(lab, vipd)
    c = demo.cluster
    c.apply(web_service("Cluster"), *endpoint_slices(["node1"]))
    assert demo.wait_hops(sorted(NODES), 20) is not None, hops(demo)
    before = demo.speakers["node2"].announcements()
    demo.speakers["node2"].signal(signal.SIGKILL)
    demo.speakers["node2"].wait(5)
    # The kernel closes the dead process's sessions: the router drops node2.
    assert demo.wait_hops(["node1", "node3"], 10) is not None, hops(demo)
    demo.start_speaker("node2")
    assert demo.wait_hops(sorted(NODES), 20) is not None, hops(demo)
    assert demo.speakers["node2"].announcements() == before
    # SIGTERM (a pod deleted, a node drained): GRACEFUL_SHUTDOWN first, no request fails, then
    # the routes are withdrawn and the speaker exits 0 (step_drain checks each).
    assert wait_for("nine sessions", lambda: demo.established_sessions() == 9, 15)
    drain = demo.step_drain("node3")
    assert not drain.failures(), drain.describe_failures()
    assert wait_for("node3's ServiceBGPStatus removed", lambda: "node3" not in bgp_statuses(
        demo), 10)


def test_an_excluded_node_withdraws_and_a_peer_whose_selector_stops_matching_closes(lab, vipd):
    demo = demo_of(lab, vipd)
    c = demo.cluster
    c.apply(web_service("Cluster"), *endpoint_slices(["node1"]))
    assert demo.wait_hops(sorted(NODES), 20) is not None, hops(demo)
    # The exclusion label withdraws node3's routes; its sessions stay (as in MetalLB).
    c.kubectl("label", "node", "node3", "node.kubernetes.io/exclude-from-external-load-balancers=")
    assert demo.wait_hops(["node1", "node2"], 15) is not None, hops(demo)
    assert demo.established_sessions() == 9
    c.kubectl("label", "node", "node3", "node.kubernetes.io/exclude-from-external-load-balancers-")
    assert demo.wait_hops(sorted(NODES), 15) is not None, hops(demo)
    # The router's IPv4 peer only for nodes labelled rack=a: node1 gets the label, the others
    # close that session with a Cease (the router sees them go), and keep IPv6 and the collector.
    c.kubectl("label", "node", "node1", "rack=a")
    c.kubectl("patch", "bgppeer", "router", "-n", "metallb-system", "--type=merge", "-p",
              json.dumps({"spec": {"nodeSelectors": [{"matchLabels": {"rack": "a"}}]}}))
    assert wait_for("the IPv4 route from node1 only", lambda: demo.kernel_next_hops(VIP_V4) ==
                    ["node1"], 15)
    assert demo.kernel_next_hops(VIP_V6) == sorted(NODES)
    sessions = demo.router_sessions()
    assert sessions[NODES["node1"][0]] == "Established", sessions
    assert sessions[NODES["node2"][0]] != "Established", sessions
    log = demo.speakers["node2"].log()
    assert "router" in log and ("removed" in log or "Cease" in log), log[-2000:]


def test_an_invalid_configuration_keeps_the_last_good_announcements(lab, vipd):
    demo = demo_of(lab, vipd)
    c = demo.cluster
    c.apply(web_service("Cluster"), *endpoint_slices(["node1"]))
    assert demo.wait_hops(sorted(NODES), 20) is not None, hops(demo)
    # An overlapping pool is refused by every speaker: the announcements stay, the error is
    # shown, and an Event names the pool.
    c.kubectl("apply", "-f", "-", input="""
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: overlap, namespace: metallb-system}
spec: {addresses: [203.0.113.128/25]}
""")
    stale = wait_for("node1's configuration to be stale", lambda: demo.speakers["node1"]
                     .config_state().get("stale"), 15)
    assert stale
    errors = demo.speakers["node1"].config_state()["errors"]
    assert any("overlap" in e for e in errors), errors
    # Each speaker's ConfigurationState says so too.
    def state():
        out = c.kubectl_json("get", "configurationstates", "-n", "metallb-system")
        return {i["metadata"]["name"]: i.get("status", {}) for i in out["items"]}
    invalid = wait_for("the ConfigurationStates to say Invalid", lambda: (lambda s: s if all(
        s.get(f"speaker-{n}", {}).get("result") == "Invalid" for n in NODES) else None)(
        state()), 15)
    assert "overlap" in invalid["speaker-node1"]["errorSummary"], invalid
    time.sleep(1)
    assert hops(demo) == {VIP_V4: sorted(NODES), VIP_V6: sorted(NODES)}, hops(demo)
    # Fixed: nothing stale, still announced.
    c.kubectl("delete", "ipaddresspool", "overlap", "-n", "metallb-system")
    assert wait_for("node1's configuration valid again", lambda: not demo.speakers["node1"]
                    .config_state().get("stale"), 15)
    assert wait_for("the ConfigurationStates to say Valid", lambda: all(
        state().get(f"speaker-{n}", {}).get("result") == "Valid" for n in NODES), 15)
    assert hops(demo) == {VIP_V4: sorted(NODES), VIP_V6: sorted(NODES)}, hops(demo)


def test_a_peer_password_from_a_secret(lab, vipd):
    from demo_lab import COLLECTOR_AS, COLLECTOR_V4, NODE_AS
    from lab import Gobgpd
    demo = demo_of(lab, vipd)
    c = demo.cluster
    assert wait_for("nine sessions", lambda: demo.established_sessions() == 9, 15)
    # The collector now wants TCP MD5 (RFC 2385) with the password "s3cret".
    lab.stop(demo.collector.process)
    neighbors = "".join(f"""
  - config: {{neighbor-address: {v4}, peer-as: {NODE_AS}, auth-password: s3cret}}
    timers: {{config: {{hold-time: 3, keepalive-interval: 1, idle-hold-time-after-reset: 1}}}}
    transport: {{config: {{passive-mode: true}}}}""" for v4, _ in NODES.values())
    demo.collector = Gobgpd(lab, "collector", f"""
global:
  config: {{as: {COLLECTOR_AS}, router-id: {COLLECTOR_V4}}}
neighbors:{neighbors}
""", name="collector-md5")
    time.sleep(2)
    assert all(demo.collector.neighbor_state(v4) != "established" for v4, _ in NODES.values())
    # The BGPPeer names a Secret that does not exist yet: refused, the error says which.
    c.kubectl("patch", "bgppeer", "collector", "-n", "metallb-system", "--type=merge", "-p",
              json.dumps({"spec": {"passwordSecret": {"name": "collector-auth",
                                                      "namespace": "metallb-system"}}}))
    errors = wait_for("the missing Secret named", lambda: demo.speakers["node1"].config_state()
                      .get("errors"), 15)
    assert any("Secret metallb-system/collector-auth not found" in e for e in errors), errors
    # The Secret, as MetalLB asks for it (kubernetes.io/basic-auth, key password).
    c.kubectl("create", "secret", "generic", "collector-auth", "-n", "metallb-system",
              "--type=kubernetes.io/basic-auth", "--from-literal=password=s3cret")
    assert wait_for("the MD5 sessions to the collector", lambda: all(
        demo.collector.neighbor_state(v4) == "established" for v4, _ in NODES.values()), 20)
    assert not demo.speakers["node1"].config_state().get("stale")


def test_bfd_on_a_bgppeer_drops_a_frozen_node_within_the_detection_time(lab, vipd):
    demo = KubeDemo(lab, vipd, say=lambda text: print(text, flush=True), strict=True)
    demo.router_bfd = True  # FRR: `neighbor ... bfd` on the IPv4 sessions, bfdd 300 ms x 3
    demo.setup()
    demo.wait_ready()
    c = demo.cluster
    c.kubectl("apply", "-f", "-", input=CONFIG + """---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: {name: fast, namespace: metallb-system}
spec: {receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3}
""")
    c.kubectl("patch", "bgppeer", "router", "-n", "metallb-system", "--type=merge", "-p",
              json.dumps({"spec": {"bfdProfile": "fast"}}))

    def bfd_state(node):
        for p in demo.speakers[node].status().get("peers", []):
            if p["name"] == "router":
                return (p.get("bfd") or {}).get("state")
        return None

    assert wait_for("BFD Up on every node", lambda: all(bfd_state(n) == "Up" for n in NODES), 20), \
        {n: bfd_state(n) for n in NODES}
    assert wait_for("nine sessions", lambda: demo.established_sessions() == 9, 20)
    c.apply(web_service("Cluster"), *endpoint_slices(list(NODES)))
    assert demo.wait_hops(list(NODES), 20) is not None, hops(demo)
    _, metrics = demo.speakers["node1"].get("/metrics")
    assert 'vipd_bfd_session_up{peer="192.0.2.1"} 1' in metrics, metrics[-1500:]

    # node2's speaker frozen: the router's BFD drops it after 3 x 300 ms from its last packet,
    # before the 3 s hold time would.
    demo.speakers["node2"].signal(signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        assert wait_for("node2 to leave the IPv4 route",
                        lambda: demo.kernel_next_hops(VIP_V4) == ["node1", "node3"], 5, 0.02)
        gone = time.monotonic() - frozen
        print(f"  node2 frozen: its IPv4 next hop left the router after {gone * 1000:.0f} ms "
              f"(BFD 300 ms x 3, hold time 3 s)", flush=True)
        assert gone < 1.5, gone
        node2_v4 = NODES["node2"][0]
        bgp = demo.frr.json(f"show bgp neighbors {node2_v4}", daemon="bgpd").get(node2_v4, {})
        assert bgp.get("lastErrorCodeSubcode") == "060A", bgp  # FRR sent Cease / BFD Down
    finally:
        demo.speakers["node2"].signal(signal.SIGCONT)
    assert demo.wait_hops(list(NODES), 20) is not None, hops(demo)


TESTS = [
    test_the_demo_steps,
    test_a_killed_speaker_announces_the_same_routes_again_and_a_drained_one_leaves,
    test_an_excluded_node_withdraws_and_a_peer_whose_selector_stops_matching_closes,
    test_an_invalid_configuration_keeps_the_last_good_announcements,
    test_a_peer_password_from_a_secret,
    test_bfd_on_a_bgppeer_drops_a_frozen_node_within_the_detection_time,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, sys.argv[1:], binary_flag="--vipd", remove_dirs=True))
