"""Torn-write detection from the length of a `-wal` file (spec §5.1, step 7)."""

from __future__ import annotations

import struct
from pathlib import Path


def wal_is_torn(wal: Path) -> bool:
    """True when the WAL's length is not its header plus whole frames."""
    try:
        size = wal.stat().st_size
        if size == 0:
            return False
        with open(wal, "rb") as f:
            header = f.read(32)
    except OSError:
        return False
    if len(header) < 32:
        return True
    page_size = struct.unpack(">I", header[8:12])[0]
    if page_size == 1:
        page_size = 65536
    frame = 24 + page_size
    return page_size < 512 or (size - 32) % frame != 0
