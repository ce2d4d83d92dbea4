"""`Painter`: how one line of a document is drawn, shared by the reviewer's code
view and the replay, so replay shows a viewport exactly as the reviewer saw it.

Lines are lexed in chunks (with some context before, so multi-line constructs
colour right) within a time budget (past it the file is shown plain), sanitized
per token (highlight.py), cut at `MAX_LINE_BYTES` with a visible marker, and
drawn after a gutter of line numbers; a line the sanitizer tagged gets a `!` in
the gutter. The painter decides nothing about *whether* a
line may be drawn: that is the caller's gate.

A document that holds only the screen (`chunk_key`: the terminal's
`tui.shown.ShownDocument`) changes its chunks at every key, and lexing a
screen of C takes longer than a frame. So for it, drawing never lexes: a line
shows the colours it had when its chunk was last coloured, if its bytes are
the same, else plain (sanitized all the same), and `recolour` (run by the code
view once the frame is out) colours the stale chunks one at a time, for the
view to draw again. Colours come a frame late; the text never does.
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
        # drawn lines, without gutter, each with the Line it was drawn from
        self._strips: LRUCache[int, tuple[Line, Strip]] = LRUCache(1024)
        # a screen-holding document: lines are drawn from `_last` and coloured by `recolour`
        self.deferred = hasattr(document, "chunk_key")
        self._last: dict[int, tuple[bytes, int, Line]] = {}  # index -> (raw, size, drawn as)
        self._stale: set[int] = set()  # chunks drawn from `_last` since they changed

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
        drawn = self._strips.get(index)
        if drawn is not None and drawn[0] is line:
            text = drawn[1]
        else:
            segments = [  # rich renders unstyled text (an empty line) with style None
                seg if seg.style is not None else Segment(seg.text, PAD)
                for seg in line.text.render(self._console)
            ]
            text = Strip(segments, line.text.cell_len)
            self._strips.discard(index)  # LRUCache.set keeps an existing key's old value
            self._strips[index] = (line, text)
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
        if lines is not None and self._current(chunk):
            return lines[index - chunk * CHUNK]
        if self.deferred and self._lexer is not None:  # plain costs no lexing: draw it now
            self._stale.add(chunk)
            return self._interim(index)
        return self._colour(chunk)[index - chunk * CHUNK]

    def _colour(self, chunk: int) -> list[Line]:
        lines = self._render_chunk(chunk)
        self._chunks.discard(chunk)  # LRUCache.set keeps an existing key's old value
        self._chunks[chunk] = lines
        return lines

    def _held(self, index: int) -> tuple[bytes, int]:
        """Line `index` as the document holds it now, and its full size."""
        raw = self.document.lines(index, index + 1)[0]
        size_of = getattr(self.document, "line_size", None)
        return raw, (len(raw) if size_of is None else size_of(index))

    def _interim(self, index: int) -> Line:
        """Line `index` of a chunk not coloured for what the document holds now: as it
        was last drawn if its bytes are the same, else plain. Lexes nothing."""
        raw, size = self._held(index)
        last = self._last.get(index)
        if last is not None and last[0] == raw and last[1] == size:
            return last[2]
        if getattr(self.document, "drawn", False):  # display cells, already cut and judged
            line = render_lines([raw], None, judged=True)[0]
        else:
            line = _finish(render_lines([raw[:MAX_LINE_BYTES]], None), [size])[0]
        self._last[index] = (raw, size, line)
        return line

    @property
    def stale(self) -> bool:
        """Whether some chunk drawn was not coloured for what the document holds now."""
        return bool(self._stale)

    def recolour(self, first: int, stop: int) -> bool:
        """Colour one stale chunk of lines first..stop-1 (0-based) for what the document
        holds now, and say whether a line of it now looks different (draw them again).
        Call again while `stale`. Stale chunks off that range are forgotten: they are
        no longer shown."""
        wanted = set(range(first // CHUNK, (max(first, stop - 1)) // CHUNK + 1))
        self._stale &= wanted
        while self._stale:
            chunk = min(self._stale)
            self._stale.discard(chunk)
            if self._chunks.get(chunk) is not None and self._current(chunk):
                continue
            lines = self._colour(chunk)
            start, changed = chunk * CHUNK, False
            for i in range(max(first, start), min(stop, start + len(lines))):
                raw, size = self._held(i)
                last, line = self._last.get(i), lines[i - start]
                if last is not None and last[:2] == (raw, size) and _same(last[2], line):
                    lines[i - start] = line = last[2]  # drawn already: keep its strip
                else:
                    changed = True
                self._last[i] = (raw, size, line)
            self._forget_off_screen(first, stop)
            return changed
        self._forget_off_screen(first, stop)
        return False

    def _forget_off_screen(self, first: int, stop: int) -> None:
        """Keep no line the screen no longer shows (a terminal's painter holds only
        what the recorded screen holds, as `tui/shown.py` says)."""
        for i in [i for i in self._last if not first <= i < stop]:
            del self._last[i]
        wanted = range(first // CHUNK, max(first, stop - 1) // CHUNK + 1)
        for chunk in [c for c in self._chunks.keys() if c not in wanted]:  # noqa: SIM118 - an LRUCache
            self._chunks.discard(chunk)
            self._keys.pop(chunk, None)
        for i in [i for i in self._strips.keys() if not first <= i < stop]:  # noqa: SIM118
            self._strips.discard(i)

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
        capped = [data[:MAX_LINE_BYTES] for data in raw]
        sizes = [len(d) if size_of is None else size_of(context + i) for i, d in enumerate(raw)]
        rendered = render_lines(capped, self._lexer, self._stop_colouring)
        return _finish(rendered[start - context :], sizes[start - context :])


def _same(a: Line, b: Line) -> bool:
    """Whether two lines draw the same: the same text, styles and tags."""
    return a.flags == b.flags and a.text.plain == b.text.plain and a.text.spans == b.text.spans


def _finish(rendered: list[Line], sizes: list[int]) -> list[Line]:
    """Each line cut at MAX_LINE_BYTES gets the marker saying how much is hidden."""
    for i, size in enumerate(sizes):
        extra = max(0, size - MAX_LINE_BYTES)
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
