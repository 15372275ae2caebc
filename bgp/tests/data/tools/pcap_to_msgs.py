#!/usr/bin/env python3
"""Convert a pcap/pcapng capture of BGP sessions into the .msgs golden-vector format.

Reads classic pcap (micro- and nanosecond, either byte order) and pcapng (SHB/IDB/EPB/SPB/PB,
several sections).  Link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked SLL and
SLL2, raw IP (DLT_RAW 12/14, LINKTYPE_RAW 101, LINKTYPE_IPV4 228, LINKTYPE_IPV6 229),
BSD null/loopback (0) and OpenBSD loop (108).  IPv4 and IPv6 (extension headers skipped),
TCP only, port 179 on either side.

Each direction of each TCP connection is reassembled by sequence number: duplicates and
retransmissions are dropped, out-of-order segments are put in place, a SYN consumes one
sequence number.  A segment that overlaps bytes already seen but carries different bytes,
or a SYN with a new initial sequence number, starts a new stream instance for that
direction (captures made by fuzzers and hand-made test captures reuse sequence numbers).

Each stream is split into BGP messages with the 16-octet marker and the 2-octet length.
A stream stops at the first bad marker or a length below 19; what is left is written as a
TRUNCATED block.  A stream that ends mid-message, or a message cut by a gap (lost segment,
snap length), is also written as TRUNCATED.  After a gap, parsing resumes if the next
contiguous run starts with a marker.

Blocks are written in capture order of the frame that completed each message.  With
--tcpdump-out FILE (tcpdump's text output with -# frame numbers) or --run-tcpdump, each block
is annotated with tcpdump's decode of that message and the split is cross-checked against
tcpdump's per-frame message list (type and length); the result goes in the header.

Standard library only.  Format of the output: bgp/tests/data/README.md.
"""

import argparse
import datetime
import hashlib
import ipaddress
import os
import re
import shutil
import struct
import subprocess
import sys

MARKER = b"\xff" * 16
BGP_PORT = 179
TYPE_NAMES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}
HEX_PER_LINE = 32

LINKTYPE_NAMES = {
    0: "NULL (BSD loopback)",
    1: "EN10MB (Ethernet)",
    12: "RAW (IP)",
    14: "RAW (IP)",
    101: "RAW (IP)",
    108: "LOOP (OpenBSD loopback)",
    113: "LINUX_SLL (Linux cooked v1)",
    228: "IPV4",
    229: "IPV6",
    276: "LINUX_SLL2 (Linux cooked v2)",
}


def type_name(t):
    return TYPE_NAMES.get(t, "UNKNOWN-%d" % t)


# --------------------------------------------------------------------------- capture files


class Frame:
    __slots__ = ("number", "ts", "linktype", "data", "wirelen")

    def __init__(self, number, ts, linktype, data, wirelen):
        self.number = number
        self.ts = ts
        self.linktype = linktype
        self.data = data
        self.wirelen = wirelen


def read_pcap(blob):
    magic = blob[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    _, _, _, _, _, network = struct.unpack(end + "HHiIII", blob[4:24])
    linktype = network & 0x0FFFFFFF
    pos = 24
    number = 0
    info = {"format": "pcap" + (" (nanosecond)" if nano else ""), "linktypes": {linktype}}
    frames = []
    while pos + 16 <= len(blob):
        sec, frac, incl, orig = struct.unpack(end + "IIII", blob[pos:pos + 16])
        pos += 16
        data = blob[pos:pos + incl]
        pos += incl
        number += 1
        ts = sec + frac / (1e9 if nano else 1e6)
        frames.append(Frame(number, ts, linktype, data, orig))
        if len(data) < incl:
            info["note"] = "file ends inside frame %d" % number
            break
    return info, frames


def read_pcapng(blob):
    pos = 0
    end = "<"
    interfaces = []
    frames = []
    number = 0
    info = {"format": "pcapng", "linktypes": set()}
    while pos + 12 <= len(blob):
        btype = struct.unpack(end + "I", blob[pos:pos + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = blob[pos + 8:pos + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            interfaces = []
        blen = struct.unpack(end + "I", blob[pos + 4:pos + 8])[0]
        if blen < 12 or pos + blen > len(blob):
            info["note"] = "file ends inside a block at offset %d" % pos
            break
        body = blob[pos + 8:pos + blen - 4]
        pos += blen
        if btype == 0x00000001:  # Interface Description Block
            linktype, _, snaplen = struct.unpack(end + "HHI", body[:8])
            tsres = 1e-6
            opos = 8
            while opos + 4 <= len(body):
                code, olen = struct.unpack(end + "HH", body[opos:opos + 4])
                val = body[opos + 4:opos + 4 + olen]
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    r = val[0]
                    tsres = 2.0 ** -(r & 0x7F) if r & 0x80 else 10.0 ** -r
                opos += 4 + ((olen + 3) & ~3)
            interfaces.append((linktype, snaplen, tsres))
            info["linktypes"].add(linktype)
        elif btype in (0x00000006, 0x00000002):  # Enhanced / obsolete Packet Block
            if btype == 6:
                ifid, tsh, tsl, caplen, origlen = struct.unpack(end + "IIIII", body[:20])
            else:
                ifid, _, tsh, tsl, caplen, origlen = struct.unpack(end + "HHIIII", body[:20])
            data = body[20:20 + caplen]
            linktype, _, tsres = interfaces[ifid] if ifid < len(interfaces) else (1, 0, 1e-6)
            number += 1
            frames.append(Frame(number, ((tsh << 32) | tsl) * tsres, linktype, data, origlen))
        elif btype == 0x00000003:  # Simple Packet Block
            origlen = struct.unpack(end + "I", body[:4])[0]
            linktype, snaplen, _ = interfaces[0] if interfaces else (1, 0, 1e-6)
            caplen = min(origlen, snaplen) if snaplen else origlen
            number += 1
            frames.append(Frame(number, 0.0, linktype, body[4:4 + caplen], origlen))
    return info, frames


def read_capture(path):
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:4] == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(blob)
    return read_pcap(blob)


# --------------------------------------------------------------------------- packet layers


def link_to_ip(linktype, data):
    """Return (ip_version_hint, ip_bytes) or None."""
    if linktype == 1:
        if len(data) < 14:
            return None
        etype = struct.unpack("!H", data[12:14])[0]
        off = 14
        while etype in (0x8100, 0x88A8, 0x9100) and len(data) >= off + 4:
            etype = struct.unpack("!H", data[off + 2:off + 4])[0]
            off += 4
        return {0x0800: (4, data[off:]), 0x86DD: (6, data[off:])}.get(etype)
    if linktype == 113:
        if len(data) < 16:
            return None
        etype = struct.unpack("!H", data[14:16])[0]
        return {0x0800: (4, data[16:]), 0x86DD: (6, data[16:])}.get(etype)
    if linktype == 276:
        if len(data) < 20:
            return None
        etype = struct.unpack("!H", data[0:2])[0]
        return {0x0800: (4, data[20:]), 0x86DD: (6, data[20:])}.get(etype)
    if linktype in (12, 14, 101, 228, 229):
        if not data:
            return None
        return (data[0] >> 4, data)
    if linktype in (0, 108):
        if len(data) < 4:
            return None
        af_le = struct.unpack("<I", data[:4])[0]
        af_be = struct.unpack(">I", data[:4])[0]
        af = af_be if linktype == 108 else (af_le if af_le < 256 else af_be)
        if af == 2:
            return (4, data[4:])
        if af in (10, 24, 28, 30):
            return (6, data[4:])
        return None
    return None


IPV6_EXT_HEADERS = {0, 43, 60, 135, 139, 140, 253, 254}


def parse_ip(version, data):
    """Return (src, dst, proto, l4 bytes (captured), l4 declared length, notes) or None."""
    notes = []
    if version == 4 and len(data) >= 20 and data[0] >> 4 == 4:
        ihl = (data[0] & 0x0F) * 4
        total = struct.unpack("!H", data[2:4])[0]
        frag = struct.unpack("!H", data[6:8])[0]
        proto = data[9]
        src = str(ipaddress.IPv4Address(data[12:16]))
        dst = str(ipaddress.IPv4Address(data[16:20]))
        if ihl < 20 or total < ihl:
            return None
        if frag & 0x1FFF:
            return None  # not the first fragment: no TCP header here
        if frag & 0x2000:
            notes.append("IPv4 first fragment (MF set); only its own bytes are used")
        return src, dst, proto, data[ihl:total], total - ihl, notes
    if version == 6 and len(data) >= 40 and data[0] >> 4 == 6:
        plen = struct.unpack("!H", data[4:6])[0]
        nh = data[6]
        src = str(ipaddress.IPv6Address(data[8:24]))
        dst = str(ipaddress.IPv6Address(data[24:40]))
        payload = data[40:40 + plen]
        declared = plen
        for _ in range(16):
            if nh in IPV6_EXT_HEADERS:
                if len(payload) < 8:
                    return None
                hlen = (payload[1] + 1) * 8
            elif nh == 44:  # fragment header
                if len(payload) < 8:
                    return None
                if struct.unpack("!H", payload[2:4])[0] & 0xFFF8:
                    return None
                hlen = 8
            elif nh == 51:  # AH
                if len(payload) < 8:
                    return None
                hlen = (payload[1] + 2) * 4
            else:
                break
            nh = payload[0]
            payload = payload[hlen:]
            declared -= hlen
        return src, dst, nh, payload, declared, notes
    return None


def parse_tcp(data, declared):
    if len(data) < 20:
        return None
    sport, dport, seq, ack, offflags = struct.unpack("!HHIIH", data[:14])
    hlen = (offflags >> 12) * 4
    flags = offflags & 0x1FF
    if hlen < 20:
        return None
    payload = data[hlen:]
    plen = max(declared - hlen, 0)
    return sport, dport, seq, flags, payload[:plen], plen


def endpoint(ip, port):
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)


# --------------------------------------------------------------------------- reassembly


class Instance:
    def __init__(self, key, index, order):
        self.key = key
        self.index = index
        self.order = order  # global creation order, for stable output
        self.isn = None
        self.ref = None
        self.bytes = {}  # relative offset -> (byte, frame number)
        self.notes = []
        self.missing = []  # (rel offset, length, frame) bytes on the wire but not captured

    def rel(self, seq):
        return ((seq - self.ref + 2 ** 31) % 2 ** 32) - 2 ** 31

    def overlaps_differently(self, start, payload):
        for i, b in enumerate(payload):
            have = self.bytes.get(start + i)
            if have is not None and have[0] != b:
                return True
        return False

    def add(self, start, payload, frame):
        new = 0
        for i, b in enumerate(payload):
            if start + i not in self.bytes:
                self.bytes[start + i] = (b, frame)
                new += 1
        return new


class Reassembler:
    def __init__(self):
        self.streams = {}  # key -> list of Instance
        self.count = 0
        self.duplicate_frames = set()
        self.frame_notes = {}

    def _new(self, key):
        inst = Instance(key, len(self.streams.setdefault(key, [])), self.count)
        self.count += 1
        self.streams[key].append(inst)
        return inst

    def segment(self, frame, key, seq, flags, payload, declared):
        syn = bool(flags & 0x02)
        insts = self.streams.get(key)
        inst = insts[-1] if insts else None
        if inst is None:
            inst = self._new(key)
        if syn:
            if inst.isn is None and not inst.bytes:
                inst.isn = seq
                inst.ref = (seq + 1) % 2 ** 32
            elif inst.isn != seq:
                inst = self._new(key)
                inst.isn = seq
                inst.ref = (seq + 1) % 2 ** 32
                if len(self.streams[key]) > 1:
                    inst.notes.append("frame %d: SYN with a new sequence number starts a new "
                                      "stream instance" % frame)
            data_seq = (seq + 1) % 2 ** 32
        else:
            data_seq = seq
        if not declared:
            return
        if inst.ref is None:
            inst.ref = data_seq
        start = inst.rel(data_seq)
        if inst.overlaps_differently(start, payload):
            inst = self._new(key)
            if syn:
                inst.isn = seq
            inst.ref = data_seq
            start = 0
            inst.notes.append("frame %d: segment overlaps bytes already seen with different "
                              "content; treated as a new stream instance" % frame)
        new = inst.add(start, payload, frame)
        if payload and new == 0:
            self.duplicate_frames.add(frame)
        if len(payload) < declared:
            inst.missing.append((start + len(payload), declared - len(payload), frame))


# --------------------------------------------------------------------------- framing


class Message:
    def __init__(self, inst, offset, data, kind, length, first_frame, last_frame, notes):
        self.inst = inst
        self.offset = offset
        self.data = data
        self.kind = kind  # "OPEN"... or "TRUNCATED"
        self.length = length  # declared BGP length, or None
        self.first_frame = first_frame
        self.last_frame = last_frame
        self.notes = notes
        self.msg_type = None  # BGP type code when the header was readable
        self.annotation = []


def runs_of(inst):
    offsets = sorted(inst.bytes)
    runs = []
    for off in offsets:
        if runs and runs[-1][1] == off:
            runs[-1][1] = off + 1
        else:
            runs.append([off, off + 1])
    return runs


def split_messages(inst):
    msgs = []
    runs = runs_of(inst)
    missing_at = {m[0]: m for m in inst.missing}

    def data(a, b):
        return bytes(inst.bytes[i][0] for i in range(a, b))

    def frames(a, b):
        fr = [inst.bytes[i][1] for i in range(a, b)]
        return min(fr), max(fr)

    def gap_reason(end, next_start):
        m = missing_at.get(end)
        if m:
            return "%d bytes of frame %d were not captured (snap length)" % (m[1], m[2])
        if next_start is None:
            return "the capture ends inside this message"
        return "stream gap of %d bytes (segments not captured)" % (next_start - end)

    stopped = False
    for ri, (a, b) in enumerate(runs):
        if stopped:
            break
        next_start = runs[ri + 1][0] if ri + 1 < len(runs) else None
        pos = a
        if ri > 0:
            if b - a >= 16 and data(a, a + 16) == MARKER:
                pass
            else:
                f0, f1 = frames(a, b)
                msgs.append(Message(inst, a, data(a, b), "TRUNCATED", None, f0, f1,
                                    ["after a stream gap, these %d bytes do not start with a "
                                     "marker; not parsed" % (b - a)]))
                continue
        while pos < b:
            avail = b - pos
            if avail >= 16 and data(pos, pos + 16) != MARKER:
                f0, f1 = frames(pos, b)
                msgs.append(Message(inst, pos, data(pos, b), "TRUNCATED", None, f0, f1,
                                    ["bad marker at stream offset %d; the rest of this stream "
                                     "(%d bytes) is not parsed" % (pos, avail)]))
                stopped = True
                break
            if avail < 19:
                f0, f1 = frames(pos, b)
                if data(pos, b) != MARKER[:avail]:
                    why = "bad marker at stream offset %d; the rest of this stream (%d bytes) " \
                          "is not parsed" % (pos, avail)
                else:
                    why = "only %d bytes of a message header: %s" % (avail,
                                                                    gap_reason(b, next_start))
                msgs.append(Message(inst, pos, data(pos, b), "TRUNCATED", None, f0, f1, [why]))
                break
            hdr = data(pos, pos + 19)
            length = struct.unpack("!H", hdr[16:18])[0]
            mtype = hdr[18]
            if length < 19:
                f0, f1 = frames(pos, b)
                msgs.append(Message(inst, pos, data(pos, b), "TRUNCATED", None, f0, f1,
                                    ["bad length %d (< 19) at stream offset %d; the rest of "
                                     "this stream (%d bytes) is not parsed" % (length, pos, avail)]))
                stopped = True
                break
            if length > avail:
                f0, f1 = frames(pos, b)
                m = Message(inst, pos, data(pos, b), "TRUNCATED", length, f0, f1,
                            ["%s with declared length %d, only %d bytes present: %s" %
                             (type_name(mtype), length, avail, gap_reason(b, next_start))])
                m.msg_type = mtype
                msgs.append(m)
                break
            f0, f1 = frames(pos, pos + length)
            m = Message(inst, pos, data(pos, pos + length), type_name(mtype), length, f0, f1, [])
            m.msg_type = mtype
            msgs.append(m)
            pos += length
    return msgs


# --------------------------------------------------------------------------- tcpdump text

FRAME_RE = re.compile(r"^ *(\d+)  \S")
MSG_RE = re.compile(r"^\t([A-Za-z][A-Za-z -]*?) Message \((\d+)\), length: (\d+)")


def parse_tcpdump_text(text):
    """frame number -> list of (type, length, [lines]) for each BGP message tcpdump printed."""
    frames = {}
    current = None
    msg = None
    for line in text.splitlines():
        m = FRAME_RE.match(line)
        if m:
            current = frames.setdefault(int(m.group(1)), [])
            msg = None
            continue
        if current is None:
            continue
        m = MSG_RE.match(line)
        if m:
            msg = (int(m.group(2)), int(m.group(3)), [line.strip("\t")])
            current.append(msg)
            continue
        if msg is not None and line.startswith("\t"):
            msg[2].append(line[1:].replace("\t", "  "))
    return frames


def cross_check(messages, td_frames, duplicate_frames):
    """Compare our split (messages grouped by the frame holding their first byte) with
    tcpdump's per-frame decode.  Returns (summary lines, annotated count)."""
    mine = {}
    for m in messages:
        if m.msg_type is not None:
            mine.setdefault(m.first_frame, []).append(m)
    lines = []
    ok = 0
    problems = []
    frames = sorted(set(mine) | set(f for f, v in td_frames.items() if v))
    for f in frames:
        ours = mine.get(f, [])
        theirs = td_frames.get(f, [])
        a = [(m.msg_type, m.length) for m in ours]
        b = [(t, l) for t, l, _ in theirs]
        if a == b:
            ok += len(a)
            for m, t in zip(ours, theirs):
                m.annotation = t[2]
            continue
        if not ours and f in duplicate_frames:
            problems.append("frame %d: tcpdump decodes %d message(s) %s of a segment that "
                            "repeats bytes already seen; not repeated here" %
                            (f, len(b), fmt_pairs(b)))
            continue
        # Partial agreement: annotate the common prefix.
        k = 0
        while k < min(len(a), len(b)) and a[k] == b[k]:
            ours[k].annotation = theirs[k][2]
            k += 1
        ok += k
        why = ""
        if any(m.kind == "TRUNCATED" and m.first_frame == f and m.notes and
               m.notes[0].startswith("bad marker") for m in messages):
            why = (" (tcpdump scans forward for the next marker; this tool stops the stream "
                   "at the first bad marker)")
        problems.append("frame %d: ours %s, tcpdump %s%s" % (f, fmt_pairs(a), fmt_pairs(b), why))
    total_td = sum(len(v) for v in td_frames.values())
    lines.append("cross-check with tcpdump: %d message header(s) agree (frame, type, length); "
                 "tcpdump printed %d in total" % (ok, total_td))
    if problems:
        lines.append("differences:")
        lines.extend("  " + p for p in problems)
    else:
        lines.append("no differences")
    return lines


def fmt_pairs(pairs):
    return "[" + ", ".join("%s/%d" % (type_name(t), l) for t, l in pairs) + "]"


# --------------------------------------------------------------------------- output


def render(path, info, frames, messages, reasm, header_lines, check_lines, skipped):
    out = []
    w = out.append
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    w("# BGP messages, format described in bgp/tests/data/README.md")
    for h in header_lines:
        w(h if h.startswith("#") else "# " + h)
    w("# source capture: %s (%d bytes, sha256 %s)" %
      (os.path.basename(path), os.path.getsize(path), digest))
    lts = ", ".join("%d %s" % (lt, LINKTYPE_NAMES.get(lt, "?")) for lt in sorted(info["linktypes"]))
    w("# capture format: %s, link type %s, %d frame(s)" % (info["format"], lts, len(frames)))
    if info.get("note"):
        w("# capture note: " + info["note"])
    w("# converted by: bgp/tests/data/tools/pcap_to_msgs.py (TCP port 179, reassembled per "
      "direction)")
    conns = []
    for key, insts in reasm.streams.items():
        for inst in insts:
            if inst.bytes:
                conns.append(inst)
    conns.sort(key=lambda i: i.order)
    w("# streams with data: %d" % len(conns))
    for inst in conns:
        src, sport, dst, dport = inst.key
        n = sum(1 for m in messages if m.inst is inst)
        extra = " (instance %d)" % inst.index if len(reasm.streams[inst.key]) > 1 else ""
        w("#   %s > %s%s: %d bytes, %d block(s)%s" %
          (endpoint(src, sport), endpoint(dst, dport), extra, len(inst.bytes), n,
           "" if inst.isn is not None else ", no SYN captured"))
        for note in inst.notes:
            w("#     " + note)
    counts = {}
    for m in messages:
        counts[m.kind] = counts.get(m.kind, 0) + 1
    order = ["OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE", "ROUTE-REFRESH"]
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    w("# blocks: %d (%s)" % (len(messages), ", ".join("%s %d" % (k, counts[k]) for k in keys)))
    if skipped:
        w("# frames skipped: " + "; ".join(skipped))
    for line in check_lines:
        w("# " + line)
    w("")
    for i, m in enumerate(messages, 1):
        src, sport, dst, dport = m.inst.key
        size = m.length if m.kind != "TRUNCATED" else len(m.data)
        w("@ %d %s > %s %s %d" % (i, endpoint(src, sport), endpoint(dst, dport), m.kind, size))
        hx = m.data.hex()
        for j in range(0, len(hx), HEX_PER_LINE * 2):
            w(hx[j:j + HEX_PER_LINE * 2])
        fr = ("frame %d" % m.first_frame if m.first_frame == m.last_frame
              else "frames %d-%d" % (m.first_frame, m.last_frame))
        w("# %s, stream offset %d" % (fr, m.offset))
        for note in m.notes:
            w("# " + note)
        for line in m.annotation:
            w("#   " + line)
        w("")
    return "\n".join(out).rstrip("\n") + "\n"


def convert(path, header_lines=(), tcpdump_text=None):
    info, frames = read_capture(path)
    reasm = Reassembler()
    skipped = []
    for fr in frames:
        l3 = link_to_ip(fr.linktype, fr.data)
        if not l3:
            continue
        ip = parse_ip(*l3)
        if not ip:
            continue
        src, dst, proto, l4, declared, notes = ip
        if proto != 6:
            continue
        tcp = parse_tcp(l4, declared)
        if not tcp:
            skipped.append("frame %d: TCP header not captured" % fr.number)
            continue
        sport, dport, seq, flags, payload, plen = tcp
        if BGP_PORT not in (sport, dport):
            continue
        for n in notes:
            reasm.frame_notes.setdefault(fr.number, []).append(n)
        reasm.segment(fr.number, (src, sport, dst, dport), seq, flags, payload, plen)
    messages = []
    for insts in reasm.streams.values():
        for inst in insts:
            messages.extend(split_messages(inst))
    messages.sort(key=lambda m: (m.last_frame, m.inst.order, m.offset))
    for m in messages:
        for f in range(m.first_frame, m.last_frame + 1):
            for n in reasm.frame_notes.get(f, []):
                if n not in m.notes:
                    m.notes.append("frame %d: %s" % (f, n))
    check = []
    if tcpdump_text is not None:
        check = cross_check(messages, parse_tcpdump_text(tcpdump_text), reasm.duplicate_frames)
    return render(path, info, frames, messages, reasm, list(header_lines), check, skipped)


def run_tcpdump(path):
    exe = shutil.which("tcpdump")
    if not exe:
        raise SystemExit("tcpdump not found (needed by --run-tcpdump)")
    res = subprocess.run([exe, "-#", "-n", "-vvv", "-tttt", "-r", path],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    return res.stdout.decode("utf-8", "replace")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("capture", help="pcap or pcapng file")
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    ap.add_argument("--header", action="append", default=[],
                    help="a header comment line (repeatable)")
    ap.add_argument("--header-file", action="append", default=[],
                    help="file whose lines are added as header comments")
    ap.add_argument("--tcpdump-out", help="tcpdump text output (with -# frame numbers) to "
                    "annotate blocks and cross-check against")
    ap.add_argument("--run-tcpdump", action="store_true",
                    help="run 'tcpdump -# -n -vvv -tttt -r' on the capture for annotations")
    ap.add_argument("--date", help="date written in the header (default: today, UTC)")
    args = ap.parse_args(argv)

    header = []
    for hf in args.header_file:
        with open(hf, encoding="utf-8") as f:
            header.extend(line.rstrip("\n") for line in f)
    header.extend(args.header)
    date = args.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    header.append("converted on: " + date)
    text = None
    if args.tcpdump_out:
        with open(args.tcpdump_out, encoding="utf-8", errors="replace") as f:
            text = f.read()
        header.append("annotations: tcpdump output %s" % os.path.basename(args.tcpdump_out))
    elif args.run_tcpdump:
        text = run_tcpdump(args.capture)
        ver = subprocess.run(["tcpdump", "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, check=False).stdout.decode().splitlines()
        header.append("annotations: 'tcpdump -# -n -vvv -tttt -r' (%s)" % (ver[0] if ver else "?"))
    result = convert(args.capture, header, text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(result)
    else:
        sys.stdout.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
