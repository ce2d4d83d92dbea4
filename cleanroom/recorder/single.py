"""One recorder per ledger directory: an exclusive `flock` on `recorder.lock` in
that directory, held for the life of the process (the kernel drops it when the
process ends, however it ends). A second recorder on the same directory would
otherwise take over the socket and resume the first one's live ledger."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_NAME = "recorder.lock"


class AlreadyRunning(Exception):
    """Another process holds the lock."""


def hold(ledger_dir: Path) -> IO[bytes]:
    """The open, locked lock file (keep it open). Raises AlreadyRunning, or OSError."""
    path = ledger_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    handle = os.fdopen(fd, "r+b", buffering=0)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise AlreadyRunning(
            f"another recorder already serves the ledger directory {ledger_dir} "
            f"(it holds {path}); stop it first"
        ) from None
    except BaseException:
        handle.close()
        raise
    return handle
