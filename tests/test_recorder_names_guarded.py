"""Quick open while a slow query runs (issue 12, re-attack). Matching is linear, but
a query of many terms over a large tree took seconds of the recorder's serving
thread (128 terms over 70,000 paths: about 10 s), and the server's loop cannot
look at the guard meanwhile. Each request is now bounded (0.25 to 0.5 s of work,
at most 1 s: tests/test_quick_open_bounded.py), and still the matching looks at
the guard as it goes (a lock stops it, refused `locked`), and a terminal does
not queue one such request per key typed. The tree: 200,000 long names served
by a real snapshot source (its file list replaced, as
tests/test_tui_quick_open.py does)."""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time

from cleanroom.guard.guard import Guard
from cleanroom.guard.places import Places
from cleanroom.guard.policy import Policy
from cleanroom.ledger.encoding import decode_body
from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.recorder.dispatch import Dispatcher
from cleanroom.session.local_service import LocalService
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from tests.ledgerkit import read_rows
from tests.recorderkit import cleanup, start
from tests.tuikit import sample_source


@functools.cache
def many() -> list[bytes]:
    """Built on first use, not at import: every xdist worker imports this module to
    collect it, and only one runs its tests (~0.2 CPU-s and ~50 MB a worker)."""
    return [b"v/%06d%s.c" % (i, b"e" * 240) for i in range(200_000)]


# 21 distinct terms (a term given twice counts once), each looked for in every name
SLOW = " ".join("e" * n for n in range(1, 22))


def kinds(path) -> list[str]:
    return [decode_body(b).kind for _, b, _ in read_rows(path)]


def test_a_lock_during_a_slow_names_match_stops_it(kit, ledger_dir):
    source = sample_source(kit, ledger_dir.parent)
    names = many()  # built before the clock starts
    source.files = lambda: names
    ledger = kit.new_ledger(ledger_dir)
    keys = ledger_dir.parent / "keys"
    keys.mkdir(exist_ok=True)
    guard = Guard(Policy.from_dict("review", {}), Places.of(source.path, ledger.path, [keys], []))
    facts = Facts("Ada", "Agency", "ws-01", "s 1", str(ledger.path))
    session = ReviewSession(Recorder(guard.watch_ledger(ledger)), source, facts, guard)
    guard.start()
    try:
        service = LocalService(session)
        service.names_budget = (1 << 40, 600.0)  # unbounded: the lock must be what stops it
        dispatcher = Dispatcher(service)
        assert isinstance(dispatcher.handle(m.Hello(version=m.VERSION)), m.Welcome)
        dispatcher.tick()  # this machine's own alerts (a network) first
        answers: list[object] = []
        asking = threading.Thread(target=lambda: answers.append(
            dispatcher.handle(m.Names(query=SLOW))))  # fmt: skip
        began = time.monotonic()
        asking.start()
        time.sleep(0.5)  # well into the match (seconds, at any load)
        reader = f"open({str(source.path)!r}, 'rb').read(4096)"
        subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)  # out of band
        asking.join(300)
        took = time.monotonic() - began
    finally:
        guard.stop()
    (answer,) = answers
    assert isinstance(answer, m.Refused) and answer.reason == "locked", (answer, took)
    recorded = kinds(ledger.path)
    assert "quick_open_list" not in recorded and recorded[-2:] == ["alert", "refused"], recorded
    ledger.close()


def test_a_terminal_asks_only_for_the_names_of_the_last_key(kit, ledger_dir):
    source = sample_source(kit, ledger_dir.parent)
    names = many()[:20_000]
    source.files = lambda: names  # more than its budget: the request takes all of it
    running = start(kit, ledger_dir, source=source)
    try:
        service = RemoteService(running.socket)
        replaced = threading.Event()
        answers: list[object] = []

        def ask(query: str, cancelled) -> None:
            try:
                answers.append(service.names(query, cancelled))
            except Exception as exc:  # pathmatch.Cancelled: never asked
                answers.append(type(exc).__name__)

        first = threading.Thread(target=ask, args=(SLOW, lambda: False))
        first.start()
        time.sleep(0.1)  # the slow one holds the connection (its budget: 0.3 to 1 s)
        typed = [threading.Thread(target=ask, args=(SLOW[: 200 + i], replaced.is_set))
                 for i in range(5)]  # fmt: skip
        for t in typed:
            t.start()
        time.sleep(0.05)
        replaced.set()  # keys typed after them: their answers would be shown to no one
        for t in [first, *typed]:
            t.join(600)
        service.close()
        assert answers.count("Cancelled") == 5, answers
        assert running.kinds().count("quick_open_list") == 1  # the first one only
    finally:
        cleanup(running)
