"""The alert queue: coalesced, counted, bounded, ordered, and never blocking for long."""

from __future__ import annotations

import threading
import time

from cleanroom.guard.alert_queue import OVERFLOW, AlertQueue, printable
from cleanroom.guard.policy import Category

SNAP, MEDIA = Category.SNAPSHOT_ACCESS, Category.MEDIA


def test_same_subject_coalesces_with_a_count_and_a_tally_by_action():
    q = AlertQueue()
    for _ in range(3):
        q.put(SNAP, "snapshot /s", "opened", "/s")
    q.put(SNAP, "snapshot /s", "modified", "/s")
    (p,) = q.drain()
    assert p.count == 4 and dict(p.actions) == {"opened": 3, "modified": 1}
    assert p.describe() == "snapshot /s; opened ×3, modified ×1"


def test_drained_in_the_order_first_raised_and_then_empty():
    q = AlertQueue()
    q.put(MEDIA, "media /m", "created", "/m/a")
    q.put(SNAP, "snapshot /s", "opened", "/s")
    q.put(MEDIA, "media /m", "created", "/m/b")
    assert [(p.category, p.count) for p in q.drain()] == [(MEDIA, 2), (SNAP, 1)]
    assert q.drain() == []


def test_a_flood_of_distinct_subjects_stays_bounded_and_counts_stay_exact():
    q = AlertQueue(max_subjects=16)
    for i in range(100_000):
        q.put(MEDIA, f"mount /m/{i}", "mounted", f"/m/{i}")
        assert len(q) <= 16 + len(Category)
    pending = q.drain()
    assert sum(p.count for p in pending) == 100_000
    assert len(pending) == 17 and pending[-1].subject == OVERFLOW
    assert len(pending[-1].examples) == 3  # examples bounded too


def test_examples_and_details_are_bounded_and_always_encodable():
    q = AlertQueue()
    q.put(MEDIA, "media /m", "created", b"/m/\xff\xfe".decode("utf-8", "surrogateescape"))
    q.put(MEDIA, "media /m", "created", "/m/" + "x" * 10_000)
    (p,) = q.drain()
    text = p.describe()
    text.encode("utf-8")  # no lone surrogates reach the ledger
    assert "\\xff\\xfe" in text and len(text) < 1000
    assert printable(b"/a/\x80") == "/a/\\x80"


def test_put_from_many_threads_loses_nothing_while_a_consumer_drains():
    q = AlertQueue()
    got: list[int] = []
    done = threading.Event()

    def consumer() -> None:
        while not done.is_set():
            got.extend(p.count for p in q.drain())
            time.sleep(0.001)
        got.extend(p.count for p in q.drain())

    def producer(n: int) -> None:
        for i in range(20_000):
            q.put(SNAP, f"snapshot {n}", "opened", f"/s{i % 7}")

    c = threading.Thread(target=consumer)
    c.start()
    producers = [threading.Thread(target=producer, args=(n,)) for n in range(4)]
    for t in producers:
        t.start()
    for t in producers:
        t.join()
    done.set()
    c.join()
    assert sum(got) == 80_000 == q.raised
