"""Search hits, and the digest that names a complete, ordered list of them.

docs/snapshot-format.md, "Search results and their digest", is the
specification of both; keep them in step. The digest covers what a search
found (path, line, spans), not the text shown, so the display window can change
without changing any recorded digest.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any, NamedTuple

from cleanroom.ledger.encoding import canonical_json

from .linematch import MAX_SPANS

FORMAT = "cleanroom.search.v1"
DOMAIN = b"cleanroom:search:v1\x00"
MAX_TEXT = 1000  # bytes of a line carried in a hit
CONTEXT = 200  # bytes kept before the first match when a long line is cut

_U32 = struct.Struct(">I")
_ONE = struct.Struct(">IIII")  # line, 1, start, end
_PLAIN = struct.Struct(">IIIIx")  # line, 1, start, end, and more = 0


class Hit(NamedTuple):
    """One matching line of one file. Offsets are bytes, 0-based; `line` is 0-based as
    in the snapshot's line model. `spans` are (start, end) offsets of the matches
    within the whole line, at most MAX_SPANS (`more_spans` if the line has more).
    `text` is the line's raw bytes, or for a line longer than MAX_TEXT a window of
    it starting at offset `text_start`, cut at UTF-8 character boundaries. The text
    is untrusted: sanitize before display."""

    path: bytes
    display: str
    line: int
    spans: tuple[tuple[int, int], ...]
    more_spans: bool
    text: bytes
    text_start: int
    line_size: int

    @property
    def truncated(self) -> bool:
        return len(self.text) < self.line_size

    def text_spans(self) -> list[tuple[int, int]]:
        """The spans relative to `text`, clipped to it (those outside are left out)."""
        a, b = self.text_start, self.text_start + len(self.text)
        return [
            (max(s, a) - a, min(e, b) - a)
            for s, e in self.spans
            if (s < b and e > a) or (s == e and a <= s <= b)
        ]


def window(data: bytes, start: int, end: int, first: int) -> tuple[bytes, int]:
    """The text carried for the line data[start:end] whose first match starts at
    offset `first`, and the text's offset within the line."""
    size = end - start
    if size <= MAX_TEXT:
        return data[start:end], 0
    a = max(0, min(first - CONTEXT, size - MAX_TEXT))
    while a > 0 and 0x80 <= data[start + a] < 0xC0:
        a -= 1
    b = min(size, a + MAX_TEXT)
    while b < size and b > a and 0x80 <= data[start + b] < 0xC0:
        b -= 1
    return data[start + a : start + b], a


def header(query: dict[str, Any]) -> bytes:
    return canonical_json({"format": FORMAT, "query": query, "limits": {"spans": MAX_SPANS}})


def record(hit: Hit) -> bytes:
    """One hit's bytes in the digest: "H" ‖ lp(path) ‖ u32(line) ‖ u32(n) ‖
    n × (u32(start) ‖ u32(end)) ‖ u8(more_spans)."""
    return _path_part(hit.path) + _rest(hit)


def _path_part(path: bytes) -> bytes:
    return b"H" + _U32.pack(len(path)) + path


def _rest(hit: Hit | tuple) -> bytes:
    """The record after the path, from a Hit or from (path, _, line, spans, more)."""
    line, spans = hit[2], hit[3]
    more = b"\x01" if hit[4] else b"\x00"
    if len(spans) == 1:
        return _ONE.pack(line, 1, *spans[0]) + more
    flat = [x for span in spans for x in span]
    return struct.pack(f">II{len(flat)}I", line, len(spans), *flat) + more


class ResultDigest:
    """SHA-256 over DOMAIN ‖ lp(header) ‖ record(hit)… ‖ "E" ‖ u64(count)."""

    def __init__(self, query: dict[str, Any]) -> None:
        head = header(query)
        self._hash = hashlib.sha256(DOMAIN + _U32.pack(len(head)) + head)
        self._path = b""
        self._prefix = b""
        self.count = 0

    def add(self, hit: Hit) -> None:
        path, _, line, spans, more, *_ = hit
        if path is not self._path:  # hits of one file come together
            self._path, self._prefix = path, _path_part(path)
        if len(spans) == 1 and not more:  # the usual case, inline
            self._hash.update(self._prefix + _ONE.pack(line, 1, *spans[0]) + b"\x00")
        else:
            self._hash.update(self._prefix + _rest(hit))
        self.count += 1

    def add_all(self, hits: list[Hit] | list[tuple]) -> None:
        """`add` for each of `hits`, in order, hashed in one update. A hit may also be
        just what the digest reads of it: (path, anything, line, spans, more)."""
        path, prefix, parts = self._path, self._prefix, []
        append, plain = parts.append, _PLAIN.pack
        for hit in hits:
            if hit[0] is not path:  # hits of one file come together
                path = hit[0]
                prefix = _path_part(path)
            spans = hit[3]
            if len(spans) == 1 and not hit[4]:  # the usual case, inline
                append(prefix)
                append(plain(hit[2], 1, *spans[0]))
            else:
                append(prefix)
                append(_rest(hit))
        self._path, self._prefix = path, prefix
        self._hash.update(b"".join(parts))
        self.count += len(hits)

    def add_records(self, data: bytes, count: int) -> None:
        """`count` hits given as their records, joined in order (hits found elsewhere,
        by a worker process: scanworkers)."""
        self._hash.update(data)
        self._path, self._prefix = b"", b""
        self.count += count

    def finish(self) -> str:
        """The hex digest (call once, after the last hit)."""
        self._hash.update(b"E" + struct.pack(">Q", self.count))
        return self._hash.hexdigest()
