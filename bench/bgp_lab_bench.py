#!/usr/bin/env python3
"""BGP lab benchmark: announce N IPv4 /32 routes to a gobgpd receiver, in network namespaces,
from three senders in turn: vipd-bgp-announce (vipd's speaker, release build), gobgpd and
BIRD 2. For each sender and N, measures the time until the receiver's RIB holds all N routes
and the sender's peak resident memory.

  sudo python3 bench/bgp_lab_bench.py                      # N = 1,000 / 10,000 / 100,000, 5 runs
  sudo python3 bench/bgp_lab_bench.py --sizes 1000 --runs 1 --senders vipd,gobgpd
  sudo python3 bench/bgp_lab_bench.py --wait-quiet --markdown   # the bench/RESULTS.md section

Topology: namespace "recv" (gobgpd, AS 64500, 192.0.2.1/24, passive) and namespace "send"
(the sender, AS 65550, 192.0.2.2/24) on one veth pair; a fresh pair of namespaces and a fresh
receiver for every run. What is timed, for every sender alike: from the kernel timestamp of
the sender's TCP SYN (tcpdump in the receiver's namespace) to the middle of the first poll of
`gobgp global rib summary` that shows N prefixes, i.e. TCP and BGP session
establishment + transfer + the receiver's ingestion. Routes are in the sender before its SYN:
vipd generates them before it connects, BIRD has them in a static protocol of its config,
gobgpd gets them through `gobgp mrt inject` while its neighbour is administratively down.
Not a test: run by hand, as root; the results go to bench/RESULTS.md.
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
import textwrap
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lab.capture import Capture, now, session_times  # noqa: E402
from lab.netns import Lab  # noqa: E402
from lab.peers import (RECEIVER_ADDR, SENDER_ADDR, BirdSender, GobgpdSender,  # noqa: E402
                       Receiver, VipdSender)
from lab.proc import cpu_seconds, memory_kib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_VIPD = os.path.join(ROOT, "build", "release", "integration", "vipd-bgp-announce")
SENDERS = ["vipd", "gobgpd", "BIRD"]
POLL_INTERVAL = 0.05
FAST_PHASE = 0.5


def topology(lab):
    lab.add_ns("recv")
    lab.add_ns("send")
    lab.link("recv", "r0", "send", "s0")
    lab.addr("recv", "r0", f"{RECEIVER_ADDR}/24")
    lab.addr("send", "s0", f"{SENDER_ADDR}/24")


def make_sender(kind, lab, n, args, work):
    if kind == "vipd":
        return VipdSender(lab, "send", n, args.vipd)
    if kind == "gobgpd":
        return GobgpdSender(lab, "send", n, work)
    return BirdSender(lab, "send", n)


class SenderDied(RuntimeError):
    pass


def wait_for_routes(receiver, sender, capture, n, deadline, trace):
    """Waits for the sender's SYN, then polls the receiver until it holds n prefixes: back to
    back for FAST_PHASE seconds (small N finish there, so the end is seen to a poll's length),
    then every POLL_INTERVAL (a poll costs ~10 ms of CPU that the receiver could use). Returns
    the middle and the end of the first poll that saw n (time.time() values) and appends
    (middle, prefixes held) of every poll to `trace`."""
    while not capture.syn_seen():
        if sender.process_exited():
            raise SenderDied(f"{sender.name} exited before connecting")
        if now() > deadline:
            raise TimeoutError(f"{sender.name}: no SYN before the deadline")
        time.sleep(0.002)
    fast_until = now() + FAST_PHASE
    while True:
        t0 = now()
        held = receiver.ipv4_prefixes()
        t1 = now()
        trace.append(((t0 + t1) / 2, held))
        if held >= n:
            return (t0 + t1) / 2, t1
        if sender.process_exited():
            raise SenderDied(f"{sender.name} exited with the receiver holding {held} of {n}")
        if t1 > deadline:
            raise TimeoutError(f"{sender.name}: receiver holds {held} of {n} at the deadline")
        if t1 > fast_until:
            time.sleep(max(0.0, POLL_INTERVAL - (now() - t0)))


def run_once(kind, n, args, work):
    """One sender, one N, fresh namespaces: returns a dict of measurements. The run's directory
    (configs, logs, capture, receiver polls) is kept with --keep-logs or when the run fails."""
    lab = Lab()
    keep = args.keep_logs
    try:
        with lab:
            topology(lab)
            receiver = Receiver(lab, "recv")
            sender = make_sender(kind, lab, n, args, work)
            sender.prepare()
            capture = Capture(lab, "recv", lab.prefix + "r0", SENDER_ADDR,
                              RECEIVER_ADDR)
            cpu_before = cpu_seconds(sender.pid) if kind == "gobgpd" else 0.0
            trace = []
            started = sender.start()
            deadline = started + 60 + n / 2000
            if n == 0:
                # Memory with the session up and no routes: the sender's own footprint.
                while not receiver.established(SENDER_ADDR):
                    if now() > deadline:
                        raise TimeoutError(f"{kind}: no session")
                    time.sleep(POLL_INTERVAL)
                time.sleep(1.0)  # let the session settle (keepalives, End-of-RIB)
                done = upper = now()
            else:
                done, upper = wait_for_routes(receiver, sender, capture, n, deadline, trace)
            mem = memory_kib(sender.pid)
            cpu = cpu_seconds(sender.pid) - cpu_before
            packets = capture.stop()
            syn, last, octets = session_times(packets, upper)
            if syn is None:
                raise RuntimeError(f"{kind}: no SYN captured")
            # The first poll that saw 99 %: a sender that stalls before its last few routes
            # (BIRD, see RESULTS.md) shows here what its bulk transfer took.
            most = next((t for t, held in trace if held >= 0.99 * n), done) if n else done
            result = {
                "sender": kind, "n": n,
                "total": done - syn,  # SYN -> receiver holds N
                "t99": most - syn,
                "start_to_syn": syn - started,
                "syn_to_last": (last - syn) if last else None,
                "octets": octets, "dropped": capture.dropped,
                "hwm_kib": mem["VmHWM"], "rss_kib": mem["VmRSS"], "cpu": cpu,
                "hwm_loaded_kib": getattr(sender, "hwm_loaded_kib", None),
            }
            with open(os.path.join(lab.dir, "receiver-polls.txt"), "w") as f:
                f.writelines(f"{t - syn:.3f} {held}\n" for t, held in trace)
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


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def wait_quiet(limit=1.5, poll=30, max_wait=25 * 60):
    """Waits until the 1-minute load average is below `limit` (bounded); returns it."""
    deadline = time.monotonic() + max_wait
    while True:
        load = load1()
        if load < limit or time.monotonic() > deadline:
            return load
        print(f"load average {load:.2f}: waiting for < {limit}", file=sys.stderr, flush=True)
        time.sleep(poll)


def summarise(results, kind, n, key):
    values = [r[key] for r in results if r["sender"] == kind and r["n"] == n
              and r[key] is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt_s(v):
    return "—" if v is None else f"{v:.3f}"


def fmt_mib(kib):
    return "—" if kib is None else f"{kib / 1024:.1f}"


def table(results, kinds, sizes):
    rows = []
    for n in sizes:
        for kind in kinds:
            total = summarise(results, kind, n, "total")
            if total is None:
                continue
            last = summarise(results, kind, n, "syn_to_last")
            t99 = summarise(results, kind, n, "t99")
            start = summarise(results, kind, n, "start_to_syn")
            hwm = summarise(results, kind, n, "hwm_kib")
            rss = summarise(results, kind, n, "rss_kib")
            loaded = summarise(results, kind, n, "hwm_loaded_kib")
            cpu = summarise(results, kind, n, "cpu")
            octets = summarise(results, kind, n, "octets")
            runs = len([r for r in results if r["sender"] == kind and r["n"] == n])
            rows.append({
                "n": n, "sender": kind, "runs": runs,
                "total": total, "t99": t99, "last": last, "start": start, "hwm": hwm,
                "rss": rss, "loaded": loaded, "cpu": cpu,
                "octets": octets})
    return rows


def print_table(rows, baseline):
    head = (f"{'N':>7} {'sender':<7} {'runs':>4} {'SYN->all s (min-max)':>26} "
            f"{'SYN->99% s':>10} {'SYN->last data s':>16} {'start->SYN s':>12} "
            f"{'peak RSS MiB':>12} {'CPU s':>6} {'octets':>10}")
    print(head)
    for r in rows:  # peak RSS: median of the runs
        t = r["total"]
        print(f"{r['n']:>7} {r['sender']:<7} {r['runs']:>4} "
              f"{fmt_s(t[0]):>8} ({fmt_s(t[1])}-{fmt_s(t[2])}) {fmt_s(r['t99'][0]):>10} "
              f"{fmt_s(r['last'] and r['last'][0]):>16} {fmt_s(r['start'][0]):>12} "
              f"{fmt_mib(r['hwm'][0]):>12} {r['cpu'][0]:>6.2f} {int(r['octets'][0]):>10}")
    if baseline:
        print("\nsession up, no routes (N = 0): peak RSS " + ", ".join(
            f"{k} {fmt_mib(v)} MiB" for k, v in baseline.items()))


def ratio(rows, n, a, b, key):
    ra = next((r for r in rows if r["n"] == n and r["sender"] == a), None)
    rb = next((r for r in rows if r["n"] == n and r["sender"] == b), None)
    if not ra or not rb or not ra[key] or not rb[key] or not rb[key][0]:
        return "—"
    x = ra[key][0] / rb[key][0]
    return f"{x:.2g}" if x < 0.1 else f"{x:.2f}"


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def wrap_markdown(text, width=100):
    """Wraps paragraphs and list items at `width` columns like the rest of RESULTS.md; tables
    and headings stay as they are."""
    out = []
    for line in text.split("\n"):
        if not line or line.startswith(("|", "#")):
            out.append(line)
            continue
        indent = "  " if line.startswith("- ") else ""
        out.append(textwrap.fill(line, width, subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False))
    return "\n".join(out)


def markdown(rows, baseline, meta, kinds, sizes, failures):
    out = ["## BGP lab: announcing N routes to a gobgpd receiver", ""]
    out.append(
        "`bench/bgp_lab_bench.py` (helpers in `bench/lab/`), run as root: "
        f"`{meta['command']}`. vipd's sender is `vipd-bgp-announce` from "
        f"`{os.path.relpath(meta['vipd'], ROOT)}` (preset `release`, `-O2`), `{meta['describe']}`.")
    out.append("")
    out.append(
        f"- Machine: {meta['nproc']} CPUs (`nproc`), \"{meta['cpu']}\", Linux "
        f"{meta['kernel']}; {meta['date']}. Load average (1 min) {meta['load_start']:.2f} at "
        f"the start of the run, {meta['load_end']:.2f} at the end; wall time "
        f"{meta['wall'] / 60:.1f} min.")
    out.append(f"- Receiver: {meta['gobgpd']} (AS 64500), passive. Senders (AS 65550): "
               f"vipd-bgp-announce, {meta['gobgpd']}, {meta['bird']}.")
    out.append(
        "- Topology: two network namespaces on one veth pair (192.0.2.1/24 receiver, "
        "192.0.2.2/24 sender), eBGP, IPv4 unicast only, default timers (hold 90 s). Routes: N "
        "consecutive /32s from 198.18.0.0; each sender announces ORIGIN IGP, AS_PATH [65550], "
        "NEXT_HOP 192.0.2.2 and nothing else. Fresh namespaces, receiver and sender for "
        f"every run; {meta['runs']} runs per sender and N, senders interleaved; medians, "
        "with min–max.")
    out.append(
        "- **Time** (\"SYN → all held\"): from the kernel timestamp of the sender's TCP SYN "
        "(tcpdump in the receiver's namespace) to the first poll of `gobgp global rib summary` "
        "that shows N prefixes. A poll takes ~10 ms; they run back to back for 0.5 s after "
        "the SYN, then every 50 ms (each costs CPU the receiver could use); the middle of the "
        "poll is taken, so the figure is good to about ±10 ms below 0.5 s and ±30 ms above. "
        "It includes TCP and BGP session "
        "establishment (OPEN, KEEPALIVE), the transfer, and the receiver's ingestion into its "
        "RIB. Every sender already holds its routes at the SYN: vipd generates them before it "
        "connects; BIRD reads them from a `protocol static` in its config file (and connects "
        "after its 5 s `connect delay time`); gobgpd gets them through `gobgp mrt inject "
        "global` while its neighbour is `admin-down`, checked with `gobgp global rib summary`, "
        "then `gobgp neighbor … enable` (and gobgpd connects ~5 s later). Those delays are "
        "outside the interval; \"start → SYN\" shows them (vipd: process start, route "
        "generation included).")
    out.append(
        "- \"SYN → 99 % held\": the same, to the first poll that showed at least 99 % of N "
        "(what the bulk of the transfer took, whatever happens to the last routes).")
    out.append(
        "- \"SYN → last data\": kernel timestamp of the sender's last segment carrying data "
        "before the routes were all held: when the sender finished writing (End-of-RIB), "
        "receiver ingestion excluded. \"octets\": TCP payload from the sender during the "
        "session (OPEN, KEEPALIVEs, UPDATEs, End-of-RIB).")
    out.append(
        "- **Memory**: the sender's peak resident set (`VmHWM` in /proc/PID/status) read once "
        "the receiver holds all routes: the `vipd-bgp-announce` process, the sending `gobgpd`, "
        "the `bird` process. \"CPU\": the sender's user + system time — from process start "
        "for vipd and BIRD (route generation / config parsing included), from `neighbor "
        "enable` for gobgpd (the injection excluded).")
    out.append("")
    out.append("| N | sender | SYN → all held (s) | min–max | SYN → 99 % held (s) | "
               "SYN → last data (s) | start → SYN (s) | peak RSS (MiB) | "
               "RSS at the end (MiB) | CPU (s) | octets |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r["total"]
        out.append(
            f"| {r['n']:,} | {r['sender']} | {fmt_s(t[0])} | {fmt_s(t[1])}–{fmt_s(t[2])} | "
            f"{fmt_s(r['t99'][0])} | {fmt_s(r['last'] and r['last'][0])} | "
            f"{fmt_s(r['start'][0])} | "
            f"{fmt_mib(r['hwm'][0])} | {fmt_mib(r['rss'][0])} | {r['cpu'][0]:.2f} | "
            f"{int(r['octets'][0]):,} |")
    if baseline:
        out.append("")
        out.append("Peak RSS with the session up and no routes (N = 0, one run each): " +
                   ", ".join(f"{k} {fmt_mib(v)} MiB" for k, v in baseline.items()) + ".")
    loaded = [(r["n"], r["loaded"][0]) for r in rows if r["sender"] == "gobgpd" and r["loaded"]]
    if loaded:
        out.append("gobgpd's peak RSS once the routes were injected, before the session: " +
                   ", ".join(f"{fmt_mib(v)} MiB (N = {n:,})" for n, v in loaded) + ".")
    others = [k for k in kinds if k != "vipd"]
    if "vipd" in kinds and others:
        out.append("")
        out.append("Ratios vipd / reference (medians; below 1 = vipd faster or smaller):")
        out.append("")
        head = "| N | " + " | ".join(
            f"time vipd/{k} | RSS vipd/{k}" for k in others) + " |"
        out.append(head)
        out.append("|---|" + "---|---|" * len(others))
        for n in sizes:
            cells = []
            for k in others:
                cells += [ratio(rows, n, "vipd", k, "total"), ratio(rows, n, "vipd", k, "hwm")]
            out.append(f"| {n:,} | " + " | ".join(cells) + " |")
    if failures:
        out.append("")
        out.append("Failed runs (not in the table): " + "; ".join(failures) + ".")
    return wrap_markdown("\n".join(out))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vipd", default=DEFAULT_VIPD, help="vipd-bgp-announce (release)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--senders", default=",".join(SENDERS))
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the N = 0 memory baseline")
    parser.add_argument("--wait-quiet", action="store_true",
                        help="first wait (at most 25 min) for a 1-minute load average < 1.5")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep each run's directory (configs, logs, the capture)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the bench/RESULTS.md section")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("the lab needs root (network namespaces)", file=sys.stderr)
        return 1
    kinds = [k for k in SENDERS if k.lower() in args.senders.lower().split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    if "vipd" in kinds and not os.access(args.vipd, os.X_OK):
        print(f"{args.vipd} not found: build it with\n  cmake --preset release\n  cmake "
              "--build --preset release --target vipd-bgp-announce", file=sys.stderr)
        return 1
    if max(sizes) > 131072:
        print("198.18.0.0/15 holds 131,072 /32s", file=sys.stderr)
        return 1

    # SIGTERM and SIGHUP unwind like Ctrl-C, so every Lab closes (processes, namespaces).
    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    load_start = wait_quiet() if args.wait_quiet else load1()
    began = time.monotonic()
    work = tempfile.mkdtemp(prefix="vipd-bgp-bench-")
    results, baseline, failures = [], {}, []
    try:
        if not args.no_baseline:
            for kind in kinds:
                try:
                    baseline[kind] = run_once(kind, 0, args, work)["hwm_kib"]
                except (RuntimeError, TimeoutError, AssertionError) as e:
                    failures.append(f"{kind} N=0: {e}")
                    print(f"FAILED {kind} N=0: {e}", file=sys.stderr, flush=True)
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
                    print(f"N={n:<7} run {run + 1} {kind:<7} SYN->all {r['total']:.3f} s, "
                          f"start->SYN {r['start_to_syn']:.2f} s, peak RSS "
                          f"{r['hwm_kib'] / 1024:.1f} MiB, CPU {r['cpu']:.2f} s"
                          + (f", {r['dropped']} packets dropped by the capture"
                             if r["dropped"] else ""), file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("interrupted: namespaces and processes cleaned up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = table(results, kinds, sizes)
    print_table(rows, baseline)
    for f in failures:
        print(f"failed: {f}")
    if args.markdown:
        meta = {
            "command": "python3 bench/bgp_lab_bench.py " + " ".join(argv), "vipd": args.vipd,
            "describe": version(["git", "-C", ROOT, "describe", "--always", "--dirty"]),
            "nproc": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d"), "load_start": load_start, "load_end": load1(),
            "wall": time.monotonic() - began, "runs": args.runs,
            "gobgpd": version(["gobgpd", "--version"]), "bird": version(["bird", "--version"]),
        }
        print()
        print(markdown(rows, baseline, meta, kinds, sizes, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
