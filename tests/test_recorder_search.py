"""A search through a real recorder process runs while the recorder keeps serving
(docs/protocol.md §4-§5, `wait` and `cancel`): a long search is cancelled over
the socket and the cancel is recorded; a guard lock during a search stops it,
records that, and refuses its answer; nothing of a stopped search (no count, no
row) is ever answered, because nothing of it was recorded."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.snapshot.search import Query, SearchCancelled
from cleanroom.tui.app import ReviewApp
from tests.recorderkit import RawClient, cleanup, start
from tests.recorderproc import build_room, until
from tests.test_tui_search import rendered_rows, run_search

# Enough distinct lines that a pass for "value" takes seconds (about 3 s today),
# and still well over the 50 ms a `wait` holds after a much faster engine.
BIG = {b"big/f%02d.c" % i: b"".join(b"int value_%d = %d; /* padding for the line */\n" % (j, i)
                                    for j in range(20_000)) for i in range(24)}  # fmt: skip
SLOW = m.Search(text="value", regex=False, case=True, include=[], exclude=[])


@pytest.fixture(scope="module")
def big_room():
    room = build_room(extra=BIG)
    yield room
    shutil.rmtree(room.base, ignore_errors=True)


@pytest.fixture
def room(big_room):
    big_room.start()
    yield big_room
    if big_room.process is not None and big_room.process.poll() is None:
        big_room.stop()


def timed(client, request):
    t0 = time.monotonic()
    answer = client.ask(request)
    return answer, time.monotonic() - t0


def first_page(client, started):
    """`wait` until the first page of search `started` is answered: (answer, seconds)."""
    t0 = time.monotonic()
    answer = client.ask(m.Wait(id=started.id))
    while isinstance(answer, m.Searching):
        answer = client.ask(m.Wait(id=started.id))
    return answer, time.monotonic() - t0


def test_a_long_search_is_cancelled_over_the_socket_and_the_cancel_recorded(room):
    client = RawClient(room.socket)
    client.hello()
    started = client.ask(SLOW)
    assert isinstance(started, m.Searching), started
    page, _ = first_page(client, started)
    # The first page comes while the pass goes on: recorded as `search_start` first.
    # Its rows are those found within its time (ADR 0116): a batch of a file at least.
    assert isinstance(page, m.Found) and not page.done and 10 <= page.kept == page.total <= 100
    start = room.entries()[page.seq]
    assert start.kind == "search_start" and start.payload["rows"] == page.kept
    assert start.payload["digest"] == page.digest
    status, took = timed(client, m.Status())  # the recorder answers while it searches
    assert isinstance(status, m.State) and status.state == "ready" and took < 1.0, took
    rows = client.ask(m.Rows(search_seq=page.seq, first=0, last=9))
    assert isinstance(rows, m.Hits) and [h.line for h in rows.hits] == list(range(10))
    assert isinstance(client.ask(m.Cancel(id=started.id)), m.Ok)
    after = client.ask(m.Wait(id=started.id))  # nothing more of a cancelled search, ever
    assert isinstance(after, m.Refused) and after.reason == "order"
    beyond = client.ask(m.Rows(search_seq=page.seq, first=page.kept, last=page.kept))
    assert isinstance(beyond, m.Refused) and beyond.reason == "bounds"
    entries = room.entries()
    kinds = [e.kind for e in entries]
    assert "search" not in kinds
    assert [e.payload for e in entries if e.kind == "search_results_view"] == [
        {"search_seq": page.seq, "first": 0, "last": 9}]  # fmt: skip
    cancels = [e.payload for e in entries if e.kind == "search_cancel"]
    assert cancels == [{"query": "value", "regex": False, "case": True, "include": [],
                        "exclude": [], "why": "reviewer"}]  # fmt: skip
    # The service goes on: a quick search afterwards is answered, recorded first.
    found = client.search("value_19999 = 23")
    assert isinstance(found, m.Found) and found.done and found.total == 1
    assert [k for k in room.kinds() if k != "alert"][-1] == "search"  # the guard's: any time


def test_the_first_page_then_the_whole_result_both_recorded_first(room):
    client = RawClient(room.socket)
    client.hello()
    started = client.ask(SLOW)
    page, _ = first_page(client, started)
    assert isinstance(page, m.Found) and not page.done
    final = client.ask(m.Wait(id=started.id))
    while isinstance(final, m.Searching):
        final = client.ask(m.Wait(id=started.id))
    assert (
        isinstance(final, m.Found) and final.done and final.total == 24 * 20_000 + 5_000
    )  # + src/long.py
    entries = room.entries()
    assert entries[final.seq].kind == "search" and entries[final.seq].payload["hits"] == final.total
    assert page.seq < final.seq
    # Rows of the first page stay answerable under its own seq; of the whole list
    # under the search's, up to the kept rows.
    for seq, row in ((page.seq, page.kept - 1), (final.seq, final.kept - 1)):
        hits = client.ask(m.Rows(search_seq=seq, first=row, last=row))
        assert isinstance(hits, m.Hits) and len(hits.hits) == 1
    where = client.ask(m.Where(search_seq=page.seq, index=page.kept - 1))
    assert isinstance(where, m.Location) and where.line == page.kept - 1
    late = client.ask(m.Rows(search_seq=page.seq, first=page.kept, last=page.kept))
    assert isinstance(late, m.Refused) and late.reason == "bounds"


def test_replacing_a_worker_search_every_150_ms_raises_no_alert(room):
    """Attack round 2 on issue 13: a cancel took back the guard's credits for the
    worker processes' snapshot opens while those opens were still on their way
    through inotify, so a reviewer replacing searches quickly raised
    `snapshot_access` alerts and was locked out."""
    client = RawClient(room.socket)
    client.hello()
    for _ in range(12):
        started = client.ask(SLOW)
        assert isinstance(started, m.Searching), started
        time.sleep(0.15)
        assert isinstance(client.ask(m.Cancel(id=started.id)), m.Ok)
    time.sleep(2.0)  # past the grace: any open not credited has been reported by now
    status = client.ask(m.Status())
    assert isinstance(status, m.State) and status.state == "ready", status
    entries = room.entries()
    alerts = [e.payload for e in entries if e.kind == "alert"]
    alerts = [a for a in alerts if a["category"] != "network"]  # the test machine's
    assert alerts == [] and [e.kind for e in entries].count("search_cancel") == 12


def test_a_guard_lock_during_a_search_stops_it_and_refuses_its_answer(room):
    client = RawClient(room.socket)
    client.hello()
    started = client.ask(SLOW)
    assert isinstance(started, m.Searching)
    page, _ = first_page(client, started)
    assert isinstance(page, m.Found) and not page.done
    reader = f"open({str(room.base / 's.snapshot')!r}, 'rb').read(4096)"
    subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)
    deadline = time.monotonic() + 15
    while client.ask(m.Status()).state != "guard_lock":  # answered during the search
        assert time.monotonic() < deadline, "the guard's lock never came"
        time.sleep(0.05)
    answer = client.ask(m.Wait(id=started.id))
    assert isinstance(answer, m.Refused) and answer.reason == "locked"
    assert isinstance(client.ask(client.unlock()), m.Ok)
    stale = client.ask(m.Wait(id=started.id))  # the lock ended that search for good
    assert isinstance(stale, m.Refused) and stale.reason == "order"
    assert isinstance(client.ask(m.Cancel(id=started.id)), m.Ok)  # moot: nothing recorded
    entries = room.entries()
    kinds = [e.kind for e in entries]
    lock = next(i for i, e in enumerate(entries)
                if e.kind == "alert" and e.payload["response"] == "lock")  # fmt: skip
    cancel = kinds.index("search_cancel")
    assert lock < cancel < kinds.index("unlock")
    assert entries[cancel].payload["why"] == "lock"
    assert "search" not in kinds and kinds.count("search_cancel") == 1


@pytest.fixture
def recorder(kit, ledger_dir):
    running = start(kit, ledger_dir)
    yield running
    cleanup(running)


def cancels(running):
    return [e.payload["why"] for e in running.entries() if e.kind == "search_cancel"]


def searching(client, text="value_1"):
    answer = client.ask(m.Search(text=text, regex=False, case=True, include=[], exclude=[]))
    assert isinstance(answer, m.Searching), answer
    return answer


@pytest.mark.parametrize(("step", "why"), [
    (m.Idle(after_s=300), "idle"),
    (m.Search(text="value_2", regex=False, case=True, include=[], exclude=[]), "replaced"),
    (m.Seal(), "seal"),
])  # fmt: skip
def test_a_search_whose_result_was_not_asked_for_is_stopped_and_recorded(recorder, step, why):
    """Leaving the state that permits results, or starting another search, stops the
    running one: even a pass that ended already, since nothing of it was recorded."""
    client = RawClient(recorder.socket)
    client.hello()
    first = searching(client)
    client.ask(step)
    assert cancels(recorder) == [why]
    stale = client.ask(m.Wait(id=first.id))
    assert isinstance(stale, m.Refused)
    kinds = recorder.kinds()
    assert "search" not in kinds
    if why == "seal":
        assert kinds.index("search_cancel") < kinds.index("session_end")


def test_a_lost_terminal_stops_its_search(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    searching(client)
    client.close()
    deadline = time.monotonic() + 10
    while "session_end" not in recorder.kinds():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    kinds = recorder.kinds()
    assert cancels(recorder) == ["client_lost"]
    assert kinds.index("client_lost") < kinds.index("search_cancel") < kinds.index("session_end")


def test_wait_and_cancel_name_only_searches_that_exist(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    for request in (m.Wait(id=1), m.Cancel(id=1)):  # no search yet
        answer = client.ask(request)
        assert isinstance(answer, m.Refused) and answer.reason == "order"
    started = searching(client)
    answer = client.ask(m.Wait(id=started.id + 1))
    assert isinstance(answer, m.Refused) and answer.reason == "order"
    found = client.search("value_1")  # answered, so no longer running
    assert isinstance(found, m.Found)
    assert isinstance(client.ask(m.Cancel(id=started.id + 1)), m.Ok)  # moot now
    assert cancels(recorder) == ["replaced"]  # the first one, by the second


def test_the_terminal_cancels_from_another_thread(room):
    """`RemoteService.search`: a handle's `cancel()` (what Escape calls) sends `cancel`
    at the next turn, and the search raises SearchCancelled; nothing was shown."""
    service = RemoteService(room.socket)
    running: list = []
    outcome: list = []

    def search() -> None:
        try:
            outcome.append(service.search(Query("value"), running))
        except SearchCancelled as exc:
            outcome.append(exc)

    thread = threading.Thread(target=search)
    thread.start()
    deadline = time.monotonic() + 10
    while not running:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    running[0].cancel()
    thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], SearchCancelled), outcome
    service.close()
    whys = [e.payload["why"] for e in room.entries() if e.kind == "search_cancel"]
    assert whys == ["reviewer"] and "search" not in room.kinds()


async def first_page_listed(pilot):
    """Search for "value" in the app; the screen once its first page is listed. On a
    machine so loaded that the whole pass (seconds) ended before the app got to
    look, the first page cannot be seen on its own: skip rather than guess."""
    # A regex the trigram index cannot narrow past "alue_" runs through every line
    # with the regex engine: a pass of seconds still, now that literal hits are
    # counted in bulk (a literal pass for "value" ended before Escape did).
    screen = await run_search(pilot, r"v[a]lue_\d+ = \d+;", regex=True)
    assert screen.found is not None
    if screen.found.done:
        pytest.skip("the whole pass ended before the app looked (machine load)")
    return screen


async def test_the_terminal_lists_the_first_page_then_escape_stops_the_rest(room):
    """Through `--connect`: the search screen lists the first page (recorded as
    `search_start`) and says the count is still coming; Escape stops the pass in
    the recorder, which records the cancel; no `search` entry, no more rows."""
    app = ReviewApp(RemoteService(room.socket))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await first_page_listed(pilot)
        state = str(screen.query_one("#state").render())
        kept = screen.found.kept  # found within its time (ADR 0116): at most 100
        assert f"The first {kept:,} results; counting the rest" in state and kept <= 100
        await until(pilot, lambda: any("big/f00.c:1: int value_0 = 0;" in r
                                       for r in rendered_rows(screen)))  # fmt: skip
        await pilot.press("escape")
        await until(pilot, lambda: "search_cancel" in room.kinds())
    kinds = room.kinds()
    assert "search_start" in kinds and "search" not in kinds
    assert [e.payload["why"] for e in room.entries() if e.kind == "search_cancel"] == ["reviewer"]
    rows = [e.payload for e in room.entries() if e.kind == "search_results_view"]
    assert rows and all(r["search_seq"] == kinds.index("search_start") for r in rows)
    assert all(r["last"] < kept for r in rows)


async def test_enter_on_a_first_page_row_opens_it_and_stops_the_rest(room):
    app = ReviewApp(RemoteService(room.socket))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await first_page_listed(pilot)
        kept = screen.found.kept  # found within its time (ADR 0116): at most 100
        # The rows are drawn (and recorded) before Enter picks one.
        await until(pilot, lambda: any("big/f00.c:1:" in r for r in rendered_rows(screen)))
        await pilot.press("enter")
        await until(pilot, lambda: "search_cancel" in room.kinds() and "view" in room.kinds())
        await pilot.press("n")  # the next row of the first page: its rows stay answerable
        await until(pilot, lambda: app.sub_title == f"result 2 of {kept}")
        assert app.sub_title == f"result 2 of {kept}" and kept >= 2
    entries = room.entries()
    kinds = [e.kind for e in entries]
    assert [e.payload["why"] for e in entries if e.kind == "search_cancel"] == ["reviewer"]
    assert "search" not in kinds
    opened = [e.payload["path"] for e in entries if e.kind == "file_open"]
    assert opened[-1] == "big/f00.c"


def test_searches_sent_as_fast_as_possible_are_started_or_refused_and_recorded(room):
    """protocol §5a, against the real recorder process: a terminal that sends
    searches with no pause at all gets each started (the one before it stopped,
    recorded) or refused `rate` while too many stopped passes are still ending
    (recorded); the recorder's threads never pile up. (Whether any is refused
    depends on how fast a pass stops on this machine:
    test_recorder_search_ending.py makes passes slow to stop.)"""
    client = RawClient(room.socket)
    client.hello()
    pid = room.process.pid
    base, most = _threads(pid), 0
    answers = []
    for _ in range(16):
        answers.append(client.ask(SLOW))
        most = max(most, _threads(pid) - base)
    started = [a for a in answers if isinstance(a, m.Searching)]
    refused = [a for a in answers if isinstance(a, m.Refused)]
    assert len(started) + len(refused) == len(answers), answers
    entries = room.entries()
    for a in refused:
        assert a.reason == "rate" and entries[a.seq].payload["reason"] == "rate"
    assert [e.kind for e in entries].count("search_cancel") == len(started) - 1
    assert most <= 8, f"{most} more threads than before the searches"
    assert isinstance(client.ask(m.Cancel(id=started[-1].id)), m.Ok)


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("Threads:")).split()[1])
