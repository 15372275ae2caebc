"""Layer-2 helpers shared by the layer-2 tests and the demo: the LAN pool and its Service, MetalLB's
election order, and what the lab's hosts and router show (who holds a VIP, the router's
neighbour entry), with a failover timer driven by the client's requests.

The VIPs are on the nodes' LAN (192.0.2.192/28, 2001:db8::c0/124): the router reaches them by
ARP and neighbour discovery, so what moves on a failure is the router's neighbour entry.
"""
import hashlib
import json
import time

from demo_lab import NODES
from lab import wait_for

L2_V4, L2_V6 = "192.0.2.200", "2001:db8::c8"
L2_CONFIG = """
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec:
  addresses: [192.0.2.192/28, 2001:db8::c0/124]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  ipAddressPools: [lan]
"""


def lan_service(policy="Cluster"):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "lan", "namespace": "default",
                         "annotations": {"metallb.io/loadBalancerIPs": f"{L2_V4},{L2_V6}"}},
            "spec": {"type": "LoadBalancer", "externalTrafficPolicy": policy,
                     "ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"],
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def ranked(nodes, key=L2_V4):
    """MetalLB's order: SHA-256 of node + "#" + the first address, ascending."""
    return sorted(nodes, key=lambda n: hashlib.sha256(f"{n}#{key}".encode()).digest())


def lan_if(demo, node):
    """The node's LAN interface (the lab prefixes every name)."""
    return f"{demo.lab.prefix}n{list(NODES).index(node) + 1}"


def holders(demo, address=L2_V4):
    """The nodes whose LAN interface is up and holds `address` (vipd's VIPs: /32 and /128);
    a node whose link is down cannot answer for it."""
    out = []
    for node in NODES:
        shown = demo.lab.exec(node, "ip", "-o", "addr", "show", "up", "dev", lan_if(demo, node))
        if f" {address}/" in shown:
            out.append(node)
    return out


def router_neighbour(demo, address):
    """The MAC the router's neighbour entry for `address` holds, or None."""
    family = "-6" if ":" in address else "-4"
    out = demo.lab.exec("router", "ip", family, "-j", "neigh", "show", address)
    for entry in json.loads(out or "[]"):
        if entry.get("lladdr"):
            return entry["lladdr"]
    return None


def link_up(demo, node):
    """Brings the node's LAN link back as a host's network setup would: the kernel flushed its
    IPv6 addresses and the routes through it when it went down."""
    from demo_lab import ROUTER_V4, ROUTER_V6
    ifname = lan_if(demo, node)
    demo.lab.exec(node, "ip", "link", "set", ifname, "up")
    demo.lab.exec(node, "ip", "-6", "addr", "replace", f"{NODES[node][1]}/64", "dev", ifname,
                  "nodad")
    demo.lab.exec(node, "ip", "route", "replace", "default", "via", ROUTER_V4)
    demo.lab.exec(node, "ip", "-6", "route", "replace", "default", "via", ROUTER_V6)


def l2_statuses(demo, service="lan"):
    """{node: [interface names]} of the ServiceL2Status objects of `service`."""
    out = demo.cluster.kubectl_json("get", "servicel2statuses", "-n", "metallb-system", "-l",
                                    f"metallb.io/service-name={service}")
    return {i["status"]["node"]: [x.get("name") for x in i["status"].get("interfaces", [])]
            for i in out["items"] if i.get("status", {}).get("node")}


def node_mac(demo, node):
    return json.loads(demo.lab.exec(node, "ip", "-j", "link", "show",
                                    lan_if(demo, node)))[0]["address"]


def wait_owner(demo, node, timeout=20):
    """Waits until `node`, and only it, holds both VIPs."""
    return wait_for(f"{node} to hold the VIPs", lambda: holders(demo, L2_V4) == [node] and
                    holders(demo, L2_V6) == [node], timeout, 0.05)


def answers(demo, count=40):
    t = demo.requests(count, interval=0.01, targets=(L2_V4, L2_V6), limit=20)
    return t.answered(), t


def bfd_up(demo, node, other):
    """Whether `node`'s speaker has BFD Up with `other`'s (layer-2 liveness)."""
    for b in (demo.speakers[node].status() or {}).get("speaker_bfd", []):
        if b["node"] == other:
            return b["state"] == "Up"
    return False


def failover(demo, fault, new_owner, limit=30, targets=(L2_V4, L2_V6), vip=L2_V4, timeout=1.0):
    """Runs client requests in the background, applies `fault`, and returns the seconds from
    the fault to the end of the first request answered by `new_owner` after which every
    request succeeds (None if that never happened), and the traffic. The client's records
    carry CLOCK_MONOTONIC times, which this process shares. Each request waits `timeout` s at
    most: one sent to the old owner just before the move waits that long, so sub-second
    measurements use a shorter one."""
    p = demo.start_requests(interval=0.02, targets=targets, limit=limit, timeout=timeout)
    time.sleep(0.5)
    t0 = time.monotonic()
    fault()
    wait_for(f"{new_owner} to hold the VIP", lambda: holders(demo, vip) == [new_owner],
             limit - 5, 0.05)
    time.sleep(2)
    t = demo.stop_requests(p)
    after = [r for r in t.records if r[0] >= t0]
    for i, r in enumerate(after):
        if r[3] == new_owner and all(x[3] == new_owner for x in after[i:]):
            return r[0] + r[1] - t0, t
    return None, t


