#!/usr/bin/env python3
"""The demo lab: a router running FRR with ECMP, a gobgpd route collector, three nodes on one
LAN each running `vipd standalone` and an HTTP responder, and a client behind the router; and
the demo's steps as functions that narrate what they do and check what they expect.

Topology (documentation addresses and ASNs only):

    client 198.51.100.2 / 2001:db8:ff::2
       |
    router 198.51.100.1 / 2001:db8:ff::1        FRR (zebra + bgpd), AS 64500, ECMP
           192.0.2.1 / 2001:db8::1
       |
    LAN (a bridge in its own namespace)
       |-- node1 192.0.2.11 / 2001:db8::11   \
       |-- node2 192.0.2.12 / 2001:db8::12    } AS 64501: speaker + HTTP responder,
       |-- node3 192.0.2.13 / 2001:db8::13   /  VIPs on lo
       '-- collector 192.0.2.250 / 2001:db8::250   gobgpd, AS 64502

Every node announces the service VIP 203.0.113.10/32 and 2001:db8:100::10/128; the router
spreads flows over the three nodes (fib_multipath_hash_policy=1: L4 hash).

Run as a script, this file is also the small programs that run inside the namespaces:
`responder` (the HTTP server of a node: GET / answers the node's name, /healthz answers 200, or
503 while the flag file exists), `client` (paced HTTP requests to the VIPs, one fresh TCP
connection each; writes one record per request) and `get` (one GET, for vipd's admin
endpoint).
"""
import argparse
import json
import os
import signal
import socket
import sys
import time

ROUTER_AS, NODE_AS, COLLECTOR_AS = 64500, 64501, 64502
ROUTER_V4, ROUTER_V6 = "192.0.2.1", "2001:db8::1"
ROUTER_CLIENT_V4, ROUTER_CLIENT_V6 = "198.51.100.1", "2001:db8:ff::1"
CLIENT_V4, CLIENT_V6 = "198.51.100.2", "2001:db8:ff::2"
COLLECTOR_V4, COLLECTOR_V6 = "192.0.2.250", "2001:db8::250"
NODES = {"node1": ("192.0.2.11", "2001:db8::11"),
         "node2": ("192.0.2.12", "2001:db8::12"),
         "node3": ("192.0.2.13", "2001:db8::13")}
VIP_V4, VIP_V6 = "203.0.113.10", "2001:db8:100::10"
POOL_V4, POOL_V6 = "203.0.113.0/24", "2001:db8:100::/64"
HOLD_TIME = 3      # seconds, on every session: SIGKILL must be noticed within it
DRAIN_TIME = 2     # seconds a drained node keeps announcing with GRACEFUL_SHUTDOWN
HTTP_PORT = 80
GSHUT = 0xFFFF0000  # RFC 8326 GRACEFUL_SHUTDOWN, 65535:0
ADMIN = "127.0.0.1:7473"  # vipd's admin endpoint, one per node namespace

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable

# The web service every node announces; its health check reads the responder's /healthz.
WEB = {"name": "web", "addresses": [VIP_V4, VIP_V6], "ports": [(80, "TCP")],
       "traffic-policy": "Local",
       "health-check": f'{{http: "http://127.0.0.1:{HTTP_PORT}/healthz", interval: 200ms, '
                       f'timeout: 150ms, rise: 1, fall: 2}}'}


class ExpectationFailed(AssertionError):
    pass


# ---------------------------------------------------------------------------------------------
# Standalone configuration


def standalone_config(node, services=(WEB,), hold=HOLD_TIME, extra=""):
    """The `vipd standalone` file of one node: peers (router v4 + v6, collector), the demo pool
    and the services. `extra` is appended verbatim (tests use it to break the file)."""
    lines = [f"node: {node}", "peers:"]
    for address, asn in ((ROUTER_V4, ROUTER_AS), (ROUTER_V6, ROUTER_AS),
                         (COLLECTOR_V4, COLLECTOR_AS)):
        lines.append(f"- {{peer-address: {address}, peer-asn: {asn}, my-asn: {NODE_AS}, "
                     f"hold-time: {hold}s}}")
    lines += ["address-pools:",
              f"- {{name: demo, protocol: bgp, addresses: [{POOL_V4}, {POOL_V6}]}}",
              "services:"]
    for s in services:
        lines.append(f"- name: {s['name']}")
        if "addresses" in s:
            lines.append(f"  addresses: [{', '.join(s['addresses'])}]")
        if "pool" in s:
            lines.append(f"  pool: {s['pool']}")
        if "ports" in s:
            ports = ", ".join(f"{{port: {p}, protocol: {proto}}}" for p, proto in s["ports"])
            lines.append(f"  ports: [{ports}]")
        for key in ("traffic-policy", "sharing-key", "health-check"):
            if key in s:
                lines.append(f"  {key}: {s[key]}")
    return "\n".join(lines) + "\n" + extra


# ---------------------------------------------------------------------------------------------
# Node speakers: the program that speaks BGP for a node. `start_speaker` is the one place that
# chooses it.


class VipdSpeaker:
    """`vipd standalone` in a node's namespace; its admin endpoint tells its state."""

    def __init__(self, demo, node, config_text):
        self.demo, self.node, self.lab = demo, node, demo.lab
        self.config_path = os.path.join(self.lab.dir, f"{node}.yaml")
        self.state_dir = os.path.join(self.lab.dir, f"{node}-state")
        os.makedirs(self.state_dir, exist_ok=True)
        self.write_config(config_text)
        demo.starts[node] = demo.starts.get(node, 0) + 1
        self.process = self.lab.run(
            node, [demo.vipd, "--log-level", "info", "standalone", "--config", self.config_path,
                   "--admin", ADMIN, "--state-dir", self.state_dir,
                   "--drain-time", f"{DRAIN_TIME}s"],
            f"{node}-vipd-{demo.starts[node]}.log")
        self.process.stop_signal = signal.SIGINT  # at cleanup: exit at once, no drain

    def write_config(self, text):
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.config_path)

    def reload(self, text):
        """Writes a new file and sends SIGHUP (vipd also notices the change by itself)."""
        self.write_config(text)
        self.process.send_signal(signal.SIGHUP)

    def get(self, path):
        """(status code, body) of GET http://ADMIN/path inside the node's namespace."""
        out = self.lab.exec(self.node, PYTHON, os.path.join(HERE, "demo_lab.py"), "get",
                            f"http://{ADMIN}{path}")
        code, _, body = out.partition("\n")
        return int(code), body

    def ready(self):
        return self.alive() and self.get("/readyz")[0] == 200

    def status(self):
        code, body = self.get("/status")
        return json.loads(body) if code == 200 else None

    def announcements(self):
        """{(service, prefix)} this node announces to at least one peer (the /status list also
        names what is held back, with the reason)."""
        return {(a.get("service"), a.get("prefix")) for a in self.status()["announcements"]
                if a.get("reason", "").startswith("announced")}

    def config_state(self):
        """The /status "config" object: file, loaded, stale, errors."""
        return self.status()["config"]

    def alive(self):
        return self.process.poll() is None

    def signal(self, sig):
        self.process.send_signal(sig)

    def wait(self, timeout):
        return self.process.wait(timeout)

    def log(self):
        return self.lab.log(self.process)


def start_speaker(demo, node, config_text=None):
    """Starts the BGP speaker of `node` (the one place that decides which program it is)."""
    return VipdSpeaker(demo, node, config_text or standalone_config(node))


# ---------------------------------------------------------------------------------------------
# Client traffic


class Traffic:
    """The records of one client run: [start, seconds, address, node or None, error]."""

    def __init__(self, records):
        self.records = records

    def answered(self, start=None, end=None):
        counts = {}
        for t, _, _, node, _ in self.within(start, end):
            if node:
                counts[node] = counts.get(node, 0) + 1
        return dict(sorted(counts.items()))

    def failures(self, start=None, end=None):
        return [r for r in self.within(start, end) if not r[3]]

    def within(self, start, end):
        return [r for r in self.records
                if (start is None or r[0] >= start) and (end is None or r[0] <= end)]

    def describe_failures(self, limit=3):
        f = self.failures()
        if not f:
            return ""
        shown = "; ".join(f"{r[2]}: {r[4]}" for r in f[:limit])
        return f"{len(f)} failed: " + shown + (f" (+{len(f) - limit} more)" if len(f) > limit
                                              else "")


# ---------------------------------------------------------------------------------------------
# The lab


class Demo:
    """The topology and the demo's steps. `say` narrates; `expect` records a checked
    expectation and, when `strict`, raises at the first that fails (the tests)."""

    def __init__(self, lab, vipd, say=print, strict=False):
        self.lab, self.vipd, self.say, self.strict = lab, vipd, say, strict
        # The router runs bfdd and BFD on its IPv4 sessions with the nodes (FRR's defaults,
        # 300 ms x 3); set before setup().
        self.router_bfd = False
        self.results = []   # (what, ok, detail)
        self.speakers = {}  # node → speaker
        self.starts = {}    # node → how many speakers were started (log names)
        self.frr = self.collector = None
        self.clients = 0
        self.steps = 0

    # --- expectations and narration -----------------------------------------------------

    def expect(self, ok, what, detail=""):
        self.results.append((what, bool(ok), detail))
        self.say(f"  [{'ok' if ok else 'FAIL'}] {what}" + (f" -- {detail}" if detail else ""))
        if not ok and self.strict:
            raise ExpectationFailed(f"{what}: {detail}")
        return bool(ok)

    def failed(self):
        return [r for r in self.results if not r[1]]

    def heading(self, text):
        self.steps += 1
        self.say(f"\n== {self.steps}. {text}")

    def show(self, ns, *cmd, label=None, display=None):
        out = self.lab.exec(ns, *cmd, check=False)
        self.say(f"  {label or ns}$ {display or ' '.join(cmd)}")
        for line in out.rstrip().splitlines():
            self.say(f"    {line}")
        return out

    # --- building -------------------------------------------------------------------------

    def build(self):
        """Namespaces, links, addresses, routes and sysctls (no daemons yet)."""
        from lab import sh
        lab = self.lab
        for ns in ("lan", "router", "client", "collector", *NODES):
            lab.add_ns(ns)
        bridge = lab.prefix + "br"
        sh("ip", "-n", lab.ns("lan"), "link", "add", bridge, "type", "bridge",
           "mcast_snooping", "0")
        sh("ip", "-n", lab.ns("lan"), "link", "set", bridge, "up")

        def lan_port(ns, ifname, port, v4, v6):
            lab.link(ns, ifname, "lan", port)
            sh("ip", "-n", lab.ns("lan"), "link", "set", lab.prefix + port, "master", bridge)
            lab.addr(ns, ifname, f"{v4}/24")
            lab.addr(ns, ifname, f"{v6}/64")

        lan_port("router", "rl", "lr", ROUTER_V4, ROUTER_V6)
        lan_port("collector", "c0", "lc", COLLECTOR_V4, COLLECTOR_V6)
        for i, (node, (v4, v6)) in enumerate(NODES.items(), 1):
            lan_port(node, f"n{i}", f"l{i}", v4, v6)
            sh("ip", "-n", lab.ns(node), "addr", "add", f"{VIP_V4}/32", "dev", "lo")
            sh("ip", "-n", lab.ns(node), "addr", "add", f"{VIP_V6}/128", "dev", "lo")
            sh("ip", "-n", lab.ns(node), "route", "add", "default", "via", ROUTER_V4)
            sh("ip", "-n", lab.ns(node), "-6", "route", "add", "default", "via", ROUTER_V6)

        lab.link("router", "rc", "client", "cr")
        lab.addr("router", "rc", f"{ROUTER_CLIENT_V4}/24")
        lab.addr("router", "rc", f"{ROUTER_CLIENT_V6}/64")
        lab.addr("client", "cr", f"{CLIENT_V4}/24")
        lab.addr("client", "cr", f"{CLIENT_V6}/64")
        sh("ip", "-n", lab.ns("client"), "route", "add", "default", "via", ROUTER_CLIENT_V4)
        sh("ip", "-n", lab.ns("client"), "-6", "route", "add", "default", "via",
           ROUTER_CLIENT_V6)
        # Without the L4 hash every flow from the one client would take the same next hop.
        lab.exec("router", "sysctl", "-qw", "net.ipv4.ip_forward=1",
                 "net.ipv6.conf.all.forwarding=1", "net.ipv4.fib_multipath_hash_policy=1",
                 "net.ipv6.fib_multipath_hash_policy=1")

    def start_router(self):
        from lab import Frr
        peers = "".join(
            f" neighbor {v4} peer-group NODES4\n neighbor {v6} peer-group NODES6\n"
            for v4, v6 in NODES.values())
        # The nodes connect; the router only listens (no collisions, no connect backoff).
        # Received GRACEFUL_SHUTDOWN (RFC 8326) from an eBGP peer sets LOCAL_PREF 0 in FRR's
        # bgpd by itself, which takes a draining node out of the multipath set.
        self.frr = Frr(self.lab, "router", f"""frr defaults traditional
hostname router
log stdout informational
!
router bgp {ROUTER_AS}
 bgp router-id {ROUTER_V4}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor NODES4 peer-group
 neighbor NODES4 remote-as {NODE_AS}
 neighbor NODES4 passive
 neighbor NODES4 timers 1 {HOLD_TIME}
 neighbor NODES6 peer-group
 neighbor NODES6 remote-as {NODE_AS}
 neighbor NODES6 passive
 neighbor NODES6 timers 1 {HOLD_TIME}
{peers}{" neighbor NODES4 bfd" + chr(10) if self.router_bfd else ""} !
 address-family ipv4 unicast
  maximum-paths 8
  neighbor NODES4 activate
 exit-address-family
 address-family ipv6 unicast
  maximum-paths 8
  neighbor NODES6 activate
 exit-address-family
!
""", bfdd_conf="hostname bfdd\nlog stdout informational\n!\nbfd\n!\n" if self.router_bfd else None)

    def start_collector(self):
        from lab import Gobgpd
        neighbors = "".join(f"""
  - config:
      neighbor-address: {v4}
      peer-as: {NODE_AS}
    timers:
      config:
        hold-time: {HOLD_TIME}
        keepalive-interval: 1
        idle-hold-time-after-reset: 1
    transport:
      config:
        passive-mode: true
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast
      - config:
          afi-safi-name: ipv6-unicast
""" for v4, _ in NODES.values())
        self.collector = Gobgpd(self.lab, "collector", f"""
global:
  config:
    as: {COLLECTOR_AS}
    router-id: {COLLECTOR_V4}
neighbors:{neighbors}""", name="collector")

    def flag_file(self, node):
        return os.path.join(self.lab.dir, f"{node}.unhealthy")

    def start_responders(self):
        from lab import wait_for
        for node in NODES:
            self.lab.run(node, [PYTHON, os.path.join(HERE, "demo_lab.py"), "responder",
                                "--name", node, "--flag", self.flag_file(node)],
                         f"{node}-http.log")
        for node in NODES:
            wait_for(f"{node}'s HTTP responder", lambda n=node: self.lab.exec(
                n, PYTHON, os.path.join(HERE, "demo_lab.py"), "get",
                f"http://127.0.0.1:{HTTP_PORT}/").startswith("200"), 15, 0.1)

    def start_speaker(self, node, config_text=None):
        self.speakers[node] = start_speaker(self, node, config_text)
        return self.speakers[node]

    def setup(self, speakers=True):
        """Builds the lab and starts every daemon; waits until the router has three paths."""
        self.build()
        self.start_router()
        self.start_collector()
        self.start_responders()
        if speakers:
            for node in NODES:
                self.start_speaker(node)
            for vip in (VIP_V4, VIP_V6):
                if self.wait_paths(vip, len(NODES), 20) is None:
                    raise RuntimeError(f"the router has no path to {vip} from every node after "
                                       f"20 s (next hops: {self.kernel_next_hops(vip)})")

    # --- observing the router -------------------------------------------------------------

    def kernel_next_hops(self, vip):
        """The next hops (as node names where known) of the router's kernel route to `vip`."""
        family = "-6" if ":" in vip else "-4"
        plen = 128 if ":" in vip else 32
        out = self.lab.exec("router", "ip", "-j", family, "route", "show", "exact",
                            f"{vip}/{plen}")
        routes = json.loads(out or "[]")
        hops = []
        for r in routes:
            for h in r.get("nexthops") or [r]:
                if h.get("gateway"):
                    hops.append(self.node_of(h["gateway"]))
        return sorted(hops)

    @staticmethod
    def node_of(address):
        for node, addresses in NODES.items():
            if address in addresses:
                return node
        return address

    def wait_paths(self, vip, count, timeout):
        """Waits until the kernel route to `vip` has `count` next hops; returns the seconds it
        took (None when it did not happen in time)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if len(self.kernel_next_hops(vip)) == count:
                return time.monotonic() - start
            time.sleep(0.01)
        return None

    def wait_route_change(self, vips, predicate, timeout):
        """Waits until predicate(next hops) holds for every VIP; returns the monotonic time it
        held for each VIP ({vip: time or None})."""
        seen = {vip: None for vip in vips}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and None in seen.values():
            for vip in vips:
                if seen[vip] is None and predicate(self.kernel_next_hops(vip)):
                    seen[vip] = time.monotonic()
            time.sleep(0.01)
        return seen

    def wait_collector_community(self, node, community, timeout):
        """The communities of `node`'s IPv4 path in the collector once they hold `community`
        (None if that does not happen within `timeout` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.collector_paths("ipv4"):
                if self.node_of(p["nexthop"]) == node and community in p["communities"]:
                    return p["communities"]
            time.sleep(0.05)
        return None

    def router_sessions(self):
        """{neighbour address: state} of the router's BGP sessions (IPv4 and IPv6)."""
        summary = self.frr.json("show bgp summary")
        return {address: peer.get("state")
                for family in ("ipv4Unicast", "ipv6Unicast")
                for address, peer in summary.get(family, {}).get("peers", {}).items()}

    def established_sessions(self):
        """How many of the nine node sessions (router v4 and v6, collector) are Established."""
        router = sum(1 for state in self.router_sessions().values() if state == "Established")
        collector = sum(1 for v4, _ in NODES.values()
                        if self.collector.neighbor_state(v4) == "established")
        return router + collector

    def wait_sessions(self, timeout):
        """Waits until all nine node sessions are Established; returns how many are."""
        deadline = time.monotonic() + timeout
        while (up := self.established_sessions()) < 3 * len(NODES) and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        return up

    def collector_paths(self, family="ipv4"):
        prefix = f"{VIP_V4}/32" if family == "ipv4" else f"{VIP_V6}/128"
        return self.collector.rib(family).get(prefix, [])

    # --- client traffic -------------------------------------------------------------------

    def client_args(self, out, count, interval, targets, limit, timeout=1.0):
        return [PYTHON, os.path.join(HERE, "demo_lab.py"), "client", "--targets",
                ",".join(targets), "--count", str(count), "--interval", str(interval),
                "--timeout", str(timeout), "--limit", str(limit), "--out", out]

    def requests(self, count, interval=0.005, targets=(VIP_V4, VIP_V6), limit=20):
        """Runs `count` requests from the client (alternating IPv4 and IPv6), for at most
        `limit` seconds; waits for them."""
        from lab import sh
        self.clients += 1
        out = os.path.join(self.lab.dir, f"client-{self.clients}.json")
        sh("ip", "netns", "exec", self.lab.ns("client"),
           *self.client_args(out, count, interval, targets, limit), timeout=limit + 10)
        with open(out) as f:
            return Traffic(json.load(f)["records"])

    def start_requests(self, interval=0.02, targets=(VIP_V4, VIP_V6), limit=60, timeout=1.0):
        """Starts requests in the background until `stop_requests` (at most `limit` s); each
        waits `timeout` seconds at most for its answer."""
        self.clients += 1
        out = os.path.join(self.lab.dir, f"client-{self.clients}.json")
        count = int(limit / interval)
        p = self.lab.run("client", self.client_args(out, count, interval, targets, limit, timeout),
                         f"client-{self.clients}.log")
        p.out_path = out
        return p

    def stop_requests(self, p):
        self.lab.stop(p, signal.SIGTERM, timeout=10)
        with open(p.out_path) as f:
            return Traffic(json.load(f)["records"])

    # --- the steps (shared by the demo and the tests) ------------------------------------

    def step_ecmp(self):
        self.heading("The router's kernel route to the service VIP: one next hop per node")
        for vip in (VIP_V4, VIP_V6):
            self.wait_paths(vip, 3, 15)
            family = "-6" if ":" in vip else "-4"
            self.show("router", "ip", family, "route", "show", vip, label="router")
            hops = self.kernel_next_hops(vip)
            self.expect(hops == sorted(NODES), f"{vip}: three next hops (ECMP)", ", ".join(hops))
        self.say("\n  The collector (gobgpd) holds one path from every node:")
        paths = self.collector_paths("ipv4")
        for p in paths:
            self.say(f"    {VIP_V4}/32 via {p['nexthop']} AS path {p['as_path']}")
        self.expect(sorted(self.node_of(p["nexthop"]) for p in paths) == sorted(NODES),
                    "the collector has three paths", f"{len(paths)} paths")

    def step_spread(self, count=300):
        self.heading(f"{count} client requests (fresh TCP connection each, IPv4 and IPv6)")
        t = self.requests(count)
        answered = t.answered()
        for node in NODES:
            self.say(f"    {node}: {answered.get(node, 0):4d} answers")
        self.expect(len(t.failures()) == 0, "no request failed", t.describe_failures())
        self.expect(all(answered.get(n, 0) > count // 10 for n in NODES),
                    "traffic reaches all three nodes")
        return t

    def step_drain(self, node="node1"):
        self.heading(f"{node} is drained (SIGTERM) while requests run")
        speaker = self.speakers[node]
        client = self.start_requests()
        time.sleep(0.5)  # traffic before the drain, in the records
        t0 = time.monotonic()
        speaker.signal(signal.SIGTERM)
        self.say(f"  SIGTERM sent to {node}'s speaker: it re-announces its routes with "
                 f"GRACEFUL_SHUTDOWN (65535:0), waits the drain time, withdraws them, closes "
                 f"its sessions with Cease and exits. FRR sets LOCAL_PREF 0 on an eBGP route "
                 f"that carries the community (RFC 8326), so {node} leaves the multipath set "
                 f"at once while it still answers.")
        seen = self.wait_route_change((VIP_V4, VIP_V6), lambda hops: node not in hops,
                                      DRAIN_TIME + 10)
        for vip, t in seen.items():
            self.say(f"    router: {vip} without {node} after "
                     f"{'never' if t is None else f'{t - t0:.2f} s'}")
        gshut = self.wait_collector_community(node, GSHUT, DRAIN_TIME / 2)
        self.expect(gshut, f"the collector sees {node}'s path with GRACEFUL_SHUTDOWN (65535:0)",
                    "communities " + ", ".join(f"{c >> 16}:{c & 0xffff}" for c in gshut or []))
        try:
            code = speaker.wait(DRAIN_TIME + 15)
        except Exception:
            code = None
        t_exit = time.monotonic()
        self.say(f"    {node}'s speaker exited with {code} after {t_exit - t0:.2f} s")
        time.sleep(0.5)  # traffic after the drain, in the records
        t = self.stop_requests(client)
        answered = t.answered(start=t_exit)
        self.say(f"    {len(t.records)} requests during the drain: "
                 f"{t.answered()} answered, {len(t.failures())} failed")
        self.expect(None not in seen.values(), f"the router dropped {node}'s paths")
        self.expect(code == 0, f"{node}'s speaker exited 0 after the drain", f"exit {code}")
        self.expect(len(t.failures()) == 0, "zero failed requests across the drain",
                    t.describe_failures())
        self.expect(node not in answered and answered, f"no answer from {node} afterwards",
                    str(answered))
        return t

    def step_kill(self, node="node2"):
        self.heading(f"{node}'s speaker is killed (SIGKILL) while requests run")
        speaker = self.speakers[node]
        client = self.start_requests()
        time.sleep(0.5)
        t0 = time.monotonic()
        speaker.signal(signal.SIGKILL)
        seen = self.wait_route_change((VIP_V4, VIP_V6), lambda hops: node not in hops,
                                      HOLD_TIME + 5)
        time.sleep(0.3)
        t = self.stop_requests(client)
        worst = max((s for s in seen.values() if s is not None), default=None)
        for vip, s in seen.items():
            self.say(f"    router: {vip} without {node} after "
                     f"{'never' if s is None else f'{s - t0:.2f} s'}")
        failed = t.failures(start=t0, end=worst)
        self.say(f"    requests while the router still had {node}: "
                 f"{len(t.within(t0, worst))}, failed: {len(failed)}")
        self.say(f"    ({node}'s HTTP server still runs: only its speaker died. The kernel "
                 f"closed the dead process's TCP sessions, so the router did not have to wait "
                 f"for the {HOLD_TIME} s hold time.)")
        self.expect(None not in seen.values() and worst - t0 < HOLD_TIME,
                    f"the router dropped {node} within the hold time ({HOLD_TIME} s)",
                    "never" if None in seen.values() else f"{worst - t0:.2f} s")
        return t, seen, t0

    def step_restart(self, nodes=("node1", "node2")):
        self.heading(f"{' and '.join(nodes)} come back: their speakers start again")
        t0 = time.monotonic()
        for node in nodes:
            self.start_speaker(node)
        took = [self.wait_paths(vip, len(NODES), 20) for vip in (VIP_V4, VIP_V6)]
        for vip in (VIP_V4, VIP_V6):
            self.say(f"    router: {vip} via {', '.join(self.kernel_next_hops(vip))}")
        self.expect(None not in took, "the router has three next hops again",
                    "" if None in took else f"after {time.monotonic() - t0:.1f} s")

    def step_health(self, node="node3"):
        self.heading(f"{node}'s health check fails (its /healthz answers 503)")
        others = sorted(n for n in NODES if n != node and self.speakers.get(n) and
                        self.speakers[n].alive())
        client = self.start_requests()
        time.sleep(0.3)
        t0 = time.monotonic()
        open(self.flag_file(node), "w").close()
        seen = self.wait_route_change((VIP_V4, VIP_V6), lambda hops: node not in hops, 10)
        time.sleep(0.3)
        t = self.stop_requests(client)
        for vip, s in seen.items():
            self.say(f"    router: {vip} without {node} after "
                     f"{'never' if s is None else f'{s - t0:.2f} s'}")
        for vip in (VIP_V4, VIP_V6):
            hops = self.kernel_next_hops(vip)
            self.say(f"    router: {vip} via {', '.join(hops) if hops else 'nothing'}")
        done = max((s for s in seen.values() if s is not None), default=None)
        self.expect(None not in seen.values(), f"{node}'s routes withdrawn",
                    "never" if done is None else f"{done - t0:.2f} s")
        if others and done is not None:
            after = t.answered(start=done + 0.1)
            self.say(f"    answers afterwards: {after}, failed: {len(t.failures())}")
            self.expect(node not in after and after, f"no answer from {node} afterwards",
                        str(after))
        return t


# ---------------------------------------------------------------------------------------------
# The programs run inside the namespaces


def responder_main(args):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"
        # The whole answer leaves in one segment, so a client never has to acknowledge half of
        # it: once an ECMP router rehashes the flow to another node (which answers RST), the
        # client already holds everything it needs.
        disable_nagle_algorithm = True

        def do_GET(self):
            if self.path == "/healthz":
                failing = os.path.exists(args.flag)
                code, body = (503, "failing\n") if failing else (200, "ok\n")
            elif self.path == "/":
                code, body = 200, args.name + "\n"
            else:
                code, body = 404, "not found\n"
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[code]
            self.wfile.write(f"HTTP/1.0 {code} {reason}\r\nContent-Type: text/plain\r\n"
                             f"Content-Length: {len(body)}\r\n\r\n{body}".encode())

        def log_message(self, *a):
            pass

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 128

        def server_bind(self):
            # One socket for IPv4 and IPv6 (the health check uses 127.0.0.1).
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    Server(("::", args.port), Handler).serve_forever()


def one_request(address, timeout):
    """(node name, None) or (None, error) for GET / on a fresh connection. The answer is
    complete at Content-Length bytes of body, as for any HTTP client: what happens to the
    connection afterwards (a rehashed FIN answered with RST) does not fail the request."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    deadline = time.monotonic() + timeout
    s = socket.socket(family, socket.SOCK_STREAM)
    data = b""
    try:
        s.settimeout(timeout)
        s.connect((address, HTTP_PORT))
        s.sendall(b"GET / HTTP/1.0\r\nHost: vip\r\n\r\n")
        while not complete(data):
            left = deadline - time.monotonic()
            if left <= 0:
                return None, "timeout"
            s.settimeout(left)
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        if not complete(data):
            return None, e.strerror or type(e).__name__
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not complete(data) or not head.startswith(b"HTTP/1.0 200"):
        return None, f"bad answer {data[:40]!r}"
    return body.decode().strip(), None


def complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def client_main(args):
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    targets = args.targets.split(",")
    records = []
    next_start = time.monotonic()
    end = next_start + args.limit
    for i in range(args.count):
        if stop or time.monotonic() > end:
            break
        start = time.monotonic()
        node, error = one_request(targets[i % len(targets)], args.timeout)
        records.append([start, round(time.monotonic() - start, 6), targets[i % len(targets)],
                        node, error])
        next_start += args.interval
        pause = next_start - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            next_start = time.monotonic()
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"records": records}, f)
    os.rename(tmp, args.out)


def get_main(args):
    """Prints the status code and the body of one GET (used inside namespaces)."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(args.url, timeout=args.timeout) as r:
            code, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, body = e.code, e.read()
    print(code)
    sys.stdout.write(body.decode(errors="replace"))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("responder")
    r.add_argument("--name", required=True)
    r.add_argument("--flag", required=True)
    r.add_argument("--port", type=int, default=HTTP_PORT)
    c = sub.add_parser("client")
    c.add_argument("--targets", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--interval", type=float, default=0.01)
    c.add_argument("--timeout", type=float, default=1.0)
    c.add_argument("--limit", type=float, default=60.0, help="stop after this many seconds")
    c.add_argument("--out", required=True)
    g = sub.add_parser("get")
    g.add_argument("url")
    g.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    {"responder": responder_main, "client": client_main, "get": get_main}[args.command](args)


if __name__ == "__main__":
    main(sys.argv[1:])
