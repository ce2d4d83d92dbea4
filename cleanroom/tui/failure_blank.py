"""A recording failure blanks every list that shows source or names, not only the
code view (issue 12): search results, symbol lists, quick open's names, and every
screen whose own text came from the ledger or the snapshot (the notes pane,
the marks list, a name taken from the code). Result rows are drawn again only
from a fresh recorded view once recording works; everything else stays empty
until it is asked for (and recorded) again.

A screen that draws such text in anything but an option list says so with
`blank_on_failure` (it hides that text at once); a screen that draws none of it
(fixed words, a lock, the reviewer's own draft) sets `SHOWS_RECORDED = False`.
tests/test_tui_failure_every_screen.py walks every screen class of the terminal
under a real recording failure and fails for one that is neither walked nor
declared, so a new screen cannot forget."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.css.query import NoMatches
from textual.screen import Screen

from .optionlist import SteadyOptionList
from .results import ResultList

HIDDEN = "Hidden: recording failed (nothing is shown that is not recorded)."


class BlanksOnFailure:
    """Mixed into a screen that draws recorded text in its own widgets: it defines
    `blank_shown` (hide that text). A failure may reach the screen in any state
    of its life (atk12f: the status poll blanked a screen pushed but not yet
    composed, or being taken down, and `query_one` raised NoMatches into the
    terminal): it is blanked now if its widgets are there, and once mounted
    (before its first frame) if recording failed meanwhile or still fails."""

    _blanked = False

    def blank_shown(self) -> None:
        raise NotImplementedError

    def blank_on_failure(self) -> None:
        self._blanked = True
        try:
            self.blank_shown()
        except NoMatches:
            pass  # not composed yet (blanked on mount) or taken down (nothing shows)

    def on_mount(self) -> None:
        app: Any = getattr(self, "app", None)
        service = getattr(app, "service", None)
        if self._blanked or getattr(service, "failure", None) is not None:
            self.blank_on_failure()


def blank_lists(screens: Iterable[Screen]) -> None:
    """Hide, at once, every row of source or names on `screens`."""
    for screen in list(screens):
        for widget in screen.query(SteadyOptionList):
            if isinstance(widget, ResultList):
                widget.blank()
            else:
                widget.clear_options()
        blank = getattr(screen, "blank_on_failure", None)
        if blank is not None:
            blank()


def unblank_lists(screens: Iterable[Screen]) -> None:
    """Recording works again: result rows on screen are recorded again, then drawn."""
    for screen in screens:
        for widget in screen.query(ResultList):
            widget.unblank()
