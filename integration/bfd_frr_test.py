#!/usr/bin/env python3
"""vipd's BFD transport (vipd-bfd-probe: one RFC 5881 single-hop session) against FRR's bfdd
(IPv4 and IPv6) and BIRD 2 (IPv4), in network namespaces. Each test measures and prints the
detection times in both directions (a peer silenced with SIGSTOP), and FRR's tests also the
AdminDown it sends on `shutdown` (diag 3) and the silence after `no peer` (diag 1).
The multihop test runs one RFC 5883 session against FRR's bfdd across a router.

Topology: "router" (192.0.2.1/24, 2001:db8::1/64) -- veth -- "node" (192.0.2.11/24,
2001:db8::11/64). Multihop: "router" (192.0.2.1/24) -- "mid" (192.0.2.254/24,
198.51.100.254/24, forwarding) -- "node" (198.51.100.11/24), so each side receives the
other's packets with TTL 254. Documentation addresses only. Intervals 300 ms, Detect Mult 3
on both sides: a silent peer is detected 900 ms after its last packet.
"""
import json
import os
import pwd
import signal
import sys
import time

from lab import Bird, run_tests, wait_for

ROUTER_V4, NODE_V4 = "192.0.2.1", "192.0.2.11"
ROUTER_V6, NODE_V6 = "2001:db8::1", "2001:db8::11"
DETECT = 0.9  # 3 x 300 ms
# The deadline a detection must meet, as observed from outside: the detection time, plus up
# to one TX interval since the last packet, plus polling and vtysh / birdc latency.
DETECT_DEADLINE = 2.0


def topology(lab):
    lab.add_ns("router")
    lab.add_ns("node")
    lab.link("router", "r0", "node", "n0")
    lab.addr("router", "r0", f"{ROUTER_V4}/24")
    lab.addr("router", "r0", f"{ROUTER_V6}/64")
    lab.addr("node", "n0", f"{NODE_V4}/24")
    lab.addr("node", "n0", f"{NODE_V6}/64")


class FrrBfd:
    """FRR's zebra and bfdd in one namespace (started by hand: no systemd), queried with vtysh."""

    def __init__(self, lab, ns, bfdd_conf, name="frr"):
        self.lab, self.ns = lab, ns
        self.dir = os.path.join(lab.dir, name)
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "zebra.conf"), "w") as f:
            f.write("hostname zebra\nlog stdout informational\n")
        with open(os.path.join(self.dir, "bfdd.conf"), "w") as f:
            f.write(bfdd_conf)
        frr = pwd.getpwnam("frr")
        for root, _, files in os.walk(self.dir):
            for n in [root] + [os.path.join(root, x) for x in files]:
                os.chown(n, frr.pw_uid, frr.pw_gid)
        os.chmod(lab.dir, 0o755)
        common = ["-z", os.path.join(self.dir, "zserv.api"), "--vty_socket", self.dir,
                  "-u", "frr", "-g", "frr"]
        self.zebra = lab.run(ns, ["/usr/lib/frr/zebra", "-f", os.path.join(self.dir, "zebra.conf"),
                                  "-i", os.path.join(self.dir, "zebra.pid"), *common],
                             f"{name}-zebra.log")
        wait_for("zebra socket", lambda: os.path.exists(os.path.join(self.dir, "zserv.api")), 15)
        self.bfdd = lab.run(ns, ["/usr/lib/frr/bfdd", "-f", os.path.join(self.dir, "bfdd.conf"),
                                 "-i", os.path.join(self.dir, "bfdd.pid"),
                                 "--bfdctl", os.path.join(self.dir, "bfdd.sock"), *common],
                            f"{name}-bfdd.log")
        wait_for("bfdd vty", lambda: os.path.exists(os.path.join(self.dir, "bfdd.vty")), 15)

    def vtysh(self, *commands):
        args = []
        for c in commands:
            args += ["-c", c]
        return self.lab.exec(self.ns, "vtysh", "--vty_socket", self.dir, *args)

    def peer(self, address):
        for p in json.loads(self.vtysh("show bfd peers json") or "[]"):
            if p.get("peer") == address:
                return p
        return None

    def status(self, address):
        p = self.peer(address)
        return p.get("status") if p else None


class Probe:
    """vipd-bfd-probe in one namespace: its JSON lines on stdout, its status file."""

    def __init__(self, lab, ns, binary, args, name="probe"):
        self.lab = lab
        self.status_path = os.path.join(lab.dir, f"{name}.status.json")
        self.process = lab.run(ns, [binary, "--status", self.status_path, *args], f"{name}.log")

    def events(self):
        out = []
        for line in self.lab.log(self.process).splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return [e for e in out if e.get("event") == "state"]

    def state(self):
        events = self.events()
        return events[-1]["to"] if events else "Down"

    def session(self):
        with open(self.status_path) as f:
            return json.load(f)["sessions"][0]

    def wait_event(self, what, predicate, after, timeout):
        """The first state event after the first `after` ones that satisfies `predicate`."""
        def found():
            for e in self.events()[after:]:
                if predicate(e):
                    return e
            return None
        return wait_for(what, found, timeout, 0.02)


def poll_until(predicate, timeout, interval=0.02):
    """Seconds (monotonic) at which predicate first held; raises after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s")


def frr_conf(peers):
    lines = ["frr defaults traditional", "hostname router", "log stdout informational", "!",
             "bfd"]
    for peer, local in peers:
        lines += [f" peer {peer} local-address {local}", "  receive-interval 300",
                  "  transmit-interval 300", "  detect-multiplier 3", " exit"]
    lines += ["exit", "!", ""]
    return "\n".join(lines)


def check_frr_against_probe(lab, frr, probe, router, node):
    wait_for("probe Up", lambda: probe.state() == "Up", 20)
    wait_for("FRR peer up", lambda: frr.status(node) == "up", 20)
    # FRR learnt our discriminator and intervals; we learnt its.
    wait_for("intervals negotiated", lambda: probe.session()["detection_time_ms"] == 900, 10)
    p = frr.peer(node)
    s = probe.session()
    assert p["remote-id"] == s["local_discriminator"], (p, s)
    assert p["id"] == s["remote_discriminator"], (p, s)
    assert p["remote-receive-interval"] == 300 and p["remote-transmit-interval"] == 300, p
    assert p["remote-detect-multiplier"] == 3, p
    assert s["transmit_interval_ms"] == 300 and s["packets_dropped"] == 0, s
    assert 49152 <= s["source_port"] <= 65535, s

    # 1. The probe goes silent (SIGSTOP): FRR detects it.
    os.kill(probe.process.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    down = poll_until(lambda: frr.status(node) != "up", DETECT_DEADLINE + 1)
    frr_detect = down - stopped
    p = frr.peer(node)
    print(f"  FRR detected the silent probe after {frr_detect * 1000:.0f} ms "
          f"(diagnostic: {p.get('diagnostic')})", flush=True)
    assert p.get("diagnostic") == "control detection time expired", p
    assert frr_detect <= DETECT_DEADLINE, frr_detect
    os.kill(probe.process.pid, signal.SIGCONT)
    events_before = len(probe.events())
    wait_for("FRR peer up again", lambda: frr.status(node) == "up", 20)
    wait_for("probe Up again", lambda: probe.state() == "Up", 20)
    assert len(probe.events()) > events_before  # it went through Down and back

    # 2. FRR's bfdd goes silent (SIGSTOP): the probe detects it with diag 1.
    wait_for("intervals negotiated again", lambda: probe.session()["detection_time_ms"] == 900, 10)
    after = len(probe.events())
    os.kill(frr.bfdd.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    e = probe.wait_event("probe Down", lambda e: e["to"] == "Down", after, DETECT_DEADLINE + 1)
    probe_detect = e["t"] - stopped
    print(f"  the probe detected the silent bfdd after {probe_detect * 1000:.0f} ms "
          f"(diag {e['diag']})", flush=True)
    assert e["diag"] == 1, e
    assert probe_detect <= DETECT + 0.35, probe_detect  # + one TX interval + scheduling
    os.kill(frr.bfdd.pid, signal.SIGCONT)
    wait_for("probe Up after bfdd resumed", lambda: probe.state() == "Up", 20)
    wait_for("FRR peer up after resuming", lambda: frr.status(node) == "up", 20)

    # 3. FRR shuts the peer down administratively: it sends AdminDown (RFC 5880 §6.8.16) and
    # the probe reports the neighbor signalling Down (diag 3), well before a detection time.
    after = len(probe.events())
    peer_cmd = f"peer {node} local-address {router}"
    shut = time.monotonic()
    frr.vtysh("configure terminal", "bfd", peer_cmd, "shutdown")
    e = probe.wait_event("probe Down after shutdown", lambda e: e["to"] == "Down", after,
                         DETECT_DEADLINE + 1)
    print(f"  FRR 'shutdown': the probe went Down with diag {e['diag']} after "
          f"{(e['t'] - shut) * 1000:.0f} ms", flush=True)
    assert e["diag"] == 3, e
    frr.vtysh("configure terminal", "bfd", peer_cmd, "no shutdown")
    wait_for("probe Up after no shutdown", lambda: probe.state() == "Up", 20)
    wait_for("FRR peer up after no shutdown", lambda: frr.status(node) == "up", 20)

    # 4. FRR deletes the peer: FRR 8.4 sends nothing more, so the probe times out (diag 1).
    after = len(probe.events())
    removed = time.monotonic()
    frr.vtysh("configure terminal", "bfd", f"no {peer_cmd}")
    e = probe.wait_event("probe Down after no peer", lambda e: e["to"] == "Down", after,
                         DETECT_DEADLINE + 1)
    print(f"  FRR 'no peer': the probe went Down with diag {e['diag']} after "
          f"{(e['t'] - removed) * 1000:.0f} ms", flush=True)
    assert e["diag"] == 1, e
    assert probe.session()["packets_dropped"] == 0
    return frr_detect, probe_detect


def test_frr_bfdd_ipv4(lab, binary):
    topology(lab)
    frr = FrrBfd(lab, "router", frr_conf([(NODE_V4, ROUTER_V4)]))
    probe = Probe(lab, "node", binary, ["--local", NODE_V4, "--peer", ROUTER_V4, "--tx-ms",
                                        "300", "--rx-ms", "300", "--mult", "3"])
    check_frr_against_probe(lab, frr, probe, ROUTER_V4, NODE_V4)


def test_frr_bfdd_ipv6(lab, binary):
    topology(lab)
    frr = FrrBfd(lab, "router", frr_conf([(NODE_V6, ROUTER_V6)]))
    probe = Probe(lab, "node", binary, ["--local", NODE_V6, "--peer", ROUTER_V6, "--tx-ms",
                                        "300", "--rx-ms", "300", "--mult", "3"])
    check_frr_against_probe(lab, frr, probe, ROUTER_V6, NODE_V6)


def bird_state(bird, address):
    """The State column of `show bfd sessions` for `address`, or None."""
    for line in bird.birdc("show", "bfd", "sessions").splitlines():
        fields = line.split()
        if fields and fields[0] == address:
            return fields[2]
    return None


def test_bird_ipv4(lab, binary):
    topology(lab)
    bird = Bird(lab, "router", f"""
router id {ROUTER_V4};
protocol device {{ }}
protocol bfd {{
  interface "*" {{ min rx interval 300 ms; min tx interval 300 ms; multiplier 3; }};
  neighbor {NODE_V4} local {ROUTER_V4};
}}
""")
    probe = Probe(lab, "node", binary, ["--local", NODE_V4, "--peer", ROUTER_V4, "--tx-ms",
                                        "300", "--rx-ms", "300", "--mult", "3"])
    wait_for("probe Up", lambda: probe.state() == "Up", 20)
    wait_for("BIRD session Up", lambda: bird_state(bird, NODE_V4) == "Up", 20)
    wait_for("intervals negotiated", lambda: probe.session()["detection_time_ms"] == 900, 10)

    os.kill(probe.process.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    down = poll_until(lambda: bird_state(bird, NODE_V4) != "Up", DETECT_DEADLINE + 1)
    bird_detect = down - stopped
    print(f"  BIRD detected the silent probe after {bird_detect * 1000:.0f} ms", flush=True)
    assert bird_detect <= DETECT_DEADLINE, bird_detect
    os.kill(probe.process.pid, signal.SIGCONT)
    wait_for("BIRD session Up again", lambda: bird_state(bird, NODE_V4) == "Up", 20)
    wait_for("probe Up again", lambda: probe.state() == "Up", 20)

    wait_for("intervals negotiated again", lambda: probe.session()["detection_time_ms"] == 900, 10)
    after = len(probe.events())
    os.kill(bird.process.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    e = probe.wait_event("probe Down", lambda e: e["to"] == "Down", after, DETECT_DEADLINE + 1)
    probe_detect = e["t"] - stopped
    print(f"  the probe detected the silent BIRD after {probe_detect * 1000:.0f} ms "
          f"(diag {e['diag']})", flush=True)
    assert e["diag"] == 1, e
    assert probe_detect <= DETECT + 0.35, probe_detect
    os.kill(bird.process.pid, signal.SIGCONT)
    wait_for("probe Up after BIRD resumed", lambda: probe.state() == "Up", 20)
    assert probe.session()["packets_dropped"] == 0


MH_ROUTER_V4, MH_MID_ROUTER_V4 = "192.0.2.1", "192.0.2.254"
MH_NODE_V4, MH_MID_NODE_V4 = "198.51.100.11", "198.51.100.254"


def multihop_topology(lab):
    """router -- mid -- node: one router between the BFD peers (TTL 255 arrives as 254)."""
    lab.add_ns("router")
    lab.add_ns("mid")
    lab.add_ns("node")
    lab.link("router", "r0", "mid", "m0")
    lab.link("mid", "m1", "node", "n1")
    lab.addr("router", "r0", f"{MH_ROUTER_V4}/24")
    lab.addr("mid", "m0", f"{MH_MID_ROUTER_V4}/24")
    lab.addr("mid", "m1", f"{MH_MID_NODE_V4}/24")
    lab.addr("node", "n1", f"{MH_NODE_V4}/24")
    lab.exec("mid", "sysctl", "-qw", "net.ipv4.ip_forward=1")
    lab.exec("router", "ip", "route", "add", "198.51.100.0/24", "via", MH_MID_ROUTER_V4)
    lab.exec("node", "ip", "route", "add", "192.0.2.0/24", "via", MH_MID_NODE_V4)


def frr_multihop_conf(peer, local, minimum_ttl):
    return "\n".join([
        "frr defaults traditional", "hostname router", "log stdout informational", "!", "bfd",
        f" peer {peer} multihop local-address {local}", "  receive-interval 300",
        "  transmit-interval 300", "  detect-multiplier 3", f"  minimum-ttl {minimum_ttl}",
        " exit", "exit", "!", ""])


def multihop_probe_args(minimum_ttl):
    return ["--local", MH_NODE_V4, "--peer", MH_ROUTER_V4, "--multihop", "--minimum-ttl",
            str(minimum_ttl), "--tx-ms", "300", "--rx-ms", "300", "--mult", "3"]


def test_frr_bfdd_ipv4_multihop(lab, binary):
    """RFC 5883 against `peer ... multihop local-address ...` with minimum-ttl 254 on both
    sides, one router between: Up, each side detects the other's silence, and a probe whose
    minimum TTL is 255 drops every packet FRR sends (they arrive with TTL 254)."""
    multihop_topology(lab)
    frr = FrrBfd(lab, "router", frr_multihop_conf(MH_NODE_V4, MH_ROUTER_V4, 254))
    probe = Probe(lab, "node", binary, multihop_probe_args(254))
    wait_for("probe Up", lambda: probe.state() == "Up", 20)
    wait_for("FRR peer up", lambda: frr.status(MH_NODE_V4) == "up", 20)
    wait_for("intervals negotiated", lambda: probe.session()["detection_time_ms"] == 900, 10)
    p = frr.peer(MH_NODE_V4)
    s = probe.session()
    print(f"  FRR's view of the peer: multihop={p.get('multihop')} "
          f"minimum-ttl={p.get('minimum-ttl')} local={p.get('local')}", flush=True)
    assert p.get("multihop") is True and p.get("local") == MH_ROUTER_V4, p
    assert p.get("minimum-ttl") == 254, p  # the bfdd.conf line took effect
    assert p["remote-id"] == s["local_discriminator"], (p, s)
    assert p["id"] == s["remote_discriminator"], (p, s)
    assert p["remote-receive-interval"] == 300 and p["remote-transmit-interval"] == 300, p
    assert s["multihop"] is True and s["peer_port"] == 4784 and s["minimum_ttl"] == 254, s
    assert s["packets_dropped"] == 0 and 49152 <= s["source_port"] <= 65535, s
    with open(probe.status_path) as f:
        counters = json.load(f)
    assert counters["bad_ttl"] == 0 and counters["no_session"] == 0, counters
    # 254 is also FRR's default: a change shows that FRR 8.4 reads minimum-ttl in the peer
    # node, so the 254 above is the configured value doing its work (our 255 arrives as 254).
    peer_cmd = f"peer {MH_NODE_V4} multihop local-address {MH_ROUTER_V4}"
    frr.vtysh("configure terminal", "bfd", peer_cmd, "minimum-ttl 253")
    wait_for("FRR minimum-ttl 253", lambda: frr.peer(MH_NODE_V4).get("minimum-ttl") == 253, 10)
    frr.vtysh("configure terminal", "bfd", peer_cmd, "minimum-ttl 254")
    wait_for("FRR minimum-ttl 254", lambda: frr.peer(MH_NODE_V4).get("minimum-ttl") == 254, 10)
    assert frr.status(MH_NODE_V4) == "up"

    # 1. The probe goes silent (SIGSTOP): FRR detects it.
    os.kill(probe.process.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    down = poll_until(lambda: frr.status(MH_NODE_V4) != "up", DETECT_DEADLINE + 1)
    frr_detect = down - stopped
    p = frr.peer(MH_NODE_V4)
    print(f"  multihop: FRR detected the silent probe after {frr_detect * 1000:.0f} ms "
          f"(diagnostic: {p.get('diagnostic')})", flush=True)
    assert p.get("diagnostic") == "control detection time expired", p
    assert frr_detect <= DETECT_DEADLINE, frr_detect
    os.kill(probe.process.pid, signal.SIGCONT)
    wait_for("FRR peer up again", lambda: frr.status(MH_NODE_V4) == "up", 20)
    wait_for("probe Up again", lambda: probe.state() == "Up", 20)

    # 2. FRR's bfdd goes silent: the probe detects it with diag 1.
    wait_for("intervals negotiated again", lambda: probe.session()["detection_time_ms"] == 900, 10)
    after = len(probe.events())
    os.kill(frr.bfdd.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    e = probe.wait_event("probe Down", lambda e: e["to"] == "Down", after, DETECT_DEADLINE + 1)
    probe_detect = e["t"] - stopped
    print(f"  multihop: the probe detected the silent bfdd after {probe_detect * 1000:.0f} ms "
          f"(diag {e['diag']})", flush=True)
    assert e["diag"] == 1, e
    assert probe_detect <= DETECT + 0.35, probe_detect
    os.kill(frr.bfdd.pid, signal.SIGCONT)
    wait_for("probe Up after bfdd resumed", lambda: probe.state() == "Up", 20)
    assert probe.session()["packets_dropped"] == 0

    # 3. The same probe with minimum TTL 255: FRR's packets cross one router and arrive with
    # 254, so each is counted and dropped and the session never comes Up.
    lab.stop(probe.process)
    strict = Probe(lab, "node", binary, multihop_probe_args(255), name="strict")
    # (FRR's first packets may still carry the old probe's discriminator: no_session.)
    wait_for("FRR packets dropped for their TTL",
             lambda: strict.session()["packets_dropped"] >= 3, 20)
    with open(strict.status_path) as f:
        counters = json.load(f)
    s = strict.session()
    print(f"  multihop, minimum TTL 255: {counters['bad_ttl']} packets from FRR dropped for "
          f"their TTL, state {s['state']}", flush=True)
    assert counters["bad_ttl"] >= 3, counters
    assert s["packets_received"] == 0 and s["state"] == "Down", s
    assert strict.events() == [], strict.events()  # never left Down


TESTS = [test_frr_bfdd_ipv4, test_frr_bfdd_ipv6, test_bird_ipv4, test_frr_bfdd_ipv4_multihop]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, sys.argv[1:]))
