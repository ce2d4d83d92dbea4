"""Is the workstation air-gapped? Interfaces and default routes, from /sys and /proc,
in the host's network namespace (`namespace.mismatch`).

The parsers are pure functions of the files' text, so they are tested with
synthetic content; `read_network` reads the real files. An interface counts as
up when its IFF_UP flag is set (administratively up), whatever its carrier:
plugging a cable into an up interface connects it without any further step.

The check sees only what the kernel shows as network interfaces in this
network namespace, so a namespace other than the host's fails it by itself.
Bluetooth (until a PAN interface appears), serial lines, USB gadgets,
cellular modems driven from user space and radios in other devices are
invisible to it; those need hardware and kiosk configuration.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .namespace import mismatch
from .policy import AirGapAction, Policy

IFF_UP = 0x1
IFF_LOOPBACK = 0x8
RTF_UP = 0x0001
RTF_REJECT = 0x0200


@dataclass(frozen=True)
class Interface:
    name: str
    operstate: str
    flags: int

    @property
    def up(self) -> bool:
        return bool(self.flags & IFF_UP)

    @property
    def loopback(self) -> bool:
        return bool(self.flags & IFF_LOOPBACK)


@dataclass(frozen=True)
class Route:
    """A default route (destination 0/0) that is up and not a reject route."""

    family: str  # "IPv4" or "IPv6"
    iface: str
    gateway: str  # "" when the route has no gateway (a point-to-point link)

    def describe(self) -> str:
        via = f" via {self.gateway}" if self.gateway else ""
        return f"{self.family} default route{via} on {self.iface}"


@dataclass(frozen=True)
class NetworkState:
    interfaces: tuple[Interface, ...]
    routes: tuple[Route, ...]
    namespace: str = ""  # why this is not the host's network namespace; "" if nothing says so

    @property
    def up(self) -> tuple[Interface, ...]:
        """Non-loopback interfaces that are up."""
        return tuple(i for i in self.interfaces if i.up and not i.loopback)

    @property
    def isolated(self) -> bool:
        return not self.up and not self.routes and not self.namespace

    def reasons(self) -> list[str]:
        host = [self.namespace] if self.namespace else []
        return (
            host
            + [f"interface {i.name} is up (state {i.operstate})" for i in self.up]
            + [r.describe() for r in self.routes]
        )

    def explain(self) -> str:
        if self.isolated:
            return "air-gapped: no interface but loopback is up and there is no default route"
        return "not air-gapped: " + "; ".join(self.reasons())


@dataclass(frozen=True)
class StartCheck:
    """The air-gap check at session start: `pass`, `record` or `refuse`, and why."""

    action: str
    explanation: str


def parse_interface(name: str, operstate: str, flags: str) -> Interface:
    """One interface from its /sys/class/net/<name>/operstate and flags files."""
    try:
        value = int(flags.strip(), 16)
    except ValueError:
        value = IFF_UP  # unreadable flags: assume the worst
    return Interface(name, operstate.strip() or "unknown", value)


def parse_ipv4_routes(text: str) -> list[Route]:
    """Default routes in /proc/net/route (hex fields, the gateway little-endian)."""
    routes = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 8:
            continue
        try:
            dest, gateway, flags, mask = int(f[1], 16), int(f[2], 16), int(f[3], 16), int(f[7], 16)
        except ValueError:
            continue
        if dest == 0 and mask == 0 and flags & RTF_UP and not flags & RTF_REJECT:
            gw = str(ipaddress.IPv4Address(gateway.to_bytes(4, "little"))) if gateway else ""
            routes.append(Route("IPv4", f[0], gw))
    return routes


def parse_ipv6_routes(text: str) -> list[Route]:
    """Default routes in /proc/net/ipv6_route, skipping the kernel's reject routes on lo."""
    routes = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 10:
            continue
        try:
            dest, plen, hop, flags = int(f[0], 16), int(f[1], 16), int(f[4], 16), int(f[8], 16)
        except ValueError:
            continue
        if dest == 0 and plen == 0 and flags & RTF_UP and not flags & RTF_REJECT and f[9] != "lo":
            gw = str(ipaddress.IPv6Address(hop)) if hop else ""
            routes.append(Route("IPv6", f[9], gw))
    return routes


def read_network(
    sys_net: Path = Path("/sys/class/net"),
    proc_net: Path = Path("/proc/net"),
    host_check: Callable[[], str] = mismatch,
) -> NetworkState:
    """The current state. A missing routing file reads as no routes (no such family).
    `host_check` says why this is not the host's network namespace ("" if it is)."""
    interfaces = []
    # /proc/net/dev belongs to this process's network namespace; /sys/class/net to
    # the namespace sysfs was mounted in, which can be another (e.g. `unshare -n`).
    for name in sorted(_namespace_interfaces(proc_net) or os.listdir(sys_net)):
        d = sys_net / name
        interfaces.append(parse_interface(name, _read(d / "operstate"), _read(d / "flags")))
    routes = parse_ipv4_routes(_read(proc_net / "route"))
    routes += parse_ipv6_routes(_read(proc_net / "ipv6_route"))
    return NetworkState(tuple(interfaces), tuple(routes), host_check())


def _namespace_interfaces(proc_net: Path) -> list[str]:
    """Interface names from /proc/net/dev (two header lines, then `name: counters`)."""
    lines = _read(proc_net / "dev").splitlines()[2:]
    return [line.split(":", 1)[0].strip() for line in lines if ":" in line]


def start_check(policy: Policy, state: NetworkState) -> StartCheck:
    """What starting a session does about the network: pass when air-gapped; otherwise
    refuse, or go on and record it (demo, or `--allow-network`, which is said)."""
    if state.isolated:
        return StartCheck("pass", state.explain())
    if policy.start_action is AirGapAction.REFUSE:
        return StartCheck("refuse", state.explain() + " (use --allow-network to start anyway)")
    why = "allowed by --allow-network" if policy.allow_network else f"{policy.mode} mode"
    return StartCheck("record", f"{state.explain()} ({why})")


def changes(before: NetworkState, after: NetworkState) -> list[str]:
    """What changed between two polls, in words."""
    out = []
    was = {i.name: i for i in before.up}
    now = {i.name: i for i in after.up}
    out += [f"interface {n} came up (state {i.operstate})" for n, i in now.items() if n not in was]
    out += [f"interface {n} went down" for n in was if n not in now]
    out += [f"{r.describe()} appeared" for r in after.routes if r not in before.routes]
    out += [f"{r.describe()} was removed" for r in before.routes if r not in after.routes]
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:  # e.g. IPv6 disabled; other errors propagate
        return ""
