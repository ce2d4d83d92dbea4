"""`{` and `}` (issue 15): to the previous or next empty line, as in vim.

The terminal holds one screen of lines, so it cannot know where the next empty
line is: it asks the service (`paragraph`), which finds the line in the signed
text and records the move as a `goto` before it answers (log before display).
Only then does the code view move there; what comes into view is recorded as a
`view` before it is drawn, as after `:N`. The line gone to is marked as `:N`
marks its line, and the status bar says "line N".

From where: the line last gone to (by `{`, `}` or `:N`) while it is on screen,
else the top line. Near the end of a file the view cannot scroll the line to
the top, and starting from the top line again would go to the same line for
ever; vim moves its cursor instead, and the marked line is that cursor here.
A move is a jump (back returns, tui/history_nav.py), as in vim.
"""

from __future__ import annotations

from typing import Any

from ..session.recorder import RecordingError
from ..session.source import ContentRefused
from .codeview import CodeView
from .hitstate import HitState
from .off_loop import Answer


class ParagraphNavigation:
    """Mixed into `ReviewApp`; uses its service, opened file, hits, remember,
    show_marks, ask_off_loop and the failure paths (tui/gate.py)."""

    service: Any
    hits: HitState

    def action_paragraph_forward(self) -> None:
        self._paragraph(forward=True)

    def action_paragraph_back(self) -> None:
        self._paragraph(forward=False)

    def _paragraph(self, forward: bool) -> None:
        opened = self.opened  # type: ignore[attr-defined]
        if opened is None:
            self.notify("No file open: ctrl+p or the tree opens one.", markup=False)  # type: ignore[attr-defined]
            return
        start = self._paragraph_start(opened.path)
        ask = lambda: self.service.paragraph(opened, start, forward)  # noqa: E731
        then = lambda answer: self._paragraph_answered(opened, answer)  # noqa: E731
        self.ask_off_loop(ask, then, "paragraph")  # type: ignore[attr-defined]

    def _paragraph_start(self, path: bytes) -> int:
        view = self.query_one(CodeView)  # type: ignore[attr-defined]
        top = int(view.scroll_offset.y) + 1
        shown = view.viewport()
        target = self.hits.target
        if target is None or target[0] != path or shown is None:
            return top
        return target[1] if shown.first <= target[1] <= shown.last else top

    def _paragraph_answered(self, opened: Any, answer: Answer[int]) -> None:
        """The line gone to (recorded as a `goto`), on the event loop: moved to if
        the same file is still open."""
        if self.opened is not opened:  # type: ignore[attr-defined]
            return  # another file since: the goto is in the ledger, not acted on
        try:
            line = answer.get()
        except RecordingError as exc:
            self._recording_failed(str(exc))  # type: ignore[attr-defined]
            return
        except ContentRefused as exc:
            self._content_refused(exc)  # type: ignore[attr-defined]
            return
        except (KeyError, ValueError) as exc:
            self.notify(f"Move refused: {exc}", markup=False, severity="warning")  # type: ignore[attr-defined]
            return
        self.remember()  # type: ignore[attr-defined]
        self.query_one(CodeView).goto(line)  # type: ignore[attr-defined]
        self.hits.target, self.hits.current = (opened.path, line), None
        self.hits.label = f"line {line}"
        self.show_marks()  # type: ignore[attr-defined]
        self._show_status()  # type: ignore[attr-defined]
