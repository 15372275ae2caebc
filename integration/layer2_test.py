#!/usr/bin/env python3
"""Layer-2 VIPs with `vipd speaker` on three nodes and `vipd controller`, against the test API
server (the Kubernetes lab, k8s_lab.py), driven with kubectl as a user would. The VIPs are on
the nodes' LAN (192.0.2.192/28, 2001:db8::c0/124): the router reaches them by ARP and
neighbour discovery, so what moves on a failure is the router's neighbour entry.

Checked: the VIP is on exactly the node MetalLB's rule elects (SHA-256 of node#address), the
router's neighbour entry points at that node and the client's requests reach it; then the
owner's speaker is killed (SIGKILL) and its LAN link goes down (BFD between the speakers: traffic
back in under a second), the owner's LAN link goes down (the same), the owner's endpoint goes
away (policy Local), the owner is cut off from the API server and comes back (partition and
heal: one owner in the end), and a clean stop hands over at once. Each failover reports the
time from the fault to the first request answered by the new owner.

Usage: layer2_test.py --vipd build/dev/daemon/vipd [-k NAME]
"""
import json
import signal
import sys
import time

from demo_lab import NODES
from k8s_lab import KubeDemo, endpoint_slices
from lab import run_tests, wait_for
from layer2_lab import (L2_CONFIG, L2_V4, L2_V6, answers, bfd_up, failover, holders,
                        l2_statuses, lan_if, lan_service, link_up, node_mac, ranked,
                        router_neighbour, wait_owner)

def setup(lab, vipd, policy="Cluster", endpoints=tuple(NODES)):
    demo = KubeDemo(lab, vipd, say=lambda text: print(text, flush=True), strict=True)
    demo.setup()
    demo.wait_ready()
    c = demo.cluster
    c.kubectl("apply", "-f", "-", input=L2_CONFIG)
    c.apply(lan_service(policy), *endpoint_slices(list(endpoints), service="lan"))
    assert wait_for("the controller's status",
                    lambda: c.ingress("lan") == [L2_V4, L2_V6], 20), c.ingress("lan")
    return demo


def test_owner_elected_announced_and_serving(lab, vipd):
    demo = setup(lab, vipd)
    owner = ranked(NODES)[0]
    assert ranked(NODES, L2_V4)[0] == owner
    assert wait_owner(demo, owner), {a: holders(demo, a) for a in (L2_V4, L2_V6)}
    answered, t = answers(demo)
    assert not t.failures(), t.describe_failures()
    assert set(answered) == {owner}, answered
    mac = node_mac(demo, owner)
    assert router_neighbour(demo, L2_V4) == mac, (router_neighbour(demo, L2_V4), mac)
    assert router_neighbour(demo, L2_V6) == mac, (router_neighbour(demo, L2_V6), mac)
    # /status of every node agrees on the owner; the owner says where the VIP is.
    for node, s in demo.speakers.items():
        layer2 = {l["address"]: l for l in s.status()["layer2"]}
        assert layer2[L2_V4]["owner"] == owner, layer2
        assert layer2[L2_V4]["mine"] == (node == owner), layer2
        assert sorted(s.status()["live_speakers"]) == sorted(NODES), s.status()["live_speakers"]
    mine = {l["address"]: l for l in demo.speakers[owner].status()["layer2"]}
    assert mine[L2_V6]["state"] == "up" and mine[L2_V6]["interface"] == lan_if(demo, owner), mine
    assert mine[L2_V4]["gratuitous_sent"] >= 2, mine
    metrics = demo.speakers[owner].get("/metrics")[1]
    assert f'vipd_layer2_owned_bool{{ip="{L2_V4}"}} 1' in metrics, metrics[-2000:]
    # The IPv6 VIP is not tentative and never the node's source address (preferred_lft 0).
    shown = demo.lab.exec(owner, "ip", "-6", "-o", "addr", "show", "dev", lan_if(demo, owner))
    line = next(x for x in shown.splitlines() if L2_V6 in x)
    assert "tentative" not in line and "preferred_lft 0sec" in line, line
    # ServiceL2Status as newer MetalLB writes it: the owner and its interface.
    assert wait_for("the ServiceL2Status", lambda: l2_statuses(demo) == {
        owner: [lan_if(demo, owner)]}, 10), l2_statuses(demo)
    # Events as MetalLB's speaker writes them.
    out = demo.cluster.kubectl_json("get", "events", "-n", "default", "--field-selector",
                                    "involvedObject.name=lan")
    messages = [e.get("message", "") for e in out["items"]]
    assert f'announcing from node "{owner}" with protocol "layer2"' in messages, messages


def test_killed_owner_is_replaced(lab, vipd):
    demo = setup(lab, vipd)
    order = ranked(NODES)
    owner, successor = order[0], order[1]
    assert wait_owner(demo, owner)
    # The successor watches the owner with BFD (it comes Up at the 1 s rate of a new session).
    assert wait_for("BFD between the owner and its successor",
                    lambda: bfd_up(demo, successor, owner) and bfd_up(demo, owner, successor), 15)
    # A killed speaker leaves its address behind (nothing deletes it): take the node's link
    # down too, as when the node itself dies, so the old copy cannot answer.

    def fault():
        demo.speakers[owner].signal(signal.SIGKILL)
        demo.lab.exec(owner, "ip", "link", "set", lan_if(demo, owner), "down")

    # BFD between the speakers notices within 300 ms; requests wait 0.25 s at most, so one
    # in flight to the dead owner does not hide the takeover.
    took, t = failover(demo, fault, successor, timeout=0.25)
    print(f"killed owner: traffic back on {successor} after "
          f"{'never' if took is None else f'{took:.2f} s'}", flush=True)
    assert took is not None and took < 1, (took, t.describe_failures())
    assert holders(demo) == [successor]
    assert router_neighbour(demo, L2_V4) == node_mac(demo, successor)
    bfd = {b["node"]: b for b in demo.speakers[successor].status().get("speaker_bfd", [])}
    assert bfd.get(owner, {}).get("failed") is True, bfd


def test_owner_link_down_moves_the_vip(lab, vipd):
    demo = setup(lab, vipd)
    order = ranked(NODES)
    owner, successor = order[0], order[1]
    assert wait_owner(demo, owner)
    assert wait_for("BFD between the owner and its successor",
                    lambda: bfd_up(demo, successor, owner) and bfd_up(demo, owner, successor), 15)
    # The owner's speaker keeps running; its LAN link down, BFD with it fails at once (and it
    # cannot renew its Lease: the API server is on the LAN), so the successor takes over.
    took, t = failover(demo, lambda: demo.lab.exec(owner, "ip", "link", "set",
                                                   lan_if(demo, owner), "down"),
                       successor, timeout=0.25)
    print(f"owner link down: traffic back on {successor} after "
          f"{'never' if took is None else f'{took:.2f} s'}", flush=True)
    assert took is not None and took < 1, (took, t.describe_failures())
    # The link comes back: the original owner ranks first again and takes the VIP back; one
    # owner only.
    link_up(demo, owner)
    assert wait_owner(demo, owner, 30), (holders(demo, L2_V4), holders(demo, L2_V6))
    answered, t = answers(demo)
    assert set(answered) == {owner} and not t.failures(), (answered, t.describe_failures())


def test_owner_endpoint_gone_moves_the_vip(lab, vipd):
    order = ranked(NODES)
    demo = setup(lab, vipd, policy="Local", endpoints=order[:2])
    owner, successor = order[0], order[1]
    assert wait_owner(demo, owner)
    took, t = failover(demo, lambda: demo.cluster.apply(
        *endpoint_slices([successor], service="lan")), successor)
    print(f"owner's endpoint gone: traffic back on {successor} after "
          f"{'never' if took is None else f'{took:.2f} s'}", flush=True)
    assert took is not None, t.describe_failures()
    # No endpoint anywhere: no node holds the VIP.
    demo.cluster.apply(*endpoint_slices([], service="lan"))
    assert wait_for("no holder", lambda: holders(demo) == [] and holders(demo, L2_V6) == [], 15)


def test_partition_and_heal_end_with_one_owner(lab, vipd):
    demo = setup(lab, vipd)
    order = ranked(NODES)
    owner, successor = order[0], order[1]
    assert wait_owner(demo, owner)
    # The owner loses the API server (a blackhole route) but keeps its LAN: it lets go of its
    # Lease and its VIPs, the successor takes over.
    demo.lab.exec(owner, "ip", "route", "add", "blackhole", "192.0.2.100/32")
    assert wait_owner(demo, successor, 30), (holders(demo, L2_V4), holders(demo, L2_V6))
    # Heal: the owner comes back, takes its VIPs back, and the successor releases them.
    demo.lab.exec(owner, "ip", "route", "del", "blackhole", "192.0.2.100/32")
    assert wait_owner(demo, owner, 30), (holders(demo, L2_V4), holders(demo, L2_V6))
    time.sleep(2)
    assert holders(demo) == [owner] and holders(demo, L2_V6) == [owner]
    answered, t = answers(demo)
    assert set(answered) == {owner} and not t.failures(), (answered, t.describe_failures())


def test_clean_stop_hands_over_at_once(lab, vipd):
    demo = setup(lab, vipd)
    order = ranked(NODES)
    owner, successor = order[0], order[1]
    assert wait_owner(demo, owner)
    took, t = failover(demo, lambda: demo.speakers[owner].signal(signal.SIGTERM), successor)
    print(f"clean stop: traffic on {successor} after "
          f"{'never' if took is None else f'{took:.2f} s'}", flush=True)
    assert took is not None and took < 2, (took, t.describe_failures())
    assert demo.speakers[owner].wait(15) == 0
    # The stopped node deleted its ServiceL2Status; the new owner wrote its own.
    assert wait_for("the ServiceL2Status to move", lambda: l2_statuses(demo) == {
        successor: [lan_if(demo, successor)]}, 10), l2_statuses(demo)


def test_romana_vip_lives_where_its_endpoint_is(lab, vipd):
    """A Romana VIP on a ClusterIP Service: the controller puts the address in
    spec.externalIPs; the speaker on the node with the endpoint brings it up, whatever the
    hash order says, and it follows the endpoint at once."""
    demo = setup(lab, vipd)
    c = demo.cluster
    vip = "192.0.2.201"
    last = ranked(NODES, vip)[-1]  # the node the hash ranks last: only its endpoint counts
    c.apply({"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "romana", "namespace": "default",
                          "annotations": {"romanavip": json.dumps({"ip": vip})}},
             "spec": {"type": "ClusterIP", "ports": [{"port": 80, "protocol": "TCP"}]}},
            *endpoint_slices([last], service="romana"))
    assert wait_for("the externalIPs", lambda: vip in c.kubectl_json(
        "get", "service", "romana").get("spec", {}).get("externalIPs", []), 20)
    assert wait_for(f"{last} to hold the Romana VIP", lambda: holders(demo, vip) == [last], 20), \
        holders(demo, vip)
    t = demo.requests(20, interval=0.01, targets=(vip,), limit=10)
    assert set(t.answered()) == {last} and not t.failures(), (t.answered(),
                                                             t.describe_failures())
    other = ranked(NODES, vip)[0]
    took, t = failover(demo, lambda: c.apply(*endpoint_slices([other], service="romana")), other,
                       targets=(vip,), vip=vip)
    print(f"Romana VIP follows its endpoint: traffic on {other} after "
          f"{'never' if took is None else f'{took:.2f} s'}", flush=True)
    assert took is not None and took < 2, (took, t.describe_failures())


if __name__ == "__main__":
    sys.exit(run_tests([test_owner_elected_announced_and_serving, test_killed_owner_is_replaced,
                        test_owner_link_down_moves_the_vip, test_owner_endpoint_gone_moves_the_vip,
                        test_partition_and_heal_end_with_one_owner,
                        test_clean_stop_hands_over_at_once,
                        test_romana_vip_lives_where_its_endpoint_is],
                       sys.argv[1:], binary_flag="--vipd"))
