"""Requests whose work grows with the snapshot (find in a file, an outline, the
definitions of a name, the notes, the seal) are asked off the event loop when
the terminal talks to the recorder over its socket (ADR 0219): a Find in a 40 MB
file held the loop 6-9 s, and a stopped recorder held it up to its bound, with
no key, no status poll and no idle timer meanwhile (atk12f, issue 12).

What was on screen stays as it was recorded until the answer comes; the answer
is then handed to the event loop, which acts on it only if it still applies (the
same file open, the session not ended). Keys meanwhile are handled as ADR 0217
says. In-process (a LocalService, tests) the request is answered at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.worker import get_current_worker

from .screens.locking import LockScreen

T = TypeVar("T")


class Answer(Generic[T]):
    """A request's outcome, handed to the event loop: `get()` returns the answer
    or raises what the request raised (RecordingError: the failure path)."""

    def __init__(self, value: T | None = None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error

    def get(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def answer_of(ask: Callable[[], T]) -> Answer[T]:
    try:
        return Answer(ask())
    except Exception as exc:  # handed over whole, raised again on the event loop
        return Answer(None, exc)


class OffLoop:
    """Mixed into `ReviewApp`; uses its service, run_worker and call_from_thread."""

    service: Any

    def ask_off_loop(self, ask: Callable[[], T], then: Callable[[Answer[T]], None],
                     group: str, over_locks: bool = False) -> None:  # fmt: skip
        """`then(answer)` on the event loop once `ask()` is answered; `ask` runs in a
        worker thread when the service is the recorder's socket. A newer request of
        the same `group` supersedes it: the older answer is dropped (recorded, as a
        late answer is, and not shown). An answer that comes while a lock is in
        front is dropped too (nothing is drawn over a lock), unless `over_locks`
        (the seal: its answer is what the end screens show)."""
        if not hasattr(self.service, "serve_loop"):  # in-process: answered at once
            then(answer_of(ask))
            return

        def deliver(answer: Answer[T]) -> None:
            if not over_locks and isinstance(self.screen, LockScreen):  # type: ignore[attr-defined]
                return  # a lock came up meanwhile: nothing is drawn over it (recorded, not shown)
            then(answer)

        def run() -> None:
            answer = answer_of(ask)
            if not get_current_worker().is_cancelled:
                self.call_from_thread(deliver, answer)  # type: ignore[attr-defined]

        self.run_worker(run, thread=True, group=group, exclusive=True,  # type: ignore[attr-defined]
                        exit_on_error=False)  # fmt: skip
