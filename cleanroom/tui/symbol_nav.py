"""Following code in the reviewer app (issue 15), from the signed symbol index:

| Key | Action |
|---|---|
| `o` | outline of the open file: its definitions by line; Enter goes to one |
| `]`, `[` | in an outline of more than 2,000 definitions: the next, the previous page |
| `d` | go to definition of the word at the cursor (or a name typed); a chooser if several |
| `r` | find references of the word at the cursor (or a name typed): a search for `\\bNAME\\b` |
| `ctrl+t` | symbol quick open: type part of a name, Enter goes to its definition |

Each list is recorded by the service before it is drawn (`symbol_outline`,
`symbol_definitions`, `symbol_quick_open`); references are a search, recorded,
listed and replayed as one (ADR 0211). Going to a symbol is a `goto` or a
`file_open`, then the `view` it brings, as a search hit is.

The code view has no text cursor: "the word at the cursor" is the word at the
current hit (of a search, a find or `n`/`N`) when it is on the line, else the
first name on the line of the last `:N`, else on the top line shown; the dialog
shows it, to be kept or changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..sanitize import clean
from ..session.recorder import RecordingError
from ..session.symbols import OUTLINE_LIMIT, SymbolsUnavailable
from ..snapshot.symbols.query import references_query
from .codeview import CodeView
from .cursor_word import CUT_NAME, word_in, word_in_row, word_on_screen
from .hitstate import HitState
from .off_loop import Answer
from .screens.symbols import NameScreen, Pages, PageTurn, SymbolListScreen, SymbolQuickOpenScreen

Listed = TypeVar("Listed")  # what a symbol request answers: an outline, definitions


class SymbolNavigation:
    """Mixed into `ReviewApp`, after SearchNavigation (move_to, action_search)."""

    service: Any
    hits: HitState

    # -- the word at the cursor ----------------------------------------------------

    def word_at_cursor(self) -> str:
        """The name at the cursor, whole: a name cut by the screen's edge is taken
        from the recorded search row of its line, else not offered ("" and the
        reviewer is told why, tui/cursor_word.py)."""
        opened, document = self.opened, self.document  # type: ignore[attr-defined]
        if opened is None or document is None:
            return ""
        marks = self.hits.marks_for(opened.path, opened.blob)
        view = self.query_one(CodeView)  # type: ignore[attr-defined]
        line, at = int(view.scroll_offset.y) + 1, None
        if marks.current is not None:
            line = marks.current
            cells = marks.cells.get(line) or []
            at = cells[0][0] - document.origin if cells else None
        elif marks.target is not None:
            line = marks.target
        shown = document.lines(line - 1, line)[0].decode("utf-8", "replace")
        at = at if at is None or at >= 0 else None
        word, cut = word_on_screen(shown, at, document.origin > 0)
        if not cut:
            return word
        row = self.hits.row_at(opened.path, line) if marks.current == line else None
        whole = word_in_row(*row) if row is not None else ""
        if whole:
            return whole
        self.notify(CUT_NAME, markup=False, severity="warning", timeout=8)  # type: ignore[attr-defined]
        return ""

    # -- actions -------------------------------------------------------------------

    def action_outline(self) -> None:
        opened = self.opened  # type: ignore[attr-defined]
        if opened is None:
            self.notify("No file open: ctrl+p or the tree opens one.", markup=False)  # type: ignore[attr-defined]
            return
        self.outline_page(opened, 0)

    def outline_page(self, opened: Any, offset: int) -> None:
        """Ask for the page of the outline after its first `offset` rows (recorded),
        then list it (ADR 0127)."""
        ask = lambda: self.service.outline(opened, offset)  # noqa: E731
        self.ask_off_loop(ask, lambda answer: self._outlined(opened, answer), "symbols")  # type: ignore[attr-defined]

    def _outlined(self, opened: Any, answer: Answer[Any]) -> None:
        """The outline's answer (recorded), on the event loop (ADR 0219)."""
        if self.opened is not opened:  # type: ignore[attr-defined]
            return  # another file since: recorded, not shown
        found = self._asked(answer.get, KeyError)
        if found is None:
            return
        if not found.rows:
            self.notify("No definitions in this file's symbol index.", markup=False)  # type: ignore[attr-defined]
            return
        top = int(self.query_one(CodeView).scroll_offset.y)  # type: ignore[attr-defined]
        at = max(0, sum(1 for s in found.rows if s.line <= top) - 1)
        offset = found.offset
        pages = Pages(offset, OUTLINE_LIMIT, found.total)
        count = _outline_counted(found, pages)
        name = clean(opened.name)
        screen = SymbolListScreen(f"Outline of {name}", found.rows, count, False, at,
                                  again=lambda: self.service.outline(opened, offset),
                                  pages=pages)  # fmt: skip
        self.push_screen(screen, lambda chosen: self._outline_chosen(opened, chosen))  # type: ignore[attr-defined]

    def _outline_chosen(self, opened: Any, chosen: Any) -> None:
        if isinstance(chosen, PageTurn):
            self.outline_page(opened, chosen.offset)
        else:
            self._go_to_symbol(chosen)

    def action_go_to_definition(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.definitions_of(name)

        self.push_screen(NameScreen("Go to the definition of:", self.word_at_cursor()), chosen)  # type: ignore[attr-defined]

    def definitions_of(self, name: str) -> None:
        """Look `name` up (recorded), then go to its one definition or offer them all."""
        ask = lambda: self.service.definitions(name)  # noqa: E731
        self.ask_off_loop(ask, lambda answer: self._defined(name, answer), "symbols")  # type: ignore[attr-defined]

    def _defined(self, name: str, answer: Answer[Any]) -> None:
        """The definitions' answer (recorded), on the event loop (ADR 0219)."""
        if getattr(self, "_ending", None) is not None:
            return  # the session is ending: nothing more is shown
        found = self._asked(answer.get)
        if found is None:
            return
        if not found.rows:
            self.notify(f"No definition of {name} in the symbol index.", markup=False)  # type: ignore[attr-defined]
            return
        if len(found.rows) == 1:
            self._go_to_symbol(found.rows[0])
            return
        count = _counted(found)
        screen = SymbolListScreen(f"Definitions of {clean(name)}", found.rows, count,
                                  again=lambda: self.service.definitions(name))  # fmt: skip
        self.push_screen(screen, self._go_to_symbol)  # type: ignore[attr-defined]

    def action_references(self) -> None:
        def chosen(name: str | None) -> None:
            if not name:
                return
            try:
                query = references_query(name)
            except SymbolsUnavailable as exc:
                self._no_symbols(exc)
                return
            self.search_for(query)  # type: ignore[attr-defined]

        self.push_screen(NameScreen("Find references of:", self.word_at_cursor()), chosen)  # type: ignore[attr-defined]

    def action_symbol_quick_open(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.definitions_of(name)

        self.push_screen(SymbolQuickOpenScreen(self._symbol_names), chosen)  # type: ignore[attr-defined]

    def _symbol_names(self, typed: str) -> list[str]:
        """From the quick-open worker thread: the names, recorded."""
        try:
            return self.service.symbol_names(typed)
        finally:
            self.call_from_thread(self._show_status)  # type: ignore[attr-defined]

    # -- going there -----------------------------------------------------------------

    def _asked(self, ask: Callable[[], Listed], *refused: type[Exception]) -> Listed | None:
        """Ask the service (it records before it answers), then update the status
        bar and return the answer; or say why nothing can be shown and return None:
        no usable index (SymbolsUnavailable, or one of `refused`), or the request
        could not be recorded (RecordingError: the fail-closed path)."""
        try:
            found = ask()
        except (SymbolsUnavailable, *refused) as exc:
            self._no_symbols(exc)
            return None
        except RecordingError as exc:
            self._recording_failed(str(exc))  # type: ignore[attr-defined]
            return None
        self._show_status()  # type: ignore[attr-defined]
        return found

    def _go_to_symbol(self, symbol: Any) -> None:
        if symbol is None:
            return
        label = f"{clean(symbol.kind)} {clean(symbol.name)}"
        self.move_to(symbol.path, symbol.line + 1, label)  # type: ignore[attr-defined]

    def _no_symbols(self, exc: BaseException) -> None:
        why = exc.args[0] if isinstance(exc, SymbolsUnavailable) and exc.args else str(exc)
        self.notify(f"Symbols: {why}", markup=False, severity="warning", timeout=8)  # type: ignore[attr-defined]


def _outline_counted(found: Any, pages: Pages) -> str:
    """The line under a page of an outline: how many, which are listed, the keys."""
    if pages.offset == 0 and pages.next() is None:
        return _counted(found)
    first, last = pages.offset + 1, pages.offset + len(found.rows)
    keys = [k for k, there in (("] next page", pages.next()), ("[ previous", pages.previous()))
            if there is not None]  # fmt: skip
    turn = f" {', '.join(keys)};" if keys else ""
    return (
        f"{found.total:,} definitions ({first:,}-{last:,} listed).{turn}"
        " Enter goes to one; Escape closes."
    )


def _counted(found: Any) -> str:
    """The line under a list of definitions: how many, and how many are listed."""
    more = f" (the first {len(found.rows):,})" if found.total > len(found.rows) else ""
    return f"{found.total:,} definitions{more}. Enter goes to one; Escape closes."


__all__ = ["SymbolNavigation", "word_in"]  # word_in: tui/cursor_word.py
