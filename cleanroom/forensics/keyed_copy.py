"""The private copy a ledger is verified from when its verdict is to be cached.

A cached verdict must be the verdict on exactly the bytes its key names. Taking
the key from the ledger's path and then verifying the ledger by path again
cannot promise that: between the two, anyone who can write the evidence (or a
directory above it) can rename another file into place and back, and every
stamp of the path can come back as it was (outside attack atk14, ADR 0314). So
the ledger and its sidecars are first copied, through one descriptor each, into
a private directory of ours (0700, `ledger.private_dir`); the key is taken from
the copy and the copy is verified. Nothing outside the private directory is read
after the copy, so the key and the verdict are of the same bytes, whatever the
evidence directory does meanwhile.

The copy reproduces what the loader would see beside the ledger: a regular
`-wal` (copied with the file as one consistent pair, `copy_pair`) and a regular
`-journal` (never applied: the loader only describes it from its size and its
last bytes, so only those are copied, at their offsets: atk14b F2). A ledger that
cannot be reproduced that way (not a regular file, a sidecar that is a link,
FIFO or device, a `-wal` that never held still while copied) gets None: it is
verified by path as without a cache, and its verdict is not stored.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..ledger.journal import READS_AT_END
from ..ledger.load import SIDECARS
from ..ledger.private_copy import copy_pair, copy_regular, copy_tail

COPY_NAME = "ledger"


def copy_ledger(path: Path, into: Path) -> Path | None:
    """Copy the ledger at `path` (its real file: sidecars lie beside that) and its
    regular sidecars into the private directory `into`; return the copy, or None
    when the ledger cannot be reproduced there (see the module). Raises OSError
    when a file cannot be read or written (gone, unreadable, no space)."""
    real = os.path.realpath(path)
    if not stat.S_ISREG(os.stat(real).st_mode):
        return None
    kinds = {suffix: _kind(real + suffix) for suffix in SIDECARS}
    if "special" in kinds.values():
        return None
    copy = into / COPY_NAME
    if kinds["-wal"] == "file":
        _, seen = copy_pair(Path(real), Path(real + "-wal"), copy)
        if seen is None:  # a session writing throughout: no one state to pin
            return None
    else:
        copy_regular(Path(real), copy)  # OSError: no longer a regular file
    if kinds["-journal"] == "file":
        copy_tail(Path(real + "-journal"), Path(f"{copy}-journal"), READS_AT_END)
    return copy


def _kind(name: str) -> str:
    """absent, file (a regular file) or special (anything else, a link included)."""
    try:
        mode = os.lstat(name).st_mode
    except FileNotFoundError:
        return "absent"
    return "file" if stat.S_ISREG(mode) else "special"
