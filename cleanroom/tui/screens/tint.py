"""`TintedBackground`: the dimmed view of the screen under a dialog, as Textual
draws it, with each style's tint worked out once.

A dialog's translucent background shows the screen below it tinted: Textual's
`BackgroundScreen` blends every segment's colours with the tint again on each
redraw of the dialog, that is on every key typed into quick open or search. The
same few styles recur on every line, so each style's tinted form is kept
(`tinted`); the segments drawn are the same as Textual's (tests/test_tui_tint.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.renderables.background_screen import BackgroundScreen

NULL_STYLE = Style()


@lru_cache(maxsize=4096)
def tinted(style: Style | None, color: Color) -> Style:
    """`style` without meta or links, its colours blended with `color`, as
    `BackgroundScreen.process_segments` makes it."""
    style = NULL_STYLE if style is None else style.clear_meta_and_links()
    fore, back = style.color, style.bgcolor
    return style + Style.from_color(
        None if fore is None else (Color.from_rich_color(fore) + color).rich_color,
        None if back is None else (Color.from_rich_color(back) + color).rich_color,
    )


class TintedBackground(BackgroundScreen):
    @classmethod
    def process_segments(cls, segments: Iterable[Segment], color: Color) -> Iterable[Segment]:
        if color.a == 0:  # Textual's own special case: nothing to blend
            yield from BackgroundScreen.process_segments(segments, color)
            return
        for segment in segments:
            text, style, control = segment
            yield segment if control else Segment(text, tinted(style, color), control)


def tint_cached(shown: object) -> object:
    """A screen's renderable, with Textual's tinted background replaced by ours."""
    if type(shown) is BackgroundScreen:
        return TintedBackground(shown.screen, shown.color)
    return shown
