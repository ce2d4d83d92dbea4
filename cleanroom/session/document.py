"""What the code view shows: a sequence of raw lines, read on demand.

A document never decodes or sanitizes; the viewer does that per visible line.
`BytesDocument` serves in-memory content; snapshot blobs are served through the
snapshot store's line index, and binary blobs as a `HexDocument`.
"""

from __future__ import annotations

from typing import Protocol

HEX_WIDTH = 16


class Document(Protocol):
    name: str  # the display path, used to choose a lexer
    blob: str  # hex SHA-256 of the content: what the ledger names
    raw_path: bytes
    line_count: int
    max_line_bytes: int
    binary: bool

    def lines(self, first: int, stop: int) -> list[bytes]:
        """Lines first..stop-1 (0-based), without their line endings."""
        ...


class BytesDocument:
    def __init__(self, data: bytes, raw_path: bytes = b"", blob: str = "") -> None:
        self.raw_path = raw_path
        self.name = raw_path.decode("utf-8", "replace")
        self.blob = blob
        self.binary = b"\x00" in data[:8192]
        self._lines = data.split(b"\n")
        if len(self._lines) > 1 and self._lines[-1] == b"":
            self._lines.pop()
        self.line_count = len(self._lines)
        self.max_line_bytes = max((len(x) for x in self._lines), default=0)

    def lines(self, first: int, stop: int) -> list[bytes]:
        return [x.removesuffix(b"\r") for x in self._lines[first:stop]]


class HexDocument:
    """A binary document as rows of 16 bytes: offset, hex and a safe ASCII column."""

    def __init__(self, read: object, size: int, raw_path: bytes, blob: str) -> None:
        self._read = read  # callable(offset, length) -> bytes
        self.size = size
        self.raw_path = raw_path
        self.name = "hex"
        self.blob = blob
        self.binary = True
        self.line_count = max(1, -(-size // HEX_WIDTH))
        self.max_line_bytes = 10 + 3 * HEX_WIDTH + 2 + HEX_WIDTH

    def lines(self, first: int, stop: int) -> list[bytes]:
        data = self._read(first * HEX_WIDTH, (stop - first) * HEX_WIDTH)  # type: ignore[operator]
        out = []
        for row in range(stop - first):
            chunk = data[row * HEX_WIDTH : (row + 1) * HEX_WIDTH]
            if not chunk and row:
                break
            hexpart = " ".join(f"{b:02x}" for b in chunk).ljust(3 * HEX_WIDTH - 1)
            text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
            out.append(f"{(first + row) * HEX_WIDTH:08x}  {hexpart}  {text}".encode("ascii"))
        return out
