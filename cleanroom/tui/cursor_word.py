"""The name at the cursor, for go to definition and references (issue 15).

The terminal holds a screen's cells only, and where a line goes on past an
edge the edge cell is a cut marker (`‹`/`›`, session/display.py). A name that
runs into a marker is a fragment (`ReviewSessio›`): offering it would look up
the wrong name. So a fragment is never offered: the whole name is taken from
the recorded search row of that line when there is one (its text was recorded
with the row, `search_results_view`), else nothing is offered and the reviewer
is told why (`CUT_NAME`).
"""

from __future__ import annotations

import re

from ..session.display import CUT_LEFT, CUT_RIGHT

_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_KEYWORDS = (
    "auto break case char class const continue def default define do double else enum "
    "export extern fn for from func function if import include inline int let long pub "
    "public private protected register return self short signed sizeof static struct "
    "switch typedef union unsigned var void volatile while"
)
_NOT_NAMES = frozenset(_KEYWORDS.split())
CUT_NAME = (
    "The name at the cursor is cut at the screen's edge (‹ ›): scroll with ←/→ to see it"
    " whole, or type it."
)


def word_in(text: str, at: int | None) -> str:
    """The name at character `at` of a shown line (None: the line's first name
    that is not a keyword); "" if there is none."""
    words = list(_WORD.finditer(text))
    if at is not None:
        for m in words:
            if m.start() <= at < m.end() or m.start() >= at:
                return m.group()
        return ""
    return next((m.group() for m in words if m.group() not in _NOT_NAMES), "")


def is_cut(shown: str, start: int, end: int, scrolled: bool) -> bool:
    """Whether the name at characters start..end-1 of a shown line (display cells,
    `scrolled`: its window starts past column 0) runs into a cut marker."""
    right = end == len(shown) - 1 and shown[-1:] == CUT_RIGHT
    left = scrolled and start == 1 and shown[:1] == CUT_LEFT
    return right or left


def word_on_screen(shown: str, at: int | None, scrolled: bool) -> tuple[str, bool]:
    """(name, cut): the name at character `at` of a shown line, as `word_in`, and
    whether it runs into a cut marker. With `at` None, the first whole name that
    is not a keyword (a fragment is passed over); cut only if there is none."""
    words = list(_WORD.finditer(shown))
    if at is not None:
        for m in words:
            if m.start() <= at < m.end() or m.start() >= at:
                return m.group(), is_cut(shown, m.start(), m.end(), scrolled)
        return "", False
    names = [m for m in words if m.group() not in _NOT_NAMES]
    for m in names:
        if not is_cut(shown, m.start(), m.end(), scrolled):
            return m.group(), False
    return ("", True) if names else ("", False)


def word_in_row(text: bytes, at: int) -> str:
    """The name at byte `at` of a recorded search row's raw line text ("" if none)."""
    line = text.decode("utf-8", "replace")
    return word_in(line, len(text[:at].decode("utf-8", "replace")))


__all__ = ["CUT_NAME", "is_cut", "word_in", "word_in_row", "word_on_screen"]
