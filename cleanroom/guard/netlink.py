"""Link and route changes as the kernel announces them (rtnetlink), not as a poll sees them.

A poll every second misses an interface brought up and down again between two
rounds, which is long enough to send a file. The kernel multicasts every link
change (RTMGRP_LINK) and every IPv4 and IPv6 route change (RTMGRP_IPV4_ROUTE,
RTMGRP_IPV6_ROUTE) to any `AF_NETLINK` socket bound to those groups; no
privilege is needed to listen. `parse` turns the datagrams into `LinkChange`
and `RouteChange` values (pure, never raises on any bytes); `apply` folds one
into a `NetworkState`; `Listener` runs the socket on a thread of its own.

Only what the kernel tells this network namespace is seen (see `namespace`
for the check that it is the host's). Standard library only: `socket` and
`struct`.
"""

from __future__ import annotations

import errno
import select
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .network import Interface, NetworkState, Route

RTMGRP_LINK = 0x1
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_ROUTE = 0x400
GROUPS = RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE

RTM_NEWLINK, RTM_DELLINK, RTM_NEWROUTE, RTM_DELROUTE = 16, 17, 24, 25
IFLA_IFNAME, IFLA_OPERSTATE = 3, 16
RTA_OIF, RTA_GATEWAY, RTA_TABLE = 4, 5, 15
RT_TABLE_MAIN, RTN_UNICAST = 254, 1
OPERSTATES = ("unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up")

_NLMSG = struct.Struct("=IHHII")  # length, type, flags, seq, pid
_IFINFO = struct.Struct("=BxHiII")  # family, type, index, flags, change
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, proto, scope, type
_RTATTR = struct.Struct("=HH")  # length, type


@dataclass(frozen=True)
class LinkChange:
    name: str
    flags: int
    operstate: str
    removed: bool


@dataclass(frozen=True)
class RouteChange:
    """A default route of the main table (what /proc/net/route and ipv6_route show)."""

    route: Route
    removed: bool


Change = LinkChange | RouteChange


def parse(data: bytes, name_of: Callable[[int], str] | None = None) -> list[Change]:
    """The link and default-route changes in one netlink datagram. Anything else,
    and anything malformed or truncated, is skipped."""
    name_of = name_of or _interface_name
    out: list[Change] = []
    offset = 0
    while offset + _NLMSG.size <= len(data):
        length, kind = _NLMSG.unpack_from(data, offset)[:2]
        if length < _NLMSG.size or offset + length > len(data):
            break
        body = data[offset + _NLMSG.size : offset + length]
        change = None
        if kind in (RTM_NEWLINK, RTM_DELLINK):
            change = _link(body, kind == RTM_DELLINK, name_of)
        elif kind in (RTM_NEWROUTE, RTM_DELROUTE):
            change = _route(body, kind == RTM_DELROUTE, name_of)
        if change is not None:
            out.append(change)
        offset += (length + 3) & ~3
    return out


def apply(state: NetworkState, change: Change) -> NetworkState:
    """`state` after `change`."""
    if isinstance(change, LinkChange):
        kept = tuple(i for i in state.interfaces if i.name != change.name)
        if not change.removed:
            kept += (Interface(change.name, change.operstate, change.flags),)
        return NetworkState(kept, state.routes, state.namespace)
    routes = tuple(r for r in state.routes if r != change.route)
    if not change.removed:
        routes += (change.route,)
    return NetworkState(state.interfaces, routes, state.namespace)


def _attributes(body: bytes, start: int) -> dict[int, bytes]:
    attrs: dict[int, bytes] = {}
    offset = start
    while offset + _RTATTR.size <= len(body):
        length, kind = _RTATTR.unpack_from(body, offset)
        if length < _RTATTR.size or offset + length > len(body):
            break
        attrs.setdefault(kind & 0x3FFF, body[offset + _RTATTR.size : offset + length])
        offset += (length + 3) & ~3
    return attrs


def _link(body: bytes, removed: bool, name_of: Callable[[int], str]) -> LinkChange | None:
    if len(body) < _IFINFO.size:
        return None
    _family, _type, index, flags, _change = _IFINFO.unpack_from(body)
    attrs = _attributes(body, _IFINFO.size)
    raw = attrs.get(IFLA_IFNAME, b"").split(b"\0", 1)[0]
    name = raw.decode("utf-8", "backslashreplace") if raw else name_of(index)
    state = attrs.get(IFLA_OPERSTATE, b"")
    operstate = OPERSTATES[state[0]] if state and state[0] < len(OPERSTATES) else "unknown"
    return LinkChange(name, flags, operstate, removed)


def _route(body: bytes, removed: bool, name_of: Callable[[int], str]) -> RouteChange | None:
    if len(body) < _RTMSG.size:
        return None
    family, dst_len, _src, _tos, table, _proto, _scope, kind, _flags = _RTMSG.unpack_from(body)
    attrs = _attributes(body, _RTMSG.size)
    if RTA_TABLE in attrs and len(attrs[RTA_TABLE]) >= 4:
        table = struct.unpack_from("=I", attrs[RTA_TABLE])[0]
    if dst_len != 0 or table != RT_TABLE_MAIN or kind != RTN_UNICAST:
        return None
    if family not in (socket.AF_INET, socket.AF_INET6):
        return None
    oif = attrs.get(RTA_OIF, b"")
    iface = name_of(struct.unpack_from("=i", oif)[0]) if len(oif) >= 4 else "?"
    if family == socket.AF_INET6 and iface == "lo":
        return None  # the kernel's own reject routes, as parse_ipv6_routes skips them
    gateway = _gateway(family, attrs.get(RTA_GATEWAY, b""))
    label = "IPv4" if family == socket.AF_INET else "IPv6"
    return RouteChange(Route(label, iface, gateway), removed)


def _gateway(family: int, raw: bytes) -> str:
    size = 4 if family == socket.AF_INET else 16
    if len(raw) != size or not any(raw):
        return ""
    return socket.inet_ntop(family, raw)


def _interface_name(index: int) -> str:
    try:
        return socket.if_indextoname(index)
    except OSError:  # already gone (a deletion), or never there
        return f"interface #{index}"


class Listener:
    """The rtnetlink socket, read on a thread of its own. `on_change` gets each
    change; `on_failure(subject, reason)` gets a lost socket or lost messages
    (the kernel drops them when the socket's buffer is full: ENOBUFS)."""

    def __init__(
        self,
        on_change: Callable[[Change], None],
        on_failure: Callable[[str, str], None],
    ) -> None:
        self._on_change = on_change
        self._on_failure = on_failure
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> bool:
        """Open and bind the socket (an OSError becomes a failure) and start reading."""
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            sock.bind((0, GROUPS))
        except (OSError, AttributeError) as exc:  # AttributeError: no AF_NETLINK here
            self._on_failure("netlink", f"link and route events are not available: {exc}")
            return False
        self._sock = sock
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="guard-netlink", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _run(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stopping.is_set():
            try:
                ready, _, _ = select.select([sock], [], [], 0.1)
                if not ready:
                    continue
                data = sock.recv(1 << 16)
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    self._on_failure("netlink", "link or route events were lost (ENOBUFS)")
                    continue
                if not self._stopping.is_set():
                    self._on_failure("netlink", f"the socket failed: {exc}")
                return
            try:
                for change in parse(data):
                    self._on_change(change)
            except Exception as exc:  # the thread must survive a bad handler
                self._on_failure("netlink", f"an event could not be handled: {exc!r}")
