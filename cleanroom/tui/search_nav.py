"""The search actions of the reviewer app: `/` opens the search screen, `n` and
`N` step through the results of the last search, opening each hit at its line.
The search screen covers the code; when it closes without opening a result, the
code view records its viewport again before it shows it (as after a lock)."""

from __future__ import annotations

from typing import Any

from ..session.service import Results
from .codeview import CodeView
from .screens.search import SearchScreen


class SearchNavigation:
    """Mixed into `ReviewApp`; uses its session, open_path, notify and push_screen."""

    found: Results | None
    result_index: int
    service: Any

    def action_search(self) -> None:
        def chosen(result: tuple[Results, int] | None) -> None:
            if result is not None:
                self.found, self.result_index = result
                self._open_result()
            else:  # the code comes back into view: the ledger must say so (and when)
                self.query_one(CodeView).forget_shown()  # type: ignore[attr-defined]

        self.push_screen(SearchScreen(self.service, self.found), chosen)  # type: ignore[attr-defined]

    def action_next_result(self) -> None:
        self._step_result(+1)

    def action_previous_result(self) -> None:
        self._step_result(-1)

    def _step_result(self, step: int) -> None:
        if self.found is None or not self.found.kept:
            self.notify("No search results. / searches.", markup=False)  # type: ignore[attr-defined]
            return
        self.result_index = (self.result_index + step) % self.found.kept
        self._open_result()

    def _open_result(self) -> None:
        assert self.found is not None
        where = self.service.result_at(self.found, self.result_index)
        if where is None:
            self.notify("That result cannot be shown.", markup=False)  # type: ignore[attr-defined]
            return
        path, line = where
        self.open_path(path, line + 1)  # type: ignore[attr-defined]
        self.sub_title = f"result {self.result_index + 1} of {self.found.kept}"  # type: ignore[attr-defined]
