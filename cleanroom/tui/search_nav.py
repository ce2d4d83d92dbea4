"""The search actions of the reviewer app: `s` opens the search screen, `n` and
`N` step through the hits of the last search (or of the last find in the file,
tui/find_nav.py, whichever came last). A hit in another file opens it at its
line (`file_open`); a hit in the open file moves there (`goto`); either way the
lines come into view through a recorded `view`. The code view marks the hits
(tui/hitmarks.py) and the status bar says "hit k of N".
The search screen covers the code; when it closes without opening a result, the
code view records its viewport again before it shows it (as after a lock)."""

from __future__ import annotations

from typing import Any

from ..session.recorder import RecordingError
from ..session.service import Results
from .codeview import CodeView
from .hitstate import HitState
from .screens.search import SearchScreen


class SearchNavigation:
    """Mixed into `ReviewApp`; uses its service, open_path, notify and push_screen."""

    found: Results | None
    result_index: int
    service: Any
    hits: HitState

    def action_search(self) -> None:
        self.search_for(None)

    def search_for(self, start: Any) -> None:
        """Open the search screen; with `start` (a Query), run it at once."""

        def chosen(result: tuple[Results, int] | None) -> None:
            if result is not None:
                self.found, self.result_index = result
                self.hits.forget_search(self.found.seq)
                self._open_result()
            else:  # the code comes back into view: the ledger must say so (and when)
                self.query_one(CodeView).forget_shown()  # type: ignore[attr-defined]

        self.push_screen(SearchScreen(self.service, self.found, start), chosen)  # type: ignore[attr-defined]

    def on_search_screen_rows_recorded(self, message: SearchScreen.RowsRecorded) -> None:
        if message.seq is not None:
            self.hits.rows_shown(message.seq, message.rows)
        self._show_status()  # type: ignore[attr-defined]

    def action_next_result(self) -> None:
        self._step_result(+1)

    def action_previous_result(self) -> None:
        self._step_result(-1)

    def _step_result(self, step: int) -> None:
        finding = self.hits.finding
        if self.hits.stepping == "find" and finding is not None:
            if not finding.hits.lines:
                self.notify("No hits in this file. / or ? finds.", markup=False)  # type: ignore[attr-defined]
                return
            step = -step if finding.backward else step  # n goes the find's way (less, vim)
            finding.index = (finding.index + step) % len(finding.hits.lines)
            self._go_to_find_hit()  # type: ignore[attr-defined]
            return
        if self.found is None or not self.found.kept:
            self.notify("No search results. s searches.", markup=False)  # type: ignore[attr-defined]
            return
        self.result_index = (self.result_index + step) % self.found.kept
        self._open_result()

    def _open_result(self) -> None:
        assert self.found is not None
        try:
            where = self.service.result_at(self.found, self.result_index)
        except RecordingError as exc:  # not answering, failed: hide and say why
            self._recording_failed(str(exc))  # type: ignore[attr-defined]
            return
        if where is None:
            self.notify("That result cannot be shown.", markup=False)  # type: ignore[attr-defined]
            return
        path, line = where
        label = f"hit {self.result_index + 1} of {self.found.kept:,}"
        self.sub_title = f"result {self.result_index + 1} of {self.found.kept}"  # type: ignore[attr-defined]
        self.move_to(path, line + 1, label)

    def move_to(self, path: bytes, line: int, label: str) -> None:
        """Show `path` at `line` as the current hit: a `goto` in the open file, else
        `file_open`; the view that follows is recorded before it is drawn. Back
        (tui/history_nav.py) returns to where this left."""
        self.remember()  # type: ignore[attr-defined]
        if not self.go_to(path, line):  # type: ignore[attr-defined]
            return
        self.hits.current, self.hits.target, self.hits.label = (path, line), None, label
        self.show_marks()
        self._show_status()  # type: ignore[attr-defined]

    def show_marks(self) -> None:
        """Mark, in the code view, the hits and lines of the file shown."""
        view = self.query_one(CodeView)  # type: ignore[attr-defined]
        opened = self.opened  # type: ignore[attr-defined]
        view.marks = None if opened is None else self.hits.marks_for(opened.path, opened.blob)
