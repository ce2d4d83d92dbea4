"""`ReplayView`: one recorded viewport, drawn by the reviewer's own `Painter` at
exactly its recorded size (lines first..last, columns col..col+cols-1); a
wrapped one (ADR 0212) laid out again by `session/wrap.py` and drawn row by row
as the reviewer's code view draws it, coloured (`tui/wrapped.py`)."""

from __future__ import annotations

from rich.segment import Segment
from textual.cache import LRUCache
from textual.strip import Strip
from textual.widget import Widget

from ...forensics.screen import Viewport
from ...session.document import Document
from ...session.wrap import Row, replayed_rows
from ..painter import PAD, Painter
from ..wrapped import replayed_bodies, wrapped_strip


class ReplayView(Widget):
    COMPONENT_CLASSES = {"codeview--gutter", "codeview--flag"}
    DEFAULT_CSS = """
    ReplayView { background: $surface; }
    ReplayView > .codeview--gutter { color: $text-muted; }
    ReplayView > .codeview--flag { color: $error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._painters: LRUCache[str, Painter] = LRUCache(16)  # each holds its own caches
        self._painter: Painter | None = None
        self.viewport: Viewport | None = None
        self._rows: list[Row] = []  # a wrapped viewport's rows
        self._bodies: list[list[Segment]] = []  # and each one's cells, coloured

    def show(self, document: Document, viewport: Viewport) -> None:
        painter = self._painters.get(document.blob)
        if painter is None or painter.document is not document:
            painter = self._painters[document.blob] = Painter(document, self.app.console)
        self._painter, self.viewport = painter, viewport
        self.styles.width = painter.gutter_width + viewport.cols
        self.styles.height = viewport.wrap or viewport.last - viewport.first + 1
        self._rows, self._bodies = [], []
        if viewport.wrap:
            last = min(viewport.last, document.line_count)
            raw = document.lines(viewport.first - 1, last) if viewport.first <= last else []
            self._rows = replayed_rows(viewport.first, raw, viewport.wrap, viewport.cols)
            self._bodies = replayed_bodies(self._rows, viewport.cols, painter.lexer,
                                           self.app.console)  # fmt: skip
        self.refresh()

    def render_line(self, y: int) -> Strip:
        painter, vp = self._painter, self.viewport
        if painter is None or vp is None:
            return Strip.blank(self.size.width, PAD)
        gutter = self.get_component_rich_style("codeview--gutter")
        flag = self.get_component_rich_style("codeview--flag")
        if vp.wrap:
            if not 0 <= y < len(self._rows):
                return Strip.blank(self.size.width, PAD)
            index, k, cells = self._rows[y]
            return wrapped_strip(index, k, cells, painter.gutter_width,
                                 painter.flagged(index), gutter, flag, self._bodies[y])  # fmt: skip
        index = vp.first - 1 + y
        if index > vp.last - 1 or index >= painter.document.line_count:
            return Strip.blank(self.size.width, PAD)
        return painter.strip(index, vp.col, vp.cols, gutter, flag)
