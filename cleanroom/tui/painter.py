"""`Painter`: how one line of a document is drawn, shared by the reviewer's code
view and the replay, so replay shows a viewport exactly as the reviewer saw it.

Lines are lexed in chunks (with some context before, so multi-line constructs
colour right) within a time budget (past it the file is shown plain), sanitized
per token (highlight.py), cut at `MAX_LINE_BYTES` with a visible marker, and
drawn after a gutter of line numbers; a line the sanitizer tagged gets a `!` in
the gutter. The painter decides nothing about *whether* a
line may be drawn: that is the caller's gate.
"""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from ..session.display import MAX_LINE_BYTES, cut
from ..session.document import Document
from .highlight import Line, lexer_for, render_lines, truncation_marker

# The style of the blank cells that pad a short line: a real (empty) style, never
# None, which textual's monochrome filter (NO_COLOR) cannot take.
PAD = Style()

CHUNK = 64  # lines lexed together (a new chunk costs a keystroke ~0.2 ms a line)
CONTEXT = 32  # lines lexed before a chunk so multi-line constructs colour right


class Painter:
    def __init__(
        self, document: Document, console: Console, flagged: frozenset[int] = frozenset()
    ) -> None:
        self.document = document
        self._console = console
        self._lexer = None if document.binary else lexer_for(document.name)
        self._chunks: LRUCache[int, list[Line]] = LRUCache(64)
        self._keys: dict[int, object] = {}  # chunk -> the document's chunk_key it was lexed from
        self._flagged = flagged  # 1-based lines the file's scan tagged (a terminal holds parts)
        self._strips: LRUCache[int, Strip] = LRUCache(1024)  # drawn lines, without gutter

    @property
    def gutter_width(self) -> int:
        return len(str(self.document.line_count)) + 2

    @property
    def virtual_width(self) -> int:
        return self.gutter_width + min(self.document.max_line_bytes, MAX_LINE_BYTES) + 16

    def strip(self, index: int, col: int, cols: int, gutter: Style, flag: Style) -> Strip:
        """Line `index` (0-based) with its gutter, columns col..col+cols-1 of its text."""
        line = self.line(index)
        width = self.gutter_width
        number = f"{index + 1:>{width - 2}}"
        if line.flags > 0 or index + 1 in self._flagged:
            left = Strip([Segment(f"{number}! ", flag)], width)
        else:
            left = Strip([Segment(f"{number}  ", gutter)], width)
        text = self._strips.get(index)
        if text is None:
            segments = [  # rich renders unstyled text (an empty line) with style None
                seg if seg.style is not None else Segment(seg.text, PAD)
                for seg in line.text.render(self._console)
            ]
            text = self._strips[index] = Strip(segments, line.text.cell_len)
        # A terminal's document holds the screen's cells only, from its `origin`
        # column (tui/shown.py); any other document holds whole lines.
        start = col - getattr(self.document, "origin", 0)
        return Strip.join([left, cut_strip(text, line.text.plain, start, cols)])

    def chunk_ready(self, index: int) -> bool:
        chunk = index // CHUNK
        return self._chunks.get(chunk) is not None and self._current(chunk)

    def _bounds(self, chunk: int) -> tuple[int, int, int]:
        start = chunk * CHUNK
        stop = min(start + CHUNK, self.document.line_count)
        context = max(0, start - CONTEXT) if self._lexer is not None else start
        return context, start, stop

    def _current(self, chunk: int) -> bool:
        """Whether the chunk was lexed from the lines the document holds now (a
        terminal's document holds one screen: `tui.shown.ShownDocument`)."""
        key_of = getattr(self.document, "chunk_key", None)
        if key_of is None:
            return True
        context, _, stop = self._bounds(chunk)
        return self._keys.get(chunk) == key_of(context, stop)

    def line(self, index: int) -> Line:
        """Line `index` (0-based). Raises IndexError outside 0..line_count-1 (an empty
        document has no line 0), rather than reading a chunk that does not exist."""
        if not 0 <= index < self.document.line_count:
            raise IndexError(f"line {index} of {self.document.line_count}")
        chunk = index // CHUNK
        lines = self._chunks.get(chunk)
        if lines is None or not self._current(chunk):
            lines = self._render_chunk(chunk)
            self._chunks.discard(chunk)  # LRUCache.set keeps an existing key's old value
            self._chunks[chunk] = lines
            for i in range(chunk * CHUNK, chunk * CHUNK + len(lines)):
                self._strips.discard(i)
        return lines[index - chunk * CHUNK]

    def _stop_colouring(self) -> None:
        """Lexing a chunk overran its budget: this file is hostile or too costly to
        colour, so every chunk not yet drawn is shown plain, at no lexing cost."""
        self._lexer = None

    @property
    def colouring(self) -> bool:
        return self._lexer is not None

    def _render_chunk(self, chunk: int) -> list[Line]:
        context, start, stop = self._bounds(chunk)
        key_of = getattr(self.document, "chunk_key", None)
        if key_of is not None:
            self._keys[chunk] = key_of(context, stop)
        raw = self.document.lines(context, stop)
        if getattr(self.document, "drawn", False):  # display cells, already cut and judged
            return render_lines(raw, self._lexer, self._stop_colouring, judged=True)[
                start - context :
            ]
        size_of = getattr(self.document, "line_size", None)
        capped, hidden = [], []
        for i, data in enumerate(raw):
            capped.append(data[:MAX_LINE_BYTES])
            size = len(data) if size_of is None else size_of(context + i)
            hidden.append(max(0, size - MAX_LINE_BYTES))
        rendered = render_lines(capped, self._lexer, self._stop_colouring)[start - context :]
        for i, extra in enumerate(hidden[start - context :]):
            if extra:
                text = rendered[i].text.copy()
                text.append(" ")
                text.append_text(truncation_marker(extra))
                rendered[i] = Line(text, rendered[i].flags)
        return rendered


def cut_strip(strip: Strip, plain: str, col: int, cols: int) -> Strip:
    """Cells col..col+cols-1 of a drawn line, cut as `session.display.cut` says, so
    the recorder's cells (what a terminal is sent) and this draw the same text."""
    if plain.isascii() and plain.isprintable():
        return strip.crop_extend(col, col + cols, PAD)  # one cell a character: the same cut
    left, a, b, right = cut(plain, col, cols)
    out = [Segment(left, PAD)] if left else []
    at = 0
    for seg in strip:
        n = len(seg.text)
        lo, hi = max(a, at), min(b, at + n)
        if lo < hi:
            out.append(Segment(seg.text[lo - at : hi - at], seg.style))
        at += n
    if right:
        out.append(Segment(right, PAD))
    return Strip(out, cols)


__all__ = ["CHUNK", "CONTEXT", "MAX_LINE_BYTES", "Painter"]
