"""Find in the open file (issue 15): which lines of one document hold a literal
query, and where on screen each match is. Pure (no UI, no ledger): the caller
records the `find` entry before anything of this is shown.

Matching is on the raw bytes of each line, literal; without `case`, ASCII
letters match either case (vim's `ignorecase`; other scripts match exactly). The
answer holds positions only (line numbers and display cells), never text: the
lines themselves are shown as any other, through recorded views.
"""

from __future__ import annotations

from dataclasses import dataclass

from .document import Document
from .span_cells import span_cells

MAX_FIND_LINES = 10_000  # matching lines whose positions are kept (the count goes on)
MAX_LINE_SPANS = 64  # matches marked on one line
MAX_QUERY_BYTES = 256
BATCH = 4096  # lines read from the document at a time


@dataclass(frozen=True)
class FileHits:
    """The lines (1-based, ascending) of a file holding the query, at most
    MAX_FIND_LINES of them, each with its matches as display cells (start, end);
    `total` counts every matching line."""

    query: str
    case: bool
    lines: list[int]
    cells: list[list[tuple[int, int]]]
    total: int


def spans_in(line: bytes, needle: bytes) -> list[tuple[int, int]]:
    """Byte spans of the non-overlapping occurrences of `needle` in `line`."""
    out: list[tuple[int, int]] = []
    at = line.find(needle)
    while at >= 0 and len(out) < MAX_LINE_SPANS:
        out.append((at, at + len(needle)))
        at = line.find(needle, at + len(needle))
    return out


def find_in(document: Document, query: str, case: bool) -> FileHits:
    """Every line of `document` holding `query`. Raises ValueError for an empty
    query or one over MAX_QUERY_BYTES."""
    needle = query.encode("utf-8", "surrogateescape")
    if not needle or len(needle) > MAX_QUERY_BYTES:
        raise ValueError(f"a find is 1 to {MAX_QUERY_BYTES} bytes")
    if not case:
        needle = needle.lower()
    lines: list[int] = []
    cells: list[list[tuple[int, int]]] = []
    total = 0
    count = document.line_count
    for start in range(0, count, BATCH):
        for i, raw in enumerate(document.lines(start, min(start + BATCH, count))):
            folded = raw if case else raw.lower()
            if needle not in folded:
                continue
            total += 1
            if len(lines) < MAX_FIND_LINES:
                lines.append(start + i + 1)
                cells.append(span_cells(raw, spans_in(folded, needle)))
    return FileHits(query, case, lines, cells, total)


__all__ = ["MAX_FIND_LINES", "MAX_QUERY_BYTES", "FileHits", "find_in"]
