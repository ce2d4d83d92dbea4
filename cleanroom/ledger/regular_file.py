"""Open a file that may be hostile for reading, without ever blocking on it.

Evidence and its sidecars are opened `O_NONBLOCK | O_NOFOLLOW` and checked with
`fstat`: a FIFO or device put in a file's place is refused instead of waited
on, and a symbolic link is never followed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC


def open_regular(path: Path | str) -> tuple[int, os.stat_result] | None:
    """(a read-only descriptor, its stat) for `path`, or None if it is not a regular
    file. Raises OSError when it cannot be opened at all (missing, a link, no
    permission); the caller closes the descriptor."""
    fd = os.open(path, FLAGS)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return fd, st
