"""What a snapshot records about each distinct content: hash, binary flag, lines.

A *line* ends at a line feed (0x0A) or at the end of the content; the line feed
is not part of the line, and a final line feed does not start another line.
Carriage returns are ordinary bytes. So b"" has 0 lines, b"a" and b"a\\n" have
1, b"a\\nb" and b"\\n\\n" have 2. The line index is the start offset of every
line, packed as little-endian u32 (docs/snapshot-format.md §3).

`BlobFacts` is computed the same way when a snapshot is created (from whole
files) and when it is verified (from streamed chunks): `FactsBuilder` is the one
implementation.
"""

from __future__ import annotations

import hashlib
import re
import sys
from array import array
from dataclasses import dataclass

SNIFF = 8192  # content with a NUL byte in its first SNIFF bytes is binary
MAX_SIZE = 2**32 - 1  # line offsets are u32
_NEWLINE = re.compile(b"\n")

assert array("I").itemsize == 4


@dataclass(frozen=True, slots=True)
class BlobFacts:
    hash: bytes  # SHA-256 of the content
    size: int
    binary: bool
    lines: int
    line_index: bytes  # `lines` little-endian u32 start offsets


class FactsBuilder:
    """Feed content in order with `update`, then `finish` once."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""
        self._starts = array("I")

    def update(self, chunk: bytes) -> FactsBuilder:
        if self._size + len(chunk) > MAX_SIZE:
            raise ValueError(f"content larger than {MAX_SIZE} bytes")
        self._hash.update(chunk)
        if len(self._head) < SNIFF:
            self._head += chunk[: SNIFF - len(self._head)]
        base = self._size + 1  # a line starts just after each line feed
        self._starts.extend(base + m.start() for m in _NEWLINE.finditer(chunk))
        self._size += len(chunk)
        return self

    def finish(self) -> BlobFacts:
        starts = self._starts
        if starts and starts[-1] == self._size:  # a final line feed ends, not starts, a line
            starts.pop()
        if self._size:
            starts.insert(0, 0)
        if sys.byteorder == "big":
            starts.byteswap()
        return BlobFacts(
            hash=self._hash.digest(),
            size=self._size,
            binary=b"\x00" in self._head,
            lines=len(starts),
            line_index=starts.tobytes(),
        )


def facts(data: bytes) -> BlobFacts:
    return FactsBuilder().update(data).finish()


def unpack_line_index(packed: bytes) -> array[int]:
    """The line start offsets as an array of ints. Raises ValueError if malformed."""
    if len(packed) % 4:
        raise ValueError("line index length is not a multiple of 4")
    starts = array("I")
    starts.frombytes(packed)
    if sys.byteorder == "big":
        starts.byteswap()
    return starts
