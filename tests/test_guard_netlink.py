"""Short network blips are caught: the guard hears the kernel's link and route
changes on a netlink socket (cleanroom/guard/netlink.py) instead of relying on
its poll. Parsed from synthetic datagrams (hostile ones too), then for real in a
network namespace of the test's own, with a veth pair brought up and down again
far faster than any poll."""

from __future__ import annotations

import json
import os
import random
import socket
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cleanroom.guard.netlink import (
    IFLA_IFNAME,
    IFLA_OPERSTATE,
    RTA_GATEWAY,
    RTA_OIF,
    RTM_DELLINK,
    RTM_NEWLINK,
    RTM_NEWROUTE,
    LinkChange,
    RouteChange,
    apply,
    parse,
)
from cleanroom.guard.network import Interface, NetworkState, Route, changes

ROOT = Path(__file__).resolve().parents[1]


def attr(kind: int, value: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(value), kind) + value
    return raw + b"\0" * (-len(raw) % 4)


def message(kind: int, body: bytes) -> bytes:
    return struct.pack("=IHHII", 16 + len(body), kind, 0, 0, 0) + body


def link(kind: int, name: str, flags: int, operstate: int = 6) -> bytes:
    body = struct.pack("=BxHiII", 0, 1, 7, flags, 0xFFFFFFFF)
    body += attr(IFLA_IFNAME, name.encode() + b"\0") + attr(IFLA_OPERSTATE, bytes([operstate]))
    return message(kind, body)


def default_route(kind: int, gateway: str, oif: int, table: int = 254) -> bytes:
    body = struct.pack("=BBBBBBBBI", socket.AF_INET, 0, 0, 0, table, 3, 0, 1, 0)
    body += attr(RTA_GATEWAY, socket.inet_aton(gateway)) + attr(RTA_OIF, struct.pack("=i", oif))
    return message(kind, body)


def names(index: int) -> str:
    return {7: "eth9"}.get(index, f"#{index}")


def test_link_and_route_messages_are_read():
    data = link(RTM_NEWLINK, "eth9", 0x1043) + default_route(RTM_NEWROUTE, "192.0.2.1", 7)
    data += default_route(RTM_NEWROUTE, "192.0.2.9", 7, table=100)  # not the main table
    data += link(RTM_DELLINK, "eth9", 0x1002, 2)
    assert parse(data, names) == [
        LinkChange("eth9", 0x1043, "up", False),
        RouteChange(Route("IPv4", "eth9", "192.0.2.1"), False),
        LinkChange("eth9", 0x1002, "down", True),
    ]


def test_a_blip_folded_into_the_state_is_told_step_by_step():
    lo = Interface("lo", "unknown", 0x9)
    state = NetworkState((lo,), ())
    up = apply(state, LinkChange("eth9", 0x1043, "up", False))
    assert changes(state, up) == ["interface eth9 came up (state up)"]
    routed = apply(up, RouteChange(Route("IPv4", "eth9", "192.0.2.1"), False))
    assert changes(up, routed) == ["IPv4 default route via 192.0.2.1 on eth9 appeared"]
    down = apply(routed, LinkChange("eth9", 0x1002, "down", False))
    assert "interface eth9 went down" in changes(routed, down)
    assert apply(down, LinkChange("eth9", 0, "down", True)).interfaces == (lo,)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\xff" * 15, struct.pack("=IHHII", 0, 16, 0, 0, 0),  # length 0: no loop
     struct.pack("=IHHII", 4000, 16, 0, 0, 0) + b"x" * 10,  # longer than the datagram
     link(RTM_NEWLINK, "x", 1)[:20], message(RTM_NEWLINK, b"\0" * 16 + b"\xff\xff\x03\x00"),
     message(RTM_NEWROUTE, b"\x02" * 3)],
)  # fmt: skip
def test_hostile_datagrams_never_raise(data):
    assert isinstance(parse(data, names), list)


def test_random_and_truncated_datagrams_never_raise():
    rng = random.Random(1212)
    good = link(RTM_NEWLINK, "wlan0", 0x1003) + default_route(RTM_NEWROUTE, "10.0.0.1", 7)
    for cut in range(len(good) + 1):
        parse(good[:cut], names)
    for _ in range(2000):
        blob = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        parse(bytes(blob), names)
        parse(rng.randbytes(rng.randint(0, 200)), names)


# -- for real, in a network namespace of the test's own ------------------------------

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from dataclasses import replace
    from pathlib import Path
    from cleanroom.guard import Guard, Places, Policy
    tmp, netlink = Path(sys.argv[1]), sys.argv[2] == "1"
    (tmp / "s.snapshot").write_bytes(b"")
    (tmp / "ledgers").mkdir()
    places = Places.of(tmp / "s.snapshot", tmp / "ledgers" / "x.ledger")
    policy = replace(Policy.for_mode("demo"), poll_seconds=3600.0)  # no poll in this test
    guard = Guard(policy, places, netlink=netlink)
    guard.start()
    guard.drain()  # the start's own alerts (this namespace is not the host's)
    print("ready", flush=True)
    sys.stdin.readline()
    time.sleep(0.3)
    print(json.dumps([[a.category, a.detail, a.count] for a in guard.stop(settle=0)]))
    """
)
BLIP = [
    ["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"],
    ["ip", "addr", "add", "198.51.100.1/24", "dev", "veth0"],
    ["ip", "link", "set", "veth0", "up"],
    ["ip", "link", "set", "veth1", "up"],
    ["ip", "route", "add", "default", "via", "198.51.100.2", "dev", "veth0"],
    ["ip", "route", "del", "default"],
    ["ip", "link", "set", "veth0", "down"],
    ["ip", "link", "del", "veth0"],
]


@pytest.fixture
def netns():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    name = f"cleanroom-blip-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"ip netns is not available here: {made.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def blip_seen_by_guard(ns: str, tmp: Path, netlink: bool) -> tuple[list, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", CHILD, str(tmp), "1" if netlink else "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        began = time.monotonic()
        for step in BLIP:
            done = subprocess.run(["ip", "netns", "exec", ns, *step], capture_output=True,
                                  text=True, timeout=30)  # fmt: skip
            assert done.returncode == 0, f"{step}: {done.stderr}"
        took = time.monotonic() - began
        out, err = child.communicate("go\n", timeout=60)
    finally:
        child.kill()
    assert child.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1]), took


def test_an_interface_up_and_down_between_two_polls_is_caught(netns, tmp_path):
    alerts, took = blip_seen_by_guard(netns, tmp_path, netlink=True)
    assert took < 3600  # the poll never ran: only netlink can have seen it
    network = [a for a in alerts if a[0] == "network"]
    assert len(network) == 1, alerts
    detail = network[0][1]
    for said in ("interface veth0 came up", "interface veth1 came up",
                 "IPv4 default route via 198.51.100.2 on veth0 appeared",
                 "IPv4 default route via 198.51.100.2 on veth0 was removed",
                 "interface veth0 went down", "seen by netlink"):  # fmt: skip
        assert said in detail, detail
    assert not [a for a in alerts if a[0] == "guard_failure"], alerts


def test_without_netlink_the_same_blip_goes_unseen(netns, tmp_path):
    """The gap netlink closes: a poll-only guard misses the whole blip."""
    alerts, _ = blip_seen_by_guard(netns, tmp_path, netlink=False)
    assert [a for a in alerts if a[0] == "network"] == []
