#!/usr/bin/env python3
"""Daemon benchmark at scale: `vipd standalone` with N services (one /32 each from
198.18.0.0/15) announcing to a passive gobgpd receiver, side by side in the same run with BIRD 2
announcing N static /32s to the same kind of receiver (the reference). Per daemon and N:
process start -> receiver holds all N (and 99 %), start -> the daemon's TCP SYN, SYN -> all
held, octets sent on the session, peak RSS and RSS after 3 s of quiet once all are held. For
vipd alone: `vipd config check` of the same file (wall time, peak RSS), and the small end: 1,000
RequireDualStack services announced to 4 gobgpd peers (IPv4 sessions carrying both families),
RSS once announced.

  sudo python3 bench/daemon_scale_bench.py --vipd build/release/daemon/vipd
  sudo python3 bench/daemon_scale_bench.py --vipd build/release/daemon/vipd \\
      --sizes 1000,10000,100000 --runs 3 --markdown
  sudo python3 bench/daemon_scale_bench.py --vipd VIPD --sizes 1000 --runs 1 --no-small-end

Topology (bench/bgp_lab_bench.py's): namespace "recv" (gobgpd, AS 64500, 192.0.2.1/24,
passive) and "send" (the daemon, AS 65550, 192.0.2.2/24) on one veth pair; fresh namespaces, a
fresh receiver and a fresh state directory for every run; daemons interleaved. The daemon's SYN
and its octets come from tcpdump in the receiver's namespace (bench/lab/capture.py), memory
from /proc/PID/status. BIRD runs from bench/lab/peers.py's BirdSender, with `connect delay
time` set to --bird-connect-delay (0 by default, so that it connects as soon as it is up, as
vipd does; BIRD's own default is 5 s). Small end topology: "send" with four veth pairs, one to
each receiver namespace, 192.0.2.(4i+1)/30 and 2001:db8:0:(i+1)::1/64 on the receiver's side,
.(4i+2) and ::2 on vipd's. Not a test: run by hand, as root.
"""
import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bgp_lab_bench import (SenderDied, cpu_model, load1, version,  # noqa: E402
                           wait_for_routes, wrap_markdown)
from lab.capture import Capture, now, session_times  # noqa: E402
from lab.netns import Lab  # noqa: E402
from lab.peers import (RECEIVER_ADDR, RECEIVER_AS, ROUTE_BASE, SENDER_ADDR,  # noqa: E402
                       SENDER_AS, BirdSender, Gobgpd, Receiver, VipdSender)
from lab.proc import cpu_seconds  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DAEMONS = ["vipd", "BIRD"]
QUIET = 3.0  # seconds between "all held" and the quiet RSS reading
POOL_V4 = "198.18.0.0/15"  # RFC 2544 benchmarking range: 131,072 /32s
POOL_V6 = "2001:db8:100::/64"
ADMIN = "127.0.0.1:7473"  # vipd's admin endpoint, inside the sender's namespace
SMALL_END_SERVICES, SMALL_END_PEERS = 1000, 4


def proc_memory_kib(pid):
    """VmHWM, VmRSS, RssAnon and RssFile of a process, in KiB."""
    keys = ("VmHWM", "VmRSS", "RssAnon", "RssFile")
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in keys:
                out[key] = int(value.split()[0])
    return out


# ---------------------------------------------------------------------------------------------
# Configuration files of vipd standalone


def standalone_config(n):
    """N single-stack services, one peer (the receiver), as a ConfigMap body plus vipd's own
    keys: every service takes one /32 from the pool."""
    head = (f"node: edge-1\n"
            f"peers:\n"
            f"- peer-address: {RECEIVER_ADDR}\n"
            f"  peer-asn: {RECEIVER_AS}\n"
            f"  my-asn: {SENDER_AS}\n"
            f"address-pools:\n"
            f"- name: big\n"
            f"  protocol: bgp\n"
            f"  addresses: [{POOL_V4}]\n"
            f"services:\n")
    return head + "".join(f"- {{name: s{i}}}\n" for i in range(n))


def small_end_addresses(i):
    """(receiver v4, vipd v4, receiver v6, vipd v6) of the i-th small-end link (/30 and /64)."""
    return (f"192.0.2.{4 * i + 1}", f"192.0.2.{4 * i + 2}",
            f"2001:db8:0:{i + 1}::1", f"2001:db8:0:{i + 1}::2")


def dual_stack_config(n, peers):
    """N RequireDualStack services and `peers` BGP peers whose IPv4 sessions carry both
    families. The ConfigMap body has no dual-stack-address-family, so this file is written as
    MetalLB resources (BGPPeer dualStackAddressFamily) beside the plain document."""
    docs = [f"""apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: big
spec:
  addresses: [{POOL_V4}, {POOL_V6}]""", """apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata:
  name: big
spec:
  ipAddressPools: [big]"""]
    for i in range(peers):
        docs.append(f"""apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: r{i}
spec:
  myASN: {SENDER_AS}
  peerASN: {RECEIVER_AS}
  peerAddress: {small_end_addresses(i)[0]}
  dualStackAddressFamily: true""")
    services = "".join(f"- {{name: s{i}, ip-family-policy: RequireDualStack}}\n"
                       for i in range(n))
    docs.append("node: edge-1\nservices:\n" + services)
    return "\n---\n".join(docs)


def cached_file(work, name, make):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(make())
    return path


# ---------------------------------------------------------------------------------------------
# The two daemons, with the interface of bench/lab/peers.py's senders


class VipdStandalone(VipdSender):
    """`vipd standalone` in the sender's namespace with a fresh state directory: it allocates
    the services' addresses from the pool, then connects to the peers. (pid and
    process_exited as VipdSender's.)"""
    name = "vipd"

    def __init__(self, lab, ns, binary, config_path):
        super().__init__(lab, ns, 0, binary)
        self.config_path = config_path

    def prepare(self):
        self.state_dir = os.path.join(self.lab.dir, "vipd-state")
        os.makedirs(self.state_dir)

    def start(self):
        t = now()
        self.process = self.lab.run(self.ns, [
            self.binary, "standalone", "--config", self.config_path, "--state-dir",
            self.state_dir, "--admin", ADMIN, "--log-level", "warn"], "vipd.log")
        self.process.stop_signal = signal.SIGINT  # at cleanup: close at once, no drain
        return t


class Bird(BirdSender):
    """BirdSender with BIRD's `connect delay time` set (None: BIRD's default, 5 s)."""

    def __init__(self, lab, ns, n, connect_delay):
        super().__init__(lab, ns, n)
        self.connect_delay = connect_delay

    def prepare(self):
        super().prepare()
        if self.connect_delay is not None:
            anchor = f"  neighbor {RECEIVER_ADDR} as {RECEIVER_AS};\n"
            assert anchor in self.conf, "BirdSender's protocol bgp changed"
            self.conf = self.conf.replace(
                anchor, anchor + f"  connect delay time {self.connect_delay};\n")


# ---------------------------------------------------------------------------------------------
# One run


def topology(lab):
    lab.add_ns("recv")
    lab.add_ns("send")
    lab.link("recv", "r0", "send", "s0")
    lab.addr("recv", "r0", f"{RECEIVER_ADDR}/24")
    lab.addr("send", "s0", f"{SENDER_ADDR}/24")


def kept_lab(args, body):
    """Runs body(lab) in a fresh Lab; the run's directory is removed unless --keep-logs or the
    run failed. Processes and namespaces go in every case (Lab.close)."""
    lab = Lab()
    keep = args.keep_logs
    try:
        with lab:
            result = body(lab)
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


def run_once(kind, n, args, work):
    def body(lab):
        topology(lab)
        receiver = Receiver(lab, "recv")
        if kind == "vipd":
            sender = VipdStandalone(lab, "send", args.vipd, cached_file(
                work, f"standalone-{n}.yaml", lambda: standalone_config(n)))
        else:
            sender = Bird(lab, "send", n, args.bird_connect_delay)
        sender.prepare()
        capture = Capture(lab, "recv", lab.prefix + "r0", SENDER_ADDR, RECEIVER_ADDR)
        trace = []
        started = sender.start()
        deadline = started + 60 + n / 2000
        done, upper = wait_for_routes(receiver, sender, capture, n, deadline, trace)
        at_done = proc_memory_kib(sender.pid)
        time.sleep(QUIET)
        if sender.process_exited():
            raise SenderDied(f"{kind} exited during the quiet period")
        quiet = proc_memory_kib(sender.pid)
        cpu = cpu_seconds(sender.pid)
        held_after = receiver.ipv4_prefixes()
        packets = capture.stop()
        syn, last, octets = session_times(packets, upper)
        if syn is None:
            raise RuntimeError(f"{kind}: no SYN captured")
        most = next((t for t, held in trace if held >= 0.99 * n), done)
        with open(os.path.join(lab.dir, "receiver-polls.txt"), "w") as f:
            f.writelines(f"{t - syn:.3f} {held}\n" for t, held in trace)
        return {
            "daemon": kind, "n": n,
            "start_all": done - started, "start_99": most - started,
            "start_syn": syn - started, "syn_all": done - syn, "syn_99": most - syn,
            "syn_last": (last - syn) if last else None, "octets": octets,
            "dropped": capture.dropped, "hwm_done_kib": at_done["VmHWM"],
            "hwm_kib": quiet["VmHWM"], "rss_kib": quiet["VmRSS"],
            "anon_kib": quiet["RssAnon"], "file_kib": quiet["RssFile"], "cpu": cpu,
            "held_after_quiet": held_after,
        }
    return kept_lab(args, body)


def config_check(vipd, path):
    """(wall seconds, peak RSS KiB) of `vipd config check FILE`, through /usr/bin/time. The
    wall time is Python's clock around the call (/usr/bin/time's %e has 10 ms steps); the
    listing goes to /dev/null."""
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M", vipd, "config", "check", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       timeout=300)
    wall = time.monotonic() - t0
    lines = r.stderr.strip().splitlines()
    if r.returncode != 0 or not lines:
        raise RuntimeError(f"config check {path} failed ({r.returncode}): {r.stderr[-500:]}")
    elapsed, max_rss = lines[-1].split()
    return {"wall": wall, "time_e": float(elapsed), "max_rss_kib": int(max_rss),
            "size": os.path.getsize(path)}


def small_end_once(args, work):
    """1,000 RequireDualStack services, 4 gobgpd peers: start -> every peer holds every IPv4
    and IPv6 route, then RSS after QUIET seconds."""
    n, peers = SMALL_END_SERVICES, SMALL_END_PEERS
    path = cached_file(work, "small-end.yaml", lambda: dual_stack_config(n, peers))

    def body(lab):
        lab.add_ns("send")
        receivers = []
        for i in range(peers):
            r4, s4, r6, s6 = small_end_addresses(i)
            lab.add_ns(f"recv{i}")
            lab.link(f"recv{i}", f"r{i}", "send", f"s{i}")
            lab.addr(f"recv{i}", f"r{i}", f"{r4}/30")
            lab.addr(f"recv{i}", f"r{i}", f"{r6}/64")
            lab.addr("send", f"s{i}", f"{s4}/30")
            lab.addr("send", f"s{i}", f"{s6}/64")
            receivers.append(Gobgpd(lab, f"recv{i}", f"receiver{i}", f"""
global:
  config:
    as: {RECEIVER_AS}
    router-id: {r4}
    local-address-list: [{r4}]
neighbors:
  - config:
      neighbor-address: {s4}
      peer-as: {SENDER_AS}
    transport:
      config:
        passive-mode: true
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast
      - config:
          afi-safi-name: ipv6-unicast
"""))
        sender = VipdStandalone(lab, "send", args.vipd, path)
        sender.prepare()
        started = sender.start()
        deadline = started + 60
        held = []
        for _ in range(int(60 / 0.02) + 1):  # bounded; the deadline ends it first
            held = [(r.prefixes("ipv4"), r.prefixes("ipv6")) for r in receivers]
            if all(a >= n and b >= n for a, b in held):
                break
            if sender.process_exited():
                raise SenderDied(f"vipd exited with the receivers holding {held}")
            if now() > deadline:
                raise TimeoutError(f"vipd: receivers hold {held} (v4, v6) of {n} at the deadline")
            time.sleep(0.02)
        else:
            raise TimeoutError(f"vipd: receivers hold {held} of {n}")
        done = now()
        time.sleep(QUIET)
        if sender.process_exited():
            raise SenderDied("vipd exited during the quiet period")
        mem = proc_memory_kib(sender.pid)
        return {"start_all": done - started, "hwm_kib": mem["VmHWM"], "rss_kib": mem["VmRSS"],
                "anon_kib": mem["RssAnon"], "file_kib": mem["RssFile"],
                "cpu": cpu_seconds(sender.pid)}
    result = kept_lab(args, body)
    result["check"] = config_check(args.vipd, path)
    return result


# ---------------------------------------------------------------------------------------------
# Summaries and output


def med(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def rows_of(results, sizes):
    rows = []
    for n in sizes:
        for kind in DAEMONS:
            rs = [r for r in results if r["daemon"] == kind and r["n"] == n]
            if not rs:
                continue
            row = {"n": n, "daemon": kind, "runs": len(rs)}
            for key in rs[0]:
                if key not in ("daemon", "n"):
                    row[key] = med([r[key] for r in rs])
            rows.append(row)
    return rows


def fmt_s(v):
    return "—" if v is None else f"{v:.3f}"


def fmt_mib(kib):
    return "—" if kib is None else f"{kib / 1024:.1f}"


def m(row, key):
    return row[key][0] if row.get(key) else None


def ratio(rows, n, key):
    a = next((r for r in rows if r["n"] == n and r["daemon"] == "vipd"), None)
    b = next((r for r in rows if r["n"] == n and r["daemon"] == "BIRD"), None)
    if not a or not b or not m(a, key) or not m(b, key):
        return "—"
    x = m(a, key) / m(b, key)
    return f"{x:.2g}" if x < 0.1 else f"{x:.2f}"


RATIO_KEYS = [("start_all", "start → all"), ("start_99", "start → 99 %"),
              ("syn_all", "SYN → all"), ("syn_99", "SYN → 99 %"), ("hwm_kib", "peak RSS"),
              ("rss_kib", "RSS quiet"), ("anon_kib", "anon RSS quiet")]


def print_plain(results, rows, checks, small, sizes):
    print(f"{'N':>7} {'daemon':<6} {'runs':>4} {'start->all s':>12} {'(min-max)':>15} "
          f"{'start->99%':>10} {'start->SYN':>10} {'SYN->all':>8} {'SYN->99%':>8} "
          f"{'peak MiB':>8} {'RSS MiB':>7} {'anon MiB':>8} {'CPU s':>6} {'octets':>9}")
    for r in rows:
        t = r["start_all"]
        print(f"{r['n']:>7} {r['daemon']:<6} {r['runs']:>4} {fmt_s(t[0]):>12} "
              f"({fmt_s(t[1])}-{fmt_s(t[2])}) {fmt_s(m(r, 'start_99')):>10} "
              f"{fmt_s(m(r, 'start_syn')):>10} {fmt_s(m(r, 'syn_all')):>8} "
              f"{fmt_s(m(r, 'syn_99')):>8} {fmt_mib(m(r, 'hwm_kib')):>8} "
              f"{fmt_mib(m(r, 'rss_kib')):>7} {fmt_mib(m(r, 'anon_kib')):>8} "
              f"{m(r, 'cpu'):>6.2f} {int(m(r, 'octets')):>9}")
    print("\nratios vipd/BIRD (medians): " + "; ".join(
        f"N={n}: " + ", ".join(f"{label} {ratio(rows, n, key)}" for key, label in RATIO_KEYS)
        for n in sizes))
    if checks:
        print("\nvipd config check (wall s, peak RSS MiB, file KiB):")
        for n, cs in checks.items():
            w, rss = med([c["wall"] for c in cs]), med([c["max_rss_kib"] for c in cs])
            print(f"  N={n:<7} {w[0]:.3f} ({w[1]:.3f}-{w[2]:.3f})  {fmt_mib(rss[0])}  "
                  f"{cs[0]['size'] / 1024:.0f}")
    if small:
        print(f"\nsmall end ({SMALL_END_SERVICES} RequireDualStack services, {SMALL_END_PEERS} "
              f"peers): " + ", ".join(
                  f"{label} {f(med([s[key] for s in small])[0])}" for key, label, f in (
                      ("start_all", "start->all s", fmt_s), ("hwm_kib", "peak MiB", fmt_mib),
                      ("rss_kib", "RSS MiB", fmt_mib), ("anon_kib", "anon MiB", fmt_mib))))
    print("\nraw runs:")
    for r in results:
        print("  " + " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in r.items()))
    for n, cs in checks.items():
        print(f"  config-check n={n} " + " ".join(
            f"wall={c['wall']:.3f} %e={c['time_e']:.2f} maxrss_kib={c['max_rss_kib']}"
            for c in cs))
    for s in small:
        print("  small-end " + " ".join(
            f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in s.items()
            if k != "check") + f" check_wall={s['check']['wall']:.3f} "
            f"check_maxrss_kib={s['check']['max_rss_kib']}")


def markdown(rows, checks, small, meta, sizes, failures):
    out = ["## vipd standalone at scale: N services to a gobgpd receiver, against BIRD", ""]
    out.append(
        f"`bench/daemon_scale_bench.py` (helpers in `bench/lab/`), run as root: "
        f"`{meta['command']}`; vipd is `{meta['vipd_version']}`.")
    out.append("")
    out.append(
        f"- Machine: {meta['nproc']} CPUs (`nproc`), \"{meta['cpu']}\", Linux "
        f"{meta['kernel']}; {meta['date']}. Load average (1 min) {meta['load_start']:.2f} at "
        f"the start of the run, {meta['load_end']:.2f} at the end; wall time "
        f"{meta['wall'] / 60:.1f} min.")
    out.append(
        f"- Receiver: {meta['gobgpd']} (AS {RECEIVER_AS}), passive. Daemons (AS {SENDER_AS}): "
        f"`vipd standalone` ({meta['vipd_version']}, `--log-level warn`, a fresh state "
        f"directory each run) and {meta['bird']} with `connect delay time "
        f"{meta['bird_delay']}`.")
    out.append(
        f"- vipd's file: one peer, one pool `{POOL_V4}`, N services `- {{name: sI}}`, each "
        f"allocated one /32. BIRD's: a `protocol static` of N `route …/32 blackhole` "
        f"from {ROUTE_BASE}, `export all`. Both send ORIGIN IGP, AS_PATH [{SENDER_AS}], "
        f"NEXT_HOP {SENDER_ADDR}. Fresh namespaces, receiver and daemon every run; "
        f"{meta['runs']} run{'s' if meta['runs'] != 1 else ''} per daemon and N, interleaved; "
        "medians, with min–max.")
    out.append(
        "- **start → all**: from just before the daemon's process is started to the first "
        "poll of `gobgp global rib summary` showing N prefixes (config parsing, allocation, "
        "session setup, transfer and the receiver's ingestion). **start → SYN**: to the kernel "
        "timestamp of the daemon's SYN (tcpdump in the receiver's namespace). **SYN → all** "
        "is bgp_lab_bench's figure. \"99 %\": the first poll with at least 99 % of N — BIRD "
        "2.0.12 stalls before its last UPDATEs for ~3 s toward a silent peer (CONVENTIONS.md), "
        "which \"all\" includes and \"99 %\" leaves out. **octets**: TCP payload from the "
        "daemon on the session until all were held (OPEN, KEEPALIVEs, UPDATEs, End-of-RIB).")
    out.append(
        f"- **Memory** (/proc/PID/status, {QUIET:.0f} s after all were held): peak "
        "`VmHWM`, `VmRSS` and its anonymous part `RssAnon` (the rest is file-backed: the "
        "binary and its libraries). \"CPU\": user + system time since process start.")
    out.append("")
    out.append("| N | daemon | start → all (s) | min–max | start → 99 % (s) | start → SYN (s) | "
               "SYN → all (s) | SYN → 99 % (s) | peak RSS (MiB) | RSS quiet (MiB) | "
               "anon RSS quiet (MiB) | CPU (s) | octets |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r["start_all"]
        out.append(
            f"| {r['n']:,} | {r['daemon']} | {fmt_s(t[0])} | {fmt_s(t[1])}–{fmt_s(t[2])} | "
            f"{fmt_s(m(r, 'start_99'))} | {fmt_s(m(r, 'start_syn'))} | "
            f"{fmt_s(m(r, 'syn_all'))} | {fmt_s(m(r, 'syn_99'))} | "
            f"{fmt_mib(m(r, 'hwm_kib'))} | {fmt_mib(m(r, 'rss_kib'))} | "
            f"{fmt_mib(m(r, 'anon_kib'))} | {m(r, 'cpu'):.2f} | {int(m(r, 'octets')):,} |")
    out.append("")
    out.append("Ratios vipd / BIRD (medians; below 1 = vipd faster or smaller):")
    out.append("")
    out.append("| N | " + " | ".join(label for _, label in RATIO_KEYS) + " |")
    out.append("|---|" + "---|" * len(RATIO_KEYS))
    for n in sizes:
        out.append(f"| {n:,} | " + " | ".join(ratio(rows, n, k) for k, _ in RATIO_KEYS) + " |")
    if checks:
        out.append("")
        out.append("`vipd config check FILE` of the same files (`/usr/bin/time -f '%e %M'` for "
                   "the peak RSS; wall time from the benchmark's clock; the listing to "
                   "/dev/null):")
        out.append("")
        out.append("| N | file (KiB) | wall (s) | min–max | peak RSS (MiB) |")
        out.append("|---|---|---|---|---|")
        for n, cs in checks.items():
            w, rss = med([c["wall"] for c in cs]), med([c["max_rss_kib"] for c in cs])
            out.append(f"| {n:,} | {cs[0]['size'] / 1024:,.0f} | {w[0]:.3f} | "
                       f"{w[1]:.3f}–{w[2]:.3f} | {fmt_mib(rss[0])} |")
    if small:
        s = {k: med([x[k] for x in small]) for k in ("start_all", "hwm_kib", "rss_kib",
                                                     "anon_kib", "cpu")}
        c = {k: med([x["check"][k] for x in small]) for k in ("wall", "max_rss_kib")}
        plural = "s" if len(small) != 1 else ""
        out.append("")
        out.append(
            f"Small end ({len(small)} run{plural}, medians): {SMALL_END_SERVICES:,} services with "
            f"`ip-family-policy: RequireDualStack` (pool {POOL_V4} + {POOL_V6}), "
            f"{SMALL_END_PEERS} gobgpd peers in their own namespaces, IPv4 sessions carrying "
            f"both families (MetalLB resources, `BGPPeer` `dualStackAddressFamily: true`): "
            f"every peer held {SMALL_END_SERVICES:,} IPv4 + {SMALL_END_SERVICES:,} IPv6 routes "
            f"{fmt_s(s['start_all'][0])} s after the start (polls of all four every ~0.1 s); "
            f"{QUIET:.0f} s later vipd's RSS was "
            f"{fmt_mib(s['rss_kib'][0])} MiB (anonymous {fmt_mib(s['anon_kib'][0])} MiB), peak "
            f"{fmt_mib(s['hwm_kib'][0])} MiB, CPU {s['cpu'][0]:.2f} s. `vipd config check` of "
            f"that file: {c['wall'][0]:.3f} s, peak RSS {fmt_mib(c['max_rss_kib'][0])} MiB.")
    if failures:
        out.append("")
        out.append("Failed runs (not in the tables): " + "; ".join(failures) + ".")
    return wrap_markdown("\n".join(out))


# ---------------------------------------------------------------------------------------------


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vipd", required=True, help="the vipd binary (release build)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--daemons", default=",".join(DAEMONS))
    parser.add_argument("--bird-connect-delay", type=int, default=0,
                        help="BIRD's `connect delay time` in seconds (-1: BIRD's default, 5 s)")
    parser.add_argument("--no-small-end", action="store_true",
                        help="skip the 1,000 dual-stack services / 4 peers footprint")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep each run's directory (configs, logs, the capture)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print a bench/RESULTS.md section")
    args = parser.parse_args(argv)
    if args.bird_connect_delay < 0:
        args.bird_connect_delay = None
    if os.geteuid() != 0:
        print("the lab needs root (network namespaces)", file=sys.stderr)
        return 1
    if not os.access(args.vipd, os.X_OK):
        print(f"{args.vipd} is not an executable", file=sys.stderr)
        return 1
    kinds = [k for k in DAEMONS if k.lower() in args.daemons.lower().split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    if max(sizes) > 131072 or min(sizes) < 1:
        print("N must be 1..131,072 (198.18.0.0/15 holds 131,072 /32s)", file=sys.stderr)
        return 1

    # SIGTERM and SIGHUP unwind like Ctrl-C, so every Lab closes (processes, namespaces).
    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    load_start = load1()
    began = time.monotonic()
    work = tempfile.mkdtemp(prefix="vipd-scale-bench-")
    results, checks, small, failures = [], {}, [], []
    try:
        if "vipd" in kinds:
            for n in sizes:
                path = cached_file(work, f"standalone-{n}.yaml", lambda: standalone_config(n))
                for _ in range(args.runs):
                    try:
                        checks.setdefault(n, []).append(config_check(args.vipd, path))
                    except (RuntimeError, subprocess.SubprocessError) as e:
                        failures.append(f"config check N={n}: {e}")
                c = checks.get(n, [])
                if c:
                    print(f"config check N={n:<7} {c[-1]['wall']:.3f} s, peak RSS "
                          f"{c[-1]['max_rss_kib'] / 1024:.1f} MiB", file=sys.stderr, flush=True)
        for n in sizes:
            for run in range(args.runs):
                for kind in kinds:
                    try:
                        r = run_once(kind, n, args, work)
                    except (RuntimeError, TimeoutError, AssertionError) as e:
                        failures.append(f"{kind} N={n} run {run + 1}: {e}")
                        print(f"FAILED {kind} N={n} run {run + 1}: {e}", file=sys.stderr,
                              flush=True)
                        continue
                    results.append(r)
                    print(f"N={n:<7} run {run + 1} {kind:<5} start->all {r['start_all']:.3f} s "
                          f"(99 % {r['start_99']:.3f}), start->SYN {r['start_syn']:.3f} s, "
                          f"peak {r['hwm_kib'] / 1024:.1f} MiB, RSS {r['rss_kib'] / 1024:.1f} "
                          f"MiB, anon {r['anon_kib'] / 1024:.1f} MiB"
                          + (f", {r['dropped']} packets dropped by the capture"
                             if r["dropped"] else ""), file=sys.stderr, flush=True)
        if "vipd" in kinds and not args.no_small_end:
            for run in range(args.runs):
                try:
                    s = small_end_once(args, work)
                except (RuntimeError, TimeoutError, AssertionError) as e:
                    failures.append(f"small end run {run + 1}: {e}")
                    print(f"FAILED small end run {run + 1}: {e}", file=sys.stderr, flush=True)
                    continue
                small.append(s)
                print(f"small end run {run + 1}: start->all {s['start_all']:.3f} s, RSS "
                      f"{s['rss_kib'] / 1024:.1f} MiB, anon {s['anon_kib'] / 1024:.1f} MiB",
                      file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("interrupted: namespaces and processes cleaned up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = rows_of(results, sizes)
    print_plain(results, rows, checks, small, sizes)
    for f in failures:
        print(f"failed: {f}")
    if args.markdown:
        meta = {
            "command": "python3 bench/daemon_scale_bench.py " + " ".join(argv),
            "vipd_version": version([args.vipd, "--version"]),
            "nproc": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d"), "load_start": load_start, "load_end": load1(),
            "wall": time.monotonic() - began, "runs": args.runs,
            "gobgpd": version(["gobgpd", "--version"]), "bird": version(["bird", "--version"]),
            "bird_delay": ("5 (default)" if args.bird_connect_delay is None
                           else args.bird_connect_delay),
        }
        print()
        print(markdown(rows, checks, small, meta, sizes, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
