"""`CodeView`: the read-only source viewer, on Textual's Line API (like Toolong).

Only visible lines are read, lexed and drawn, so a 1M-line file opens as fast
as a small one. Before any line of a viewport is drawn, the `gate` callback
must durably record that viewport; if it cannot, the view draws no source at
all, only the reason. That is the log-before-display rule at the paint.

| Key | Action |
|---|---|
| up / down / left / right | scroll by one line; half a screen left or right |
| pageup / pagedown | scroll by a page |
| home / end | top / bottom of the file |

Wrapped (`toggle_wrap`, ADR 0212): long lines wrap in rows of the view's width
instead of being cut; the viewport names the screen's rows (`wrap`), the
recorder lays the lines out (session/wrap.py) and records the lines with a row
on screen, and each row is drawn with the cells it came with: a line's first
row has its number in the gutter, the others `↪`. The rows have the colours of
their line (its rows joined, coloured a frame late as a cut line is) and the
hit marks of the cells they show (tui/wrapped.py). Scrolling moves by line; `→`
does nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..session.document import Document
from ..session.wrap import Row, received_rows, row_places
from . import heap, reading_keys
from .hitmarks import Marks, MarkStyles, draw
from .painter import PAD, Painter
from .plainlines import finished
from .reading_keys import ReadingKeys
from .wrapped import line_strip, row_body, wrapped_strip


@dataclass(frozen=True)
class Viewport:
    """What is on screen: lines first..last (1-based, inclusive), columns col..col+cols-1."""

    first: int
    last: int
    col: int
    cols: int
    wrap: int = 0  # wrapped: the screen's rows (col is 0; `last` is at most this far)


Gate = Callable[[Document, Viewport], bool]
LineStyles = tuple[Style, Style, MarkStyles]  # gutter, flagged gutter, marks


class CodeView(ReadingKeys, ScrollView, can_focus=True, inherit_bindings=False):
    BINDINGS = [
        *reading_keys.BINDINGS,
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]
    COMPONENT_CLASSES = {"codeview--gutter", "codeview--flag", "codeview--blocked",
                         "codeview--hit", "codeview--current", "codeview--line"}  # fmt: skip
    DEFAULT_CSS = """
    CodeView { background: $surface; overflow: scroll scroll; }
    CodeView > .codeview--hit { background: $warning-darken-3; text-style: underline; }
    CodeView > .codeview--current { background: $warning; color: $background;
                                    text-style: bold reverse; }
    CodeView > .codeview--line { background: $accent; color: $text; text-style: bold; }
    CodeView > .codeview--gutter { color: $text-muted; }
    CodeView > .codeview--flag { color: $error; text-style: bold; }
    CodeView > .codeview--blocked { color: $error; text-style: bold; }
    """

    def __init__(
        self, gate: Gate, *, id: str | None = None, room: Callable[[], int | None] = lambda: None
    ) -> None:
        super().__init__(id=id)
        self._gate = gate
        # The columns the status bar needs for the whole witness code, when the
        # terminal is narrower than that (None when it fits): no source is drawn then.
        self._room = room
        self._narrow: int | None = None
        self.document: Document | None = None
        self._painter: Painter | None = None
        self._painting: Viewport | None = None  # the viewport of the paint under way
        self._shown: Viewport | None = None  # the viewport whose recording succeeded
        self._flagged: list[int] = []
        self.refused: str | None = None  # why source is hidden, when it is
        self.waiting_for: str | None = None  # the (clean) name of a file being opened
        self._marks: Marks | None = None  # hits and the `:N` line (tui/hitmarks.py)
        # (line, col, cols, styles) -> (the painter's strip, that strip marked)
        self._marked: dict[tuple[int, int, int, MarkStyles], tuple[Strip, Strip]] = {}
        self.wrapped = False  # long lines wrap (ADR 0212) rather than being cut
        self._rows: list[Row] = []  # wrapped: the screen's rows (session/wrap.py)
        self._places: list[tuple[int, int, int]] = []  # wrapped: each row in its line
        self._joined: dict[int, tuple[object, str, Strip]] = {}  # wrapped: index -> drawn line
        self._frame_styles: LineStyles | None = None  # the styles of the frame being drawn

    # -- what is shown ---------------------------------------------------------

    def open(self, document: Document, line: int = 1, flagged: list[int] | None = None) -> None:
        """Show `document` from `line` (1-based). Nothing is drawn until recorded."""
        self.waiting_for = None
        self.document = document
        self._painter = Painter(document, self.app.console, frozenset(flagged or ()))
        self._shown = None
        self.refused = None
        self._flagged = flagged or []  # ascending, as the scan found them
        self.virtual_size = self._virtual_size()
        # force: the scrollbars (which allow scrolling) are only updated at the next layout
        self.scroll_to(0, max(0, line - 1), animate=False, immediate=True, force=True)
        self.refresh()

    def refuse(self, why: str) -> None:
        """Show no document, and say why (already sanitized): a file was refused."""
        self.document = None
        self._painter = None
        self._shown = None
        self._flagged = []
        self.waiting_for = None
        self.refused = why
        self.virtual_size = Size(0, 0)
        self.refresh()

    def show_opening(self, name: str) -> None:
        """A file is being opened: hide what is shown, at once, until `open`."""
        self.document, self._painter, self._shown = None, None, None
        self.refused = None
        self.waiting_for = name
        self.virtual_size = Size(0, 0)
        self.refresh()

    def _virtual_size(self) -> Size:
        if self._painter is None or self.document is None:
            return Size(0, 0)
        width = 0 if self.wrapped else self._painter.virtual_width  # wrapped: no sideways
        return Size(width, self.document.line_count)

    def toggle_wrap(self) -> bool:
        """Wrap long lines, or cut them again; returns whether they wrap now. The new
        screen is recorded before it is drawn, as any other (the gate)."""
        self.wrapped = not self.wrapped
        self.virtual_size = self._virtual_size()
        self.scroll_to(x=0, animate=False, immediate=True, force=True)
        self.refresh()
        return self.wrapped

    @property
    def gutter_width(self) -> int:
        return self._painter.gutter_width if self._painter else 3

    def viewport(self) -> Viewport | None:
        """What the reviewer can see: the region inside the scrollbars, which
        `size` would include (a row and two columns too many). Both scrollbars
        are always there, so this does not change when a file's width does."""
        visible = self.scrollable_content_region.size
        if self.document is None or visible.height == 0:
            return None
        first = int(self.scroll_offset.y) + 1
        last = min(first + visible.height - 1, self.document.line_count)
        cols = max(0, visible.width - self.gutter_width)
        if self.wrapped:
            return Viewport(first, max(first, last), 0, max(1, cols), visible.height)
        return Viewport(first, max(first, last), int(self.scroll_offset.x), cols)

    def next_flag(self, forward: bool = True) -> int | None:
        """Scroll to the next (or previous) flagged line; returns it (1-based)."""
        here = int(self.scroll_offset.y) + 1
        flagged = self._flagged  # ascending; a file can flag millions of lines: bisect
        if forward:
            at = bisect.bisect_right(flagged, here)
            if at == len(flagged):
                return None
            target = flagged[at]
        else:
            at = bisect.bisect_left(flagged, here)
            if at == 0:
                return None
            target = flagged[at - 1]
        self.scroll_to(y=target - 1, animate=False, force=True)
        return target

    def forget_shown(self) -> None:
        """The screen was covered (idle or alert lock): record the viewport again
        before it is shown again, so the ledger says when it came back."""
        self._shown = None
        self.refresh()

    def hide(self, reason: str) -> None:
        """Recording failed: blank the source at once, whatever was shown before, and
        draw nothing until a viewport is recorded again."""
        self.refused = reason
        self._shown = None
        self.refresh()

    def goto(self, line: int) -> None:
        self.scroll_to(y=max(0, line - 1), animate=False, force=True)

    @property
    def marks(self) -> Marks | None:
        return self._marks

    @marks.setter
    def marks(self, marks: Marks | None) -> None:
        """Mark hits and a line (positions only: the cells drawn do not change)."""
        if marks != self._marks:
            self._marks = marks
            self._marked.clear()
            self.refresh()

    # -- painting --------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._narrow = self._room()
        if self._narrow is not None:  # the witness code would be cut: draw (and record) nothing
            self._shown = None
            return self._refusal(crop)
        viewport = self.viewport()
        if viewport is not None and viewport != self._shown:
            self._shown = viewport if self._gate(self.document, viewport) else None  # type: ignore[arg-type]
            if self._shown is not None and self._painter is not None and self._painter.deferred:
                self._painter.keep_only(viewport.first - 1, viewport.last)
            self._keep_marked(self._shown)
        if viewport is None or self._shown != viewport:
            return self._refusal(crop)
        self._painting = viewport
        if viewport.wrap:
            self._rows = self._wrapped_rows(viewport)
            self._places = row_places(self._rows, viewport.cols)
        # Drawn lines of the screen only: the terminal keeps no copy of one not shown.
        self._joined = {i: v for i, v in self._joined.items()
                        if viewport.wrap and viewport.first - 1 <= i < viewport.last}  # fmt: skip
        self._frame_styles = self._line_styles()  # looked up once a frame, not once a line
        try:
            # Textual's styles cache adds nothing to these lines but padding and filters
            return finished(self, crop, self.render_line) or super().render_lines(crop)
        finally:
            self._painting = None
            self._frame_styles = None
            self.call_after_refresh(self._prefetch, viewport)
            if heap.held():  # a key's frame: collections may run once it is out
                self.call_after_refresh(heap.resume)

    def _keep_marked(self, viewport: Viewport | None) -> None:
        """Keep only the marked lines of the screen now recorded (none when nothing
        is): as the painter does (shown.py), the view holds no drawn line of a screen
        no longer shown, and a drawn line held past its screen lives long enough for
        the garbage collector to walk it again and again."""
        if viewport is None:
            self._marked.clear()
            return
        lo, hi, window = viewport.first - 1, viewport.last, (viewport.col, viewport.cols)
        self._marked = {key: drawn for key, drawn in self._marked.items()
                        if lo <= key[0] < hi and key[1:3] == window}  # fmt: skip

    def _prefetch(self, viewport: Viewport) -> None:
        """While idle, colour what the key's frame drew plain, and draw again only the
        lines that now look different: colouring is not display, nothing is recorded
        here, and these are lines of the same recorded viewport. A terminal holds only
        the screen's lines, so that is all (see painter.py). A document holding the
        whole file gets the chunk past each edge coloured instead (one chunk per call,
        so a key press waits for at most one), so a page turn finds it ready."""
        painter = self._painter
        if painter is None or self._shown != viewport:
            return
        if painter.deferred:
            changed = painter.recolour(viewport.first - 1, viewport.last, bool(viewport.wrap))
            if changed and viewport.wrap:  # rows are not lines: draw the screen again
                self.refresh()
            for y, count in _runs(changed) if not viewport.wrap else ():
                self.refresh_lines(y, count)
            return
        height = viewport.last - viewport.first + 1
        count = painter.document.line_count
        below = min(viewport.last + height, count) - 1
        above = max(viewport.first - 1 - height, 0)
        for index in (below, above):
            if 0 <= index < count and not painter.chunk_ready(index):
                painter.line(index)
                self.call_after_refresh(self._prefetch, viewport)
                return

    def render_line(self, y: int) -> Strip:
        viewport = self._painting or self.viewport()
        painter = self._painter
        if painter is None or viewport is None or viewport != self._shown:
            return Strip.blank(self.size.width, PAD)  # never source that was not recorded
        if viewport.wrap:
            return self._wrapped_line(y)
        index = int(self.scroll_offset.y) + y
        if not viewport.first - 1 <= index < viewport.last:  # past the recorded viewport
            return Strip.blank(self.size.width, PAD)
        gutter, flag, styles = self._frame_styles or self._line_styles()
        strip = painter.strip(index, viewport.col, viewport.cols, gutter, flag)
        marks = self._marks
        if marks is not None and marks.path == painter.document.raw_path and marks.on(index + 1):
            # The painter gives the same strip for the same line and window: so is
            # the marked one (a frame draws every line again; a search marks many).
            key = (index, viewport.col, viewport.cols, styles)
            done = self._marked.get(key)
            if done is not None and done[0] is strip:
                return done[1]
            marked = draw(strip, index + 1, marks, painter.gutter_width, viewport.col,
                          viewport.cols, styles)  # fmt: skip
            self._marked[key] = (strip, marked)
            return marked
        return strip

    def _wrapped_rows(self, viewport: Viewport) -> list[Row]:
        """The screen's rows, from the lines the recorder sent for this wrapped view."""
        assert self.document is not None
        held = self.document.lines(viewport.first - 1, viewport.last)
        return received_rows(viewport.first, held, viewport.wrap)

    def _wrapped_line(self, y: int) -> Strip:
        painter = self._painter
        if not 0 <= y < len(self._rows) or painter is None:
            return Strip.blank(self.size.width, PAD)
        index, k, cells = self._rows[y]
        at = bisect.bisect_left(self._flagged, index + 1)
        flagged = at < len(self._flagged) and self._flagged[at] == index + 1
        start, col, used = self._places[y]
        plain, line = self._joined_line(index)
        gutter, flag, styles = self._frame_styles or self._line_styles()
        strip = wrapped_strip(index, k, cells, self.gutter_width, flagged, gutter, flag,
                              row_body(line, plain, start, cells))  # fmt: skip
        marks = self._marks
        if marks is not None and marks.path == painter.document.raw_path and marks.on(index + 1):
            strip = draw(strip, index + 1, marks, self.gutter_width, col, used, styles)
        return strip.crop_extend(0, self.size.width, PAD)

    def _joined_line(self, index: int) -> tuple[str, Strip]:
        """Line `index`'s shown rows joined, and drawn with its colours: the painter's
        Line of the cells held (coloured, or plain until `_prefetch` colours it)."""
        assert self._painter is not None
        line = self._painter.line(index)
        done = self._joined.get(index)
        if done is not None and done[0] is line:
            return done[1], done[2]
        drawn = line_strip(line.text, self.app.console)
        self._joined[index] = (line, line.text.plain, drawn)
        return line.text.plain, drawn

    def _line_styles(self) -> LineStyles:
        """The gutter's style, a flagged gutter's, and the marks' (the theme's now)."""
        style = self.get_component_rich_style
        marks = MarkStyles(style("codeview--hit"), style("codeview--current"),
                           style("codeview--line"))  # fmt: skip
        return style("codeview--gutter"), style("codeview--flag"), marks

    def _refusal(self, crop: Region) -> list[Strip]:
        if self._narrow is not None:
            style = self.get_component_rich_style("codeview--blocked")
            message = Text(f" Source hidden: the terminal is too narrow for the whole witness "
                           f"code. Widen it to {self._narrow} columns. ", style)  # fmt: skip
        elif self.document is None and self.refused is None and self.waiting_for is not None:
            message = Text(f" Opening {self.waiting_for}… (shown once it is checked) ")
        elif self.document is None and self.refused is None:
            message = Text(" No file open. ctrl+p or the tree opens one. ")
        else:
            style = self.get_component_rich_style("codeview--blocked")
            reason = self.refused or "waiting for the ledger"
            message = Text(f" Source hidden: {reason} ", style)
        # Wrapped to the view's width, so a narrow view (80x24, the tree shown)
        # still says all of it.
        lines = message.wrap(self.app.console, max(8, self.size.width - 1))
        top = max(0, (self.size.height - len(lines)) // 2)
        strips = []
        for y in range(crop.y, crop.y + crop.height):
            if top <= y < top + len(lines):
                line = lines[y - top]
                segs = list(line.render(self.app.console))
                strip = Strip(segs, line.cell_len).crop_extend(crop.x, crop.right, PAD)
            else:
                strip = Strip.blank(crop.width, PAD)
            strips.append(strip)
        return strips


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Ascending `indexes` as (first, count) runs of consecutive ones."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs


__all__ = ["CodeView", "Gate", "Viewport"]
