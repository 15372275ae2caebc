#!/usr/bin/env python3
"""Layer-2 failover benchmark: how long the client's traffic to a layer-2 VIP is lost when the
node holding it fails, with `vipd speaker` on three nodes (the Kubernetes lab of the demo:
integration/k8s_lab.py, the test API server on the LAN, documentation addresses only).

For each fault and each liveness source, `--runs` times on a fresh lab: the VIP
(192.0.2.200 / 2001:db8::c8, an L2Advertisement) is held by the node MetalLB's rule elects;
a client behind the router sends a request every 20 ms, one at a time, each waiting
`--timeout` at most (0.1 s: a request in flight to the dead owner holds the client that long,
so the figures are rounded up to about that); the fault is applied; what is reported is the
time from the fault to the end of the first request answered by the new owner after which
every request succeeds (the same measure as integration/layer2_test.py).

Faults: "kill" (the owner's speaker killed with SIGKILL and its LAN link set down, as when the
node dies) and "link" (the owner's LAN link down, its speaker running). Liveness sources:
"bfd" (vipd's default: BFD between the speakers, 100 ms x 3) and "lease" (BFD cannot start:
UDP port 3784 is taken in every node's namespace before the speakers start, so they fall back
to the speaker Leases, 6 s — the path a cluster without BFD would take).

  sudo python3 bench/layer2_failover_bench.py --vipd build/release/daemon/vipd
  sudo python3 bench/layer2_failover_bench.py --vipd ... --runs 3 --markdown

Not a test: run by hand, as root; the results go to bench/RESULTS.md.
"""
import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from demo_lab import NODES  # noqa: E402
from k8s_lab import KubeDemo, endpoint_slices  # noqa: E402
from lab import Lab, wait_for  # noqa: E402
from layer2_lab import (L2_CONFIG, L2_V4, L2_V6, bfd_up, failover, lan_if,  # noqa: E402
                        lan_service, ranked, wait_owner)

# Holds UDP 3784 (both families) in a namespace until killed: BFD cannot start there.
BLOCKER = ("import socket, time\n"
           "a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(('0.0.0.0', 3784))\n"
           "b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
           "b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); b.bind(('::', 3784))\n"
           "time.sleep(3600)\n")


def one_run(vipd, fault, source, timeout):
    with Lab(remove_dir=True) as lab:
        demo = KubeDemo(lab, vipd, say=lambda text: None)
        demo.build()
        if source == "lease":
            for node in NODES:
                lab.run(node, [sys.executable, "-c", BLOCKER], f"blocker-{node}.log")
            time.sleep(0.3)
        demo.start_router()
        demo.start_collector()
        demo.start_responders()
        demo.start_cluster()
        demo.start_controller()
        for node in NODES:
            demo.start_speaker(node)
        demo.wait_ready()
        c = demo.cluster
        c.kubectl("apply", "-f", "-", input=L2_CONFIG)
        c.apply(lan_service("Cluster"), *endpoint_slices(sorted(NODES), service="lan"))
        owner, successor = ranked(NODES)[:2]
        if not wait_owner(demo, owner, 30):
            raise RuntimeError(f"{owner} never held the VIP")
        if source == "bfd":
            wait_for("BFD between the owner and its successor",
                     lambda: bfd_up(demo, successor, owner) and bfd_up(demo, owner, successor),
                     20)
        else:
            assert not bfd_up(demo, successor, owner)

        def apply_fault():
            if fault == "kill":
                demo.speakers[owner].signal(signal.SIGKILL)
            lab.exec(owner, "ip", "link", "set", lan_if(demo, owner), "down")

        took, _ = failover(demo, apply_fault, successor, limit=25, timeout=timeout)
        if took is None:
            raise RuntimeError("the traffic never came back")
        return took


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vipd", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--faults", default="kill,link")
    parser.add_argument("--sources", default="bfd,lease")
    parser.add_argument("--timeout", type=float, default=0.1,
                        help="seconds each client request waits at most")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("needs root (network namespaces)")
        return 1
    vipd = os.path.abspath(args.vipd)
    results = {}
    for fault in args.faults.split(","):
        for source in args.sources.split(","):
            got = []
            for i in range(args.runs):
                took = one_run(vipd, fault, source, args.timeout)
                print(f"{fault:5} {source:6} run {i + 1}: {took * 1000:.0f} ms", flush=True)
                got.append(took)
            results[(fault, source)] = got
    print()
    rows = ["| fault | liveness | runs | min | median | max |", "|---|---|---:|---:|---:|---:|"]
    for (fault, source), got in results.items():
        ms = sorted(x * 1000 for x in got)
        rows.append(f"| {fault} | {source} | {len(ms)} | {ms[0]:.0f} ms | "
                    f"{statistics.median(ms):.0f} ms | {ms[-1]:.0f} ms |")
    for fault in args.faults.split(","):
        if (fault, "bfd") in results and (fault, "lease") in results:
            ratio = statistics.median(results[(fault, "lease")]) / statistics.median(
                results[(fault, "bfd")])
            rows.append(f"| {fault} | lease / bfd | | | {ratio:.1f}x | |")
    print("\n".join(rows))
    if args.markdown:
        print(f"\nMachine: {os.cpu_count()} CPUs, Linux {platform.release()}; "
              f"{time.strftime('%Y-%m-%d')}; {version([vipd, '--version'])}; client timeout "
              f"{args.timeout} s; {version(['kubectl', 'version', '--client'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
