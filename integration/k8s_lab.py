"""The Kubernetes lab: the demo's network (demo_lab.py: an FRR router with ECMP, a gobgpd
collector, three nodes on one LAN with an HTTP responder each, a client behind the router) with
a cluster on it: the test API server (k8s_api_server.py) in its own namespace on the LAN,
MetalLB's CRDs and vipd's RBAC (deploy/) applied with kubectl, `vipd controller` beside the API
server and `vipd speaker` on every node, each with its ServiceAccount's token
(`kubectl create token`), as pods would run them.

    api 192.0.2.100 / 2001:db8::100   test API server (port 6443), kubectl, vipd controller
      '-- on the demo's LAN with node1..3 (192.0.2.11..13), the router and the collector

No kubelet runs: Nodes and EndpointSlices are written with kubectl, endpoints naming their
node. The HTTP responders already answer on every node for the service's address (on lo), so
which node gets a request is decided by the router's routes alone.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from demo_lab import (ADMIN, DRAIN_TIME, HERE, HOLD_TIME, NODE_AS, NODES, PYTHON, ROUTER_AS,
                      ROUTER_V4, ROUTER_V6, COLLECTOR_AS, COLLECTOR_V4, VIP_V4, VIP_V6, POOL_V4,
                      POOL_V6, Demo, VipdSpeaker)
from lab import sh, wait_for

API_V4, API_V6 = "192.0.2.100", "2001:db8::100"
API_PORT = 6443
ROOT = os.path.join(HERE, "..")
SERVER = os.path.join(HERE, "k8s_api_server.py")
DEPLOY = os.path.join(ROOT, "deploy")
CONTROLLER_ADMIN = "127.0.0.1:7474"  # in the api namespace

# The user's configuration: MetalLB resources as a MetalLB user writes them.
CONFIG = f"""
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {{name: public, namespace: metallb-system}}
spec:
  addresses: [{POOL_V4}, {POOL_V6}]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {{name: router, namespace: metallb-system}}
spec: {{myASN: {NODE_AS}, peerASN: {ROUTER_AS}, peerAddress: {ROUTER_V4}, holdTime: {HOLD_TIME}s}}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {{name: router-v6, namespace: metallb-system}}
spec: {{myASN: {NODE_AS}, peerASN: {ROUTER_AS}, peerAddress: "{ROUTER_V6}", holdTime: {HOLD_TIME}s}}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {{name: collector, namespace: metallb-system}}
spec: {{myASN: {NODE_AS}, peerASN: {COLLECTOR_AS}, peerAddress: {COLLECTOR_V4},
        holdTime: {HOLD_TIME}s}}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {{name: public, namespace: metallb-system}}
spec:
  ipAddressPools: [public]
"""


def web_service(policy="Local"):
    """The demo's Service: asks for the addresses every node holds on lo."""
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default",
                         "annotations": {"metallb.io/loadBalancerIPs": f"{VIP_V4},{VIP_V6}"}},
            "spec": {"type": "LoadBalancer", "externalTrafficPolicy": policy,
                     "ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"],
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def endpoint_slices(nodes, service="web"):
    """One IPv4 and one IPv6 EndpointSlice with a ready endpoint on each of `nodes`."""
    slices = []
    for family, base in (("IPv4", "10.244.{}.10"), ("IPv6", "fd00:10:244:{}::10")):
        slices.append({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{service}-{family.lower()}", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": service}},
            "addressType": family,
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
            "endpoints": [{"addresses": [base.format(int(n[-1]))], "nodeName": n,
                           "conditions": {"ready": True}} for n in nodes]})
    return slices


def yaml_stream(*objects):
    return "".join("---\n" + json.dumps(o) + "\n" for o in objects)


class Cluster:
    """The test API server in the lab's `api` namespace; kubectl runs there too."""

    def __init__(self, lab):
        self.lab = lab
        self.dir = os.path.join(lab.dir, "cluster")
        os.makedirs(self.dir, exist_ok=True)
        self.process = lab.run("api", [PYTHON, SERVER, "--listen", f"{API_V4}:{API_PORT}",
                                       "--data-dir", self.dir, "--no-persist"],
                               "api-server.log")
        wait_for("the API server", lambda: "ready https://" in lab.log(self.process), 30, 0.05)
        self.admin = os.path.join(self.dir, "admin.kubeconfig")

    def kubectl(self, *args, input=None, kubeconfig=None, check=True, timeout=60):
        env = dict(os.environ, KUBECACHEDIR=os.path.join(self.dir, "kubectl-cache"),
                   HOME=self.dir)
        res = subprocess.run(["ip", "netns", "exec", self.lab.ns("api"), "kubectl",
                              "--kubeconfig", kubeconfig or self.admin, *args],
                             input=input, capture_output=True, text=True, env=env,
                             timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({res.returncode}): "
                                 f"{res.stdout}{res.stderr}")
        return res.stdout

    def kubectl_json(self, *args, **kw):
        return json.loads(self.kubectl(*args, "-o", "json", **kw))

    def apply(self, *objects):
        return self.kubectl("apply", "-f", "-", input=yaml_stream(*objects))

    def token_kubeconfig(self, account, namespace="metallb-system"):
        """A kubeconfig for a ServiceAccount, with a token from `kubectl create token`, as the
        pod's projected token would be."""
        token = self.kubectl("create", "token", account, "-n", namespace,
                             "--duration", "2h").strip()
        path = os.path.join(self.dir, f"{account}.kubeconfig")
        shutil.copy(self.admin, path)
        self.kubectl("config", "set-credentials", account, f"--token={token}",
                     kubeconfig=path)
        self.kubectl("config", "set-context", "--current", f"--user={account}", kubeconfig=path)
        return path

    def ingress(self, name="web", namespace="default"):
        try:
            svc = self.kubectl_json("get", "service", name, "-n", namespace)
        except AssertionError:
            return []
        return [i.get("ip") for i in svc.get("status", {}).get("loadBalancer", {})
                .get("ingress", [])]


class KubeSpeaker(VipdSpeaker):
    """`vipd speaker` in a node's namespace, as the DaemonSet's pod on that node."""

    def __init__(self, demo, node):
        self.demo, self.node, self.lab = demo, node, demo.lab
        demo.starts[node] = demo.starts.get(node, 0) + 1
        self.process = self.lab.run(
            node, [demo.vipd, "--log-level", "info", "speaker", "--node", node,
                   "--kubeconfig", demo.speaker_kubeconfig, "--admin", ADMIN,
                   "--drain-time", f"{DRAIN_TIME}s"],
            f"{node}-vipd-{demo.starts[node]}.log")
        self.process.stop_signal = signal.SIGINT  # at cleanup: exit at once, no drain


class KubeDemo(Demo):
    """The demo's lab with a cluster on it; the steps a user takes with kubectl."""

    def __init__(self, lab, vipd, say=print, strict=False):
        super().__init__(lab, vipd, say=say, strict=strict)
        self.cluster = None
        self.controller = None
        self.speaker_kubeconfig = None

    def build(self):
        super().build()
        self.lab.add_ns("api")
        self.lab.link("api", "a0", "lan", "la")
        sh("ip", "-n", self.lab.ns("lan"), "link", "set", self.lab.prefix + "la", "master",
           self.lab.prefix + "br")
        self.lab.addr("api", "a0", f"{API_V4}/24")
        self.lab.addr("api", "a0", f"{API_V6}/64")

    def start_cluster(self):
        """The API server, MetalLB's CRDs, vipd's RBAC, the three Nodes."""
        c = self.cluster = Cluster(self.lab)
        # deploy/ as `kubectl kustomize` renders it, less the Deployment and the DaemonSet (no
        # kubelet runs here: this lab starts their processes itself): the namespace, MetalLB's
        # CRDs, and exactly the RBAC the controller and the speakers then run under.
        rendered = c.kubectl("kustomize", DEPLOY).split("\n---\n")
        kept = [d for d in rendered
                if re.search(r"^kind: (\w+)$", d, re.M).group(1) not in ("Deployment",
                                                                          "DaemonSet")]
        c.kubectl("apply", "-f", "-", input="\n---\n".join(kept))
        c.kubectl("wait", "--for", "condition=Established", "crd", "--all", "--timeout", "60s")
        c.apply(*({"apiVersion": "v1", "kind": "Node",
                   "metadata": {"name": n, "labels": {"kubernetes.io/hostname": n}},
                   "status": {"addresses": [{"type": "InternalIP", "address": v4},
                                            {"type": "InternalIP", "address": v6}]}}
                  for n, (v4, v6) in NODES.items()))
        self.speaker_kubeconfig = c.token_kubeconfig("vipd-speaker")
        self.controller_kubeconfig = c.token_kubeconfig("vipd-controller")

    def start_controller(self):
        self.controller = self.lab.run(
            "api", [self.vipd, "--log-level", "info", "controller",
                    "--kubeconfig", self.controller_kubeconfig, "--admin", CONTROLLER_ADMIN,
                    "--identity", "controller-0"], "controller.log")
        return self.controller

    def start_speaker(self, node, config_text=None):
        self.speakers[node] = KubeSpeaker(self, node)
        return self.speakers[node]

    def setup(self, speakers=True):
        """Builds the lab, the cluster, the controller and every speaker; waits until each
        speaker is ready (informers synced, first plan applied). No Service exists yet."""
        self.build()
        self.start_router()
        self.start_collector()
        self.start_responders()
        self.start_cluster()
        self.start_controller()
        if speakers:
            for node in NODES:
                self.start_speaker(node)

    def wait_ready(self, timeout=20):
        for node, s in self.speakers.items():
            wait_for(f"{node}'s speaker to be ready", s.ready, timeout, 0.1)

    def wait_hops(self, nodes, timeout=15):
        """Waits until both service addresses have exactly `nodes` as next hops; returns the
        seconds it took, or None."""
        start = time.monotonic()
        want = sorted(nodes)
        while time.monotonic() - start < timeout:
            if all(self.kernel_next_hops(v) == want for v in (VIP_V4, VIP_V6)):
                return time.monotonic() - start
            time.sleep(0.02)
        return None

    # --- the Kubernetes demo's steps (narrated and checked) ----------------------------------

    def kubectl_shown(self, *args, input=None):
        """Runs kubectl as the user would and shows the command and its output."""
        self.say(f"  $ kubectl {' '.join(args)}")
        out = self.cluster.kubectl(*args, input=input, check=False)
        for line in out.rstrip().splitlines():
            self.say(f"    {line}")
        return out

    def show_hops(self):
        for vip in (VIP_V4, VIP_V6):
            family = "-6" if ":" in vip else "-4"
            self.show("router", "ip", family, "route", "show", vip, label="router")

    def step_configure(self):
        self.heading("The user applies a MetalLB configuration: a pool, three BGP peers (the "
                     "router over IPv4 and IPv6, the collector) and an advertisement")
        self.kubectl_shown("apply", "-f", "-", input=CONFIG)
        ok = wait_for("every speaker's sessions", lambda: self.established_sessions() ==
                      3 * len(NODES), 20, 0.1)
        self.expect(ok, "every node has its three BGP sessions Established",
                    f"{self.established_sessions()} of {3 * len(NODES)}")

    def step_service(self, nodes=("node1", "node2")):
        self.heading(f"A Service of type LoadBalancer, externalTrafficPolicy Local, with "
                     f"endpoints on {' and '.join(nodes)}")
        self.say("  (no kubelet runs here: the EndpointSlices are written with kubectl, each "
                 "endpoint naming its node)")
        self.kubectl_shown("apply", "-f", "-", input=yaml_stream(
            web_service("Local"), *endpoint_slices(list(nodes))))
        got = wait_for("the Service's EXTERNAL-IP", lambda: self.cluster.ingress() ==
                       [VIP_V4, VIP_V6], 20, 0.1)
        self.kubectl_shown("get", "service", "web", "-o", "wide")
        self.expect(got, "vipd controller wrote both addresses to the Service's status",
                    ", ".join(self.cluster.ingress()))
        took = self.wait_hops(nodes, 20)
        self.show_hops()
        self.expect(took is not None, f"the router has exactly {len(nodes)} next hops: "
                    f"{', '.join(nodes)}", "" if took is None else f"after {took:.2f} s")

    def step_traffic(self, nodes, count=200):
        self.heading(f"{count} client requests (fresh TCP connection each, IPv4 and IPv6)")
        t = self.requests(count)
        answered = t.answered()
        for node in NODES:
            self.say(f"    {node}: {answered.get(node, 0):4d} answers")
        self.expect(not t.failures(), "no request failed", t.describe_failures())
        self.expect(set(answered) == set(nodes),
                    f"the traffic reaches {', '.join(nodes)} and no other node", str(answered))
        return t

    def step_move(self, old, new, stay="node1"):
        self.heading(f"The endpoint on {old} moves to {new}")
        t0 = time.monotonic()
        self.kubectl_shown("apply", "-f", "-", input=yaml_stream(
            *endpoint_slices([stay, new])))
        took = self.wait_hops((stay, new), 15)
        self.show_hops()
        self.expect(took is not None, f"the routes follow: {stay} and {new}",
                    f"after {time.monotonic() - t0:.2f} s")

    def step_cluster_policy(self):
        self.heading("externalTrafficPolicy: Cluster -- every node may take the traffic")
        self.kubectl_shown("patch", "service", "web", "-p",
                           '{"spec":{"externalTrafficPolicy":"Cluster"}}')
        took = self.wait_hops(sorted(NODES), 15)
        self.show_hops()
        self.expect(took is not None, "three next hops", "" if took is None
                    else f"after {took:.2f} s")

    def step_observe(self, node="node1"):
        self.heading("What the cluster and a node say")
        self.kubectl_shown("get", "events", "--field-selector", "involvedObject.name=web",
                           "--sort-by", ".metadata.creationTimestamp")
        self.show(node, self.vipd, "status", display="vipd status", label=node)

    def step_delete(self):
        self.heading("The Service is deleted")
        t0 = time.monotonic()
        self.kubectl_shown("delete", "service", "web")
        took = self.wait_hops([], 15)
        self.show_hops()
        self.expect(took is not None, "every route to it is withdrawn",
                    f"after {time.monotonic() - t0:.2f} s")

    def step_layer2(self):
        """A layer-2 pool on the LAN: one node holds the VIP, the router reaches it by ARP and
        neighbour discovery, and a stopped owner hands it over at once."""
        from layer2_lab import (L2_CONFIG, L2_V4, L2_V6, failover, holders, lan_if, lan_service,
                                node_mac, ranked, router_neighbour, wait_owner)
        self.heading("Layer 2: a pool on the LAN itself (an IPAddressPool and an L2Advertisement); "
                     "one node holds each address and answers ARP and neighbour discovery")
        self.kubectl_shown("apply", "-f", "-", input=L2_CONFIG)
        self.kubectl_shown("apply", "-f", "-", input=yaml_stream(
            lan_service("Cluster"), *endpoint_slices(sorted(NODES), service="lan")))
        owner, successor = ranked(NODES)[:2]
        got = wait_owner(self, owner, 20)
        self.kubectl_shown("get", "service", "lan")
        self.show(owner, "ip", "-brief", "addr", "show", "dev", lan_if(self, owner), label=owner)
        self.expect(got, f"{owner} holds {L2_V4} and {L2_V6}: first of the three by MetalLB's "
                    f"rule (SHA-256 of node#{L2_V4})",
                    f"holders: {holders(self, L2_V4)}, {holders(self, L2_V6)}")
        t = self.requests(100, interval=0.005, targets=(L2_V4, L2_V6), limit=20)
        self.show("router", "ip", "neigh", "show", L2_V4, label="router")
        mac = node_mac(self, owner)
        self.expect(router_neighbour(self, L2_V4) == mac and router_neighbour(self, L2_V6) == mac,
                    f"the router's neighbour entries point at {owner} ({mac})")
        self.expect(set(t.answered()) == {owner} and not t.failures(),
                    f"100 client requests: all answered by {owner}", str(t.answered()))
        self.say(f"  {owner}'s speaker is stopped (SIGTERM, as when its pod is deleted) while the "
                 "client keeps sending (each request waits 0.25 s at most)")
        took, t = failover(self, lambda: self.speakers[owner].signal(signal.SIGTERM), successor,
                           limit=15, timeout=0.25)
        self.show("router", "ip", "neigh", "show", L2_V4, label="router")
        self.kubectl_shown("get", "servicel2statuses", "-n", "metallb-system")
        # A request in flight when the address moves waits for the client's timeout (0.25 s).
        self.expect(took is not None and took < 1,
                    f"{successor} took the VIP over: client traffic back at once",
                    "never" if took is None else f"after {took:.2f} s")
        return (owner,)

    def step_romana_failover(self, dead):
        """A Romana VIP on the LAN: it lives on a node with its endpoint; that node dies and the
        next one takes the client's traffic in under a second (BFD between the speakers).
        `dead`: the speakers already stopped (the live ones hold the endpoints)."""
        from layer2_lab import (bfd_up, failover, holders, lan_if, node_mac, ranked,
                                router_neighbour)
        vip = "192.0.2.201"
        live = sorted(n for n in NODES if n not in dead)
        owner, successor = ranked(live, vip)[:2]
        self.heading(f"A Romana VIP ({vip}, the romanavip annotation on a ClusterIP Service) with "
                     f"endpoints on {' and '.join(live)}; then its node dies")
        self.kubectl_shown("apply", "-f", "-", input=yaml_stream(
            {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "romana", "namespace": "default",
                          "annotations": {"romanavip": json.dumps({"ip": vip})}},
             "spec": {"type": "ClusterIP", "ports": [{"port": 80, "protocol": "TCP"}]}},
            *endpoint_slices(live, service="romana")))
        got = wait_for(f"{owner} to hold {vip}", lambda: holders(self, vip) == [owner], 20)
        self.kubectl_shown("get", "service", "romana")
        self.expect(got, f"{owner} holds {vip} (the controller put it in spec.externalIPs)",
                    f"holders: {holders(self, vip)}")
        up = wait_for("BFD between the two speakers",
                      lambda: bfd_up(self, successor, owner) and bfd_up(self, owner, successor), 15)
        self.say(f"  {successor}'s BFD sessions with other speakers (its /status, speaker_bfd):")
        for b in self.speakers[successor].status().get("speaker_bfd", []):
            self.say(f"    {b['node']} {b['address']} {b['state']}")
        self.expect(up, f"{successor} watches {owner} with BFD (100 ms x 3)")
        self.say(f"  {owner} dies: its speaker is killed (SIGKILL) and its LAN link goes down, "
                 "while the client keeps sending (each request waits 0.25 s at most)")

        def fault():
            self.speakers[owner].signal(signal.SIGKILL)
            self.lab.exec(owner, "ip", "link", "set", lan_if(self, owner), "down")

        took, t = failover(self, fault, successor, limit=15, targets=(vip,), vip=vip,
                           timeout=0.25)
        self.show("router", "ip", "neigh", "show", vip, label="router")
        self.expect(took is not None and took < 1 and
                    router_neighbour(self, vip) == node_mac(self, successor),
                    f"{successor} took {vip} over: client traffic back in under a second",
                    "never" if took is None else f"after {took:.2f} s")

