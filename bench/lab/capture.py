"""Kernel timestamps of the sender's packets toward the receiver's BGP port, taken by tcpdump
in the receiver's namespace: when the sender's SYN arrived (the session's start, the same
event for every sender) and when its last octet of data did. Only headers are captured
(snaplen 96), so the capture costs little even for 100,000 routes."""
import re
import time

from .netns import wait_for

_LINE = re.compile(r"^(\d+\.\d+) IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\].*?"
                   r"length (\d+)")


class Packet:
    __slots__ = ("time", "flags", "length")

    def __init__(self, t, flags, length):
        self.time, self.flags, self.length = t, flags, length


class Capture:
    def __init__(self, lab, ns, ifname, sender, receiver, name="capture"):
        self.lab = lab
        self.process = lab.run(ns, [
            "tcpdump", "-i", ifname, "-n", "-tt", "-l", "--immediate-mode", "-s", "96",
            f"tcp and src host {sender} and dst host {receiver} and dst port 179"],
            f"{name}.log")
        wait_for("tcpdump listening", lambda: "listening on" in lab.log(self.process), 15, 0.02)

    def syn_seen(self):
        """Whether the sender's SYN has been captured yet (tcpdump writes line by line)."""
        return "Flags [S]" in self.lab.log(self.process)

    def stop(self):
        """Stops tcpdump (it flushes on SIGTERM) and returns its packets in order."""
        self.lab.stop(self.process)
        packets = []
        self.dropped = 0
        for line in self.lab.log(self.process).splitlines():
            m = _LINE.match(line)
            if m:
                packets.append(Packet(float(m.group(1)), m.group(6), int(m.group(7))))
            d = re.match(r"(\d+) packets? dropped by kernel", line)
            if d:
                self.dropped = int(d.group(1))
        return packets


def session_times(packets, done):
    """(SYN time, time of the last data segment, data octets) for the connection that was up at
    `done` (a time.time() value): the last SYN before it, and the data after that SYN."""
    syns = [p for p in packets if p.flags == "S" and p.time <= done]
    if not syns:
        return None, None, 0
    syn = syns[-1].time
    data = [p for p in packets if syn <= p.time <= done and p.length > 0]
    last = data[-1].time if data else None
    return syn, last, sum(p.length for p in data)


def now():
    """The clock tcpdump's -tt timestamps use (CLOCK_REALTIME)."""
    return time.time()
