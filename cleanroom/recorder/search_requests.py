"""The search requests (docs/protocol.md §6): `search` starts a pass in a worker
(`SearchJob`), `wait` records and answers its first page or its result, `cancel`
stops it, `rows` and `where` answer rows of the last recorded search. A mixin of
`Dispatcher`: it holds the search's state on the dispatcher itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..session.local_service import LocalService
from ..session.recorder import RecordingError
from ..session.review import ReviewSession
from ..session.service import MAX_VIEW_LINES, Results
from ..snapshot.query import Query
from ..snapshot.search import SearchError
from . import messages as m
from .refusal import Refusal
from .searchjob import SearchJob
from .table import READY, REASON

WAIT = 0.05  # seconds a `wait` holds the service for a search to end (the guard waits as long)
# Stopped passes (replaced, cancelled, or stopped by a lock) still ending at once: each
# holds a thread, a connection and possibly worker processes until it notices.
MAX_ENDING = 1


class SearchRequests:
    service: LocalService
    session: ReviewSession
    state: str
    tick: Callable[[], None]
    _results: Results | None  # the search `rows` may name
    _rows_answered: set[int]  # rows of that search already answered
    _first_page: Results | None  # the first page (`search_start`) of it
    _results_of: int  # the search id `_results` came from
    _job: SearchJob | None  # the search running, whose result `wait` may ask
    _jobs: int  # searches started: the ids `cancel` may name
    _ending: list[SearchJob]  # stopped passes whose threads may still run

    def _init_search(self) -> None:
        self._results = None
        self._rows_answered = set()
        self._first_page = None
        self._results_of = 0
        self._job = None
        self._jobs = 0
        self._ending = []

    def _search(self, r: m.Search) -> m._Answer:
        """Start the pass in a worker and answer at once: the service keeps serving
        (the guard, a lock, `cancel`) while it runs. A search running already is
        stopped first, and that is recorded."""
        try:
            query = Query(r.text, r.regex, r.case, tuple(r.include), tuple(r.exclude))
        except SearchError as exc:
            return m.SearchFailed(why=str(exc))
        self._bound_ending()
        self._stop_search("replaced")
        self._jobs += 1
        self._job = SearchJob(self._jobs, query, self.service.run_search)
        return m.Searching(id=self._jobs, files=0)

    def _wait(self, r: m.Wait) -> m._Answer:
        """Search `id`'s result, recorded as `search` before it is answered, once its
        pass has ended; before that, its first page once, recorded as
        `search_start`; else `searching` again after at most WAIT seconds."""
        job = self._job
        if job is None or job.number != r.id:
            raise Refusal("order", "not the search running")
        if not job.wait(WAIT):
            return m.Searching(id=job.number, files=job.files)
        self.tick()  # the guard first: a lock that came meanwhile stops the search
        if self.state != READY:
            raise Refusal(REASON[self.state], "the search was stopped")
        if job.done.is_set():
            self._job = None
            if job.error is not None or job.ran is None:
                return m.SearchFailed(why=str(job.error or "the search failed"))
            return self._found(job.number, self.service.record_search(job.ran))
        page = job.take_first()
        assert page is not None  # wait() said: done, or a first page not taken
        return self._found(job.number, self.service.record_first(page))

    def _found(self, number: int, results: Results) -> m._Answer:
        """`rows` may now name this search (and still the first page of the same
        search: its rows are the first rows of the whole list)."""
        last = self._results
        if last is not None and not last.done and self._results_of == number:
            self._first_page = last  # the same search: its rows stay answered
        else:
            self._first_page, self._rows_answered = None, set()
        self._results, self._results_of = results, number
        return m.Found(seq=results.seq, kept=results.kept, total=results.total,
                       digest=results.digest, done=results.done)  # fmt: skip

    def _cancel(self, r: m.Cancel) -> m._Answer:
        """Stop search `id` and record that; a search that already ended (answered,
        or stopped by a lock) needs nothing more, and nothing is recorded."""
        if not 1 <= r.id <= self._jobs:
            raise Refusal("order", "no such search")
        if self._job is not None and self._job.number == r.id:
            self._stop_search("reviewer")
        return m.Ok()

    def _bound_ending(self) -> None:
        """Refuse (`rate`) a new search that would leave more than MAX_ENDING stopped
        passes still ending (the one it replaces counts), after waiting up to WAIT
        for them: a terminal that starts and replaces searches faster than they
        stop would otherwise pile up threads and worker processes without bound."""
        ending = [job for job in self._ending if not job.join(0)]
        stopping = 0 if self._job is None else 1  # the running one, which this replaces
        if len(ending) + stopping > MAX_ENDING:
            ending[0].join(WAIT)
            ending = [job for job in ending if not job.join(0)]
        self._ending = ending
        if len(ending) + stopping > MAX_ENDING:
            raise Refusal("rate", f"{len(ending)} stopped search(es) still ending")

    def _stop_search(self, why: str) -> None:
        """Stop the running search, if any, and record `search_cancel`. Raises
        RecordingError (the search is stopped all the same)."""
        job, self._job = self._job, None
        if job is None:
            return
        job.cancel()
        self._ending = [j for j in self._ending if not j.join(0)] + [job]
        self.session.record_cancel(job.query, why)

    def _stop_search_quietly(self, why: str) -> None:
        try:
            self._stop_search(why)
        except RecordingError:
            pass  # stopped; the outage is recorded when recording works again

    def _the_results(self, seq: int) -> Results:
        if self._first_page is not None and self._first_page.seq == seq:
            return self._first_page
        if self._results is None or self._results.seq != seq:
            raise Refusal("order", "not the last search")
        return self._results

    def _rows(self, r: m.Rows) -> m._Answer:
        results = self._the_results(r.search_seq)
        if not (0 <= r.first <= r.last < results.kept and r.last - r.first < MAX_VIEW_LINES):
            raise Refusal("bounds", f"rows {r.first}..{r.last} of {results.kept}")
        hits = self.service.rows(results, r.first, r.last)
        if self._job is not None and not results.done:
            self._job.resume()  # the first page's rows are answered: the pass goes on
        if hits is None:
            return m.Failed(why=self.session.failure or "recording failed")
        self._rows_answered.update(range(r.first, r.last + 1))
        return m.Hits(hits=[_hit(h) for h in hits])

    def _where(self, r: m.Where) -> m._Answer:
        """Where result `index` is, for `n`/`N`: only a row already answered."""
        results = self._the_results(r.search_seq)
        if r.index not in self._rows_answered:
            raise Refusal("order", "a result row never answered")
        where = self.service.result_at(results, r.index)
        if where is None:
            raise Refusal("bounds")
        return m.Location(path=where[0], line=where[1])


def _hit(h: Any) -> m.HitInfo:
    refused = bool(getattr(h, "refused", False))
    return m.HitInfo(h.path, h.display, h.line, [tuple(s) for s in h.spans], h.more_spans,
                     b"" if refused else h.text, h.text_start, h.line_size, refused,
                     getattr(h, "why", ""))  # fmt: skip
