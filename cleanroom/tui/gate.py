"""The record-before-display gate and the failure paths of the reviewer terminal.

`_gate` is the code view's one way to the screen: the viewport is recorded as a
`view` before any of its lines are put in the shown document; a refused chunk
(`_content_refused`) shows nothing of the file, not even its banner; a failed
recording (`_recording_failed`) hides the code and blanks every list of names,
and says why once. `_seal_unfinished` and `after_crash` are the ends that did
not go as planned: the seal recorded but the ledger not finished, and a crash.
Split out of tui/app.py, with no change of behaviour.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from ..sanitize import clean, decode
from ..session.document import Document
from ..session.recorder import SealUnfinished
from ..session.source import ContentRefused
from .codeview import CodeView, Viewport
from .crash import crash_lines
from .failure_blank import blank_lists
from .screens.failed import FailedEndScreen


class RecordGate:
    """Mixed into `ReviewApp`; uses its service, opened file, shown document,
    status bar, notices, screen stack and `_sealed`."""

    service: Any
    opened: Any
    document: Any
    receipt: Any
    countersigner: object
    _failing: str | None

    def _gate(self, document: Document, viewport: Viewport) -> bool:
        if self.opened is None or self.document is not document:
            return False
        try:
            screen = self.service.view(self.opened, viewport.first, viewport.last, viewport.col,
                                       viewport.cols, viewport.wrap)  # fmt: skip
        except ContentRefused as exc:  # a chunk of it is not the signed one (ADR 0109)
            self._content_refused(exc)
            return False
        ok = screen is not None
        if screen is not None:
            self.document.put(screen)
        self.query_one(CodeView).refused = None if ok else self.service.failure  # type: ignore[attr-defined]
        self.call_later(self._show_status)  # type: ignore[attr-defined]
        return ok

    def _content_refused(self, exc: ContentRefused) -> None:
        """Nothing of the file is shown: not its lines, not its banner (its flags)."""
        self.opened = self.document = None
        # `display` is the sanitizer's output already (display_path); the notice bar
        # sanitizes what it is given, so it gets the raw name: each is cleaned once.
        why = f"{exc.display} {exc.headline}: {clean(exc.why)}"
        self.query_one("#banner", Static).update("")  # type: ignore[attr-defined]
        self.query_one(CodeView).refuse(why)  # type: ignore[attr-defined]
        self._show_status()  # type: ignore[attr-defined]
        said = f"File refused: {decode(exc.path)} {exc.headline}: {exc.why}"
        self.notify(said, markup=False, severity="error", timeout=15)  # type: ignore[attr-defined]

    def _recording_failed(self, why: str) -> None:
        for view in self.query(CodeView).results(CodeView):  # type: ignore[attr-defined]
            view.hide(clean(why))  # (no code view while the app closes)
        blank_lists(self.screen_stack)  # type: ignore[attr-defined]  # result rows, symbol and file names too
        self._show_status()  # type: ignore[attr-defined]
        if why == self._failing:
            return  # hidden again, but announced once (a lost recorder is polled 4x a second)
        self._failing = why
        if getattr(self.service, "waiting", False):
            return  # a moment's wait for an answer: the bar and the code view say so
        self.notify(f"Recording failed; source hidden: {why}", markup=False,  # type: ignore[attr-defined]
                    severity="error", timeout=10)  # fmt: skip

    def _seal_unfinished(self, reason: str, exc: SealUnfinished) -> None:
        self._recording_failed(str(exc))
        self.receipt = receipt = exc.finished.receipt
        where = exc.finished.receipt_path
        witness = f"{receipt.seq}:{receipt.code}"
        gone = getattr(exc.finished, "gone", None)  # the ledger file deleted or moved
        receipt_at = None if where is None else str(where)
        screen = FailedEndScreen(reason, str(exc), witness, receipt_at, gone)
        self.push_screen(screen, self._sealed)  # type: ignore[attr-defined]

    def after_crash(self, error: BaseException) -> list[str]:
        self.opened = self.document = None
        outcome = self.service.after_crash(error, self.countersigner)
        self.receipt = outcome.receipt
        return crash_lines(outcome)
