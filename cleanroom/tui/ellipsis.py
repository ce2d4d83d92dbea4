"""Cut a sanitized name to a width, with `…` where it was cut (issue 15: the
tree's long names). The name is sanitized first, then cut, and never inside a
tag such as `⟨RLO⟩`: half a tag would read as source text, or hide which
character stood there. A tag that does not fit goes whole, before the `…`."""

from __future__ import annotations

from ..sanitize import Sanitized
from ..session.display import cell_len, char_width

ELLIPSIS = "…"


def fit(shown: Sanitized, width: int) -> str:
    """`shown.text` if it fits in `width` cells, else its longest start that fits
    with `…` after it, cut between tags, never inside one ("" for no room)."""
    text = shown.text
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    room, cells, end = width - 1, 0, 0
    for i, ch in enumerate(text):
        w = char_width(ch)
        if cells + w > room:
            break
        cells, end = cells + w, i + 1
    for start, stop, _ in shown.spans:
        if start < end < stop:
            end = start
    return text[:end] + ELLIPSIS


__all__ = ["ELLIPSIS", "fit"]
