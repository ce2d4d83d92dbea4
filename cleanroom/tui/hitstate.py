"""What `n`/`N` step through and what the code view marks (issue 15): the rows
of the last search that were shown, or the hits of the last find in a file.

Only recorded positions come in here: a search row's line and match spans
arrive with the row (recorded as `search_results_view` before it was listed),
and a find's lines and cells with the answer to the recorded `find`. Nothing
here reads or searches source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..session.find_in_file import FileHits
from ..session.span_cells import span_cells
from .hitmarks import Cells, Marks


def row_cells(hit: Any) -> list[tuple[int, int]]:
    """The display cells of a search row's matches, from the row's own text: none
    for a refused row, or a window of a long line (its gutter is marked only)."""
    if getattr(hit, "refused", False) or hit.text_start != 0:
        return []
    spans = [(s, e) for s, e in hit.spans if e <= len(hit.text)]
    return span_cells(hit.text, spans)


@dataclass
class FoundInFile:
    """The answer to the last `find`, for file `path` at content `blob`; a find
    `backward` (`?`) is stepped by `n` upwards, by `N` downwards (less, vim)."""

    path: bytes
    blob: str
    hits: FileHits
    index: int = 0
    by_line: dict[int, Cells] = field(default_factory=dict)
    backward: bool = False

    @classmethod
    def of(cls, path: bytes, blob: str, hits: FileHits, backward: bool = False) -> FoundInFile:
        by_line = dict(zip(hits.lines, hits.cells, strict=True))
        return cls(path, blob, hits, 0, by_line, backward)

    def label(self) -> str:
        kept, total = len(self.hits.lines), self.hits.total
        more = f" (first {kept:,} of {total:,} lines)" if total > kept else ""
        return f"find hit {self.index + 1} of {kept:,}{more}"


class HitState:
    def __init__(self) -> None:
        self.search_seq: int | None = None
        self.search_cells: dict[bytes, dict[int, list[tuple[int, int]]]] = {}
        # the recorded text of each shown row of it, and where its first match starts
        self.search_texts: dict[bytes, dict[int, tuple[bytes, int]]] = {}
        self.finding: FoundInFile | None = None
        self.stepping = "search"  # what n / N step through: "search" or "find"
        self.current: tuple[bytes, int] | None = None  # the current hit: path, line
        self.target: tuple[bytes, int] | None = None  # the line of the last `:N`
        self.label = ""  # "hit k of N", for the status bar

    def rows_shown(self, seq: int, rows: list[Any]) -> None:
        """Rows of search `seq` were recorded and listed: their hits may be marked."""
        if seq != self.search_seq:
            self.search_seq, self.search_cells, self.search_texts = seq, {}, {}
        for hit in rows:
            lines = self.search_cells.setdefault(hit.path, {})
            lines[hit.line + 1] = row_cells(hit)
            if not getattr(hit, "refused", False) and hit.text_start == 0 and hit.spans:
                texts = self.search_texts.setdefault(hit.path, {})
                texts[hit.line + 1] = (hit.text, hit.spans[0][0])

    def forget_search(self, seq: int) -> None:
        """A new search was chosen from: n / N step through it now."""
        if seq != self.search_seq:
            self.search_seq, self.search_cells, self.search_texts = seq, {}, {}
        self.stepping = "search"

    def row_at(self, path: bytes, line: int) -> tuple[bytes, int] | None:
        """The recorded text of the shown search row at `line` (1-based) of `path`,
        and the byte its first match starts at; None if none (or a find is stepped)."""
        if self.stepping != "search":
            return None
        return self.search_texts.get(path, {}).get(line)

    def marks_for(self, path: bytes, blob: str) -> Marks:
        f = self.finding
        if self.stepping == "find" and f is not None and (f.path, f.blob) == (path, blob):
            cells: dict[int, Any] = f.by_line
        else:
            cells = self.search_cells.get(path, {})
        current = self.current[1] if self.current and self.current[0] == path else None
        target = self.target[1] if self.target and self.target[0] == path else None
        return Marks(path, cells, current, target)


__all__ = ["FoundInFile", "HitState", "row_cells"]
