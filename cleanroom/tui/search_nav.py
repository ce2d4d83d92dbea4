"""The search actions of the reviewer app: `/` opens the search screen, `n` and
`N` step through the results of the last search, opening each hit at its line.
The search screen covers the code; when it closes without opening a result, the
code view records its viewport again before it shows it (as after a lock)."""

from __future__ import annotations

from typing import Any

from ..session.review import Found
from .codeview import CodeView
from .screens.search import SearchScreen


class SearchNavigation:
    """Mixed into `ReviewApp`; uses its session, open_path, notify and push_screen."""

    found: Found | None
    result_index: int
    session: Any

    def action_search(self) -> None:
        def chosen(result: tuple[Found, int] | None) -> None:
            if result is not None:
                self.found, self.result_index = result
                self._open_result()
            else:  # the code comes back into view: the ledger must say so (and when)
                self.query_one(CodeView).forget_shown()  # type: ignore[attr-defined]

        self.push_screen(SearchScreen(self.session, self.found), chosen)  # type: ignore[attr-defined]

    def action_next_result(self) -> None:
        self._step_result(+1)

    def action_previous_result(self) -> None:
        self._step_result(-1)

    def _step_result(self, step: int) -> None:
        if self.found is None or not self.found.hits:
            self.notify("No search results. / searches.", markup=False)  # type: ignore[attr-defined]
            return
        self.result_index = (self.result_index + step) % len(self.found.hits)
        self._open_result()

    def _open_result(self) -> None:
        assert self.found is not None
        hit = self.found.hits[self.result_index]
        self.open_path(hit.path, hit.line + 1)  # type: ignore[attr-defined]
        self.sub_title = f"result {self.result_index + 1} of {len(self.found.hits)}"  # type: ignore[attr-defined]
