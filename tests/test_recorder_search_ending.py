"""Replaced searches do not pile up (docs/protocol.md §5a): at most MAX_ENDING
stopped passes may still be ending when a new search starts; a search that would
leave more is refused `rate`, and the refusal is recorded.

A stopped pass ends at its next line or chunk, which is quick on an idle machine
and not under load (a loaded test machine, worker processes still starting, a
long line). The pass here is the one thing not real: it runs until cancelled,
then takes ENDS seconds to notice, as a loaded machine's pass may. The socket,
the dispatcher, the ledger and its refusals are real."""

from __future__ import annotations

import threading
import time

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.recorder.search_requests import MAX_ENDING
from cleanroom.session.local_service import LocalService
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.search import Progress, SearchCancelled, SearchError
from tests.recorderkit import RawClient, cleanup, start

ENDS = 1.5  # seconds a stopped pass takes to end here
SEARCH = m.Search(text="def", regex=False, case=True, include=[], exclude=[])


class _Pass:
    """A search handle as the job sees one: it can be cancelled and counts files."""

    def __init__(self) -> None:
        self.progress = Progress()
        self.stopped = threading.Event()

    def cancel(self) -> None:
        self.stopped.set()


def _slow_to_end(self, query, running, first):
    handle = _Pass()
    running.append(handle)  # cancelled at once if the job already is
    handle.stopped.wait(30)
    time.sleep(ENDS)
    raise SearchCancelled("stopped")


@pytest.fixture
def recorder(kit, ledger_dir, monkeypatch):
    monkeypatch.setattr(LocalService, "run_search", _slow_to_end)
    running = start(kit, ledger_dir)
    yield running
    cleanup(running)


def _passes() -> int:
    return sum(t.name.startswith("search-") and t.is_alive() for t in threading.enumerate())


def test_a_search_that_would_leave_too_many_passes_ending_is_refused_and_recorded(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    answers, most = [], 0
    for _ in range(8):  # as fast as the terminal can send them
        answers.append(client.ask(SEARCH))
        most = max(most, _passes())
    started = [a for a in answers if isinstance(a, m.Searching)]
    refused = [a for a in answers if isinstance(a, m.Refused)]
    assert len(started) == 1 + MAX_ENDING and len(refused) == len(answers) - len(started)
    assert all(a.reason == "rate" and a.seq > 0 for a in refused), refused
    assert most <= 1 + MAX_ENDING, f"{most} passes alive at once"
    entries = recorder.entries()
    for a in refused:
        assert entries[a.seq].kind == "refused"
        assert entries[a.seq].payload["reason"] == "rate"
        assert "still ending" in entries[a.seq].payload["detail"]
    assert [e.kind for e in entries].count("search_cancel") == MAX_ENDING  # replaced
    # Once the stopped pass has ended, a new search is served again.
    time.sleep(ENDS + 0.5)
    again = client.ask(SEARCH)
    assert isinstance(again, m.Searching), again
    assert isinstance(client.ask(m.Cancel(id=again.id)), m.Ok)
    client.close()


def test_the_terminal_shows_a_refused_search_as_a_search_error(kit, ledger_dir, monkeypatch):
    """The terminal (RemoteService) turns the `rate` refusal of a search into a
    SearchError, which the search box shows, not into a recording failure, which
    hides the code view."""
    monkeypatch.setattr(LocalService, "run_search", _slow_to_end)
    running = start(kit, ledger_dir, policy="wait")
    try:
        raw = RawClient(running.socket)
        raw.hello()
        assert isinstance(raw.ask(SEARCH), m.Searching)
        assert isinstance(raw.ask(SEARCH), m.Searching)  # the first is stopping now
        raw.close()  # lost: the second is stopped too; the session waits for its reviewer
        deadline = time.monotonic() + 10
        while "client_lost" not in running.kinds():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        service = RemoteService(running.socket)
        with pytest.raises(SearchError, match="still stopping"):
            service.search(Query("def", regex=False, case=True, include=[], exclude=[]))
        assert service.failure is None  # not a recording failure
        service.close()
        kinds = running.kinds()
        assert kinds.count("search_cancel") == 2 and kinds[-1] != "session_end"
    finally:
        cleanup(running)
