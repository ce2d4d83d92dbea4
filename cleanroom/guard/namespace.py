"""Is this process in the host's network namespace? The air-gap check asks the host.

Started under `unshare -n` (or `ip netns exec`, or in a container) on a
networked machine, a process sees only a loopback interface: the interface
and route check passes while the machine's network is up. So the air-gap
check first compares this process's network namespace with the host's:

1. PID 1's (`/proc/1/ns/net`), when it can be read: a different one is a mismatch.
2. Otherwise (reading another user's namespace link needs privilege, so a
   reviewer usually cannot read PID 1's), every ancestor's that can be read:
   one in a different namespace means Cleanroom was started inside a new one.
3. Always, the interface names of `/sys/class/net` (the namespace sysfs was
   mounted in, normally the host's) against `/proc/net/dev` (this process's):
   two different lists mean two namespaces.

`mismatch` returns why this is not the host's namespace, or "" when nothing
says so. It cannot prove the opposite: a process whose ancestors all run in
the same namespace, with sysfs mounted there too (a container), and PID 1
unreadable, passes (docs/guard.md, Limits).
"""

from __future__ import annotations

import os
from pathlib import Path


def mismatch(
    proc: Path = Path("/proc"), sys_net: Path = Path("/sys/class/net"), pid: int | None = None
) -> str:
    """Why this process (`pid`, default this one) is not in the host's network
    namespace, or "" when no check says so. Never raises for unreadable files."""
    me = str(pid or os.getpid())
    own = _namespace(proc, me)
    if own is None:
        return ""  # no /proc, or no namespaces: nothing to compare
    host = _namespace(proc, "1")
    if host is not None and host != own:
        return f"this process's network namespace ({own}) is not the host's (PID 1: {host})"
    if host is None:
        for ancestor in _ancestors(proc, me):
            theirs = _namespace(proc, ancestor)
            if theirs is not None and theirs != own:
                return (
                    f"this process's network namespace ({own}) is not that of its ancestor "
                    f"{_comm(proc, ancestor)} (PID {ancestor}: {theirs})"
                )
    for _ in range(2):  # once more on a difference: an interface may have come or gone
        seen_by_sysfs = _listing(sys_net)
        seen_here = _proc_interfaces(proc / me / "net" / "dev")
        if seen_by_sysfs is None or seen_here is None or seen_by_sysfs == seen_here:
            return ""
    if seen_by_sysfs is not None and seen_here is not None:
        return (
            "the kernel's interfaces (/sys/class/net: "
            + ", ".join(sorted(seen_by_sysfs))
            + ") are not this network namespace's ("
            + ", ".join(sorted(seen_here))
            + ")"
        )
    return ""


def _namespace(proc: Path, pid: str) -> str | None:
    try:
        return os.readlink(proc / pid / "ns" / "net")
    except OSError:  # EACCES for another user's process, ENOENT when gone
        return None


def _ancestors(proc: Path, pid: str, limit: int = 64) -> list[str]:
    """The parent chain of `pid`, nearest first, up to PID 1 (not included)."""
    out: list[str] = []
    current = pid
    for _ in range(limit):
        parent = _parent(proc, current)
        if parent is None or parent in ("0", "1") or parent in out:
            break
        out.append(parent)
        current = parent
    return out


def _parent(proc: Path, pid: str) -> str | None:
    try:
        stat = (proc / pid / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses
    fields = stat.rpartition(")")[2].split()
    return fields[1] if len(fields) > 1 and fields[1].isdigit() else None


def _comm(proc: Path, pid: str) -> str:
    try:
        name = (proc / pid / "comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "?"
    return name.encode("ascii", "backslashreplace").decode("ascii")[:32] or "?"


def _listing(sys_net: Path) -> set[str] | None:
    try:
        return set(os.listdir(sys_net))
    except OSError:
        return None


def _proc_interfaces(dev: Path) -> set[str] | None:
    try:
        lines = dev.read_text(encoding="ascii", errors="replace").splitlines()[2:]
    except OSError:
        return None
    return {line.split(":", 1)[0].strip() for line in lines if ":" in line}
