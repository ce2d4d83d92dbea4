"""`ResultList`: search results, one sanitized line each. Like the code view, it
draws rows only after the session has recorded which rows are on screen
(`search_results_view`); if that fails, it draws none."""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..sanitize import clean, decode, sanitize

MATCH_STYLE = Style(bold=True, reverse=True)
FLAG_STYLE = Style(color="white", bgcolor="red", bold=True)

RowsGate = Callable[[int, int], bool]  # (first, last) result rows → recorded?


def hit_prompt(hit: object) -> Text:
    """`path:line: text` with the matches highlighted, every part sanitized."""
    path = clean(decode(hit.path))  # type: ignore[attr-defined]
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(f"{path}:{hit.line + 1}: ", "bold")  # type: ignore[attr-defined]
    if getattr(hit, "refused", False):  # session.review.RefusedHit: never its text
        text.append("⟨refused: not the content the vendor signed⟩", "bold red")
        return text
    raw = hit.text  # type: ignore[attr-defined]
    cursor = 0
    for start, end in sorted(hit.text_spans()):  # type: ignore[attr-defined]
        _append_sanitized(text, raw[cursor:start], None)
        _append_sanitized(text, raw[start:end], MATCH_STYLE)
        cursor = max(cursor, end)
    _append_sanitized(text, raw[cursor:], None)
    if hit.truncated:  # type: ignore[attr-defined]
        text.append(" ⟨cut⟩", "dim")
    return text


def _append_sanitized(text: Text, raw: bytes, style: Style | None) -> None:
    clean_part = sanitize(decode(raw), tab_size=4)
    start = len(text)
    text.append(clean_part.text, style)
    for a, b, _ in clean_part.spans:
        text.stylize(FLAG_STYLE, start + a, start + b)


class ResultList(OptionList):
    DEFAULT_CSS = "ResultList { height: 1fr; }"

    def __init__(self, gate: RowsGate, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self._gate = gate
        self._shown: tuple[int, int] | None = None

    def show(self, hits: list[object]) -> None:
        self._shown = None
        self.clear_options()
        self.add_options([Option(hit_prompt(h)) for h in hits])
        if hits:
            self.highlighted = 0

    def visible_rows(self) -> tuple[int, int] | None:
        height = self.scrollable_content_region.height  # inside any scrollbar
        if self.option_count == 0 or height == 0:
            return None
        first = int(self.scroll_offset.y)
        last = min(first + height - 1, self.option_count - 1)
        return first, last

    def render_lines(self, crop: Region) -> list[Strip]:
        rows = self.visible_rows()
        if rows is not None and rows != self._shown:
            self._shown = rows if self._gate(*rows) else None
        if rows is not None and rows != self._shown:
            return [Strip.blank(crop.width)] * crop.height
        return super().render_lines(crop)
