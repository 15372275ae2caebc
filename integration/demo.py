#!/usr/bin/env python3
"""The vipd demo: a router with ECMP, a route collector, three nodes and a client, in network
namespaces (see demo_lab.py for the topology), in two variants.

kubernetes (the default): a test Kubernetes API server on the LAN (k8s_lab.py), `vipd
controller` and a `vipd speaker` on every node, driven with kubectl as a user would: a MetalLB
configuration, a LoadBalancer Service with endpoints on two nodes (policy Local), the router's
two next hops, traffic on exactly those nodes, an endpoint that moves, policy Cluster (three next
hops), the Events and `vipd status`, the Service deleted; then a layer-2 pool on the LAN: the
elected node holds the address, the router's neighbour entry points at it, and when that node's
speaker stops the next one takes over at once.

standalone: every node runs `vipd standalone`; the router's ECMP route to the service VIP,
client requests spread across the nodes, a drain without a failed request, a killed speaker, a
failing health check.

Both clean everything up and exit 0 only when every expectation held. Needs root.

Usage: demo.py --vipd build/release/daemon/vipd [kubernetes|standalone]
"""
import argparse
import os
import signal
import sys
import time
import traceback

from demo_lab import DRAIN_TIME, HOLD_TIME, NODES, VIP_V4, VIP_V6, Demo
from k8s_lab import API_V4, KubeDemo
from lab import Lab


def say(text=""):
    # A reader that goes away (`./scripts/demo | head`) must not cut the cleanup short: once
    # stdout is gone the narration goes to /dev/null and the demo carries on.
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def run(demo):
    say("Building the lab: a router (FRR, AS 64500), a route collector (gobgpd, AS 64502),")
    say("three nodes on one LAN (AS 64501) and a client behind the router.")
    say(f"Every node runs `vipd standalone` announcing the service VIP {VIP_V4} and {VIP_V6}")
    say("(traffic policy Local, HTTP health check) and an HTTP server that answers with the")
    say(f"node's name. Hold time {HOLD_TIME} s on every session, drain time {DRAIN_TIME} s.")
    start = time.monotonic()
    demo.setup()
    up = demo.wait_sessions(10)
    say(f"Up in {time.monotonic() - start:.1f} s.")
    demo.expect(up == 3 * len(NODES), "every node has its three BGP sessions Established "
                "(router IPv4, router IPv6, collector)", f"{up} of {3 * len(NODES)}")

    speaker = demo.speakers["node1"]
    say(f"\nnode1's configuration ({os.path.basename(speaker.config_path)}; the other nodes "
        "differ only in `node:`):")
    with open(speaker.config_path) as f:
        for line in f.read().rstrip().splitlines():
            say(f"    {line}")
    say()
    demo.show("node1", demo.vipd, "status", display="vipd status")

    demo.step_ecmp()
    demo.step_spread(300)
    demo.step_drain("node1")
    demo.step_kill("node2")

    demo.step_restart(("node1", "node2"))
    demo.step_health("node3")


def run_kubernetes(demo):
    say("Building the lab: a router (FRR, AS 64500, ECMP), a route collector (gobgpd,")
    say("AS 64502), three nodes on one LAN (AS 64501) and a client behind the router; on the")
    say(f"LAN a test Kubernetes API server ({API_V4}:6443) with MetalLB's CRDs and vipd's RBAC")
    say("(deploy/) applied with kubectl, `vipd controller` beside it and `vipd speaker` on every")
    say("node, each with its ServiceAccount's token. Every node runs an HTTP server that")
    say(f"answers with its name on {VIP_V4} and {VIP_V6}: the routes alone decide who answers.")
    start = time.monotonic()
    demo.setup()
    demo.wait_ready()
    say(f"Up in {time.monotonic() - start:.1f} s: the controller leads, every speaker is ready "
        "(nothing to announce yet).")
    demo.step_configure()
    demo.step_service(("node1", "node2"))
    demo.step_traffic(("node1", "node2"))
    demo.step_move("node2", "node3")
    demo.step_cluster_policy()
    demo.step_traffic(tuple(NODES))
    demo.step_observe("node1")
    demo.step_delete()
    stopped = demo.step_layer2()
    demo.step_romana_failover(stopped)


def print_logs(lab):
    for p in lab.processes:
        name = os.path.basename(p.log_path)
        if "vipd" in name or name in ("controller.log", "api-server.log"):
            say(f"--- {os.path.basename(p.log_path)} (last lines)")
            say("\n".join(lab.log(p).splitlines()[-15:]))


def main(argv):
    parser = argparse.ArgumentParser(description="The vipd network demo (needs root).")
    parser.add_argument("--vipd", required=True, help="the vipd binary")
    parser.add_argument("variant", nargs="?", default="kubernetes",
                        choices=("kubernetes", "standalone"),
                        help="kubernetes (default): controller and speakers driven with kubectl; "
                             "standalone: `vipd standalone` on every node")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        say("the demo needs root (it builds network namespaces)")
        return 1
    vipd = os.path.abspath(args.vipd)

    # Ctrl-C and SIGTERM both unwind through the cleanup below.
    def interrupted(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)

    start = time.monotonic()
    lab = Lab(remove_dir=True)
    demo = (KubeDemo if args.variant == "kubernetes" else Demo)(lab, vipd, say=say)
    error = None
    try:
        (run_kubernetes if args.variant == "kubernetes" else run)(demo)
    except KeyboardInterrupt:
        error = "interrupted"
    except Exception as e:  # an expectation that could not even be checked
        error = f"{type(e).__name__}: {e}"
        traceback.print_exc()
    finally:
        # A second Ctrl-C must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if error or demo.failed():
            print_logs(lab)
        demo.heading("Cleaning up: every process stopped, every namespace removed")
        lab.close()
        left = [ns for ns in lab_namespaces(lab.prefix)]
        demo.expect(not left, "nothing left behind", ", ".join(left))

    elapsed = time.monotonic() - start
    demo.expect(elapsed < 120, "the demo finished in under two minutes", f"{elapsed:.1f} s")
    say("\n== Summary")
    for what, ok, detail in demo.results:
        say(f"  {'PASS' if ok else 'FAIL'}  {what}" + (f" ({detail})" if detail else ""))
    if error:
        say(f"  FAIL  the demo did not finish: {error}")
    failed = len(demo.failed()) + (1 if error else 0)
    say(f"\n{'PASS' if not failed else 'FAIL'}: {len(demo.results) - len(demo.failed())} "
        f"expectations held, {failed} failed ({elapsed:.1f} s)")
    if error == "interrupted":
        return 130
    return 1 if failed else 0


def lab_namespaces(prefix):
    from lab import sh
    return [line.split()[0] for line in sh("ip", "netns", "list").splitlines()
            if line.startswith(prefix)]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
