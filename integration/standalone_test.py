#!/usr/bin/env python3
"""`vipd standalone` on three nodes behind an FRR router with ECMP, with a gobgpd collector and
a client (the demo's lab, demo_lab.py): the demo's steps with assertions, and reloads and
restarts of one node.

Usage: standalone_test.py --vipd build/dev/daemon/vipd [-k NAME]
"""
import json
import os
import signal
import sys
import urllib.parse

from demo_lab import (HOLD_TIME, NODES, VIP_V4, VIP_V6, WEB, Demo,
                      standalone_config)
from lab import run_tests, wait_for

API = {"name": "api", "addresses": ["203.0.113.20", "2001:db8:100::20"],
       "ports": [(443, "TCP")]}
API_V4, API_V6 = API["addresses"]


def demo_of(lab, vipd, **kwargs):
    return Demo(lab, vipd, say=lambda text: print(text, flush=True), strict=True, **kwargs)


def announced(speaker):
    """{service: {prefix, ...}} from the node's /status."""
    out = {}
    for service, prefix in speaker.announcements():
        out.setdefault(service, set()).add(prefix)
    return out


def dual_stack(announcements, count):
    """`announcements` once it holds `count` services with an IPv4 and an IPv6 prefix each."""
    complete = [s for s, prefixes in announcements.items()
                if {":" in p for p in prefixes} == {True, False}]
    return announcements if len(complete) == count == len(announcements) else None


def check_status_queries(demo, node, vipd, key):
    """/status filters and pages its long lists, and `vipd status` asks for them."""
    code, body = node.get("/status?service=" + urllib.parse.quote(key, safe=""))
    only = json.loads(body)
    assert code == 200 and {a["service"] for a in only["announcements"]} == {key}, body[-2000:]
    assert [s["name"] for s in only["services"]] == [key], only["services"]
    assert only["lists"]["services"] == {"total": 2, "matched": 1, "offset": 0, "shown": 1}, \
        only["lists"]
    assert only["summary"]["services"]["total"] == 2, only["summary"]
    assert only["summary"]["announcements"]["by_reason"]["announced"] >= 4, only["summary"]
    # One page of one service, then the next; an address finds its service.
    first = json.loads(node.get("/status?limit=1")[1])
    assert len(first["services"]) == 1 and first["lists"]["services"]["next_offset"] == 1, first
    second = json.loads(node.get("/status?limit=1&offset=1")[1])
    names = [s["name"] for s in first["services"] + second["services"]]
    assert len(set(names)) == 2 and key in names, names
    assert "next_offset" not in second["lists"]["services"], second["lists"]
    address = only["services"][0]["addresses"][0]
    by_address = json.loads(node.get("/status?prefix=" + address)[1])
    assert [s["name"] for s in by_address["services"]] == [key], by_address["services"]
    # A query it cannot read is refused with the reason.
    code, body = node.get("/status?limit=many")
    assert code == 400 and body == "limit: 'many' is not a whole number\n", (code, body)
    # `vipd status` as a user types it.
    out = demo.lab.exec(node.node, vipd, "status", "--service", key)
    assert "services 2" in out and key in out and "(1-1 of" not in out, out
    out = demo.lab.exec(node.node, vipd, "status", "--limit", "1")
    assert "(1-1 of 2; --offset 1 for the next page)" in out, out


def test_ecmp_traffic_drain_kill_and_health_check(lab, vipd):
    demo = demo_of(lab, vipd)
    demo.setup()
    # ECMP with three next hops in the router's kernel table, for IPv4 and IPv6.
    for vip in (VIP_V4, VIP_V6):
        assert demo.kernel_next_hops(vip) == sorted(NODES), demo.kernel_next_hops(vip)
    demo.step_ecmp()
    # Traffic reaches all three nodes.
    traffic = demo.step_spread(300)
    assert set(traffic.answered()) == set(NODES), traffic.answered()

    # Drain: GRACEFUL_SHUTDOWN reaches the collector before the withdrawal (step_drain expects
    # it), and no request fails.
    drain = demo.step_drain("node1")
    assert len(drain.failures()) == 0, drain.describe_failures()

    # SIGKILL: the router drops the node within the hold time.
    _, seen, t0 = demo.step_kill("node2")
    assert all(t is not None and t - t0 < HOLD_TIME for t in seen.values()), seen

    # A failing health check withdraws the node's routes; the others keep the traffic.
    demo.step_restart(("node1", "node2"))
    demo.step_health("node3")
    for vip in (VIP_V4, VIP_V6):
        assert demo.kernel_next_hops(vip) == ["node1", "node2"], demo.kernel_next_hops(vip)
    # And it comes back when the check passes again (rise 1).
    os.remove(demo.flag_file("node3"))
    for vip in (VIP_V4, VIP_V6):
        assert demo.wait_paths(vip, 3, 10) is not None, demo.kernel_next_hops(vip)
    assert not demo.failed(), demo.failed()


def test_reloads_keep_or_withdraw_exactly_what_they_should(lab, vipd):
    demo = demo_of(lab, vipd)
    demo.setup(speakers=False)
    for node in NODES:
        demo.start_speaker(node, standalone_config(node, services=(WEB, API)))
    for vip in (VIP_V4, VIP_V6, API_V4, API_V6):
        assert demo.wait_paths(vip, 3, 30) is not None, (vip, demo.kernel_next_hops(vip))
    node1 = demo.speakers["node1"]
    wait_for("node1 ready", node1.ready, 15)
    before = announced(node1)
    assert any("api" in s for s in before) and any("web" in s for s in before), before
    check_status_queries(demo, node1, vipd, next(s for s in before if "api" in s))

    # A bad file is rejected: the old announcements stay, the process keeps running, and
    # /status says the configuration in force is stale and why (file:line:column).
    assert node1.config_state()["errors"] == [], node1.config_state()
    node1.reload(standalone_config("node1", services=(WEB, API),
                                   extra="unknown-key: [this, is, rejected]\n"))
    config = wait_for("node1 to reject the file",
                      lambda: (c := node1.config_state())["stale"] and c, 10)
    assert any(e.startswith(f"{node1.config_path}:") and "unknown-key" in e
               for e in config["errors"]), config
    assert node1.alive(), node1.log()[-2000:]
    assert announced(node1) == before, (announced(node1), before)
    for vip in (VIP_V4, VIP_V6, API_V4, API_V6):
        assert demo.kernel_next_hops(vip) == sorted(NODES), (vip, demo.kernel_next_hops(vip))

    # A valid reload that removes "api" withdraws exactly api's routes from node1.
    node1.reload(standalone_config("node1", services=(WEB,)))
    wait_for("node1 to load the file", lambda: not node1.config_state()["stale"], 10)
    assert node1.config_state()["errors"] == [], node1.config_state()
    for vip in (API_V4, API_V6):
        assert demo.wait_paths(vip, 2, 10) is not None, (vip, demo.kernel_next_hops(vip))
        assert demo.kernel_next_hops(vip) == ["node2", "node3"], demo.kernel_next_hops(vip)
    after = wait_for("node1's status without api",
                     lambda: (a := announced(node1)) and not any("api" in s for s in a) and a,
                     10)
    expected = {s: p for s, p in before.items() if "api" not in s}
    assert after == expected, (after, expected)
    # Nothing else moved: web still has three next hops, and the collector still has node1's
    # web path.
    for vip in (VIP_V4, VIP_V6):
        assert demo.kernel_next_hops(vip) == sorted(NODES), (vip, demo.kernel_next_hops(vip))
    assert "node1" in [demo.node_of(p["nexthop"]) for p in demo.collector_paths("ipv4")]
    assert node1.alive()


def test_restart_with_the_state_file_keeps_every_address(lab, vipd):
    demo = demo_of(lab, vipd)
    demo.setup(speakers=False)
    pooled = [{"name": "blue", "pool": "demo"}, {"name": "green", "pool": "demo"}]
    node1 = demo.start_speaker("node1", standalone_config("node1", services=[WEB, *pooled]))
    first = wait_for("node1 announcing web, blue and green (IPv4 and IPv6 each)",
                     lambda: dual_stack(announced(node1), 3), 30)
    addresses = {p for prefixes in first.values() for p in prefixes}
    for prefix in addresses:
        address = prefix.split("/")[0]
        assert wait_for(f"router route to {prefix}",
                        lambda a=address: demo.kernel_next_hops(a) == ["node1"], 15)
    assert os.listdir(node1.state_dir), "no state file written"

    # Restart with a new service that sorts and is listed first: without the state file it
    # would take the lowest free address, which blue or green holds now.
    node1.signal(signal.SIGINT)
    assert node1.wait(10) == 0, node1.log()[-2000:]
    services = [{"name": "aaa", "pool": "demo"}, WEB, *reversed(pooled)]
    node1 = demo.start_speaker("node1", standalone_config("node1", services=services))
    second = wait_for("node1 announcing four services (IPv4 and IPv6 each)",
                      lambda: dual_stack(announced(node1), 4), 30)
    for service, prefixes in first.items():
        assert second.get(service) == prefixes, (service, second, first)
    new = {p for s, prefixes in second.items() if s not in first for p in prefixes}
    assert new and not (new & addresses), (new, addresses)
    for prefix in addresses | new:
        address = prefix.split("/")[0]
        assert wait_for(f"router route to {prefix}",
                        lambda a=address: demo.kernel_next_hops(a) == ["node1"], 15)


TESTS = [
    test_ecmp_traffic_drain_kill_and_health_check,
    test_reloads_keep_or_withdraw_exactly_what_they_should,
    test_restart_with_the_state_file_keeps_every_address,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, sys.argv[1:], binary_flag="--vipd", remove_dirs=True))
