"""`TintedBackground`: the dimmed view of the screen under a dialog, as Textual
draws it, with each style's tint worked out once, and each line's once.

A dialog's translucent background shows the screen below it tinted: Textual's
`BackgroundScreen` blends every segment's colours with the tint again on each
redraw of the dialog, that is on every key typed into quick open or search. The
same few styles recur on every line, so each style's tinted form is kept
(`tinted`); the segments drawn are the same as Textual's (tests/test_tui_tint.py).

Each redraw of the dialog also draws the whole screen below it again, every line
through Rich's rendering (segments, then split into lines again), though only a
line or two of it changed (the status bar's count, after each recorded list):
in a real terminal a quick open cost ~0.4 CPU-s, most of it these redraws.
`TintedLines` gives the same lines (tests/test_tui_tint.py) straight from the
screen's own lines, each line tinted once while it stays the same (`tinted_line`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.app import active_app
from textual.color import Color
from textual.css.styles import RulesMap
from textual.renderables.background_screen import BackgroundScreen
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import RenderOptions, Visual

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


LINES = 1024  # tinted lines kept: a few screens' worth (each line is ~1 KB)


@lru_cache(maxsize=LINES)
def tinted_line(segments: tuple[Segment, ...], color: Color, base: Style) -> Strip:
    """A line of the screen below, tinted (`TintedBackground`) and under the dialog's
    own style, as Textual's `RichVisual` of it draws it: each segment's style added
    to `base`, control codes dropped (Textual's `_Styled`)."""
    line = TintedBackground.process_segments(segments, color)
    if base:
        return Strip([Segment(text, base + style, None) for text, style, _ in line])
    return Strip([Segment(text, style, None) for text, style, _ in line])


class TintedLines(Visual):
    """What Textual draws for a dialog's `BackgroundScreen(screen, color)`, drawn
    from `screen`'s lines: a line tinted before is not tinted again."""

    def __init__(self, screen: Any, color: Color) -> None:
        self.screen, self.color = screen, color

    def render_strips(self, width: int, height: int | None, style: VisualStyle,
                      options: RenderOptions) -> list[Strip]:  # fmt: skip
        base = active_app.get().console.get_style(style.rich_style)
        strips = []
        for line in self.screen._compositor.render_strips()[:height]:
            try:
                strip = tinted_line(tuple(line), self.color, base)
            except TypeError:  # a segment that cannot be a key (a control code list)
                strip = tinted_line.__wrapped__(tuple(line), self.color, base)
            strips.append(strip if strip.cell_length <= width else strip.crop(0, width))
        return strips

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.screen._compositor.size.width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.screen._compositor.size.height


def tint_cached(shown: object) -> object:
    """A screen's renderable, with Textual's tinted background replaced by ours."""
    if type(shown) is BackgroundScreen:
        return TintedLines(shown.screen, shown.color)
    return shown
