#!/usr/bin/env python3
"""`vipd controller` at scale, against the test API server (integration/k8s_api_server.py):

1. N LoadBalancer Services exist before the controller starts: time from its start until every
   status carries an address (list, decide, N status writes, N annotation patches), and its
   peak resident memory (VmHWM);
2. then one more Service is created into that cluster: time until its status carries an address.

The API server is the project's Python test server, so its own speed bounds what this
measures; no reference controller runs beside it (MetalLB's needs a real cluster). Run by hand:
    python3 bench/controller_bench.py --vipd build/release/daemon/vipd [--services 10000]
The Services are IPv6 (the test server's IPv4 service range is a /24); their addresses come from
2001:db8:100::/64.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import socket
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from k8s_api_test_support import CRDS, Server, wait_for  # noqa: E402

POOL = """
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench, namespace: metallb-system}
spec: {addresses: [198.18.0.0/15, 2001:db8:100::/64]}
"""


def service(i):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": f"svc-{i:05d}", "namespace": "default"},
            # IPv6: the test API server's IPv4 service range holds only 254 cluster IPs.
            "spec": {"type": "LoadBalancer", "selector": {"app": f"a{i}"},
                     "ipFamilies": ["IPv6"], "ipFamilyPolicy": "SingleStack",
                     "ports": [{"port": 80, "protocol": "TCP"}]}}


def create(server, objects, workers=8):
    def post(o):
        status, body = server.request("POST", "/api/v1/namespaces/default/services", o)
        assert status == 201, (status, body)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(post, objects))


def with_status(server):
    _, body = server.request("GET", "/api/v1/namespaces/default/services")
    return sum(1 for s in body["items"]
               if s.get("status", {}).get("loadBalancer", {}).get("ingress"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_writes(admin):
    """The controller's own count of Service statuses written (vipd_controller_writes_total):
    cheap to ask, unlike listing every Service from the API server, which would load the server
    this measures."""
    try:
        with urllib.request.urlopen(f"http://{admin}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return 0
    m = re.search(r'^vipd_controller_writes_total\{object="status"\} (\d+)$', text, re.M)
    return int(m.group(1)) if m else 0


def cpu_seconds(pid):
    """User + system CPU time of the process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
    return int(m.group(1)) / 1024 if m else None


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--vipd", required=True)
    parser.add_argument("--services", type=int, default=10000)
    args = parser.parse_args(argv)
    root = tempfile.mkdtemp(prefix="vipd-controller-bench-")
    server = Server(root, "--no-persist")
    proc = None
    try:
        server.kubectl("apply", "-f", CRDS)
        server.kubectl("wait", "--for", "condition=Established", "crd", "--all", "--timeout", "60s")
        server.kubectl("create", "namespace", "metallb-system")
        server.kubectl("apply", "-f", "-", input=POOL)
        t0 = time.monotonic()
        create(server, [service(i) for i in range(args.services)])
        print(f"created {args.services} Services in {time.monotonic() - t0:.1f} s "
              f"(the test API server's own speed)", flush=True)
        log = open(os.path.join(root, "controller.log"), "w")
        admin = f"127.0.0.1:{free_port()}"
        start = time.monotonic()
        proc = subprocess.Popen([os.path.abspath(args.vipd), "controller", "--kubeconfig",
                                 server.kubeconfig, "--admin", admin, "--identity",
                                 "bench", "--log-level", "warn"], stdout=log,
                                stderr=subprocess.STDOUT)
        wait_for("every status", lambda: status_writes(admin) >= args.services, 3600, 0.05)
        all_done = time.monotonic() - start
        # Then the API server's own word, once.
        assert with_status(server) == args.services, with_status(server)
        peak = vm_hwm(proc.pid)
        cpu = cpu_seconds(proc.pid)
        one = service(args.services)
        t1 = time.monotonic()
        create(server, [one], workers=1)
        wait_for("the newcomer's status", lambda: server.request(
            "GET", f"/api/v1/namespaces/default/services/{one['metadata']['name']}")[1].get(
            "status", {}).get("loadBalancer", {}).get("ingress"), 120, 0.01)
        newcomer = time.monotonic() - t1
        print(json.dumps({"services": args.services, "start_to_all_statuses_s": round(all_done, 2),
                          "peak_rss_mib": round(peak, 1) if peak else None,
                          "controller_cpu_s": round(cpu, 2),
                          "one_more_to_status_s": round(newcomer, 3)}))
        return 0
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(30)
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
