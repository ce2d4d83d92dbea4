"""Record before display: the only way the UI may put source on screen.

The UI asks `Recorder.record(event)` and paints only after it returns. If the
ledger cannot take the entry, `record` raises `RecordingError` and the recorder
stays *failed*: every later `record` raises too until the ledger works again,
at which point a `recording_failed` entry describing the outage is written
first, so the gap itself is on the record. Thread-safe.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ..ledger.events import Event, Head
from ..ledger.witness import Receipt
from ..ledger.writer import Appended, LedgerError, UnfinishedSeal
from .events import RecordingFailed


class LedgerLike(Protocol):
    """What the recorder needs from a ledger writer, in-process or a recorder service."""

    def append(self, event: Event) -> Appended: ...
    def seal(self, reason: str = ..., countersigner: object = ...) -> Receipt: ...
    @property
    def head(self) -> Head: ...
    @property
    def last(self) -> Appended: ...


class RecordingError(Exception):
    """The event is not recorded, so what it describes must not be shown."""


class SealUnfinished(RecordingError):
    """`session_end` is recorded, so the session is over, but the ledger file could
    not be finished; `finished` (a `ledger.finish.Finished`) says what failed."""

    def __init__(self, message: str, finished: Any) -> None:
        super().__init__(message)
        self.finished = finished


@dataclass
class _Outage:
    error: str
    since_wall_us: int
    attempts: int = 1


class Recorder:
    def __init__(self, ledger: LedgerLike) -> None:
        self.ledger = ledger
        self._lock = threading.Lock()
        self._outage: _Outage | None = None
        self._last_event: Event | None = None

    @property
    def failure(self) -> str | None:
        """Why recording is failing now, or None when it works."""
        return None if self._outage is None else self._outage.error

    @property
    def head(self) -> Head:
        return self.ledger.head

    @property
    def last(self) -> Appended:
        return self.ledger.last

    def record(self, event: Event) -> Appended:
        """Append `event` durably. Raises RecordingError; the caller then shows nothing."""
        with self._lock:
            self._note_recovery()
            return self._append(event)

    def record_view(self, view: Event) -> Appended | None:
        """Record a viewport (of source or of result rows) unless it is exactly the
        last thing recorded (a repaint)."""
        with self._lock:
            self._note_recovery()
            if view == self._last_event:
                return None
            return self._append(view)

    def retry(self) -> bool:
        """Try to leave the failed state (write the outage record). True when recording works."""
        with self._lock:
            try:
                self._note_recovery()
            except RecordingError:
                return False
            return True

    def seal(self, reason: str = "reviewer", countersigner: object = None) -> Receipt:
        with self._lock:
            self._note_recovery()
            try:
                return self.ledger.seal(reason, countersigner)
            except UnfinishedSeal as exc:
                self._fail(str(exc))  # recording is over and the file is not finished
                raise SealUnfinished(str(exc), exc.finished) from exc
            except LedgerError as exc:
                self._fail(str(exc))  # the status bar must not say RECORDING
                raise RecordingError(str(exc)) from exc

    def _append(self, event: Event) -> Appended:
        try:
            appended = self.ledger.append(event)
        except LedgerError as exc:
            self._fail(str(exc))
            raise RecordingError(str(exc)) from exc
        self._last_event = event
        return appended

    def _fail(self, error: str) -> None:
        if self._outage is None:
            self._outage = _Outage(error, time.time_ns() // 1000)
        else:
            self._outage.attempts += 1
            self._outage.error = error

    def _note_recovery(self) -> None:
        if self._outage is None:
            return
        o = self._outage
        note = RecordingFailed(
            error=o.error, failed_at_wall_us=o.since_wall_us, attempts=o.attempts
        )
        try:
            self.ledger.append(note)
        except LedgerError as exc:
            self._fail(str(exc))
            raise RecordingError(str(exc)) from exc
        self._outage = None
        self._last_event = note
