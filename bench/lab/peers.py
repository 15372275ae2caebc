"""The receiver (a passive gobgpd) and the three senders of the lab benchmark.

Each sender has the same life: `prepare()` does everything that must not be timed (configs,
loading routes into a reference daemon), `start()` starts the process or enables the session
and returns when it did (time.time()), `pid` is the process whose memory and CPU are read.
Routes are N consecutive /32s from 198.18.0.0/15 (RFC 2544 benchmarking space) with ORIGIN IGP,
an empty AS_PATH and no other attribute, so every sender announces the same thing: ORIGIN,
AS_PATH [sender AS], NEXT_HOP itself.
"""
import ipaddress
import os
import re

from . import mrt
from .capture import now
from .netns import Bird, sh, wait_for
from .proc import memory_kib

RECEIVER_AS, SENDER_AS = 64500, 65550  # RFC 5398 documentation ASNs
RECEIVER_ADDR, SENDER_ADDR = "192.0.2.1", "192.0.2.2"
ROUTE_BASE = "198.18.0.0"


class Gobgpd:
    """A gobgpd whose gRPC API is a unix socket, so its CLI runs from any namespace (no
    `ip netns exec` per call: a poll costs ~10 ms)."""

    def __init__(self, lab, ns, name, config_yaml):
        self.lab = lab
        self.config = os.path.join(lab.dir, f"{name}.yaml")
        with open(self.config, "w") as f:
            f.write(config_yaml)
        self.target = "unix://" + os.path.join(lab.dir, f"{name}.sock")
        self.process = lab.run(ns, ["gobgpd", "-t", "yaml", "-f", self.config, "-p",
                                    "--pprof-disable", "--api-hosts", self.target],
                               f"{name}.log")
        wait_for(f"{name} API", lambda: self.cli("global") is not None, 20, 0.05)

    @property
    def pid(self):
        return self.process.pid

    def cli(self, *args, timeout=30):
        return sh("gobgp", "--target", self.target, *args, timeout=timeout)

    def prefixes(self, family="ipv4"):
        """Number of destinations of a family in the global RIB ("Destination: N, Path: N")."""
        out = self.cli("global", "rib", "summary", "-a", family)
        m = re.search(r"Destination: (\d+)", out)
        if not m:
            raise RuntimeError(f"unexpected rib summary: {out!r}")
        return int(m.group(1))

    def ipv4_prefixes(self):
        return self.prefixes("ipv4")

    def established(self, neighbor):
        for line in self.cli("neighbor").splitlines():
            if line.split() and line.split()[0] == neighbor:
                return "Establ" in line
        return False


class Receiver(Gobgpd):
    """gobgpd that only accepts the sender's connection (passive-mode): gobgpd waits >= 5 s
    before connecting out, and a passive receiver keeps that delay out of the picture."""

    def __init__(self, lab, ns):
        super().__init__(lab, ns, "receiver", f"""
global:
  config:
    as: {RECEIVER_AS}
    router-id: {RECEIVER_ADDR}
    local-address-list: [{RECEIVER_ADDR}]
neighbors:
  - config:
      neighbor-address: {SENDER_ADDR}
      peer-as: {SENDER_AS}
    transport:
      config:
        passive-mode: true
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast
""")


class VipdSender:
    name = "vipd"

    def __init__(self, lab, ns, n, binary):
        self.lab, self.ns, self.n, self.binary = lab, ns, n, binary

    def prepare(self):
        pass  # vipd-bgp-announce generates its routes in-process (--count)

    def start(self):
        t = now()
        self.process = self.lab.run(self.ns, [
            self.binary, "--local-as", str(SENDER_AS), "--router-id", SENDER_ADDR,
            "--peer", f"{RECEIVER_ADDR},as={RECEIVER_AS}", "--count", str(self.n),
            "--count-base", ROUTE_BASE], "vipd.log")
        return t

    @property
    def pid(self):
        return self.process.pid

    def process_exited(self):
        return self.process.poll() is not None


class GobgpdSender:
    """gobgpd with the routes in its global RIB before the neighbour is enabled: the config
    carries the neighbour admin-down, `gobgp mrt inject global` loads the routes from one MRT
    file, and `gobgp neighbor ... enable` starts the session."""
    name = "gobgpd"
    _PADDING = 4096  # see mrt.write_host_routes

    def __init__(self, lab, ns, n, mrt_dir):
        self.lab, self.ns, self.n = lab, ns, n
        self.mrt_path = os.path.join(mrt_dir, f"routes-{n}.mrt")
        self._last = None

    def prepare(self):
        self.daemon = Gobgpd(self.lab, self.ns, "sender", f"""
global:
  config:
    as: {SENDER_AS}
    router-id: {SENDER_ADDR}
    local-address-list: [{SENDER_ADDR}]
    port: -1
neighbors:
  - config:
      neighbor-address: {RECEIVER_ADDR}
      peer-as: {RECEIVER_AS}
      admin-down: true
    afi-safis:
      - config:
          afi-safi-name: ipv4-unicast
""")
        self.hwm_loaded_kib = None  # peak RSS once the routes are in, before the session
        if self.n == 0:
            return
        if not os.path.exists(self.mrt_path):
            mrt.write_host_routes(self.mrt_path, self.n, ROUTE_BASE, SENDER_ADDR, SENDER_AS,
                                  SENDER_ADDR, padding=self._PADDING)
        held = 0
        for _ in range(20):
            # The records not yet held, and the padding behind them.
            self.daemon.cli("mrt", "inject", "global", self.mrt_path,
                            str(self.n - held + self._PADDING), str(held), timeout=300)
            held = wait_for("gobgpd sender RIB settles", self._settled, 60, 0.2)[1]
            if held == self.n:
                self.hwm_loaded_kib = memory_kib(self.pid)["VmHWM"]
                return
        raise RuntimeError(f"gobgpd sender holds {held} of {self.n} routes after 20 injections")

    def _settled(self):
        """(True, count) once two reads 200 ms apart agree; None while the count moves."""
        a = self.daemon.ipv4_prefixes()
        if self._last == a:
            self._last = None
            return True, a
        self._last = a
        return None

    def start(self):
        t = now()
        self.daemon.cli("neighbor", RECEIVER_ADDR, "enable")
        return t

    @property
    def pid(self):
        return self.daemon.pid

    def process_exited(self):
        return self.daemon.process.poll() is not None


class BirdSender:
    """BIRD 2 with the routes in a `protocol static` of its config file: it starts with them.
    BIRD connects after its `connect delay time` (5 s by default); the timed interval starts
    at the SYN, so the delay only shows in the start-to-SYN column."""
    name = "BIRD"

    def __init__(self, lab, ns, n):
        self.lab, self.ns, self.n = lab, ns, n

    def prepare(self):
        first = int(ipaddress.IPv4Address(ROUTE_BASE))
        routes = "".join(f"  route {ipaddress.IPv4Address(first + i)}/32 blackhole;\n"
                         for i in range(self.n))
        self.conf = f"""
router id {SENDER_ADDR};
protocol device {{ }}
protocol static bench_routes {{
  ipv4;
{routes}}}
protocol bgp to_receiver {{
  local {SENDER_ADDR} as {SENDER_AS};
  neighbor {RECEIVER_ADDR} as {RECEIVER_AS};
  ipv4 {{ import none; export all; }};
}}
"""

    def start(self):
        t = now()
        self.bird = Bird(self.lab, self.ns, self.conf, name="bird")
        return t

    @property
    def pid(self):
        return self.bird.process.pid

    def process_exited(self):
        return self.bird.process.poll() is not None
