"""A review session: every reviewer action, recorded before the UI shows it.

`ReviewSession` is what the reviewer terminal talks to. Each method records its
event through the `Recorder` first and only then returns what may be shown;
if recording fails it raises `RecordingError` and the caller shows nothing.
No textual here: the UI stays a thin layer over this.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..ledger.witness import Receipt, witness_code
from .events import Active, Blocked, FileOpen, Goto, Idle, QuickOpen, View, WitnessShown
from .recorder import Recorder, RecordingError
from .source import Opened, Source


@dataclass(frozen=True)
class Facts:
    """Who and what, for the start screen and the status bar (trusted: from the CLI)."""

    reviewer: str
    org: str
    workstation: str
    snapshot: str
    ledger_path: str


class ReviewSession:
    def __init__(self, recorder: Recorder, source: Source, facts: Facts) -> None:
        self.recorder = recorder
        self.source = source
        self.facts = facts
        last = recorder.last
        self.shown_witness = (last.seq, witness_code(last.hash))
        self.alerts = 0

    @property
    def session_id(self) -> str:
        return self.recorder.head.ledger

    @property
    def entries(self) -> int:
        return self.recorder.head.seq + 1

    @property
    def failure(self) -> str | None:
        return self.recorder.failure

    def open_file(self, path: bytes) -> Opened:
        """Open `path` and record `file_open`. Raises KeyError or RecordingError."""
        opened = self.source.open(path)
        event = FileOpen(path, opened.blob, opened.size, opened.lines, dict(opened.flags))
        self.recorder.record(event)
        return opened

    def record_view(self, opened: Opened, first: int, last: int, col: int, cols: int) -> bool:
        """Record a viewport before it is painted. False means: paint nothing."""
        view = View(opened.path, opened.blob, first, last, col, cols)
        try:
            self.recorder.record_view(view)
        except RecordingError:
            return False
        return True

    def goto(self, opened: Opened, line: int) -> None:
        self.recorder.record(Goto(opened.path, line))

    def quick_open(self, query: str, matches: int) -> None:
        self.recorder.record(QuickOpen(query, matches))

    def blocked(self, action: str, detail: str = "") -> None:
        """Record a refused action; never raises (the refusal itself already held)."""
        try:
            self.recorder.record(Blocked(action, detail))
        except RecordingError:
            pass

    def idle(self, after_s: int) -> float:
        self.recorder.record(Idle(after_s))
        return time.monotonic()

    def active(self, since: float) -> None:
        self.recorder.record(Active(int(time.monotonic() - since)))

    def witness(self) -> tuple[int, str]:
        """Record that the current head's code is shown, and return (seq, code) to show."""
        head = self.recorder.last
        code = witness_code(head.hash)
        self.recorder.record(WitnessShown(head.seq, code))
        self.shown_witness = (head.seq, code)
        return self.shown_witness

    def retry(self) -> bool:
        return self.recorder.retry()

    def seal(self, countersigner: object = None) -> Receipt:
        return self.recorder.seal("reviewer", countersigner)
