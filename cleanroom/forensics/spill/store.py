"""One unlinked file that holds the spilled records of every ledger of a reading.

Records are written in chunks: a header (`CHUNK`: bytes, records, rows that gave
no record) and the chunk's `marshal` bytes. The file is a `tempfile.TemporaryFile` (mode 0600,
unnamed or unlinked at once): nothing is left behind when the process ends,
however it ends, and no other user can open it. Only this process writes it, so
only its own records are read back.
"""

from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass

CHUNK = struct.Struct("<QII")  # bytes of the records, records, rows without one


@dataclass(frozen=True, slots=True)
class Chunk:
    offset: int  # of its marshal bytes in the store
    size: int
    count: int  # records


class Store:
    """Append-only chunks in an unlinked file; `read` is positional (no seek state)."""

    def __init__(self) -> None:
        self._fd = tempfile.TemporaryFile(prefix="cleanroom-spill-")  # noqa: SIM115
        self._end = 0

    def add(self, data: bytes) -> int:
        """Append `data`; its offset."""
        at = self._end
        view = memoryview(data)
        while view:
            view = view[os.pwrite(self._fd.fileno(), view, self._end) :]
            self._end = at + len(data) - len(view)
        return at

    def read(self, chunk: Chunk) -> bytes:
        data = os.pread(self._fd.fileno(), chunk.size, chunk.offset)
        if len(data) != chunk.size:  # our own file, shortened under us: say so, never guess
            raise OSError(f"spill file: read {len(data)} of {chunk.size} bytes")
        return data

    def close(self) -> None:
        self._fd.close()
