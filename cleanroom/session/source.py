"""What a review reads from: a tree of files with content named by hash.

The snapshot store provides this for real reviews (`cleanroom.snapshot`);
`MemorySource` serves tests and small samples from a dict.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..sanitize import Flag, decode, sanitize
from .document import BytesDocument, Document, HexDocument


@dataclass(frozen=True)
class Entry:
    path: bytes  # full path inside the source, "/"-separated, no leading slash
    name: bytes  # the last component
    is_dir: bool
    kind: str = "file"  # file, link, skipped, dir
    size: int = 0


@dataclass(frozen=True)
class Opened:
    """A file ready to show: its document and the facts `file_open` records."""

    path: bytes
    document: Document
    blob: str
    size: int
    lines: int
    flags: dict[str, int] = field(default_factory=dict)
    flagged_lines: Sequence[int] = field(default_factory=list)  # 1-based, ascending


class ContentRefused(Exception):
    """A file whose content is not what the vendor signed: nothing of it may be shown."""

    headline = "is not what the vendor signed"
    action = "tampered_content"

    def __init__(self, path: bytes, display: str, why: str) -> None:
        super().__init__(f"{display}: {why}")
        self.path = path
        self.display = display  # sanitized (the snapshot's display form)
        self.why = why


class TooLarge(ContentRefused):
    """A file larger than MAX_OPEN_BYTES: refused before it is read, so opening it
    cannot exhaust the workstation's memory. Recorded as `blocked` (`too_large`)."""

    headline = "is too large to open"
    action = "too_large"


MAX_OPEN_BYTES = 512 << 20  # a file is held in memory whole while it is shown


def too_large(size: int) -> str:
    return f"{size:,} bytes; the reviewer terminal opens files of at most {MAX_OPEN_BYTES:,} bytes"


class Source(Protocol):
    name: str

    def children(self, path: bytes, limit: int | None = None) -> list[Entry]:
        """The entries directly under directory `path` (b"" is the root), sorted; with
        `limit`, all of them if there are at most `limit`, else `limit` of them (which
        ones is unspecified): a bounded way to ask "is it small?"."""
        ...

    def files(self) -> list[bytes]:
        """Every file path, sorted (for quick open)."""
        ...

    def open(self, path: bytes) -> Opened:
        """Open a file. Raises KeyError if there is no such file, ContentRefused if its
        content is not the signed content."""
        ...

    def refusal(self, path: bytes) -> str | None:
        """Why the content of file `path` must not be shown, or None."""
        ...

    def hit_refusals(self, hits: list[Any]) -> list[str | None]:
        """For each search hit, why its text may not be shown, or None."""
        ...

    def size_of(self, path: bytes) -> int:
        """A file's size in bytes, without reading it. Raises KeyError."""
        ...

    def search(self, query: Any) -> Any:
        """A search handle (`cleanroom.snapshot.search.Search`) for `query`."""
        ...


_SUSPECT_BYTES = re.compile(rb"[^\x09\x20-\x7e]")  # bytes that may need a tag
_SAFE_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n"


def may_flag(data: bytes) -> bool:
    """False when no byte of `data` could need a tag (plain printable ASCII): a fast,
    C-speed test that lets a 100 MB ASCII file skip the per-line scan."""
    return bool(data.translate(None, _SAFE_BYTES))


def scan_flags(lines: list[bytes]) -> tuple[dict[str, int], list[int]]:
    """Sanitizer flag counts by class and the 1-based numbers of flagged lines."""
    counts: dict[str, int] = {}
    flagged = []
    for n, raw in enumerate(lines, 1):
        if not _SUSPECT_BYTES.search(raw):
            continue
        result = sanitize(decode(raw), tab_size=4)
        if result.flagged:
            flagged.append(n)
            for flag, k in result.counts.items():
                counts[Flag(flag).value] = counts.get(Flag(flag).value, 0) + k
    return counts, flagged


SCAN_BYTES = 1 << 20  # bytes per read when looking for anything to tag
SCAN_LINES = 8192  # lines per read when tagging


def scan_blob(
    read: Callable[[int, int], bytes],
    read_lines: Callable[[int, int], list[bytes]],
    size: int,
    lines: int,
) -> tuple[dict[str, int], list[int]]:
    """`scan_flags` over a stored blob, a piece at a time: no single call copies or
    scans the whole of a large file, so a worker thread running this never holds
    the interpreter for long (the UI keeps drawing)."""
    if not any(may_flag(read(offset, SCAN_BYTES)) for offset in range(0, size, SCAN_BYTES)):
        return {}, []
    counts: dict[str, int] = {}
    flagged: list[int] = []
    for first in range(0, lines, SCAN_LINES):
        part, numbers = scan_flags(read_lines(first, min(first + SCAN_LINES, lines)))
        for flag, k in part.items():
            counts[flag] = counts.get(flag, 0) + k
        flagged.extend(n + first for n in numbers)
    return counts, flagged


class MemorySource:
    """An in-memory source tree: {path: content}."""

    def __init__(self, files: dict[bytes, bytes], name: str = "memory") -> None:
        self.name = name
        self._files = dict(sorted(files.items()))

    def children(self, path: bytes, limit: int | None = None) -> list[Entry]:
        prefix = path + b"/" if path else b""
        seen: dict[bytes, Entry] = {}
        for p, data in self._files.items():
            if not p.startswith(prefix):
                continue
            head, sep, _ = p[len(prefix) :].partition(b"/")
            full = prefix + head
            seen.setdefault(head, Entry(full, head, bool(sep), "dir" if sep else "file", len(data)))
            if limit is not None and len(seen) >= limit:
                break
        return sorted(seen.values(), key=lambda e: (not e.is_dir, e.name))

    def files(self) -> list[bytes]:
        return list(self._files)

    def search(self, query: Any) -> Any:
        raise NotImplementedError("search needs a snapshot source")

    def refusal(self, path: bytes) -> str | None:
        return None  # the content is named by its own hash

    def hit_refusals(self, hits: list[Any]) -> list[str | None]:
        return [None] * len(hits)

    def size_of(self, path: bytes) -> int:
        return len(self._files[path])

    def open(self, path: bytes) -> Opened:
        data = self._files[path]
        blob = hashlib.sha256(data).hexdigest()
        text = BytesDocument(data, path, blob)
        if text.binary:
            doc: Document = HexDocument(lambda o, n: data[o : o + n], len(data), path, blob)
            return Opened(path, doc, blob, len(data), doc.line_count)
        flags, flagged = scan_flags(text.lines(0, text.line_count))
        return Opened(path, text, blob, len(data), text.line_count, flags, flagged)
