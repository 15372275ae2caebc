#!/usr/bin/env python3
"""Checks that pure modules do no I/O: from each source of a pure target, follow the project's
own includes ("module/file.hpp") transitively and fail on any include of an I/O library.

Usage: check-pure.py SOURCE_ROOT FILE...   (FILE: the sources of the pure targets)

Fails on a forbidden include, on a FILE that does not exist, and when it reads no file at all
(a check that reads nothing proves nothing).
"""
import re
import sys
from pathlib import Path

FORBIDDEN = [
    (re.compile(r"^boost/(asio|beast)"), "Asio/Beast (network I/O)"),
    (re.compile(r"^yaml-cpp/"), "yaml-cpp (belongs to config/ front ends)"),
    # libnl's headers (<netlink/...>) and the kernel's; the project's own "netlink/..." files
    # are followed and judged like any other project header.
    (re.compile(r"^<(netlink/|linux/rtnetlink|linux/netlink)"), "netlink"),
    (re.compile(r"^(linux/if_packet|netpacket/)"), "packet sockets"),
    (re.compile(r"^spdlog/"), "spdlog (pure code returns data; callers log)"),
    (re.compile(r"^(sys/socket|netinet/|arpa/inet)"), "sockets"),
    (re.compile(r"^(fstream|iostream)$"), "file and stream I/O"),
    (re.compile(r"^common/(asio|asio_address|logging|timer)\.hpp$"), "the I/O side of common"),
]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main() -> int:
    root = Path(sys.argv[1])
    seen: set[Path] = set()
    todo = [Path(f) for f in sys.argv[2:]]
    problems = [f"{f}: no such file" for f in todo if not f.is_file()]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            name = m.group(2)
            for pattern, why in FORBIDDEN:
                if pattern.search(name) or pattern.search(m.group(1) + name):
                    problems.append(f"{path}:{number}: includes <{name}>: {why}")
            if m.group(1) == '"' and (root / name).is_file():
                todo.append(root / name)
    if not seen:
        problems.append("no file read: give the sources of the pure targets")
    for p in problems:
        print(p)
    print(f"check-pure: {len(seen)} files read, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
