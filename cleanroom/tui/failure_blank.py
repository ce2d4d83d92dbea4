"""A recording failure blanks every list that shows source or names, not only the
code view (issue 12): search results, symbol lists, quick open's names. Result
rows are drawn again only from a fresh recorded view once recording works; the
name lists stay empty until they are asked for (and recorded) again."""

from __future__ import annotations

from collections.abc import Iterable

from textual.screen import Screen

from .optionlist import SteadyOptionList
from .results import ResultList


def blank_lists(screens: Iterable[Screen]) -> None:
    """Hide, at once, every row of source or names on `screens`."""
    for screen in screens:
        for widget in screen.query(SteadyOptionList):
            if isinstance(widget, ResultList):
                widget.blank()
            else:
                widget.clear_options()


def unblank_lists(screens: Iterable[Screen]) -> None:
    """Recording works again: result rows on screen are recorded again, then drawn."""
    for screen in screens:
        for widget in screen.query(ResultList):
            widget.unblank()
