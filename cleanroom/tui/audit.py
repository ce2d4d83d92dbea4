"""A `sys.addaudithook` policy: no network, no processes, no native calls, no
debugger or prompt, no writes but the ledger's.

Defence in depth under the app's own lockdown: even if something in the UI
stack tried to open a socket, start a program, open a browser, call into a C
library through `ctypes`, start a debugger or write a file, the interpreter
refuses. A hook cannot be removed once added, so it is installed only by
`launch` in the process that runs the reviewer UI. ADR 0201 lists what an
audit hook cannot see (native code calling the C library directly, such as
cffi's `dlopen` or `_posixsubprocess`), and why isolation comes first.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Sequence
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
        # A debugger, a trace function or an interactive prompt in the reviewer process.
        "builtins.breakpoint",
        "pdb.Pdb",
        "sys.settrace",
        "sys.setprofile",
        "cpython.run_startup",
        "cpython.run_interactivehook",
        # A second interpreter in the process, outside this policy's sight of modules.
        "cpython.PyInterpreterState_New",
    }
)
# Loading native code and reaching into memory through ctypes (CPython 3.11's
# ctypes events; any other `ctypes.*` event is refused too, but `ctypes.get_errno`,
# which watchdog's inotify reads after a failed call). CPython raises no event for
# a call through a function pointer resolved before the policy went in (watchdog
# resolves its three inotify calls at import, before it), nor for cffi's dlopen.
NATIVE = frozenset(
    {
        "ctypes.dlopen",
        "ctypes.dlsym",
        "ctypes.dlsym/handle",
        "ctypes.call_function",
        "ctypes.cdata",
        "ctypes.cdata/buffer",
        "ctypes.addressof",
        "ctypes.string_at",
        "ctypes.wstring_at",
        "ctypes.PyObj_FromPtr",
        "ctypes.create_string_buffer",
        "ctypes.create_unicode_buffer",
        "ctypes.set_errno",
        "ctypes.set_exception",
    }
)
NATIVE_PREFIX = "ctypes."
# Modules that exist to call native code or run a prompt: not imported once the
# policy is in (those already imported, such as PyNaCl's cffi backend, stay).
DENIED_IMPORTS = frozenset({"ctypes", "_ctypes", "pdb", "code", "codeop", "readline"})
TIOCSTI = 0x5412  # ioctl: push bytes into the terminal's input, as if typed
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


def make_policy(
    writable: list[Path], sockets: Sequence[Path] = ()
) -> Callable[[str, tuple[Any, ...]], None]:
    """The hook: raises PolicyViolation for anything outside the policy. `sockets`
    names the Unix socket paths the app itself connects to or binds (none by
    default); any other AF_UNIX address, abstract ones included, is refused."""
    roots = tuple(os.path.realpath(p) for p in writable)
    named = frozenset(_unix_address(os.fspath(p)) for p in sockets)

    def policy(event: str, args: tuple[Any, ...]) -> None:
        if event == "cpython.run_interactivehook":
            # A prompt is about to open after the program ended (PYTHONINSPECT or -i,
            # which isolation already prevents): end the process instead. SystemExit
            # is the one exception CPython lets stop its prompt here.
            raise SystemExit(PROMPT_REFUSED)
        if _denied(event, args, named):
            raise PolicyViolation(f"blocked by the clean-room policy: {event}")
        target = _write_target(event, args)
        if target is not None and not _within(target, roots):
            raise PolicyViolation(f"blocked by the clean-room policy: {event} {target!r}")

    return policy


# The guard binds a netlink socket to hear link and route changes (it never sends
# on it). asyncio's self-pipe is an AF_UNIX socketpair, which raises no connect or
# bind event. Any other AF_UNIX connect or bind must name a socket the app asked for.
_UNIX_OK = ("socket.connect", "socket.bind")
_NATIVE_OK = frozenset({"ctypes.get_errno"})  # reads a thread's saved errno, nothing more


def _denied(event: str, args: tuple[Any, ...], sockets: frozenset[str] = frozenset()) -> bool:
    if event in DENIED:
        if event == "socket.bind" and _netlink(args):
            return False
        return not (event in _UNIX_OK and _named_unix(args, sockets))
    if event.startswith(NATIVE_PREFIX):
        return event not in _NATIVE_OK
    if event == "import":
        return bool(args) and str(args[0]).split(".")[0] in DENIED_IMPORTS
    if event == "os.putenv":  # PYTHONINSPECT set at run time is read at exit
        return bool(args) and os.fsdecode(args[0]).upper().startswith("PYTHON")
    return event == "fcntl.ioctl" and len(args) >= 2 and args[1] == TIOCSTI


# Events that change a file or its metadata at their first argument's path.
_PATH_EVENTS = (
    "os.remove", "os.rename", "os.rmdir", "os.truncate", "os.chmod", "os.mkdir",
    "os.chown", "os.utime", "os.chflags", "os.setxattr", "os.removexattr",
)  # fmt: skip
# Events that make a new name at their second argument's path: a hard link or a
# symlink outside the ledgers is a way out through the file system (atk14).
_NEW_NAME_EVENTS = ("os.link", "os.symlink")


def _write_target(event: str, args: tuple[Any, ...]) -> Any:
    """The path an event would write to, or None when it writes nothing."""
    if event == "open" and len(args) >= 3 and _is_write(args[1], args[2]):
        return args[0]
    if event in _PATH_EVENTS and args:
        return args[0]
    if event in _NEW_NAME_EVENTS and len(args) >= 2:
        return args[1]
    if event == "sqlite3.connect" and args and args[0] not in (":memory:", ""):
        return None if _readonly_uri(args[0]) else args[0]
    return None


def _unix_address(address: str | bytes) -> str:
    """A filesystem socket address as an absolute real path; an abstract address
    (a leading NUL) as it is, so it never equals a named path."""
    text = os.fsdecode(address)
    return text if text.startswith("\0") else os.path.realpath(text)


def _named_unix(args: tuple[Any, ...], sockets: frozenset[str]) -> bool:
    """An AF_UNIX connect or bind to one of the `sockets` the app named."""
    sock = args[0] if args else None
    if not (isinstance(sock, socket.socket) and sock.family == socket.AF_UNIX):
        return False
    address = args[1] if len(args) > 1 else None
    if not isinstance(address, str | bytes) or not address:
        return False  # an autobind (empty address) or an unexpected shape
    try:
        return _unix_address(address) in sockets
    except (TypeError, ValueError):
        return False


def _netlink(args: tuple[Any, ...]) -> bool:
    sock = args[0] if args else None
    family = getattr(socket, "AF_NETLINK", None)
    return family is not None and isinstance(sock, socket.socket) and sock.family == family


def _readonly_uri(target: Any) -> bool:
    text = os.fsdecode(target) if isinstance(target, str | bytes) else ""
    return text.startswith("file:") and ("mode=ro" in text or "immutable=1" in text)


def no_prompt() -> None:
    """`sys.__interactivehook__`: CPython calls it just before it would open an
    interactive prompt after the program ended (-i, or PYTHONINSPECT in a Python
    that honours the environment). A SystemExit here ends the process instead."""
    raise SystemExit(PROMPT_REFUSED)


PROMPT_REFUSED = "blocked by the clean-room policy: an interactive prompt"


def install(writable: list[Path], sockets: Sequence[Path] = ()) -> None:
    """Install the policy in this process, for good, and refuse a prompt at exit.
    `sockets`: the Unix socket paths the app may connect to or bind (default none)."""
    sys.__interactivehook__ = no_prompt  # type: ignore[attr-defined]
    sys.addaudithook(make_policy(writable, sockets))
