"""A small network-namespace lab for integration tests: namespaces, veth links, processes
started inside them and stopped by PID, and polling with deadlines.

Only documentation addresses are used by the tests that build on it. Every namespace carries a
per-run prefix; namespaces left by an earlier run that died are removed on start.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

PREFIX_BASE = "vt"


def sh(*args, check=True, capture=True, timeout=30):
    r = subprocess.run(args, capture_output=capture, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout if capture else ""


def wait_for(what, predicate, timeout, interval=0.1):
    """Polls predicate until it returns a true value; raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # a daemon still starting: keep polling
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def clean_stale():
    """Removes namespaces of earlier runs whose process no longer exists."""
    for line in sh("ip", "netns", "list").splitlines():
        name = line.split()[0] if line.strip() else ""
        m = re.match(rf"{PREFIX_BASE}(\d+)-", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            sh("ip", "netns", "del", name, check=False)


class Lab:
    def __init__(self, remove_dir=False):
        clean_stale()
        self.prefix = f"{PREFIX_BASE}{os.getpid()}-"
        self.namespaces = []
        self.processes = []
        self.dir = tempfile.mkdtemp(prefix="vipd-lab-")
        self.remove_dir = remove_dir

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def ns(self, name):
        return self.prefix + name

    def add_ns(self, name):
        full = self.ns(name)
        sh("ip", "netns", "add", full)
        self.namespaces.append(full)
        sh("ip", "-n", full, "link", "set", "lo", "up")
        sh("ip", "netns", "exec", full, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
           "net.ipv6.conf.default.accept_dad=0")
        return full

    def link(self, a, a_if, b, b_if):
        sh("ip", "link", "add", self.prefix + a_if, "netns", self.ns(a), "type", "veth", "peer",
           "name", self.prefix + b_if, "netns", self.ns(b))
        sh("ip", "-n", self.ns(a), "link", "set", self.prefix + a_if, "up")
        sh("ip", "-n", self.ns(b), "link", "set", self.prefix + b_if, "up")

    def addr(self, ns, ifname, cidr):
        extra = ["nodad"] if ":" in cidr else []
        sh("ip", "-n", self.ns(ns), "addr", "add", cidr, "dev", self.prefix + ifname, *extra)

    def run(self, ns, args, log_name):
        """Starts a process in a namespace; returns the Popen. Stopped by PID on close."""
        log = open(os.path.join(self.dir, log_name), "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(ns), *args], stdout=log,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        p.log_path = log.name
        self.processes.append(p)
        return p

    def exec(self, ns, *args, check=True):
        return sh("ip", "netns", "exec", self.ns(ns), *args, check=check)

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        if p.poll() is not None:
            return p.returncode
        try:
            os.kill(p.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        p.send_signal(sig)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            return p.wait(5)

    def log(self, p):
        with open(p.log_path) as f:
            return f.read()

    def close(self):
        # A process may name the signal that stops it at once (p.stop_signal, e.g. SIGINT for
        # a speaker that would otherwise drain first).
        for p in reversed(self.processes):
            self.stop(p, getattr(p, "stop_signal", signal.SIGTERM), timeout=5)
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces.clear()
        if self.remove_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class Gobgpd:
    """A gobgpd in one namespace, configured from a YAML document, queried with the CLI."""

    def __init__(self, lab, ns, config_yaml, name="gobgpd"):
        self.lab, self.ns, self.name = lab, ns, name
        self.config = os.path.join(lab.dir, f"{name}.yaml")
        with open(self.config, "w") as f:
            f.write(config_yaml)
        self.start()

    def start(self):
        self.process = self.lab.run(self.ns, ["gobgpd", "-t", "yaml", "-f", self.config, "-p",
                                              "--pprof-disable", "--api-hosts", "127.0.0.1:50051"],
                                    f"{self.name}.log")
        wait_for("gobgpd API", lambda: self.cli("global") is not None, 20, 0.2)

    def cli(self, *args):
        return self.lab.exec(self.ns, "gobgp", *args)

    def json(self, *args):
        return json.loads(self.cli("-j", *args) or "null")

    def neighbor_state(self, address):
        """'established', 'active', ... (the JSON carries the enum as a number or a name)."""
        n = self.json("neighbor", address)
        state = n.get("state", {}).get("session_state")
        names = {1: "idle", 2: "connect", 3: "active", 4: "opensent", 5: "openconfirm",
                 6: "established"}
        return names.get(state, str(state).lower())

    def rib(self, family="ipv4"):
        """prefix → list of paths, each a dict: nexthop, as_path, origin, med, local_pref,
        communities, large_communities."""
        out = {}
        for prefix, paths in (self.json("global", "rib", "-a", family) or {}).items():
            out[prefix] = [self._path(p) for p in paths]
        return out

    @staticmethod
    def _path(p):
        d = {"nexthop": p.get("nexthop"), "communities": [], "large_communities": [],
             "as_path": [], "med": None, "local_pref": None, "origin": None}
        for a in p.get("attrs", []):
            t = a.get("type")
            if t == 1:
                d["origin"] = a.get("value")
            elif t == 2:
                for seg in a.get("as_paths") or []:
                    d["as_path"] += seg.get("asns", [])
            elif t == 3:
                d["nexthop"] = a.get("nexthop")
            elif t == 4:
                d["med"] = a.get("metric")
            elif t == 5:
                d["local_pref"] = a.get("value")
            elif t == 8:
                d["communities"] = a.get("communities", [])
            elif t == 14:
                d["nexthop"] = a.get("nexthop", d["nexthop"])
            elif t == 32:
                # Field names vary between GoBGP versions; the order does not.
                d["large_communities"] = [tuple(v.values())[:3] for v in a.get("value", [])]
        return d


class Driver:
    """vipd-bgp-announce in one namespace; its status file tells the session states."""

    def __init__(self, lab, ns, binary, args, name="driver"):
        self.lab = lab
        self.status_path = os.path.join(lab.dir, f"{name}.status.json")
        self.process = lab.run(ns, [binary, "--status", self.status_path, *args], f"{name}.log")

    def status(self):
        with open(self.status_path) as f:
            return json.load(f)

    def peer(self, address):
        for p in self.status()["peers"]:
            if p["address"] == address:
                return p
        return None

    def signal(self, sig):
        self.process.send_signal(sig)

    def log(self):
        return self.lab.log(self.process)


def run_tests(tests, argv, binary_flag="--driver", remove_dirs=False):
    """Runs each test function with a fresh Lab; prints one line per test and the summary.
    Each test gets the path given by `binary_flag` (the program under test)."""
    import argparse
    import traceback
    parser = argparse.ArgumentParser()
    parser.add_argument(binary_flag, dest="binary", required=True)
    parser.add_argument("-k", default="", help="run only tests whose name contains this")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("integration tests need root (network namespaces)")
        return 1
    passed = failed = 0
    for test in tests:
        if args.k not in test.__name__:
            continue
        start = time.monotonic()
        with Lab(remove_dir=remove_dirs) as lab:
            try:
                test(lab, args.binary)
                passed += 1
                print(f"PASS {test.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {test.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
                traceback.print_exc()
                for p in lab.processes:
                    print(f"--- {' '.join(p.args[3:])}\n{lab.log(p)[-3000:]}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


class Frr:
    """FRR's zebra and bgpd (and bfdd, given its configuration) in one namespace, started by
    hand (no systemd), queried with vtysh."""

    def __init__(self, lab, ns, bgpd_conf, name="frr", bfdd_conf=None):
        import pwd
        self.lab, self.ns = lab, ns
        self.dir = os.path.join(lab.dir, name)
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "zebra.conf"), "w") as f:
            f.write("hostname zebra\nlog stdout informational\n")
        with open(os.path.join(self.dir, "bgpd.conf"), "w") as f:
            f.write(bgpd_conf)
        if bfdd_conf is not None:
            with open(os.path.join(self.dir, "bfdd.conf"), "w") as f:
                f.write(bfdd_conf)
        frr = pwd.getpwnam("frr")
        for root, dirs, files in os.walk(self.dir):
            for n in [root] + [os.path.join(root, x) for x in files]:
                os.chown(n, frr.pw_uid, frr.pw_gid)
        os.chmod(lab.dir, 0o755)
        common = ["-z", os.path.join(self.dir, "zserv.api"), "--vty_socket", self.dir,
                  "-u", "frr", "-g", "frr"]
        self.zebra = lab.run(ns, ["/usr/lib/frr/zebra", "-f", os.path.join(self.dir, "zebra.conf"),
                                  "-i", os.path.join(self.dir, "zebra.pid"), *common],
                             f"{name}-zebra.log")
        wait_for("zebra socket", lambda: os.path.exists(os.path.join(self.dir, "zserv.api")), 15)
        self.bfdd = None
        if bfdd_conf is not None:
            self.bfdd = lab.run(ns, ["/usr/lib/frr/bfdd", "-f", os.path.join(self.dir, "bfdd.conf"),
                                     "-i", os.path.join(self.dir, "bfdd.pid"),
                                     "--bfdctl", os.path.join(self.dir, "bfdd.sock"), *common],
                                f"{name}-bfdd.log")
            wait_for("bfdd vty", lambda: os.path.exists(os.path.join(self.dir, "bfdd.vty")), 15)
        self.bgpd = lab.run(ns, ["/usr/lib/frr/bgpd", "-f", os.path.join(self.dir, "bgpd.conf"),
                                 "-i", os.path.join(self.dir, "bgpd.pid"), *common],
                            f"{name}-bgpd.log")
        wait_for("bgpd vty", lambda: os.path.exists(os.path.join(self.dir, "bgpd.vty")), 15)

    def vtysh(self, *commands, daemon=None):
        """Runs vtysh commands; `daemon` ("bgpd", ...) asks that daemon alone, so a stopped
        neighbour daemon cannot hang the call."""
        args = ["-d", daemon] if daemon else []
        for c in commands:
            args += ["-c", c]
        return self.lab.exec(self.ns, "vtysh", "--vty_socket", self.dir, *args)

    def json(self, command, daemon=None):
        return json.loads(self.vtysh(command + " json", daemon=daemon) or "{}")


class Bird:
    """BIRD 2 in one namespace, queried with birdc."""

    def __init__(self, lab, ns, conf, name="bird"):
        self.lab, self.ns = lab, ns
        self.socket = os.path.join(lab.dir, f"{name}.ctl")
        path = os.path.join(lab.dir, f"{name}.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.process = lab.run(ns, ["bird", "-f", "-c", path, "-s", self.socket,
                                    "-P", os.path.join(lab.dir, f"{name}.pid")], f"{name}.log")
        wait_for("bird control socket", lambda: os.path.exists(self.socket), 15)

    def birdc(self, *args):
        return self.lab.exec(self.ns, "birdc", "-s", self.socket, *args)
