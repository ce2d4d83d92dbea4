"""A `sys.addaudithook` policy: no network, no processes, no writes but the ledger's.

Defence in depth under the app's own lockdown: even if something in the UI
stack tried to open a socket, start a program, open a browser or write a file,
the interpreter refuses. A hook cannot be removed once added, so it is installed
only by `launch` in the process that runs the reviewer UI.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Events that start programs, open the network or a browser: always refused.
DENIED = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "pty.spawn",
        "webbrowser.open",
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.make_archive",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class PolicyViolation(PermissionError):
    """The audit policy refused an operation."""


def _is_write(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and flags & _WRITE_FLAGS != 0


def _within(path: Any, roots: tuple[str, ...]) -> bool:
    if isinstance(path, int):  # an fd we already hold
        return True
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return any(real == r or real.startswith(r + os.sep) for r in roots)


def make_policy(writable: list[Path]) -> Callable[[str, tuple[Any, ...]], None]:
    """The hook: raises PolicyViolation for anything outside the policy."""
    roots = tuple(os.path.realpath(p) for p in writable)

    def policy(event: str, args: tuple[Any, ...]) -> None:
        if event in DENIED and not (event in _UNIX_OK and _local_unix(args)):
            raise PolicyViolation(f"blocked by the clean-room policy: {event}")
        target = _write_target(event, args)
        if target is not None and not _within(target, roots):
            raise PolicyViolation(f"blocked by the clean-room policy: {event} {target!r}")

    return policy


_UNIX_OK = ("socket.connect", "socket.bind")  # asyncio's self-pipe is an AF_UNIX socketpair
_PATH_EVENTS = ("os.remove", "os.rename", "os.rmdir", "os.truncate", "os.chmod", "os.mkdir")


def _write_target(event: str, args: tuple[Any, ...]) -> Any:
    """The path an event would write to, or None when it writes nothing."""
    if event == "open" and len(args) >= 3 and _is_write(args[1], args[2]):
        return args[0]
    if event in _PATH_EVENTS and args:
        return args[0]
    if event == "sqlite3.connect" and args and args[0] not in (":memory:", ""):
        return None if _readonly_uri(args[0]) else args[0]
    return None


def _local_unix(args: tuple[Any, ...]) -> bool:
    sock = args[0] if args else None
    return isinstance(sock, socket.socket) and sock.family == socket.AF_UNIX


def _readonly_uri(target: Any) -> bool:
    text = os.fsdecode(target) if isinstance(target, str | bytes) else ""
    return text.startswith("file:") and ("mode=ro" in text or "immutable=1" in text)


def install(writable: list[Path]) -> None:
    sys.addaudithook(make_policy(writable))
