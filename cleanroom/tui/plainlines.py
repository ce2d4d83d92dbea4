"""The code view's lines, finished as Textual's styles cache finishes them, without it.

Textual draws every widget's lines through `StylesCache.render`: per line it lays
out borders, padding, outline, hatch, tint and opacity, pads the line to the
widget's width, then applies the app's line filters. The code view has none of
those styles, so of that pipeline only the padding and the filters change a line;
the rest (a dozen style lookups, two closures and a copy of the line, per line,
every frame) cost a page turn with two hits marked on every line about 7 ms of
its ~29 ms of CPU to paint at load 13 (`scripts/bench/hitmarks.py --first`).
`finished` does the padding and the filters only, and says None (use Textual's
pipeline) as soon as the widget has any style that pipeline would draw, so what
reaches the screen is the same strip either way (tests/test_tui_plain_lines.py).
The code view's own lines are already held (the painter's strips, the marked
ones), so Textual's per-line cache is not needed to avoid drawing them again.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Region, Spacing
from textual.strip import Strip
from textual.widget import Widget

NO_SPACING = Spacing(0, 0, 0, 0)


def plain_styles(widget: Widget) -> bool:
    """Whether Textual's styles cache would only pad `widget`'s lines and filter them:
    no border, outline, padding, hatch, tint, opacity, text opacity or hovered link."""
    styles = widget.styles
    return not (
        widget.BLANK
        or any(edge for edge, _ in styles.border)
        or any(edge for edge, _ in styles.outline)
        or styles.padding != NO_SPACING
        or styles.gutter != NO_SPACING
        or (styles.has_rule("hatch") and styles.hatch != "none")
        or styles.tint.a
        or widget.opacity != 1.0
        or styles.text_opacity != 1.0
        or _hovered_link(widget)
    )


def _hovered_link(widget: Widget) -> bool:
    """A clickable link under the mouse, which the styles cache restyles."""
    if not widget.auto_links:
        return False
    hover = widget.hover_style
    return bool(hover._link_id and hover._meta and "@click" in hover.meta)


def finished(widget: Widget, crop: Region, line: Callable[[int], Strip]) -> list[Strip] | None:
    """Lines `crop` of `widget` drawn by `line(y)`, padded to the widget's width with
    its background and filtered as `StylesCache.render_widget` would; None when the
    widget has a style only that pipeline draws."""
    if not plain_styles(widget):
        return None
    base_background, background = widget.background_colors
    inner, _ = widget._styles_cache.get_inner_outer(base_background, background)
    pad = inner.rich_style
    width = widget.region.width
    filters = widget.get_line_filters()
    strips = []
    for y in crop.line_range:
        strip = line(y).adjust_cell_length(width, pad)
        for line_filter in filters:
            strip = strip.apply_filter(line_filter, background)
        strips.append(strip)
    if crop.column_span != (0, width):
        x1, x2 = crop.column_span
        strips = [strip.crop(x1, x2) for strip in strips]
    return strips


__all__ = ["finished", "plain_styles"]
