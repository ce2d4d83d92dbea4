"""The air-gap check: parsers on synthetic /sys and /proc content, and the real
thing inside a fresh network namespace when this machine allows one (root)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.guard.network import (
    Interface,
    NetworkState,
    changes,
    parse_interface,
    parse_ipv4_routes,
    parse_ipv6_routes,
    read_network,
)

ROOT = Path(__file__).resolve().parents[1]

ROUTE = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""
ROUTE_NO_DEFAULT = ROUTE.splitlines()[0] + "\n" + ROUTE.splitlines()[2] + "\n"
ROUTE_REJECT = (
    ROUTE.splitlines()[0] + "\nlo\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n"
)

IPV6_ROUTE = """\
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
"""  # noqa: E501


def test_ipv4_default_route_with_its_gateway():
    (r,) = parse_ipv4_routes(ROUTE)
    assert (r.family, r.iface, r.gateway) == ("IPv4", "eth0", "192.0.2.1")
    assert r.describe() == "IPv4 default route via 192.0.2.1 on eth0"
    assert parse_ipv4_routes(ROUTE_NO_DEFAULT) == []
    assert parse_ipv4_routes(ROUTE_REJECT) == []
    assert parse_ipv4_routes("") == [] and parse_ipv4_routes("junk\nnot a route\n") == []


def test_ipv6_default_route_but_not_the_kernels_reject_route_on_lo():
    (r,) = parse_ipv6_routes(IPV6_ROUTE)
    assert (r.family, r.iface, r.gateway) == ("IPv6", "eth0", "fd00::1")
    assert parse_ipv6_routes(IPV6_ROUTE.splitlines()[3]) == []


def test_interfaces_by_flags_not_carrier():
    assert parse_interface("lo", "unknown\n", "0x9\n").loopback
    eth = parse_interface("eth0", "down\n", "0x1003\n")
    assert eth.up and not eth.loopback  # up, no cable: one plug away from a network
    assert not parse_interface("eth1", "down", "0x1002").up
    assert parse_interface("odd", "", "garbage").up  # unreadable flags: assume the worst


def test_only_loopback_and_no_route_is_air_gapped():
    lo = Interface("lo", "unknown", 0x9)
    assert NetworkState((lo,), ()).isolated
    state = NetworkState(
        (lo, Interface("wlan0", "dormant", 0x1003)), tuple(parse_ipv4_routes(ROUTE))
    )
    assert not state.isolated
    assert state.explain() == (
        "not air-gapped: interface wlan0 is up (state dormant); "
        "IPv4 default route via 192.0.2.1 on eth0"
    )


def test_changes_between_polls_are_described():
    lo = Interface("lo", "unknown", 0x9)
    before = NetworkState((lo, Interface("eth0", "down", 0x1002)), ())
    after = NetworkState((lo, Interface("eth0", "up", 0x1003)), tuple(parse_ipv4_routes(ROUTE)))
    assert changes(before, after) == [
        "interface eth0 came up (state up)",
        "IPv4 default route via 192.0.2.1 on eth0 appeared",
    ]
    assert changes(after, before) == [
        "interface eth0 went down",
        "IPv4 default route via 192.0.2.1 on eth0 was removed",
    ]
    assert changes(after, after) == []


def test_reading_synthetic_sys_and_proc_trees(tmp_path: Path):
    sys_net, proc_net = tmp_path / "sys", tmp_path / "proc"
    for name, state, flags in [("lo", "unknown", "0x9"), ("eth0", "up", "0x1003")]:
        (sys_net / name).mkdir(parents=True)
        (sys_net / name / "operstate").write_text(state + "\n")
        (sys_net / name / "flags").write_text(flags + "\n")
    proc_net.mkdir()
    (proc_net / "route").write_text(ROUTE)  # no ipv6_route: IPv6 disabled
    state = read_network(sys_net, proc_net)
    assert [i.name for i in state.up] == ["eth0"] and len(state.routes) == 1


def test_reading_this_machine_works():
    state = read_network()
    assert any(i.loopback for i in state.interfaces)


# -- a real network namespace --------------------------------------------------------

PROBE = (
    "import json; from cleanroom.guard.network import read_network; s = read_network(); "
    "print(json.dumps({'isolated': s.isolated, 'up': [i.name for i in s.up], "
    "'routes': [r.describe() for r in s.routes], 'all': [i.name for i in s.interfaces], "
    "'namespace': s.namespace}))"
)


@pytest.fixture
def netns():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    name = f"cleanroom-guard-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"ip netns is not available here: {made.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def in_ns(ns: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)  # fmt: skip


def probe(ns: str) -> dict:
    out = in_ns(ns, sys.executable, "-c", PROBE)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_namespace_with_only_loopback_up_still_fails_the_air_gap_check(netns: str):
    """Its interfaces and routes pass; but it is not the host's namespace, and the
    host is what must be air-gapped (tests/test_guard_namespace.py)."""
    assert in_ns(netns, "ip", "link", "set", "lo", "up").returncode == 0
    result = probe(netns)
    assert result["all"] == ["lo"]
    assert result["up"] == [] and result["routes"] == []
    assert result["isolated"] is False and "namespace" in result["namespace"]


def test_an_interface_and_a_default_route_in_the_namespace_fail_it(netns: str):
    steps = [
        ["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"],
        ["ip", "addr", "add", "198.51.100.1/24", "dev", "veth0"],
        ["ip", "link", "set", "veth0", "up"],
        ["ip", "link", "set", "veth1", "up"],
        ["ip", "route", "add", "default", "via", "198.51.100.2", "dev", "veth0"],
    ]
    for step in steps:
        done = in_ns(netns, *step)
        if done.returncode != 0:
            pytest.skip(f"cannot build a veth pair here: {' '.join(step)}: {done.stderr.strip()}")
    result = probe(netns)
    assert result["isolated"] is False
    assert result["up"] == ["veth0", "veth1"]
    assert result["routes"] == ["IPv4 default route via 198.51.100.2 on veth0"]
