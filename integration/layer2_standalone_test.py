#!/usr/bin/env python3
"""Layer-2 VIPs with `vipd standalone` on three hosts of one LAN (the demo's lab: the router and
its client reach the VIP by ARP and neighbour discovery), no Kubernetes: the members named in
the file elect the owner from the heartbeats they send each other, and a service's Local
policy means "its health check passes on that host".

Checked: the elected owner (MetalLB's SHA-256 order) holds the dual-stack VIP, the router's
neighbour entries point at it and the client's requests reach it; the owner's vipd killed with
its link down, the owner's health check failing, and a clean stop each move the VIP, with the
time from the fault to the first request answered by the new owner reported (the heartbeats:
200 ms × 3); the owner back → one owner.

Usage: layer2_standalone_test.py --vipd build/dev/daemon/vipd [-k NAME]
"""
import os
import signal
import sys
import time

from demo_lab import HTTP_PORT, NODES, Demo, start_speaker
from lab import run_tests, wait_for
from layer2_lab import (L2_V4, L2_V6, failover, holders, lan_if, node_mac, ranked,
                         router_neighbour, wait_owner)


def config(node, policy="Cluster"):
    nodes = "".join(f"- {{name: {n}, addresses: [{v4}, {v6}]}}\n"
                    for n, (v4, v6) in NODES.items())
    return f"""node: {node}
nodes:
{nodes}address-pools:
- {{name: lan, protocol: layer2, addresses: [192.0.2.192/28, 2001:db8::c0/124]}}
services:
- name: web
  addresses: [{L2_V4}, {L2_V6}]
  traffic-policy: {policy}
  health-check: {{http: "http://127.0.0.1:{HTTP_PORT}/healthz", interval: 100ms, timeout: 80ms,
                 rise: 1, fall: 2}}
"""


def setup(lab, vipd, policy="Cluster"):
    demo = Demo(lab, vipd, say=lambda text: print(text, flush=True), strict=True)
    demo.vipd = vipd
    demo.build()
    demo.start_router()
    demo.start_responders()
    for node in NODES:
        demo.speakers[node] = start_speaker(demo, node, config(node, policy))
    for node, s in demo.speakers.items():
        wait_for(f"{node}'s vipd to be ready", s.ready, 20, 0.1)
    return demo


def test_members_elect_one_owner_that_serves(lab, vipd):
    demo = setup(lab, vipd)
    owner = ranked(NODES)[0]
    assert wait_owner(demo, owner), (holders(demo, L2_V4), holders(demo, L2_V6))
    t = demo.requests(40, interval=0.01, targets=(L2_V4, L2_V6), limit=20)
    assert set(t.answered()) == {owner} and not t.failures(), (t.answered(),
                                                             t.describe_failures())
    assert router_neighbour(demo, L2_V4) == node_mac(demo, owner)
    assert router_neighbour(demo, L2_V6) == node_mac(demo, owner)
    for node, s in demo.speakers.items():
        status = s.status()
        assert sorted(status["live_speakers"]) == sorted(NODES), status["live_speakers"]
        layer2 = {entry["address"]: entry for entry in status["layer2"]}
        assert layer2[L2_V4]["owner"] == owner and layer2[L2_V4]["mine"] == (node == owner)


def test_killed_owner_is_replaced_within_a_second(lab, vipd):
    demo = setup(lab, vipd)
    owner, successor = ranked(NODES)[:2]
    assert wait_owner(demo, owner)

    def fault():
        demo.speakers[owner].signal(signal.SIGKILL)
        demo.lab.exec(owner, "ip", "link", "set", lan_if(demo, owner), "down")

    took, t = failover(demo, fault, successor)
    print(f"standalone, killed owner: traffic back on {successor} after "
          f"{'never' if took is None else f'{took:.2f} s'}", flush=True)
    # A request in flight to the old owner waits for the client's 1 s timeout.
    assert took is not None and took < 2, (took, t.describe_failures())


def test_failing_health_check_moves_a_local_vip(lab, vipd):
    demo = setup(lab, vipd, policy="Local")
    owner, successor = ranked(NODES)[:2]
    assert wait_owner(demo, owner)
    flag = demo.flag_file(owner)
    took, t = failover(demo, lambda: open(flag, "w").close(), successor)
    print(f"standalone, owner's check failing: traffic on {successor} after "
          f"{'never' if took is None else f'{took:.2f} s'}", flush=True)
    # A request in flight to the old owner waits for the client's 1 s timeout.
    assert took is not None and took < 2, (took, t.describe_failures())
    # The check passes again: the owner ranks first again and takes the VIP back, alone.
    os.unlink(flag)
    assert wait_owner(demo, owner, 10), (holders(demo, L2_V4), holders(demo, L2_V6))


def test_clean_stop_hands_over_and_the_owner_comes_back(lab, vipd):
    demo = setup(lab, vipd)
    owner, successor = ranked(NODES)[:2]
    assert wait_owner(demo, owner)
    took, t = failover(demo, lambda: demo.speakers[owner].signal(signal.SIGTERM), successor)
    print(f"standalone, clean stop: traffic on {successor} after "
          f"{'never' if took is None else f'{took:.2f} s'}", flush=True)
    # A request in flight when the address moves waits for the client's 1 s timeout.
    assert took is not None and took < 2, (took, t.describe_failures())
    assert demo.speakers[owner].wait(15) == 0
    # Started again: it takes the VIP back and the successor lets go.
    demo.speakers[owner] = start_speaker(demo, owner, config(owner))
    assert wait_owner(demo, owner, 15), (holders(demo, L2_V4), holders(demo, L2_V6))
    time.sleep(1)
    assert holders(demo) == [owner]
    t = demo.requests(40, interval=0.01, targets=(L2_V4, L2_V6), limit=20)
    assert set(t.answered()) == {owner} and not t.failures(), (t.answered(),
                                                             t.describe_failures())


def test_a_restarted_member_claims_nothing_it_does_not_own(lab, vipd):
    """A member that starts listens before it claims: it must not announce the VIP for the
    moment it has heard no one (the router would follow it, and lose the owner)."""
    demo = setup(lab, vipd)
    owner, last = ranked(NODES)[0], ranked(NODES)[-1]
    assert wait_owner(demo, owner)
    p = demo.start_requests(interval=0.02, targets=(L2_V4, L2_V6), limit=10)
    time.sleep(0.3)
    demo.speakers[last].signal(signal.SIGKILL)
    demo.speakers[last].wait(5)
    demo.speakers[last] = start_speaker(demo, last, config(last))
    wait_for(f"{last}'s vipd to be ready", demo.speakers[last].ready, 20, 0.05)
    time.sleep(1.5)
    t = demo.stop_requests(p)
    assert set(t.answered()) == {owner} and not t.failures(), (t.answered(),
                                                             t.describe_failures())
    assert holders(demo) == [owner]
    assert router_neighbour(demo, L2_V4) == node_mac(demo, owner)


if __name__ == "__main__":
    sys.exit(run_tests([test_members_elect_one_owner_that_serves,
                        test_killed_owner_is_replaced_within_a_second,
                        test_failing_health_check_moves_a_local_vip,
                        test_clean_stop_hands_over_and_the_owner_comes_back,
                        test_a_restarted_member_claims_nothing_it_does_not_own],
                       sys.argv[1:], binary_flag="--vipd"))
