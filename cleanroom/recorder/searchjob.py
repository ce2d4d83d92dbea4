"""`SearchJob`: one search pass, run in a worker thread while the recorder keeps
serving (guard, lock, cancel). The worker only searches: it records nothing and
sends nothing. The server's own thread records the `search` entry when the
terminal asks for the result (`wait`), and only then answers it, so what is
answered is still exactly what was recorded; a job that is cancelled, or whose
session left the state that permits results, is recorded as `search_cancel`
and its result is dropped unread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..session.first_page import FirstPage
from ..session.review import Ran
from ..snapshot.search import SearchError

FIRST_PAGE_GRACE = 0.2  # seconds a pass waits for its first page's rows to be answered

Run = Callable[[Any, list[Any], Callable[[FirstPage], None]], Ran]


class SearchJob:
    def __init__(self, number: int, query: Any, run: Run) -> None:
        self.number = number  # the id the terminal names it by (`searching`, `wait`, `cancel`)
        self.query = query
        self.ran: Ran | None = None
        self.error: SearchError | None = None
        self.done = threading.Event()
        self._first: FirstPage | None = None  # the first page, until the server takes it
        self._resume = threading.Event()
        self._changed = threading.Condition()
        self._cancelled = threading.Event()
        self._handles = _Handles(self._cancelled)
        self._thread = threading.Thread(target=self._work, args=(run,), daemon=True,
                                        name=f"search-{number}")  # fmt: skip
        self._thread.start()

    def _work(self, run: Run) -> None:
        try:
            ran = run(self.query, self._handles, self._first_found)
            if not self._cancelled.is_set():
                self.ran = ran
        except SearchError as exc:
            self.error = exc
        except Exception as exc:  # a fault in a pass must not end the service
            self.error = SearchError(f"the search failed ({type(exc).__name__})")
        finally:
            with self._changed:
                self.done.set()
                self._changed.notify_all()

    def _first_found(self, page: FirstPage) -> None:
        with self._changed:
            self._first = page
            self._changed.notify_all()
        # The pass holds the GIL while it runs: let the serving thread record and
        # answer the first page (and its rows) before going on, for at most a moment.
        self._resume.wait(FIRST_PAGE_GRACE)

    def resume(self) -> None:
        """The first page is answered: the pass may take the CPU again."""
        self._resume.set()

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for the pass to end or its first page to be found;
        True if either has (and is not taken yet)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.done.is_set() or self._first is not None,
                                          seconds)  # fmt: skip

    def take_first(self) -> FirstPage | None:
        """The first page, once: the server records it (`search_start`) and answers it."""
        with self._changed:
            page, self._first = self._first, None
            return page

    def cancel(self) -> None:
        """Stop the pass (prompt: `Search.cancel`). Never waits for the worker; the
        dispatcher forgets a cancelled job, so whatever it found is never read."""
        self._cancelled.set()
        self._resume.set()
        for handle in list(self._handles):
            handle.cancel()

    @property
    def files(self) -> int:
        """Files searched so far (a count, never a hit count: nothing of the result
        is answered before it is recorded)."""
        return sum(h.progress.files for h in list(self._handles))

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def join(self, seconds: float) -> bool:
        """Wait up to `seconds` for the worker thread itself to end (tests, shutdown)."""
        self._thread.join(seconds)
        return not self._thread.is_alive()


class _Handles(list):  # type: ignore[type-arg]
    """The pass's search handles: one appended after a cancel is cancelled at once
    (the flag is set before the list is read, and read after each append)."""

    def __init__(self, cancelled: threading.Event) -> None:
        super().__init__()
        self._cancelled = cancelled

    def append(self, handle: Any) -> None:
        super().append(handle)
        if self._cancelled.is_set():
            handle.cancel()
