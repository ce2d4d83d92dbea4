"""A large text file of a chunked snapshot, shown as its chunks are checked (ADR 0109).

`open_chunked` gives the `Opened` for a content with a signed chunk list: the
first and last chunks are checked before anything is recorded or shown (they
prove the binary flag and the line count), and the sanitizer's flags are
counted over every chunk that holds a byte it could tag (a chunk the vendor
signed as plain ASCII has none), so `file_open`'s flags are those of the whole
file, as before. Every other chunk is checked when a view first needs it: a
chunk that is not the signed one raises `ContentRefused` from `lines`, before
the view is recorded, and the file stays refused.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

from ..sanitize import decode
from ..snapshot.blobs import SNIFF
from ..snapshot.chunked import ChunkChanged, ChunkedContent
from ..snapshot.store import BlobInfo, FileInfo
from .flag_scan import scan_text
from .source import ContentRefused, Opened

SCAN_LINES = 8192  # lines decoded and scanned at a time


class ChunkedDocument:
    """A text document served from checked chunks (`Document`)."""

    def __init__(
        self, info: FileInfo, content: ChunkedContent, on_refused: Callable[[str], None]
    ) -> None:
        assert info.blob is not None
        self.content = content
        self._on_refused = on_refused  # the source remembers: it stays refused
        self.raw_path = info.path
        self.name = info.display
        self.blob = info.blob.hex()
        self.binary = False
        self.line_count = content.lines
        self.max_line_bytes = content.widest

    def lines(self, first: int, stop: int) -> list[bytes]:
        """Lines [first, stop) from checked chunks. Raises ContentRefused if a chunk
        they need is not the signed one."""
        try:
            return self.content.line_bytes(first, stop)
        except ChunkChanged as exc:
            self._on_refused(str(exc))
            raise ContentRefused(self.raw_path, self.name, str(exc)) from None

    def check(self, first: int, stop: int) -> None:
        """Check every chunk lines [first, stop) need (before a view of them is
        recorded). Raises ContentRefused."""
        self.lines(first, stop)


def open_chunked(
    info: FileInfo, blob: BlobInfo, content: ChunkedContent, on_refused: Callable[[str], None]
) -> Opened | None:
    """The file opened from its chunks, or None if its first chunk says it is
    binary (the caller checks it whole). Raises ContentRefused."""
    assert info.blob is not None
    document = ChunkedDocument(info, content, on_refused)
    try:
        head = content.read(0, SNIFF)
        why = content.prove()
    except ChunkChanged as exc:
        raise ContentRefused(info.path, info.display, str(exc)) from None
    binary = b"\x00" in head
    if why is None and binary != blob.binary:
        why = "the binary flag of its content does not match the content"
    if why is None and blob.lines != content.lines:
        why = "the line count stored for its content is not the signed one"
    if why is not None:
        raise ContentRefused(info.path, info.display, why)
    if binary:
        return None
    flags, flagged = _flags(document)
    return Opened(info.path, document, info.blob.hex(), info.size, content.lines, flags, flagged)


def _flags(document: ChunkedDocument) -> tuple[dict[str, int], array[int]]:
    """Sanitizer tag counts and 1-based flagged lines, over the lines that hold a
    byte of a chunk not signed as plain (each line once). Raises ContentRefused."""
    content = document.content
    ranges: list[list[int]] = []
    for i, plain in enumerate(content.plain):
        if plain:
            continue
        first, stop = content.lines_of_chunk(i)
        if ranges and first <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], stop)
        else:
            ranges.append([first, stop])
    counts: dict[str, int] = {}
    flagged = array("I")
    for first, stop in ranges:
        for at in range(first, stop, SCAN_LINES):
            lines = document.lines(at, min(at + SCAN_LINES, stop))
            part, rows = scan_text(decode(b"\n".join(lines)))
            for flag, k in part.items():
                counts[flag.value] = counts.get(flag.value, 0) + k
            flagged.extend(at + 1 + r for r in rows)
    return counts, flagged
