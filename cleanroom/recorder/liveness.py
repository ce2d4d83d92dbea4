"""Whether the recorder's process is running: what the terminal looks at while
it waits for an answer (ADR 0217). A stopped recorder (SIGSTOP, a debugger)
holds its socket open and answers nothing, so only the bound would notice it:
30 s for a request whose work grows with the snapshot. The kernel names the
peer's process (`SO_PEERCRED`); its state is in /proc/PID/stat, readable by
any account unless /proc is mounted `hidepid`, where this says UNKNOWN and the
bound alone applies. The process's start time guards against a reused pid."""

from __future__ import annotations

import socket
from pathlib import Path

from .peer import peer_of

RUNNING, STOPPED, GONE, UNKNOWN = "running", "stopped", "gone", "unknown"


def _stat(pid: int) -> tuple[bytes, bytes] | None:
    """(state, start time) of `pid`, or None when it has no /proc entry."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(b")") + 2 :].split()  # the name may hold spaces and ')'
    return fields[0], fields[19]  # field 3 (state) and field 22 (starttime)


class PeerProcess:
    """The process at the other end of a Unix socket, as it was when connected."""

    def __init__(self, pid: int | None, started: bytes | None) -> None:
        self.pid, self.started = pid, started

    @classmethod
    def of(cls, sock: socket.socket) -> PeerProcess:
        try:
            pid = peer_of(sock).pid
            seen = _stat(pid) if pid > 0 else None
        except (OSError, ValueError, IndexError):
            seen = None
        if seen is None:  # another PID namespace, hidepid, or not a Unix socket
            return cls(None, None)
        return cls(pid, seen[1])

    def state(self) -> str:
        if self.pid is None:
            return UNKNOWN
        try:
            seen = _stat(self.pid)
        except (OSError, ValueError, IndexError):
            return UNKNOWN
        if seen is None or seen[1] != self.started:
            return GONE  # exited (and perhaps its pid reused)
        if seen[0] in (b"T", b"t"):
            return STOPPED
        if seen[0] in (b"Z", b"X", b"x"):
            return GONE
        return RUNNING
