#!/usr/bin/env python3
"""`vipd speaker`'s memory with a realistic cluster: N LoadBalancer Services (their statuses
written as a controller would), N EndpointSlices (three endpoints each, on random nodes, one of
them on the speaker's node for every other Service), M Nodes, and 4 BGP peers (gobgpd, one
namespace each) that all reach Established and receive every route the speaker plans.

Reported: the speaker's resident memory (VmRSS) once every route is announced and the peers
hold them, its peak (VmHWM), the time from start to the last route at the first peer, and the
routes planned. The cluster is the project's test API server (integration/k8s_api_server.py):
first filled over 127.0.0.1, then restarted on the same data directory inside the lab's `api`
namespace, where the speaker reaches it. MetalLB's speaker needs a real cluster (kubelet,
pods): it cannot run beside it here. Needs root.

    python3 bench/speaker_memory_bench.py --vipd build/release/daemon/vipd \\
        [--services 1000] [--nodes 100]
"""
import argparse
import concurrent.futures
import ipaddress
import json
import os
import random
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from k8s_api_test_support import CRDS, Server  # noqa: E402
from lab import Gobgpd, Lab, sh, wait_for  # noqa: E402

# IPv6 throughout: the test API server's IPv4 service range holds only 254 cluster IPs.
NODE_V4, NODE_V6 = "192.0.2.11", "2001:db8::11"
API_V4 = "192.0.2.100"
PEERS = [(f"2001:db8::{i}", f"192.0.2.{i}", 64510 + i) for i in range(1, 5)]
NODE_AS = 64501
POOL = ipaddress.ip_network("2001:db8:100::/64")


def config_text():
    docs = [f"""apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {{name: bench, namespace: metallb-system}}
spec: {{addresses: [{POOL}]}}""",
            """apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: bench, namespace: metallb-system}"""]
    for i, (address, _, asn) in enumerate(PEERS, 1):
        docs.append(f"""apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {{name: peer{i}, namespace: metallb-system}}
spec: {{myASN: {NODE_AS}, peerASN: {asn}, peerAddress: "{address}"}}""")
    return "\n---\n".join(docs) + "\n"


def populate(server, services, nodes, seed=1):
    rng = random.Random(seed)
    names = [f"node{i:03d}" for i in range(nodes)]

    def post(path, body):
        status, reply = server.request("POST", path, body)
        assert status == 201, (status, reply)
        return reply

    def node(name):
        post("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                               "metadata": {"name": name, "labels": {
                                   "kubernetes.io/hostname": name,
                                   "topology.kubernetes.io/zone": f"z{rng.randrange(3)}"}}})

    def service(i):
        name = f"svc-{i:05d}"
        local = i % 2 == 0
        svc = post("/api/v1/namespaces/default/services", {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {"type": "LoadBalancer", "ipFamilies": ["IPv6"],
                     "ipFamilyPolicy": "SingleStack",
                     "externalTrafficPolicy": "Local" if local else "Cluster",
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}})
        svc["status"] = {"loadBalancer": {"ingress": [{"ip": str(POOL[i + 1])}]}}
        status, reply = server.request(
            "PUT", f"/api/v1/namespaces/default/services/{name}/status", svc)
        assert status == 200, (status, reply)
        on = rng.sample(names[1:], 3)
        if local:
            on[0] = names[0]  # the speaker's node has an endpoint of every other Service
        post("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{name}-abcde", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv6",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [f"fd00:10::{i:x}:{k + 1}"], "nodeName": n,
                           "conditions": {"ready": True, "serving": True,
                                          "terminating": False},
                           "targetRef": {"kind": "Pod", "namespace": "default",
                                         "name": f"{name}-pod-{k}"}}
                          for k, n in enumerate(on)]})

    for n in names:
        node(n)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(service, range(services)))


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    return {k: int(re.search(rf"{k}:\s+(\d+) kB", text).group(1)) / 1024
            for k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")}


def smaps_by_file(pid):
    """Resident KiB per mapped file (and [heap], [anon]): where the resident memory is."""
    out, name = {}, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = head[5] if len(head) > 5 else "[anon]"
            elif head[0] == "Rss:":
                out[name] = out.get(name, 0) + int(head[1])
    return dict(sorted(out.items(), key=lambda kv: -kv[1])[:12])


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--vipd", required=True)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=100)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("needs root (network namespaces)")
        return 1
    with Lab(remove_dir=True) as lab:
        data = os.path.join(lab.dir, "cluster")
        t0 = time.monotonic()
        server = Server(lab.dir, data_dir=data)
        server.kubectl("apply", "-f", CRDS)
        server.kubectl("wait", "--for", "condition=Established", "crd", "--all",
                       "--timeout", "60s")
        server.kubectl("create", "namespace", "metallb-system")
        server.kubectl("apply", "-f", "-", input=config_text())
        populate(server, args.services, args.nodes)
        server.stop()
        print(f"cluster filled in {time.monotonic() - t0:.1f} s: {args.services} Services, "
              f"{args.services} EndpointSlices, {args.nodes} Nodes", flush=True)

        for ns in ("lan", "api", "node", *[f"peer{i}" for i in range(1, 5)]):
            lab.add_ns(ns)
        bridge = lab.prefix + "br"
        sh("ip", "-n", lab.ns("lan"), "link", "add", bridge, "type", "bridge")
        sh("ip", "-n", lab.ns("lan"), "link", "set", bridge, "up")

        def port(ns, ifname, lan_if, *addresses):
            lab.link(ns, ifname, "lan", lan_if)
            sh("ip", "-n", lab.ns("lan"), "link", "set", lab.prefix + lan_if, "master", bridge)
            for a in addresses:
                lab.addr(ns, ifname, f"{a}/{64 if ':' in a else 24}")

        port("api", "a0", "la", API_V4)
        port("node", "n0", "ln", NODE_V4, NODE_V6)
        peers = []
        for i, (address, router_id, asn) in enumerate(PEERS, 1):
            port(f"peer{i}", f"p{i}", f"lp{i}", address)
            peers.append(Gobgpd(lab, f"peer{i}", f"""
global:
  config: {{as: {asn}, router-id: {router_id}}}
neighbors:
  - config: {{neighbor-address: "{NODE_V6}", peer-as: {NODE_AS}}}
    transport: {{config: {{passive-mode: true}}}}
    afi-safis:
      - config: {{afi-safi-name: ipv6-unicast}}
""", name=f"gobgpd{i}"))
        api = lab.run("api", [sys.executable, os.path.join(HERE, "..", "integration",
                                                           "k8s_api_server.py"),
                              "--listen", f"{API_V4}:6443", "--data-dir", data],
                      "api.log")
        wait_for("the API server in the lab", lambda: "ready https://" in lab.log(api), 60, 0.1)
        kubeconfig = os.path.join(data, "admin.kubeconfig")
        start = time.monotonic()
        # VIPD_BENCH_WRAP="heaptrack -o /tmp/speaker": where the heap goes (times and sizes
        # are then not the speaker's own).
        wrap = os.environ.get("VIPD_BENCH_WRAP", "").split()
        speaker = lab.run("node", [*wrap, os.path.abspath(args.vipd), "--log-level", "warn",
                                   "speaker",
                                   "--node", "node000", "--kubeconfig", kubeconfig,
                                   "--admin", "127.0.0.1:7473"], "speaker.log")
        speaker.stop_signal = signal.SIGINT
        # Every Service is announced: the Cluster ones have endpoints elsewhere, and each Local
        # one has an endpoint on this node.
        expected = args.services

        def received():
            return [len(p.json("global", "rib", "-a", "ipv6") or {}) for p in peers]

        try:
            wait_for("every route at every peer", lambda: min(received()) >= expected, 120,
                     0.2)
        except AssertionError:
            print(f"routes at the peers: {received()}\n--- speaker log\n"
                  f"{lab.log(speaker)[-3000:]}\n--- API server log\n{lab.log(api)[-1500:]}")
            raise
        took = time.monotonic() - start
        time.sleep(3)  # settled: keepalives only
        if wrap:
            print(f"routes at the peers: {received()} after {took:.2f} s (wrapped: {wrap[0]})")
            return 0
        mem = proc_status(speaker.pid)
        if os.environ.get("VIPD_BENCH_SMAPS"):
            print(smaps_by_file(speaker.pid))
        print(json.dumps({"services": args.services, "endpointslices": args.services,
                          "nodes": args.nodes, "peers": len(PEERS),
                          "routes_per_peer": received()[0],
                          "start_to_last_route_s": round(took, 2),
                          "rss_mib": round(mem["VmRSS"], 1),
                          "rss_anon_mib": round(mem["RssAnon"], 1),
                          "rss_file_mib": round(mem["RssFile"], 1),
                          "peak_rss_mib": round(mem["VmHWM"], 1)}))
        if speaker.poll() is not None:
            print(lab.log(speaker)[-2000:])
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
