"""`CodeView`: the read-only source viewer, on Textual's Line API (like Toolong).

Only visible lines are read, lexed and drawn, so a 1M-line file opens as fast
as a small one. Before any line of a viewport is drawn, the `gate` callback
must durably record that viewport; if it cannot, the view draws no source at
all, only the reason. That is the log-before-display rule at the paint.

| Key | Action |
|---|---|
| up / down / left / right | scroll by one line or column |
| pageup / pagedown | scroll by a page |
| home / end | top / bottom of the file |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..session.document import Document
from .highlight import Line, lexer_for, render_lines, truncation_marker

CHUNK = 64  # lines lexed together (a new chunk costs a keystroke ~0.2 ms a line)
CONTEXT = 32  # lines lexed before a chunk so multi-line constructs colour right
MAX_LINE_BYTES = 2000  # longer lines are cut with a visible marker


@dataclass(frozen=True)
class Viewport:
    """What is on screen: lines first..last (1-based, inclusive), columns col..col+cols-1."""

    first: int
    last: int
    col: int
    cols: int


Gate = Callable[[Document, Viewport], bool]


class CodeView(ScrollView, can_focus=True, inherit_bindings=False):
    BINDINGS = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]
    COMPONENT_CLASSES = {"codeview--gutter", "codeview--flag", "codeview--blocked"}
    DEFAULT_CSS = """
    CodeView { background: $surface; }
    CodeView > .codeview--gutter { color: $text-muted; }
    CodeView > .codeview--flag { color: $error; text-style: bold; }
    CodeView > .codeview--blocked { color: $error; text-style: bold; }
    """

    def __init__(self, gate: Gate, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._gate = gate
        self.document: Document | None = None
        self._chunks: LRUCache[int, list[Line]] = LRUCache(64)
        self._strips: LRUCache[int, Strip] = LRUCache(1024)  # drawn lines, without gutter
        self._painting: Viewport | None = None  # the viewport of the paint under way
        self._shown: Viewport | None = None  # the viewport whose recording succeeded
        self._flagged: list[int] = []
        self.refused: str | None = None  # why source is hidden, when it is

    # -- what is shown ---------------------------------------------------------

    def open(self, document: Document, line: int = 1, flagged: list[int] | None = None) -> None:
        """Show `document` from `line` (1-based). Nothing is drawn until recorded."""
        self.document = document
        self._lexer = None if document.binary else lexer_for(document.name)
        self._chunks.clear()
        self._strips.clear()
        self._shown = None
        self._flagged = sorted(flagged or [])
        width = self.gutter_width + min(document.max_line_bytes, MAX_LINE_BYTES) + 16
        self.virtual_size = Size(width, document.line_count)
        # force: the scrollbars (which allow scrolling) are only updated at the next layout
        self.scroll_to(0, max(0, line - 1), animate=False, immediate=True, force=True)
        self.refresh()

    @property
    def gutter_width(self) -> int:
        count = self.document.line_count if self.document else 1
        return len(str(count)) + 2

    def viewport(self) -> Viewport | None:
        if self.document is None or self.size.height == 0:
            return None
        first = int(self.scroll_offset.y) + 1
        last = min(first + self.size.height - 1, self.document.line_count)
        cols = max(0, self.size.width - self.gutter_width)
        return Viewport(first, max(first, last), int(self.scroll_offset.x), cols)

    def next_flag(self, forward: bool = True) -> int | None:
        """Scroll to the next (or previous) flagged line; returns it (1-based)."""
        here = int(self.scroll_offset.y) + 1
        later = [n for n in self._flagged if (n > here if forward else n < here)]
        if not later:
            return None
        target = later[0] if forward else later[-1]
        self.scroll_to(y=target - 1, animate=False, force=True)
        return target

    def forget_shown(self) -> None:
        """The screen was covered (idle or alert lock): record the viewport again
        before it is shown again, so the ledger says when it came back."""
        self._shown = None
        self.refresh()

    def goto(self, line: int) -> None:
        self.scroll_to(y=max(0, line - 1), animate=False, force=True)

    # -- painting --------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        viewport = self.viewport()
        if viewport is not None and viewport != self._shown:
            self._shown = viewport if self._gate(self.document, viewport) else None  # type: ignore[arg-type]
        if viewport is None or self._shown != viewport:
            return self._refusal(crop)
        self._painting = viewport
        try:
            return super().render_lines(crop)
        finally:
            self._painting = None
            self.call_after_refresh(self._prefetch, viewport)

    def _prefetch(self, viewport: Viewport) -> None:
        """While idle, colour the chunk past each edge of the viewport (one chunk per
        call, so a key press waits for at most one), so a page turn finds it ready.
        Colouring is not display: nothing is recorded or drawn here."""
        if self.document is None or self._shown != viewport:
            return
        height = viewport.last - viewport.first + 1
        below = min(viewport.last + height, self.document.line_count) - 1
        above = max(viewport.first - 1 - height, 0)
        for index in (below, above):
            if self._chunks.get(index // CHUNK) is None:
                self._line(index)
                self.call_after_refresh(self._prefetch, viewport)
                return

    def render_line(self, y: int) -> Strip:
        viewport = self._painting or self.viewport()
        if self.document is None or viewport is None or viewport != self._shown:
            return Strip.blank(self.size.width)  # never source that was not recorded
        index = int(self.scroll_offset.y) + y
        if index >= self.document.line_count:
            return Strip.blank(self.size.width)
        line = self._line(index)
        gutter = self._gutter(index + 1, line.flags > 0)
        text = self._strips.get(index)
        if text is None:
            text = self._strips[index] = self._segments(line)
        body = text.crop_extend(viewport.col, viewport.col + viewport.cols, None)
        return Strip.join([gutter, body])

    def _refusal(self, crop: Region) -> list[Strip]:
        if self.document is None:
            message = Text(" No file open. ctrl+p or the tree opens one. ")
        else:
            style = self.get_component_rich_style("codeview--blocked")
            reason = self.refused or "waiting for the ledger"
            message = Text(f" Source hidden: {reason} ", style)
        middle = self.size.height // 2
        strips = []
        for y in range(crop.y, crop.y + crop.height):
            if y == middle:
                segs = list(message.render(self.app.console))
                strip = Strip(segs, message.cell_len).crop_extend(crop.x, crop.right, None)
            else:
                strip = Strip.blank(crop.width)
            strips.append(strip)
        return strips

    def _gutter(self, number: int, flagged: bool) -> Strip:
        width = self.gutter_width
        if flagged:
            style = self.get_component_rich_style("codeview--flag")
            return Strip([Segment(f"{number:>{width - 2}}! ", style)], width)
        style = self.get_component_rich_style("codeview--gutter")
        return Strip([Segment(f"{number:>{width - 2}}  ", style)], width)

    def _segments(self, line: Line) -> Strip:
        segments = list(line.text.render(self.app.console))
        return Strip(segments, line.text.cell_len)

    def _line(self, index: int) -> Line:
        chunk = index // CHUNK
        lines = self._chunks.get(chunk)
        if lines is None:
            lines = self._render_chunk(chunk)
            self._chunks[chunk] = lines
        return lines[index - chunk * CHUNK]

    def _render_chunk(self, chunk: int) -> list[Line]:
        assert self.document is not None
        start = chunk * CHUNK
        stop = min(start + CHUNK, self.document.line_count)
        context = max(0, start - CONTEXT) if self._lexer is not None else start
        raw = self.document.lines(context, stop)
        capped, hidden = [], []
        for data in raw:
            capped.append(data[:MAX_LINE_BYTES])
            hidden.append(max(0, len(data) - MAX_LINE_BYTES))
        rendered = render_lines(capped, self._lexer)[start - context :]
        for i, extra in enumerate(hidden[start - context :]):
            if extra:
                text = rendered[i].text.copy()
                text.append(" ")
                text.append_text(truncation_marker(extra))
                rendered[i] = Line(text, rendered[i].flags)
        return rendered


__all__ = ["CodeView", "Gate", "Viewport"]
