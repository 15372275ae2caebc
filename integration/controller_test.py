#!/usr/bin/env python3
"""`vipd controller` against the test API server (k8s_api_server.py), driven with kubectl as a
MetalLB user would: MetalLB's CRDs and a configuration in metallb-system, Services of every
kind, and the controller's statuses, annotations and Events read back with kubectl; restarts
(SIGKILL: nothing moves) and two controllers (one leads, the other takes over when it dies).

Usage: controller_test.py --vipd build/dev/daemon/vipd [-k NAME] [--keep]
No root needed.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from k8s_api_test_support import CRDS, Server, wait_for

VIPD = [None]
STARTED = []  # every server and controller of the running test, stopped after it whatever happens
RBAC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy",
                    "controller-rbac.yaml")

# Unpinned pools are tried in name order (MetalLB iterates a map here; vipd sorts): "public"
# comes before "romana", the layer-2 pool with auto-assign that Romana's {"auto": true} uses;
# "gold" and "team" are pinned, "lan" is used only when asked for.
CONFIG = """
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: public, namespace: metallb-system}
spec:
  addresses: [203.0.113.0/28, 2001:db8:100::/120]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: team, namespace: metallb-system}
spec:
  addresses: [203.0.113.32/29]
  serviceAllocation: {namespaces: [team-a]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: gold, namespace: metallb-system}
spec:
  addresses: [203.0.113.48/29]
  serviceAllocation:
    serviceSelectors: [{matchLabels: {tier: gold}}]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec:
  addresses: [198.51.100.200-198.51.100.210]
  autoAssign: false
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: romana, namespace: metallb-system}
spec:
  addresses: [198.51.100.220-198.51.100.230]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: routed, namespace: metallb-system}
spec: {ipAddressPools: [public, team, gold]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: flat, namespace: metallb-system}
spec: {ipAddressPools: [lan, romana]}
"""


def service(name, namespace="default", kind="LoadBalancer", annotations=None, labels=None,
            ports=((80, "TCP"),), families=None, policy=None, lb_class=None, extra=None):
    spec = {"type": kind, "selector": {"app": name},
            "ports": [{"name": f"p{p}", "port": p, "protocol": proto} for p, proto in ports]}
    if families:
        spec["ipFamilies"] = families
    if policy:
        spec["ipFamilyPolicy"] = policy
    if lb_class:
        spec["loadBalancerClass"] = lb_class
    spec.update(extra or {})
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace,
                         "annotations": annotations or {}, "labels": labels or {}},
            "spec": spec}


class Controller:
    """One `vipd controller` process; its admin address is read from its log."""

    def __init__(self, server, root, name, *args, kubeconfig=None):
        self.server, self.name = server, name
        self.log_path = os.path.join(root, f"{name}-{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [VIPD[0], "controller", "--kubeconfig", kubeconfig or server.kubeconfig,
             "--admin", "127.0.0.1:0",
             "--identity", name, "--lease-duration", "3s", "--renew-deadline", "2s",
             "--retry-period", "500ms", *args],
            stdout=self.log, stderr=subprocess.STDOUT)
        STARTED.append(self)
        self.admin = wait_for(f"{name}'s admin address", self._admin, 20)

    def _admin(self):
        m = re.search(r"admin on (\S+)", self.text())
        return m.group(1) if m else None

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def status(self):
        out = subprocess.run([VIPD[0], "status", "--admin", self.admin, "-o", "json"],
                             capture_output=True, text=True, timeout=10)
        return json.loads(out.stdout) if out.returncode == 0 else None

    def leading(self):
        s = self.status()
        return bool(s) and s.get("mode") == "controller (leader)"

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def cluster(root):
    server = Server(root)
    STARTED.append(server)
    server.kubectl("apply", "-f", CRDS)
    server.kubectl("wait", "--for", "condition=Established", "crd", "--all", "--timeout", "60s")
    for ns in ("metallb-system", "team-a"):
        server.kubectl("create", "namespace", ns)
    server.kubectl("apply", "-f", "-", input=CONFIG)
    return server


def apply(server, *objects):
    """kubectl apply of the objects as one YAML stream (each document is JSON)."""
    server.kubectl("apply", "-f", "-", input="".join("---\n" + json.dumps(o) + "\n" for o in objects))


def svc(server, name, namespace="default"):
    return server.kubectl_json("get", "service", name, "-n", namespace)


def ingress(obj):
    return [i.get("ip") for i in obj.get("status", {}).get("loadBalancer", {}).get("ingress", [])]


def ingress_of(server, name, namespace="default"):
    return ingress(svc(server, name, namespace))


def events(server, name, namespace="default"):
    """(type, reason, message) of every Event about Service `name`."""
    out = server.kubectl_json("get", "events", "-n", namespace,
                              "--field-selector", f"involvedObject.name={name}")
    return [(e.get("type"), e.get("reason"), e.get("message")) for e in out["items"]]


def stop_all(controllers, server):
    for c in controllers:
        c.stop()
    server.stop()


def test_services_get_statuses_annotations_and_events(root):
    server = cluster(root)
    ctl = Controller(server, root, "ctl-a")
    try:
        wait_for("the controller to lead", ctl.leading, 20)
        apply(server,
              service("web"),
              service("other", lb_class="example.com/other"),
              service("dns-tcp", annotations={"metallb.io/allow-shared-ip": "dns"},
                      ports=((53, "TCP"),)),
              service("dns-udp", annotations={"metallb.io/allow-shared-ip": "dns"},
                      ports=((53, "UDP"),)),
              service("dual", families=["IPv4", "IPv6"], policy="RequireDualStack"),
              service("pinned", namespace="team-a"),
              service("gold", labels={"tier": "gold"}),
              service("asked", annotations={"metallb.io/loadBalancerIPs": "203.0.113.9"}),
              service("asked-pool", annotations={"metallb.io/address-pool": "lan"}),
              service("broken", annotations={"metallb.io/loadBalancerIPs": "not-an-address"}),
              service("vip-auto", kind="ClusterIP", annotations={"romanaip": '{"auto": true}'}),
              service("vip-ip", kind="ClusterIP",
                      annotations={"romanavip": '{"ip": "198.51.100.205"}'}))
        got = wait_for("every LoadBalancer Service to have its addresses", lambda: (
            all(ingress_of(server, n) for n in ("web", "dns-tcp", "dns-udp", "dual", "gold",
                                                 "asked", "asked-pool"))
            and ingress_of(server, "pinned", "team-a")), 30)
        assert got
        web = svc(server, "web")
        assert ingress(web) == ["203.0.113.0"], ingress(web)
        assert web["metadata"]["annotations"]["metallb.io/ip-allocated-from-pool"] == "public"
        assert ("Normal", "IPAllocated", 'Assigned IP ["203.0.113.0"]') in events(server, "web")
        # Sharing: one address for both protocols of one key.
        assert ingress_of(server, "dns-tcp") == ingress_of(server, "dns-udp")
        assert ingress_of(server, "dual") == ["203.0.113.2", "2001:db8:100::"], \
            ingress_of(server, "dual")
        assert ingress_of(server, "pinned", "team-a") == ["203.0.113.32"]
        assert ingress_of(server, "gold") == ["203.0.113.48"]
        assert ingress_of(server, "asked") == ["203.0.113.9"]
        assert ingress_of(server, "asked-pool") == ["198.51.100.200"]
        # Another class: untouched. A malformed annotation: an Event, nothing else.
        assert ingress_of(server, "other") == []
        broken = wait_for("an Event on the broken Service", lambda: [
            e for e in events(server, "broken") if e[1] == "AllocationFailed"], 15)
        assert "not-an-address" in broken[0][2], broken
        assert ingress_of(server, "broken") == []
        # Romana VIPs on ClusterIP Services: in spec.externalIPs, from the layer-2 pool.
        auto = wait_for("the Romana auto VIP", lambda: svc(server, "vip-auto")["spec"].get(
            "externalIPs"), 15)
        assert auto == ["198.51.100.220"], auto  # the first layer-2 pool with auto-assign
        assert wait_for("the Romana requested VIP", lambda: svc(server, "vip-ip")["spec"].get(
            "externalIPs"), 15) == ["198.51.100.205"]
        # The pool's status counts.
        public = server.kubectl_json("get", "ipaddresspool", "public", "-n", "metallb-system")
        counts = wait_for("pool status", lambda: server.kubectl_json(
            "get", "ipaddresspool", "public", "-n", "metallb-system").get("status", {}).get(
            "assignedIPv4"), 15)
        assert counts >= 4, public
        # kubectl describe shows the Events, as a user would read them.
        described = server.kubectl("describe", "service", "web").stdout
        assert "IPAllocated" in described and "vipd.io/controller" in described, described
    finally:
        stop_all([ctl], server)


def test_delete_recreate_and_shrink(root):
    server = cluster(root)
    ctl = Controller(server, root, "ctl-a")
    try:
        wait_for("the controller to lead", ctl.leading, 20)
        apply(server, service("a"), service("b"), service("c"))
        wait_for("three addresses", lambda: all(ingress_of(server, n) for n in "abc"), 20)
        assert [ingress_of(server, n)[0] for n in "abc"] == \
            ["203.0.113.0", "203.0.113.1", "203.0.113.2"]
        # Deleted: its address is free for the next Service.
        server.kubectl("delete", "service", "a")
        apply(server, service("d"))
        assert wait_for("d's address", lambda: ingress_of(server, "d"), 20) == ["203.0.113.0"]
        # The pool shrinks under b's address: b is cleared and moves, with Events.
        server.kubectl("patch", "ipaddresspool", "public", "-n", "metallb-system", "--type",
                       "merge", "-p", json.dumps({"spec": {"addresses": [
                           "203.0.113.0/32", "203.0.113.2-203.0.113.7", "2001:db8:100::/120"]}}))
        moved = wait_for("b to move", lambda: (ip := ingress_of(server, "b")) and
                         ip != ["203.0.113.1"] and ip, 20)
        assert moved == ["203.0.113.3"], moved
        reasons = [e[1] for e in events(server, "b")]
        assert "ClearAssignment" in reasons and reasons.count("IPAllocated") == 2, reasons
        assert ingress_of(server, "c") == ["203.0.113.2"]  # untouched
    finally:
        stop_all([ctl], server)


def snapshot(server):
    """Every Service's name → (ingress, resourceVersion)."""
    out = {}
    for s in server.kubectl_json("get", "services", "-A")["items"]:
        key = s["metadata"]["namespace"] + "/" + s["metadata"]["name"]
        out[key] = (ingress(s), s["metadata"]["resourceVersion"])
    return out


def test_a_killed_controller_restarts_and_nothing_moves(root):
    server = cluster(root)
    ctl = Controller(server, root, "ctl-a")
    try:
        wait_for("the controller to lead", ctl.leading, 20)
        apply(server, *[service(f"s{i}") for i in range(8)],
              service("dual", families=["IPv4", "IPv6"], policy="RequireDualStack"))
        wait_for("every address", lambda: all(
            ingress_of(server, n) for n in [f"s{i}" for i in range(8)] + ["dual"]), 30)
        before = snapshot(server)
        assert ctl.stop(signal.SIGKILL) == -signal.SIGKILL
        # A new Service sorts first: allocating before re-adopting would give it s0's address.
        apply(server, service("a-new"))
        ctl = Controller(server, root, "ctl-a2")
        wait_for("the new controller to lead", ctl.leading, 20)
        # s0-s7 hold .0-.7 and dual .8: the newcomer gets the lowest free address.
        assert wait_for("a-new's address", lambda: ingress_of(server, "a-new"), 20) == \
            ["203.0.113.9"]
        after = snapshot(server)
        for key, (addresses, version) in before.items():
            assert after[key] == (addresses, version), (key, before[key], after[key])
    finally:
        stop_all([ctl], server)


def test_two_controllers_one_leader_and_failover(root):
    server = cluster(root)
    a = Controller(server, root, "ctl-a")
    b = Controller(server, root, "ctl-b")
    try:
        leader = wait_for("one leader", lambda: [c for c in (a, b) if c.leading()], 20)
        assert len(leader) == 1, leader
        leader, standby = (a, b) if leader[0] is a else (b, a)
        apply(server, service("web"))
        assert wait_for("web's address", lambda: ingress_of(server, "web"), 20) == ["203.0.113.0"]
        # Never two writers: the standby reports standby while the leader leads.
        for _ in range(10):
            assert not (a.leading() and b.leading())
            time.sleep(0.1)
        holder = server.kubectl_json("get", "lease", "vipd-controller", "-n", "metallb-system")
        assert holder["spec"]["holderIdentity"] == leader.name, holder["spec"]
        # The leader dies without releasing: the standby takes over within the lease duration
        # (3 s) plus a retry, and serves new Services.
        killed = time.monotonic()
        leader.stop(signal.SIGKILL)
        wait_for("the standby to lead", standby.leading, 10)
        took = time.monotonic() - killed
        assert took < 3 + 2, took
        apply(server, service("api"))
        assert wait_for("api's address", lambda: ingress_of(server, "api"), 20) == \
            ["203.0.113.1"]
        assert ingress_of(server, "web") == ["203.0.113.0"]
        print(f"  takeover after SIGKILL: {took:.2f} s")
    finally:
        stop_all([a, b], server)


def metric(ctl, name):
    out = subprocess.run(["curl", "-sf", f"http://{ctl.admin}/metrics"], capture_output=True,
                         text=True, timeout=10).stdout
    m = re.search(rf"^{re.escape(name)} (\S+)$", out, re.M)
    return float(m.group(1)) if m else None


def service_account_kubeconfig(server, root):
    """A kubeconfig for the ServiceAccount of deploy/controller-rbac.yaml, with a token from
    `kubectl create token`, as the pod's projected token would be."""
    token = server.kubectl("create", "token", "vipd-controller", "-n", "metallb-system").stdout
    path = os.path.join(root, "controller.kubeconfig")
    shutil.copy(server.kubeconfig, path)
    server.kubectl("config", "set-credentials", "vipd-controller", f"--token={token.strip()}",
                   kubeconfig=path)
    server.kubectl("config", "set-context", "--current", "--user=vipd-controller",
                   kubeconfig=path)
    return path


def test_the_shipped_rbac_suffices_and_refused_writes_are_tried_again(root):
    server = cluster(root)
    controllers = []
    try:
        server.kubectl("apply", "-f", RBAC)
        # Take services/status away from the ClusterRole: the controller cannot write statuses.
        role = server.kubectl_json("get", "clusterrole", "vipd-controller")
        index = next(i for i, r in enumerate(role["rules"]) if "services/status" in r["resources"])
        server.kubectl("patch", "clusterrole", "vipd-controller", "--type=json",
                       "-p", json.dumps([{"op": "remove", "path": f"/rules/{index}"}]))
        kubeconfig = service_account_kubeconfig(server, root)
        assert server.kubectl("auth", "can-i", "update", "services", "--subresource=status",
                              kubeconfig=kubeconfig, check=False).stdout.strip() == "no"
        ctl = Controller(server, root, "ctl-a", kubeconfig=kubeconfig)
        controllers.append(ctl)
        wait_for("the controller to lead as its ServiceAccount", ctl.leading, 20)
        apply(server, service("web"))
        # The annotation is written; the status is refused (403) and waits.
        wait_for("the pool annotation", lambda: svc(server, "web")["metadata"].get(
            "annotations", {}).get("metallb.io/ip-allocated-from-pool"), 20)
        wait_for("a refused status write", lambda: (metric(
            ctl, "vipd_controller_write_failures_total") or 0) >= 1, 20)
        assert ingress_of(server, "web") == []
        assert metric(ctl, "vipd_controller_writes_pending") >= 1
        assert "services/status" in ctl.text() and "forbidden" in ctl.text(), ctl.text()[-2000:]
        rendered = subprocess.run([VIPD[0], "status", "--admin", ctl.admin], capture_output=True,
                                  text=True, timeout=10).stdout
        assert "CONTROLLER ctl-a   leader" in rendered, rendered
        # The operator applies the shipped RBAC again: the write goes through on a retry,
        # with no change to the Service.
        server.kubectl("apply", "-f", RBAC)
        assert wait_for("web's status after the retry", lambda: ingress_of(server, "web"),
                        40) == ["203.0.113.0"]
        wait_for("nothing pending", lambda: metric(ctl, "vipd_controller_writes_pending") == 0,
                 20)
        # With the shipped rights alone, everything else works too: pool status, Events,
        # the Lease, a Romana VIP's externalIPs.
        apply(server, service("vip", kind="ClusterIP", annotations={"romanaip": '{"auto": true}'}))
        assert wait_for("the Romana VIP", lambda: svc(server, "vip")["spec"].get("externalIPs"),
                        20) == ["198.51.100.220"]
        assert wait_for("pool status", lambda: server.kubectl_json(
            "get", "ipaddresspool", "public", "-n", "metallb-system").get("status", {}).get(
            "assignedIPv4"), 20) == 1
        assert ("Normal", "IPAllocated", 'Assigned IP ["203.0.113.0"]') in events(server, "web")
        assert "forbidden" not in ctl.text().split("trying again")[-1], ctl.text()[-2000:]
    finally:
        stop_all(controllers, server)


TESTS = [
    test_services_get_statuses_annotations_and_events,
    test_delete_recreate_and_shrink,
    test_a_killed_controller_restarts_and_nothing_moves,
    test_two_controllers_one_leader_and_failover,
    test_the_shipped_rbac_suffices_and_refused_writes_are_tried_again,
]


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--vipd", required=True)
    parser.add_argument("-k", default="")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    VIPD[0] = os.path.abspath(args.vipd)
    passed = failed = 0
    for test in TESTS:
        if args.k not in test.__name__:
            continue
        root = tempfile.mkdtemp(prefix="vipd-controller-test-")
        start = time.monotonic()
        try:
            test(root)
            passed += 1
            print(f"PASS {test.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {test.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
            traceback.print_exc()
            for name in sorted(os.listdir(root)):
                if name.endswith(".log"):
                    with open(os.path.join(root, name)) as f:
                        print(f"--- {name}\n{f.read()[-3000:]}")
        finally:
            while STARTED:
                try:
                    STARTED.pop().stop()
                except Exception:
                    traceback.print_exc()
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
