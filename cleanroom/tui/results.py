"""`ResultList`: search results, one sanitized line each. Like the code view, it
draws rows only after the service has recorded which rows are on screen
(`search_results_view`), from the rows that answer carries; if that fails, it
draws none. Rows never on screen are never in the terminal."""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets.option_list import Option

from ..sanitize import Flag, clean, decode, lookalikes, sanitize
from .highlight import TAB
from .optionlist import SteadyOptionList
from .painter import PAD

MATCH_STYLE = Style(bold=True, reverse=True)
FLAG_STYLE = Style(color="white", bgcolor="red", bold=True)

# (first, last) result rows → those rows, once recorded; None: show none
RowsGate = Callable[[int, int], list[object] | None]


def hit_prompt(hit: object) -> Text:
    """`path:line: text` with the matches highlighted, every part sanitized."""
    path = clean(decode(hit.path))  # type: ignore[attr-defined]
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(f"{path}:{hit.line + 1}: ", "bold")  # type: ignore[attr-defined]
    if getattr(hit, "refused", False):  # session.review.RefusedHit: never its text
        text.append("⟨refused: not the content the vendor signed⟩", "bold red")
        return text
    raw = hit.text  # type: ignore[attr-defined]
    marks = lookalikes(decode(raw))  # words judged whole, not per highlighted piece
    cursor = at = 0
    line = len(text)  # where the line's own text starts: tabs count from here
    pieces = []
    for start, end in sorted(hit.text_spans()):  # type: ignore[attr-defined]
        pieces += [(raw[cursor:start], None), (raw[start:end], MATCH_STYLE)]
        cursor = max(cursor, end)
    pieces.append((raw[cursor:], None))
    for piece, style in pieces:
        at += _append_sanitized(text, piece, style, len(text) - line, marks, at)
    if hit.truncated:  # type: ignore[attr-defined]
        text.append(" ⟨cut⟩", "dim")
    return text


def _append_sanitized(
    text: Text, raw: bytes, style: Style | None, col: int, marks: dict[int, Flag], at: int
) -> int:
    """Append the piece `raw` of a line (at character `at` of it); return its length."""
    piece = decode(raw)
    clean_part = sanitize(piece, TAB, col, marks, at)
    start = len(text)
    text.append(clean_part.text, style)
    for a, b, _ in clean_part.spans:
        text.stylize(FLAG_STYLE, start + a, start + b)
    return len(piece)


class ResultList(SteadyOptionList):
    DEFAULT_CSS = "ResultList { height: 1fr; }"

    def __init__(self, gate: RowsGate, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self._gate = gate
        self._shown: tuple[int, int] | None = None
        self._filled: set[int] = set()  # rows whose text an answer carried
        self._blanked = False  # recording failed: no row is drawn, none is asked for

    def show(self, count: int) -> None:
        """`count` rows, each blank until it is on screen and recorded."""
        self._shown, self._blanked = None, False
        self._filled: set[int] = set()
        self.clear_options()
        self.add_options([Option(Text("")) for _ in range(count)])
        if count:
            self.highlighted = 0

    def forget_shown(self) -> None:
        """The rows were covered (a lock): record them again before they are drawn."""
        self._shown = None
        self.refresh()

    def blank(self) -> None:
        """Recording failed: draw no row at once, and until `unblank`."""
        self._blanked, self._shown = True, None
        self.refresh()

    def unblank(self) -> None:
        """Recording works again: the rows on screen are recorded again before drawn."""
        if self._blanked:
            self._blanked, self._shown = False, None
            self.refresh()

    def visible_rows(self) -> tuple[int, int] | None:
        height = self.scrollable_content_region.height  # inside any scrollbar
        if self.option_count == 0 or height == 0:
            return None
        first = int(self.scroll_offset.y)
        last = min(first + height - 1, self.option_count - 1)
        return first, last

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._blanked:
            return [Strip.blank(crop.width, PAD)] * crop.height
        rows = self.visible_rows()
        if rows is not None and rows != self._shown:
            hits = self._gate(*rows)
            self._shown = None if hits is None else rows
            for index, hit in enumerate(hits or [], rows[0]):
                if index not in self._filled:
                    self._filled.add(index)
                    self.replace_option_prompt_at_index(index, hit_prompt(hit))
        if rows is not None and rows != self._shown:
            return [Strip.blank(crop.width, PAD)] * crop.height
        return super().render_lines(crop)
