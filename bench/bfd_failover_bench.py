#!/usr/bin/env python3
"""BFD failover benchmark: how long a router keeps the route of a node that has stopped
answering, when the node is vipd, FRR or BIRD, each with BFD 300 ms x 3 towards the router.

  sudo python3 bench/bfd_failover_bench.py --vipd build/release/daemon/vipd
  sudo python3 bench/bfd_failover_bench.py --vipd ... --runs 1 --kinds vipd,FRR --modes freeze
  sudo python3 bench/bfd_failover_bench.py --vipd ... --wait-quiet --markdown  # RESULTS.md

Topology (network namespaces, one fresh set per run):

  "router" 192.0.2.1/24 (r0) -- veth -- "switch" (a bridge) -- veth -- (n0) 192.0.2.11/24 "node"

The router is FRR 8.4 (zebra, bgpd, bfdd; AS 64500; `frr defaults traditional`, so a 180 s
hold time) with `neighbor 192.0.2.11 bfd` (bfdd's defaults: 300 ms / 300 ms / 3). The node
(AS 64501) announces 203.0.113.10/32 and is, in turn (a "kind"):

  vipd         `vipd standalone`, a BFDProfile 300/300/3 on its BGPPeer;
  FRR          FRR 8.4 (zebra, bgpd, bfdd with its 300/300/3 defaults), `neighbor ... bfd`,
               `network 203.0.113.10/32`;
  BIRD         BIRD 2.0.12, `protocol bfd` at 300/300/3, `bfd on` in its BGP protocol, a static
               203.0.113.10/32 exported;
  vipd-no-BFD  the control: vipd without a BFDProfile and with `holdTime: 9s` (the router has
               no `bfd` on this neighbour), so only BGP's hold timer can drop the route.

The switch between them keeps the router's link up when the node's goes down (a veth pair
alone would take the router's end down too, and zebra would drop the route on carrier loss
rather than by BFD).

Failure modes:

  freeze      SIGSTOP every process of the node (vipd; FRR's zebra, bfdd and bgpd; bird);
  link-down   `ip link set n0 down` inside the node's namespace.

Measured: from the failure to the moment the router's kernel loses 203.0.113.10/32, i.e. BFD's
detection, bfdd -> zebra -> bgpd, bgpd's withdrawal and zebra's deletion of the kernel route.
The end is the timestamp `ip -ts monitor route` (started in the router's namespace before the
failure) gives the deletion; `ip route show` polled every 100 ms is the fallback. The start is
the clock just before the first SIGSTOP, or the timestamp `ip -ts monitor link` in the node's
namespace gives the link's going down (fallback: the clock before `ip link set`). Then SIGCONT
/ link up, and the route must come back (a sanity check; its time is printed, informational).
Every run builds a fresh lab, so no run inherits another's backoff timers. The failure comes
once BGP has been Established for 2 s and, with BFD, the node has sent only plain Up packets
for 2 s (the router's session at 300 ms x 3), at a random instant in the next 3 s (so that
its phase against the node's BFD packets and KEEPALIVEs is random).

Also shown, to explain the figure: tcpdump on the router's interface times the node's BFD
packets (the gaps between them: its TX interval and jitter; the age of the last one at the
failure; the last one to the route's deletion), and the router's bgpd logs, to the millisecond,
when it took the session down.

Not a test: no thresholds beyond sanity. Run by hand, as root; the results go to
bench/RESULTS.md. Documentation addresses and ASNs only; every namespace and process is
removed on exit, processes are stopped by PID.
"""
import argparse
import datetime
import os
import platform
import random
import re
import shutil
import signal
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bgp_lab_bench import cpu_model, load1, version, wait_quiet, wrap_markdown  # noqa: E402
from lab.netns import Bird, Frr, Lab, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUTER_V4, NODE_V4 = "192.0.2.1", "192.0.2.11"
ROUTER_AS, NODE_AS = 64500, 64501  # RFC 5398 documentation ASNs
VIP = "203.0.113.10"
ADMIN = "127.0.0.1:7473"
# A route the benchmark adds and deletes in an unused table of the router, to prove that the
# route monitor is subscribed before the failure.
PROBE_ROUTE, PROBE_TABLE = "198.51.100.99/32", "100"
KINDS = ["vipd", "FRR", "BIRD", "vipd-no-BFD"]
MODES = ["freeze", "link-down"]
CONTROL_HOLD = 9  # seconds: the control's BGP hold time
DETECT_CAP = 10.0  # seconds to wait for the route to go (BFD kinds)
CONTROL_CAP = 15.0  # ... for the control (hold time 9 s)
RECOVERY_CAP = 90.0  # seconds for the route to come back after SIGCONT / link up
SETTLE = 2.0  # seconds of steady state (BFD Up at 300 ms, route installed) before the failure
# The failure comes at a random instant this long after the steady state is reached: one
# KEEPALIVE interval of the control (hold 9 s), ten BFD intervals, so that its phase against
# the node's timers is random rather than tied to the session's start.
PHASE = 3.0
TARGET_MS = 800  # the target, shown for reading only

BFD_TIMERS = {"remote-detect-multiplier": 3, "remote-transmit-interval": 300,
              "remote-receive-interval": 300}


# --- topology -------------------------------------------------------------------------------

def topology(lab):
    for ns in ("router", "switch", "node"):
        lab.add_ns(ns)
    lab.link("router", "r0", "switch", "sr")
    lab.link("node", "n0", "switch", "sn")
    bridge = lab.prefix + "br"
    lab.exec("switch", "ip", "link", "add", bridge, "type", "bridge", "forward_delay", "0",
             "stp_state", "0")
    for port in ("sr", "sn"):
        lab.exec("switch", "ip", "link", "set", lab.prefix + port, "master", bridge)
    lab.exec("switch", "ip", "link", "set", bridge, "up")
    lab.addr("router", "r0", f"{ROUTER_V4}/24")
    lab.addr("node", "n0", f"{NODE_V4}/24")


def router(lab, bfd):
    bfd_line = f" neighbor {NODE_V4} bfd\n" if bfd else ""
    return Frr(lab, "router", f"""frr defaults traditional
hostname router
log stdout informational
log timestamp precision 3
!
router bgp {ROUTER_AS}
 bgp router-id {ROUTER_V4}
 bgp log-neighbor-changes
 no bgp ebgp-requires-policy
 neighbor {NODE_V4} remote-as {NODE_AS}
{bfd_line}!
""", name="router-frr", bfdd_conf="hostname bfdd\nlog stdout informational\n!\nbfd\n!\n")


# --- the node kinds -------------------------------------------------------------------------

class VipdNode:
    """`vipd standalone` in the node's namespace, with or without a BFDProfile."""

    def __init__(self, binary, bfd):
        self.binary, self.bfd = binary, bfd

    def config(self):
        if self.bfd:
            profile = """apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: {name: fast}
spec: {receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3}
---
"""
            peer_extra = "bfdProfile: fast"
        else:
            profile, peer_extra = "", f"holdTime: {CONTROL_HOLD}s"
        return profile + f"""apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {{name: public}}
spec: {{addresses: [203.0.113.0/24]}}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {{name: all}}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {{name: router}}
spec: {{myASN: {NODE_AS}, peerASN: {ROUTER_AS}, peerAddress: {ROUTER_V4}, {peer_extra}}}
---
node: node1
services:
- {{name: web, addresses: [{VIP}]}}
"""

    def start(self, lab):
        path = os.path.join(lab.dir, "vipd.yaml")
        with open(path, "w") as f:
            f.write(self.config())
        p = lab.run("node", [self.binary, "standalone", "--config", path,
                             "--state-dir", os.path.join(lab.dir, "state"), "--admin", ADMIN,
                             "--log-level", "info"], "vipd.log")
        p.stop_signal = signal.SIGINT  # SIGTERM would announce GRACEFUL_SHUTDOWN for 5 s
        self.processes = [p]


class FrrNode:
    """FRR 8.4 as the node: zebra, bfdd (defaults 300/300/3), bgpd announcing the VIP."""
    bfd = True

    def start(self, lab):
        frr = Frr(lab, "node", f"""frr defaults traditional
hostname node
log stdout informational
!
router bgp {NODE_AS}
 bgp router-id {NODE_V4}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor {ROUTER_V4} remote-as {ROUTER_AS}
 neighbor {ROUTER_V4} bfd
 address-family ipv4 unicast
  network {VIP}/32
 exit-address-family
!
""", name="node-frr", bfdd_conf="hostname bfdd\nlog stdout informational\n!\nbfd\n!\n")
        self.processes = [frr.zebra, frr.bfdd, frr.bgpd]


class BirdNode:
    """BIRD 2 as the node: BFD at 300/300/3 (BIRD's own defaults are 10 ms rx, 100 ms tx,
    multiplier 5), a static VIP exported over BGP. `error wait time 1, 10` only shortens the
    recovery after the failure (the default waits 60 s before BIRD reconnects)."""
    bfd = True

    def start(self, lab):
        bird = Bird(lab, "node", f"""
router id {NODE_V4};
protocol device {{ }}
protocol static vip {{
  ipv4;
  route {VIP}/32 blackhole;
}}
protocol bfd {{
  interface "*" {{ min rx interval 300 ms; min tx interval 300 ms; multiplier 3; }};
}}
protocol bgp uplink {{
  local {NODE_V4} as {NODE_AS};
  neighbor {ROUTER_V4} as {ROUTER_AS};
  bfd on;
  error wait time 1, 10;
  ipv4 {{ import none; export all; }};
}}
""", name="node-bird")
        self.processes = [bird.process]


def make_node(kind, args):
    if kind == "vipd":
        return VipdNode(args.vipd, bfd=True)
    if kind == "vipd-no-BFD":
        return VipdNode(args.vipd, bfd=False)
    return FrrNode() if kind == "FRR" else BirdNode()


# --- observing the router -------------------------------------------------------------------

def bfd_peer(frr):
    for p in frr.json("show bfd peers", daemon="bfdd") or []:
        if p.get("peer") == NODE_V4:
            return p
    return None


def bfd_negotiated(frr):
    """The router's session is Up and knows the node's 300 ms x 3 (its Poll Sequence ended)."""
    p = bfd_peer(frr)
    return p if p and p.get("status") == "up" and all(
        p.get(k) == v for k, v in BFD_TIMERS.items()) else None


def bgp_neighbor(frr):
    return frr.json(f"show bgp neighbors {NODE_V4}", daemon="bgpd").get(NODE_V4, {})


_ADJ_DOWN = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+) .*%ADJCHANGE: neighbor "
                       + re.escape(NODE_V4) + r"\b.* Down ")


def bgpd_down_time(lab, frr, since):
    """When the router's bgpd took the session down (its log, to the millisecond), or None."""
    for line in lab.log(frr.bgpd).splitlines():
        m = _ADJ_DOWN.match(line)
        if m:
            t = datetime.datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S.%f").timestamp()
            if t >= since - 0.001:  # the log is to the millisecond, truncated
                return t
    return None


def route_present(lab):
    return "proto bgp" in lab.exec("router", "ip", "route", "show", f"{VIP}/32")


def steady(lab, frr, capture, bfd):
    """BGP Established for SETTLE seconds at the router, the route in its kernel, and with BFD:
    the router's session Up at 300 ms x 3, and the node sending nothing but plain Up packets
    (no Poll Sequence, no session re-created by the node) for SETTLE seconds."""
    n = bgp_neighbor(frr)
    if n.get("bgpState") != "Established" or n.get("bgpTimerUpMsec", 0) < SETTLE * 1000:
        return False
    if bfd:
        if not bfd_negotiated(frr):
            return False
        now, packets = time.time(), capture.packets()
        plain = [t for t, kind in packets if kind == "Up"]
        other = [t for t, kind in packets if kind != "Up"]
        if not plain or plain[0] > now - SETTLE or plain[-1] < now - 1.0 or (
                other and other[-1] > now - SETTLE):
            return False
    return route_present(lab)


class BfdCapture:
    """The node's BFD Control packets as the router's interface receives them: tcpdump in the
    router's namespace, kernel timestamps (the clock time.time() reads)."""

    _LINE = re.compile(r"^(\d+\.\d+) IP (.*)$")
    _BFD = re.compile(r"BFDv1, Control, State (\w+), Flags: \[([^\]]*)\]")

    def __init__(self, lab):
        self.lab = lab
        self.process = lab.run("router", [
            "tcpdump", "-i", lab.prefix + "r0", "-n", "-tt", "-l", "--immediate-mode",
            "-s", "96", f"udp and src host {NODE_V4} and dst port 3784"], "bfd-capture.log")
        wait_for("tcpdump listening", lambda: "listening on" in lab.log(self.process), 15, 0.02)

    def packets(self):
        """[(arrival time, kind)]: kind "Up" for a plain Up packet (no Poll, no Final: sent by
        the node's transmit timer), else the state and flags, e.g. "Up Poll", "Init none"; a
        packet tcpdump did not decode as BFD is "other"."""
        out = []
        for line in self.lab.log(self.process).splitlines():
            m = self._LINE.match(line)
            if m:
                b = self._BFD.search(m.group(2))
                kind = "other" if not b else (
                    "Up" if b.group(1) == "Up" and b.group(2) == "none" else
                    f"{b.group(1)} {b.group(2)}")
                out.append((float(m.group(1)), kind))
        return out

    def stop(self):
        self.lab.stop(self.process)
        return self.packets()


def node_packets(packets, start, gone, window=1.8):
    """What the router last heard from the node: the age of its last packet at the failure
    ("stale"), the time from that packet to the route's deletion ("silence"), and the gaps
    between its plain Up packets in the `window` seconds before the failure (its TX interval:
    all of them were plain Up packets, see steady())."""
    before = [t for t, _ in packets if t <= start]
    heard = [t for t, _ in packets if gone is None or t <= gone]
    timer = [t for t, kind in packets if kind == "Up" and start - window <= t <= start]
    return {
        "stale": (start - before[-1]) if before else None,
        "silence": (gone - heard[-1]) if heard and gone is not None else None,
        "late": len(heard) - len(before),  # packets still arriving after the failure
        "gaps": [b - a for a, b in zip(timer, timer[1:])],
    }


class Monitor:
    """`ip -ts monitor OBJECT` in one namespace; its lines with their timestamps (the monitor's
    gettimeofday when it read the netlink message: the clock time.time() reads)."""

    _LINE = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (.*)$")

    def __init__(self, lab, ns, obj):
        self.lab = lab
        self.process = lab.run(ns, ["ip", "-ts", "monitor", obj], f"monitor-{ns}-{obj}.log")
        wait_for(f"ip monitor {obj} subscribed", self._subscribed, 10, 0.01)

    def _subscribed(self):
        """Whether the monitor's rtnetlink socket has joined its multicast groups: read from
        /proc, so proving it disturbs nothing in the namespace."""
        pid = self.process.pid
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        with open(f"/proc/{pid}/net/netlink") as f:
            next(f)  # header: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
            for line in f:
                cols = line.split()
                if cols[1] == "0" and cols[-1] in inodes and int(cols[3], 16):
                    return True
        return False

    def events(self, since):
        """[(time, text)] of the lines stamped at or after `since`."""
        out = []
        for line in self.lab.log(self.process).splitlines():
            m = self._LINE.match(line)
            if m:
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
                if t >= since:
                    out.append((t, m.group(2)))
        return out


_VIP_ROUTE = re.compile(rf"^(Deleted )?(?:[a-z]+ )?{re.escape(VIP)}(?:/32)? ")


def route_event(monitor, since, deleted):
    """Time of the first deletion (or addition) of the VIP's route after `since`, or None."""
    for t, text in monitor.events(since):
        m = _VIP_ROUTE.match(text)
        if m and bool(m.group(1)) == deleted and (deleted or "proto bgp" in text):
            return t
    return None


def wait_route(lab, monitor, since, cap, deleted):
    """(time, source) of the VIP route's deletion or return: the monitor's timestamp, or, if the
    monitor has no line 0.2 s after a poll saw the change, the middle of that poll."""
    deadline = time.monotonic() + cap
    next_poll, polled = 0.0, None
    while time.monotonic() < deadline:
        t = route_event(monitor, since, deleted)
        if t is not None:
            return t, "monitor"
        now = time.monotonic()
        if polled is not None and now > polled[1] + 0.2:
            return polled[0], "poll"
        if polled is None and now >= next_poll:
            t0 = time.time()
            changed = route_present(lab) != deleted
            if changed:
                polled = ((t0 + time.time()) / 2, now)
            next_poll = now + 0.1
        time.sleep(0.005)
    return None, None


def link_down_time(monitor, ifname, since):
    """The monitor's timestamp of `ifname` losing its UP flag, waiting up to 0.5 s for it."""
    pattern = re.compile(rf"^\d+: {re.escape(ifname)}(?:@\S+)?: <([^>]*)>")
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        for t, text in monitor.events(since):
            m = pattern.match(text)
            if m and "UP" not in m.group(1).split(","):
                return t
        time.sleep(0.005)
    return None


# --- one run --------------------------------------------------------------------------------

def run_once(kind, mode, args):
    lab = Lab()
    keep = args.keep_logs
    try:
        with lab:
            topology(lab)
            node = make_node(kind, args)
            frr = router(lab, node.bfd)
            node.start(lab)
            capture = BfdCapture(lab)
            wait_for(f"BGP{' and BFD' if node.bfd else ''} steady for {SETTLE:.0f} s and the "
                     "route in the router's kernel",
                     lambda: steady(lab, frr, capture, node.bfd), 45, 0.2)
            routes = Monitor(lab, "router", "route")
            links = Monitor(lab, "node", "link") if mode == "link-down" else None
            # Prove the route monitor sees the router's table (an unused table: zebra ignores it).
            mark = time.time()
            lab.exec("router", "ip", "route", "add", "blackhole", PROBE_ROUTE, "table",
                     PROBE_TABLE)
            lab.exec("router", "ip", "route", "del", "blackhole", PROBE_ROUTE, "table",
                     PROBE_TABLE)
            wait_for("the route monitor's probe", lambda: any(
                PROBE_ROUTE.split("/")[0] in text for _, text in routes.events(mark)), 5, 0.01)

            # The failure, at a random instant (PHASE).
            time.sleep(random.uniform(0.0, PHASE))
            ifname = lab.prefix + "n0"
            if mode == "freeze":
                start = time.time()
                for p in node.processes:
                    os.kill(p.pid, signal.SIGSTOP)
                start_source = "clock"
            else:
                before = time.time()
                lab.exec("node", "ip", "link", "set", ifname, "down")
                start = link_down_time(links, ifname, before)
                start_source = "monitor" if start is not None else "clock"
                start = start if start is not None else before
            cap = DETECT_CAP if node.bfd else CONTROL_CAP
            gone, source = wait_route(lab, routes, start, cap, deleted=True)
            told = bgpd_down_time(lab, frr, start) if gone is not None else None
            received = capture.stop()
            bgp = bgp_neighbor(frr)
            reason = bgp.get("lastResetDueTo", "?")
            if bgp.get("lastNotificationReason"):
                reason += f" ({bgp['lastNotificationReason']})"

            # Recovery: the route must come back (sanity, not timed against anything).
            resumed = time.time()
            if mode == "freeze":
                for p in node.processes:
                    os.kill(p.pid, signal.SIGCONT)
            else:
                lab.exec("node", "ip", "link", "set", ifname, "up")
            back, _ = wait_route(lab, routes, resumed, RECOVERY_CAP, deleted=False)
            result = {
                "kind": kind, "mode": mode,
                "detect": None if gone is None else gone - start,
                "bgpd": None if told is None else told - start,
                **node_packets(received, start, gone),
                "source": source, "start_source": start_source, "cap": cap,
                "reason": reason if gone is not None else "not dropped",
                "recovery": None if back is None else back - resumed,
            }
            if result["detect"] is None or result["recovery"] is None:
                keep = True
            if keep:
                print(f"  logs in {lab.dir}", file=sys.stderr, flush=True)
            return result
    except Exception:
        keep = True
        print(f"  run failed; logs kept in {lab.dir}", file=sys.stderr, flush=True)
        raise
    finally:
        if not keep:
            shutil.rmtree(lab.dir, ignore_errors=True)


# --- report ---------------------------------------------------------------------------------

def summary(results, kind, mode):
    rs = [r for r in results if r["kind"] == kind and r["mode"] == mode]
    if not rs:
        return None
    ms = [r["detect"] * 1000 for r in rs if r["detect"] is not None]
    rec = [r["recovery"] for r in rs if r["recovery"] is not None]
    told = [r["bgpd"] * 1000 for r in rs if r["bgpd"] is not None]
    gaps = [g * 1000 for r in rs for g in r["gaps"]]
    stale = [r["stale"] * 1000 for r in rs if r["stale"] is not None]
    silence = [r["silence"] * 1000 for r in rs if r["silence"] is not None]
    reasons = sorted({r["reason"] for r in rs})
    return {
        "kind": kind, "mode": mode, "runs": len(rs), "ms": ms,
        "median": statistics.median(ms) if ms else None,
        "min": min(ms) if ms else None, "max": max(ms) if ms else None,
        "over_cap": len(rs) - len(ms), "cap": rs[0]["cap"],
        "bgpd": statistics.median(told) if told else None,
        "gap": (statistics.median(gaps), min(gaps), max(gaps)) if gaps else None,
        "stale": statistics.median(stale) if stale else None,
        "silence": ((statistics.median(silence), min(silence), max(silence))
                    if silence else None),
        "late": sum(r["late"] for r in rs),
        "clock_starts": sum(1 for r in rs
                            if mode == "link-down" and r["start_source"] != "monitor"),
        "within": sum(1 for v in ms if v <= TARGET_MS),
        "recovery": statistics.median(rec) if rec else None,
        "not_recovered": len(rs) - len(rec),
        "reasons": reasons,
        "polled": sum(1 for r in rs if r["source"] == "poll"),
    }


def rows_of(results, kinds, modes):
    return [s for mode in modes for kind in kinds
            if (s := summary(results, kind, mode)) is not None]


def fmt_ms(v, row=None):
    if v is None:
        return f"> {row['cap']:.0f} s" if row else "—"
    return f"{v:.0f}"


def fmt_median(row):
    if row["median"] is None:
        return fmt_ms(None, row)
    text = fmt_ms(row["median"])
    return text + (f" ({row['over_cap']} over {row['cap']:.0f} s)" if row["over_cap"] else "")


def ratio(rows, mode, a, b):
    ra = next((r for r in rows if r["mode"] == mode and r["kind"] == a), None)
    rb = next((r for r in rows if r["mode"] == mode and r["kind"] == b), None)
    if not ra or not rb or ra["median"] is None or not rb["median"]:
        return "—"
    return f"{ra['median'] / rb['median']:.2f}"


def fmt_range(v):
    """(median, min, max) as "median (min–max)"."""
    return "—" if v is None else f"{v[0]:.0f} ({v[1]:.0f}–{v[2]:.0f})"


def print_table(rows, kinds, modes):
    print(f"{'mode':<10} {'node':<12} {'runs':>4} {'median ms':>10} {'min':>6} {'max':>6} "
          f"{'<=800ms':>7} {'node TX gap ms':>15} {'pkt age':>7} {'pkt->gone ms':>15} "
          f"{'bgpd ms':>8} {'recovery s':>10}  router's reset reason")
    for r in rows:
        rec = "—" if r["recovery"] is None else f"{r['recovery']:.1f}"
        print(f"{r['mode']:<10} {r['kind']:<12} {r['runs']:>4} {fmt_median(r):>10} "
              f"{fmt_ms(r['min']):>6} {fmt_ms(r['max']):>6} {r['within']:>4}/{r['runs']:<2} "
              f"{fmt_range(r['gap']):>15} {fmt_ms(r['stale']):>7} {fmt_range(r['silence']):>15} "
              f"{fmt_ms(r['bgpd']):>8} {rec:>10}  {'; '.join(r['reasons'])}")
    if "vipd" in kinds:
        for mode in modes:
            print(f"{mode}: median vipd/FRR {ratio(rows, mode, 'vipd', 'FRR')}, "
                  f"vipd/BIRD {ratio(rows, mode, 'vipd', 'BIRD')}")
    late = sum(r["late"] for r in rows)
    if late:
        print(f"{late} BFD packet(s) from the node reached the router after the failure")


def markdown(rows, results, meta, kinds, modes, failures):
    out = ["## BFD failover (router drops a frozen or disconnected node)", ""]
    out.append(
        f"`bench/bfd_failover_bench.py`, run as root: `{meta['command']}`. vipd is "
        f"`{meta['vipd']}` (preset `release`, `-O2`), built at `{meta['commit']}` "
        f"(`vipd --version`: \"{meta['vipd_version']}\").")
    out.append("")
    out.append(
        f"- Machine: {meta['nproc']} CPUs (`nproc`), \"{meta['cpu']}\", Linux "
        f"{meta['kernel']}; {meta['date']}. Load average (1 min) {meta['load_start']:.2f} at "
        f"the start of the run, {meta['load_end']:.2f} at the end; wall time "
        f"{meta['wall'] / 60:.1f} min.")
    out.append(f"- Router: FRR {meta['frr']} (zebra, bgpd, bfdd), AS 64500, `frr defaults "
               "traditional` (hold time 180 s), `neighbor 192.0.2.11 bfd` with bfdd's defaults "
               "(300 ms / 300 ms / 3). Nodes, AS 64501, each announcing 203.0.113.10/32: "
               "`vipd standalone` with a BFDProfile 300/300/3 on its BGPPeer; FRR "
               f"{meta['frr']} (zebra, bgpd, bfdd at its 300/300/3 defaults, `neighbor … bfd`, "
               f"`network`); {meta['bird']} (`protocol bfd` set to 300/300/3 — its defaults "
               "are 10 ms rx, 100 ms tx, multiplier 5 —, `bfd on`, a static route exported, "
               "`error wait time 1, 10` so that it reconnects within seconds after the "
               f"failure); the control, vipd without BFD and with `holdTime: {CONTROL_HOLD}s` "
               "(the router has no `bfd` on that neighbour), so only BGP's hold timer "
               "drops it.")
    out.append("- Topology: \"router\" (192.0.2.1/24) — veth — \"switch\" (a Linux bridge) — "
               "veth — \"node\" (192.0.2.11/24). The bridge keeps the router's link up when the "
               "node's goes down; on a bare veth pair the router's end would lose its carrier "
               "and zebra would drop the route without BFD. A fresh lab (namespaces, router, "
               f"node) for every run; {meta['runs']} runs per node and failure mode, interleaved "
               "(run 1 of every pair, then run 2, …).")
    out.append("- Failure: **freeze** = SIGSTOP to every process of the node (vipd; FRR's zebra, "
               "bfdd and bgpd; bird), timed from the clock just before the first signal; "
               "**link down** = `ip link set n0 down` in the node's namespace, timed from the "
               "timestamp `ip -ts monitor link` (in the node's namespace) gives the link's "
               "losing UP. Each comes once the router's BFD session is Up at 300 ms × 3 (its "
               "`show bfd peers`), the node has sent nothing but plain Up packets (no Poll "
               f"Sequence, no re-created session) for {SETTLE:.0f} s, BGP has been Established "
               f"for {SETTLE:.0f} s and the route is in the router's kernel, at a random "
               f"instant in the next {PHASE:.0f} s (uniform: its phase against the node's BFD "
               "packets and KEEPALIVEs is random).")
    out.append("- **Measured**: until the router's kernel no longer has 203.0.113.10/32: the "
               "timestamp `ip -ts monitor route`, started in the router's namespace before the "
               "failure (and proven subscribed), gives the deletion. It covers BFD's detection "
               "at the router, bfdd → zebra → bgpd, bgpd's withdrawal and zebra's deletion of "
               "the kernel route. `ip route show` polled every 100 ms is the fallback; "
               + (f"it was needed in {sum(r['polled'] for r in rows)} runs."
                  if any(r["polled"] for r in rows) else "it was never needed.")
               + " Afterwards SIGCONT / link up, and the route had to come back (\"recovery\", "
               "informational: it depends on each daemon's reconnect timers).")
    out.append("- The other columns explain the figure. tcpdump on the router's interface gives "
               "the kernel arrival time of every BFD Control packet from the node: \"node's TX "
               "gap\" is the time between consecutive packets in the 1.8 s before the failure "
               "(median and min–max over all runs; RFC 5880 §6.8.7 asks for 75–100 % of the "
               "300 ms interval), \"last packet's age\" how long before the failure the router "
               "heard the node last, \"last packet → route gone\" the rest (the router's "
               "3 × 300 ms detection plus its reaction; median and min–max). \"bgpd Down\": "
               "when the router's bgpd logged the session Down (`bgp log-neighbor-changes`, "
               "`log timestamp precision 3`), from the failure; the time after it is bgpd's "
               "withdrawal and zebra's kernel update. Medians of the runs unless a range is "
               "shown.")
    out.append("")
    out.append("| failure | node | runs | median (ms) | min (ms) | max (ms) | runs ≤ 800 ms | "
               "node's TX gap (ms) | last packet's age at the failure (ms) | last packet → "
               "route gone (ms) | bgpd Down (ms) | recovery (s) | router's reset reason |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    names = {"freeze": "freeze (SIGSTOP)", "link-down": "link down"}
    for r in rows:
        rec = "—" if r["recovery"] is None else f"{r['recovery']:.1f}"
        kind = "vipd, no BFD (hold 9 s)" if r["kind"] == "vipd-no-BFD" else r["kind"]
        out.append(f"| {names[r['mode']]} | {kind} | {r['runs']} | {fmt_median(r)} | "
                   f"{fmt_ms(r['min'])} | {fmt_ms(r['max'])} | {r['within']} of {r['runs']} | "
                   f"{fmt_range(r['gap'])} | {fmt_ms(r['stale'])} | {fmt_range(r['silence'])} | "
                   f"{fmt_ms(r['bgpd'])} | {rec} | {'; '.join(r['reasons'])} |")
    if "vipd" in kinds:
        out.append("")
        out.append("Ratios of the medians, vipd / reference (below 1 = vipd's routes dropped "
                   "sooner): " + "; ".join(
                       f"{names[m]}: vipd/FRR {ratio(rows, m, 'vipd', 'FRR')}, vipd/BIRD "
                       f"{ratio(rows, m, 'vipd', 'BIRD')}" for m in modes) + ".")
    out.append("")
    out.append("Every run, in ms, in order: " + "; ".join(
        f"{names[r['mode']]} {r['kind']}: " + ", ".join(
            fmt_ms(x["detect"] * 1000 if x["detect"] is not None else None, r)
            for x in results if x["kind"] == r["kind"] and x["mode"] == r["mode"])
        for r in rows) + ".")
    late = sum(r["late"] for r in rows)
    clock = sum(r["clock_starts"] for r in rows)
    if late or clock:
        out.append("")
        out.append(f"{late} BFD packet(s) from a node reached the router after the failure; "
                   f"{clock} link-down run(s) were timed from the clock before `ip link set` "
                   "(the link monitor had no line).")
    if failures:
        out.append("")
        out.append("Failed runs (not in the table): " + "; ".join(failures) + ".")
    return wrap_markdown("\n".join(out))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vipd", default=os.path.join(ROOT, "build", "release", "daemon",
                                                       "vipd"), help="vipd (release build)")
    parser.add_argument("--commit", help="the commit vipd was built from, for the report "
                        "(default: `git rev-parse --short HEAD` of this tree)")
    parser.add_argument("--runs", type=int, default=5, help="runs per node kind and mode")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--wait-quiet", action="store_true",
                        help="first wait (at most 25 min) for a 1-minute load average < 1.5")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep each run's directory (configs, daemon logs, monitors)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the bench/RESULTS.md section")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("the lab needs root (network namespaces)", file=sys.stderr)
        return 1
    wanted = [k.lower() for k in args.kinds.split(",")]
    kinds = [k for k in KINDS if k.lower() in wanted]
    modes = [m for m in MODES if m in args.modes.split(",")]
    if not kinds or not modes or args.runs < 1:
        parser.error(f"kinds among {KINDS}, modes among {MODES}, runs >= 1")
    if any(k.startswith("vipd") for k in kinds) and not os.access(args.vipd, os.X_OK):
        print(f"{args.vipd} not found: build it with\n  cmake --preset release\n  cmake "
              "--build --preset release --target vipd", file=sys.stderr)
        return 1

    # SIGTERM and SIGHUP unwind like Ctrl-C, so every Lab closes (processes, namespaces).
    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    load_start = wait_quiet() if args.wait_quiet else load1()
    began = time.monotonic()
    results, failures = [], []
    try:
        for run in range(args.runs):
            for kind in kinds:
                for mode in modes:
                    try:
                        r = run_once(kind, mode, args)
                    except (RuntimeError, TimeoutError, AssertionError, OSError) as e:
                        failures.append(f"{kind} {mode} run {run + 1}: {e}")
                        print(f"FAILED {kind} {mode} run {run + 1}: {e}", file=sys.stderr,
                              flush=True)
                        continue
                    results.append(r)
                    detect = ("> cap" if r["detect"] is None
                              else f"{r['detect'] * 1000:.0f} ms ({r['source']})")
                    rec = "NOT BACK" if r["recovery"] is None else f"{r['recovery']:.1f} s"
                    print(f"run {run + 1} {kind:<12} {mode:<9} route gone after {detect}, "
                          f"back {rec}; router: {r['reason']}", file=sys.stderr, flush=True)
                    if r["recovery"] is None:
                        failures.append(f"{kind} {mode} run {run + 1}: the route did not come "
                                        f"back within {RECOVERY_CAP:.0f} s")
    except KeyboardInterrupt:
        print("interrupted: namespaces and processes cleaned up", file=sys.stderr)
        return 130
    rows = rows_of(results, kinds, modes)
    print_table(rows, kinds, modes)
    for f in failures:
        print(f"failed: {f}")
    if args.markdown:
        vipd = os.path.abspath(args.vipd)
        meta = {
            "command": "python3 bench/bfd_failover_bench.py " + " ".join(argv),
            "vipd": os.path.relpath(vipd, ROOT) if vipd.startswith(ROOT + os.sep) else vipd,
            "commit": args.commit or version(["git", "-C", ROOT, "rev-parse", "--short",
                                              "HEAD"]),
            "vipd_version": version([args.vipd, "--version"]),
            "nproc": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d"), "load_start": load_start, "load_end": load1(),
            "wall": time.monotonic() - began, "runs": args.runs,
            "frr": version(["/usr/lib/frr/zebra", "--version"]).split()[-1],
            "bird": version(["bird", "--version"]),
        }
        print()
        print(markdown(rows, results, meta, kinds, modes, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
