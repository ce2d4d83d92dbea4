"""`Painter`: how one line of a document is drawn, shared by the reviewer's code
view and the replay, so replay shows a viewport exactly as the reviewer saw it.

Lines are lexed in chunks (with some context before, so multi-line constructs
colour right) within a time budget (past it the file is shown plain), sanitized
per token (highlight.py), cut at `MAX_LINE_BYTES` with a visible marker, and
drawn after a gutter of line numbers; a line the sanitizer tagged gets a `!` in
the gutter. The painter decides nothing about *whether* a
line may be drawn: that is the caller's gate.

A document that holds only the screen (`drawn`: the terminal's
`tui.shown.ShownDocument`, display cells the recorder sent) changes what it
holds at every key, and lexing a screen of C takes longer than a frame. So for
it, drawing never lexes: a line shows the colours it had when it was last
coloured, if its cells are the same, else plain (sanitized all the same), and
`recolour` (run by the code view once the frame is out) colours the lines drawn
plain, as one run, and names the lines that now look different, for the view
to draw those again. Colours come a frame late; the text never does. Such a
painter holds nothing of a screen no longer shown: `keep_only` forgets every
line, colour and drawn strip off the screen before a new screen is drawn.
"""

from __future__ import annotations

from pygments.lexer import Lexer
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.strip import Strip

from ..session.display import CUT_LEFT, CUT_RIGHT, MAX_LINE_BYTES, cut, edges, marking
from ..session.document import Document
from ..session.wrap import ROW_BREAK
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
        self._flagged = flagged  # 1-based lines the file's scan tagged (a terminal holds parts)
        # drawn lines, gutter and all: index -> (the Line, start, cols, styles, the strip)
        self._strips: LRUCache[int, tuple[Line, int, int, Style, Style, Strip]] = LRUCache(1024)
        # a screen-holding document: lines are drawn from `_last` and coloured by `recolour`
        self.deferred: bool = getattr(document, "drawn", False)
        self._last: dict[int, tuple[bytes, int, Line]] = {}  # index -> (cells, size, drawn as)
        self._stale: set[int] = set()  # lines drawn plain since their cells changed

    @property
    def gutter_width(self) -> int:
        return len(str(self.document.line_count)) + 2

    @property
    def virtual_width(self) -> int:
        return self.gutter_width + min(self.document.max_line_bytes, MAX_LINE_BYTES) + 16

    def strip(self, index: int, col: int, cols: int, gutter: Style, flag: Style) -> Strip:
        """Line `index` (0-based) with its gutter, columns col..col+cols-1 of its text."""
        line = self.line(index)
        # A terminal's document holds the screen's cells only, from its `origin`
        # column (tui/shown.py); any other document holds whole lines.
        start = col - getattr(self.document, "origin", 0)
        drawn = self._strips.get(index)
        if drawn is not None and drawn[:5] == (line, start, cols, gutter, flag):
            return drawn[5]  # the same Line, window and styles: the same strip
        width = self.gutter_width
        number = f"{index + 1:>{width - 2}}"
        if line.flags > 0 or index + 1 in self._flagged:
            left = Segment(f"{number}! ", flag)
        else:
            left = Segment(f"{number}  ", gutter)
        plain = line.text.plain
        if not (line.text.spans or line.text.style) and one_cell_each(plain):
            # One plain run of one cell a character (a line drawn before its colours
            # come, most often): its window is a slice, without rendering the Text.
            text = Strip([Segment(plain, PAD)], len(plain))
        else:
            segments = [  # rich renders unstyled text (an empty line) with style None
                seg if seg.style is not None else Segment(seg.text, PAD)
                for seg in line.text.render(self._console)
            ]
            text = Strip(segments, line.text.cell_len)
        window = cut_strip(text, plain, start, cols)
        if self.deferred:  # the cells came with their cut markers (display.visible)
            window = style_markers(window, col > 0, gutter)
        else:
            window = mark_strip(window, *edges(plain, start, cols), gutter)
        out = Strip([left, *window], width + window.cell_length)
        self._strips.discard(index)  # LRUCache.set keeps an existing key's old value
        self._strips[index] = (line, start, cols, gutter, flag, out)
        return out

    def flagged(self, index: int) -> bool:
        """Whether line `index` (0-based) shows a `!` in its gutter: a tag in it."""
        return self.line(index).flags > 0 or index + 1 in self._flagged

    def chunk_ready(self, index: int) -> bool:
        return self._chunks.get(index // CHUNK) is not None

    def _bounds(self, chunk: int) -> tuple[int, int, int]:
        start = chunk * CHUNK
        stop = min(start + CHUNK, self.document.line_count)
        context = max(0, start - CONTEXT) if self._lexer is not None else start
        return context, start, stop

    def line(self, index: int) -> Line:
        """Line `index` (0-based). Raises IndexError outside 0..line_count-1 (an empty
        document has no line 0), rather than reading a chunk that does not exist."""
        if not 0 <= index < self.document.line_count:
            raise IndexError(f"line {index} of {self.document.line_count}")
        if self.deferred:
            return self._interim(index)
        chunk = index // CHUNK
        lines = self._chunks.get(chunk)
        if lines is None:
            lines = self._render_chunk(chunk)
            self._chunks[chunk] = lines
        return lines[index - chunk * CHUNK]

    def _held(self, index: int) -> tuple[bytes, int]:
        """Line `index` as the document holds it now, and its full size."""
        raw = _unbroken(self.document.lines(index, index + 1)[0])
        size_of = getattr(self.document, "line_size", None)
        return raw, (len(raw) if size_of is None else size_of(index))

    def _interim(self, index: int) -> Line:
        """Line `index` of a screen-holding document: as it was last drawn if its
        cells are the same, else plain (and stale, if the file is coloured). Lexes
        nothing: the cells are display cells, already cut and judged."""
        raw, size = self._held(index)
        last = self._last.get(index)
        if last is not None and last[0] == raw and last[1] == size:
            return last[2]
        if _plain_cells(raw):
            # Printable ASCII cells (and a line's cut markers) hold no tag and nothing
            # to sanitize: the Line render_lines would make, made at once (a page turn
            # draws a screenful, and most lines of C are cut by an 80 to 120 column
            # window: their marker is not ASCII).
            line = Line(Text(raw.decode(), no_wrap=True, end=""), 0)
        else:
            line = render_lines([raw], None, judged=True)[0]
        self._last[index] = (raw, size, line)
        if self._lexer is not None:
            self._stale.add(index)
        return line

    @property
    def stale(self) -> bool:
        """Whether some line drawn was not coloured for what the document holds now."""
        return bool(self._stale)

    def recolour(self, first: int, stop: int, whole: bool = False) -> list[int]:
        """Colour the stale lines of first..stop-1 (0-based) for what the document holds
        now, lexed as one run from up to CONTEXT lines before the first of them, and
        return those that now look different (draw them again). Lines not stale keep
        their colours; lines off that range are forgotten: no longer shown. `whole`
        (a wrapped screen): if any line is stale, the screen is coloured again as one
        run from its first line, so its colours are those the replay gives it."""
        stale = sorted(i for i in self._stale if first <= i < stop)
        self._stale.clear()
        self.keep_only(first, stop)
        if not stale or self._lexer is None:
            return []
        if whole:
            stale = list(range(first, stop))
        lo, hi = max(first, stale[0] - CONTEXT), stale[-1] + 1
        held = [_unbroken(x) for x in self.document.lines(lo, hi)]
        lexed = render_lines(held, self._lexer, self._stop_colouring, judged=True)
        changed = []
        for i in stale:
            raw, size = self._held(i)
            last, line = self._last.get(i), lexed[i - lo]
            if last is not None and last[:2] == (raw, size) and _same(last[2], line):
                continue  # drawn so already: keep its Line, and so its strip
            self._last[i] = (raw, size, line)
            changed.append(i)
        return changed

    def keep_only(self, first: int, stop: int) -> None:
        """The screen now shows lines first..stop-1 (0-based): keep no line, colour or
        drawn strip of any other (a terminal's painter holds only what the recorded
        screen holds, as `tui/shown.py` says)."""
        for i in [i for i in self._last if not first <= i < stop]:
            del self._last[i]
        self._stale = {i for i in self._stale if first <= i < stop}
        wanted = range(first // CHUNK, max(first, stop - 1) // CHUNK + 1)
        for chunk in [c for c in self._chunks.keys() if c not in wanted]:  # noqa: SIM118 - an LRUCache
            self._chunks.discard(chunk)
        for i in [i for i in self._strips.keys() if not first <= i < stop]:  # noqa: SIM118
            self._strips.discard(i)

    def _stop_colouring(self) -> None:
        """Lexing overran its budget: this file is hostile or too costly to colour,
        so every line not yet drawn is shown plain, at no lexing cost."""
        self._lexer = None

    @property
    def colouring(self) -> bool:
        return self._lexer is not None

    @property
    def lexer(self) -> Lexer | None:
        """The lexer colouring this file, None once it is shown plain."""
        return self._lexer

    def stop_colouring(self) -> None:
        self._stop_colouring()

    def _render_chunk(self, chunk: int) -> list[Line]:
        context, start, stop = self._bounds(chunk)
        raw = self.document.lines(context, stop)
        size_of = getattr(self.document, "line_size", None)
        capped = [data[:MAX_LINE_BYTES] for data in raw]
        sizes = [len(d) if size_of is None else size_of(context + i) for i, d in enumerate(raw)]
        rendered = render_lines(capped, self._lexer, self._stop_colouring)
        return _finish(rendered[start - context :], sizes[start - context :])


_ROW_BREAK = ROW_BREAK.encode()
_CUT_LEFT, _CUT_RIGHT = CUT_LEFT.encode(), CUT_RIGHT.encode()


def _plain_cells(raw: bytes) -> bool:
    """Whether display cells `raw` are printable ASCII but for a cut marker at either
    end (display.marked): the sanitizer tags none of it and styles none of it."""
    if raw.startswith(_CUT_LEFT):
        raw = raw[len(_CUT_LEFT) :]
    if raw.endswith(_CUT_RIGHT):
        raw = raw[: -len(_CUT_RIGHT)]
    return raw.isascii() and raw.decode().isprintable()


def one_cell_each(text: str) -> bool:
    """Whether every character of `text` takes one cell (so a window of it is a
    slice): printable ASCII, but for a cut marker at either end."""
    if text.isascii():
        return text.isprintable()
    if text[:1] == CUT_LEFT:
        text = text[1:]
    if text[-1:] == CUT_RIGHT:
        text = text[:-1]
    return text.isascii() and text.isprintable()


def _unbroken(cells: bytes) -> bytes:
    """A held line's cells as one run: a wrapped view sends a line as its rows joined
    by ROW_BREAK (session/wrap.py), which display text never holds; the painter
    colours the rows joined, and the code view cuts them into rows again."""
    return cells.replace(_ROW_BREAK, b"") if _ROW_BREAK in cells else cells


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
    if one_cell_each(plain):
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


def mark_strip(window: Strip, left: bool, right: bool, style: Style) -> Strip:
    """`window` (a cut line) with the cut markers of `display.marking` in `style`:
    the same text `display.visible` gives the terminal for the same window."""
    if not (left or right):
        return window
    a, b, lpad, rpad = marking(window.text, left, right)
    out = [Segment(CUT_LEFT, style)] if left else []
    if lpad:
        out.append(Segment(" " * lpad, PAD))
    out += chars(window, a, b)
    if rpad:
        out.append(Segment(" " * rpad, PAD))
    if right:
        out.append(Segment(CUT_RIGHT, style))
    return Strip(out, window.cell_length)


def style_markers(window: Strip, scrolled: bool, style: Style) -> Strip:
    """A window of cells that came marked: its edge markers drawn in `style`. (A
    source character that is the marker's glyph, at the very edge, is styled the
    same: only the colour can be wrong, never the text.)"""
    text = window.text
    left = scrolled and text[:1] == CUT_LEFT
    right = text[-1:] == CUT_RIGHT
    if not (left or right):
        return window
    out = [Segment(CUT_LEFT, style)] if left else []
    out += chars(window, int(left), len(text) - int(right))
    if right:
        out.append(Segment(CUT_RIGHT, style))
    return Strip(out, window.cell_length)


def chars(strip: Strip, a: int, b: int) -> list[Segment]:
    """The segments of characters a..b-1 of `strip`'s text, styles kept."""
    out, at = [], 0
    for seg in strip:
        n = len(seg.text)
        lo, hi = max(a, at), min(b, at + n)
        if lo < hi:
            out.append(Segment(seg.text[lo - at : hi - at], seg.style))
        at += n
    return out


__all__ = ["CHUNK", "CONTEXT", "MAX_LINE_BYTES", "Painter", "chars"]
