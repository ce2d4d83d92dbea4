"""Find in the open file (issue 15), with the keys of less and vim: `/` (or
`ctrl+f`, the find key of browsers and editors) finds forward, `?` backward. The
dialog asks for a literal query; the service finds it in the file and records
`find` before answering where it is (lines and display cells, no text); only
then are the hits marked and the first one moved to (`goto`, then a recorded
`view`): forward, the first hit at or below the top of the screen; backward,
the last hit above it; past the end either way, the search wraps, as in vim.
`n` steps on in the find's direction and `N` against it, until the next search
or find.

With no file open there is nothing to find in: `/` and `?` open the
snapshot-wide search (`s`), which is what a reviewer typing a query then
wants. Help moved from `?` to `h` (less) and F1.
"""

from __future__ import annotations

import bisect
from typing import Any

from ..sanitize import clean, decode
from ..session.find_in_file import FileHits
from ..session.recorder import RecordingError
from .codeview import CodeView
from .hitstate import FoundInFile, HitState
from .off_loop import Answer
from .screens.find import FindScreen


class FindNavigation:
    """Mixed into `ReviewApp`, after SearchNavigation (move_to, show_marks)."""

    service: Any
    hits: HitState

    def action_find_in_file(self) -> None:
        self._find(backward=False)

    def action_find_backward(self) -> None:
        self._find(backward=True)

    def _find(self, backward: bool) -> None:
        opened = self.opened  # type: ignore[attr-defined]
        if opened is None:  # nothing to find in: the snapshot-wide search
            self.action_search()  # type: ignore[attr-defined]
            return

        def chosen(result: tuple[str, bool] | None) -> None:
            if result is None or self.opened is not opened:  # type: ignore[attr-defined]
                return
            query, case = result
            ask = lambda: self.service.find(opened, query, case)  # noqa: E731
            then = lambda answer: self._found_in_file(opened, query, answer, backward)  # noqa: E731
            self.ask_off_loop(ask, then, "find")  # type: ignore[attr-defined]

        name = clean(decode(opened.path))
        self.push_screen(FindScreen(name, backward), chosen)  # type: ignore[attr-defined]

    def _found_in_file(self, opened: Any, query: str, answer: Answer[FileHits],
                       backward: bool = False) -> None:  # fmt: skip
        """The find's answer (recorded), on the event loop: its hits are marked and
        the first one moved to, if the same file is still open (ADR 0219)."""
        if self.opened is not opened:  # type: ignore[attr-defined]
            return  # another file since: the find is in the ledger, not acted on
        try:
            found = answer.get()
        except RecordingError as exc:
            self._recording_failed(str(exc))  # type: ignore[attr-defined]
            return
        except (KeyError, ValueError) as exc:
            self.notify(f"Find refused: {exc}", markup=False, severity="warning")  # type: ignore[attr-defined]
            return
        finding = FoundInFile.of(opened.path, opened.blob, found, backward)
        self.hits.finding, self.hits.stepping = finding, "find"
        if not found.lines:
            self.hits.current, self.hits.label = None, "no find hits"
            self.show_marks()  # type: ignore[attr-defined]
            self._show_status()  # type: ignore[attr-defined]
            self.notify(f"Not found in this file: {query}", markup=False)  # type: ignore[attr-defined]
            return
        top = int(self.query_one(CodeView).scroll_offset.y) + 1  # type: ignore[attr-defined]
        if backward:  # the last hit above the top line; above the first: wrap, as vim
            finding.index = (bisect.bisect_left(found.lines, top) - 1) % len(found.lines)
        else:
            at = bisect.bisect_left(found.lines, top)
            finding.index = at if at < len(found.lines) else 0  # past the last: wrap, as vim
        self._go_to_find_hit()

    def _go_to_find_hit(self) -> None:
        finding = self.hits.finding
        assert finding is not None
        line = finding.hits.lines[finding.index]
        self.move_to(finding.path, line, finding.label())  # type: ignore[attr-defined]
