"""The bulk-capture detector: fires on a scripted fast pager, silent at a human pace.

Time is scripted (the detector takes `now`), so a ten-minute reading session
runs in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

from cleanroom.guard.bulk import BulkDetector, SeenLines
from cleanroom.guard.policy import BulkLimits
from tests.guardkit import build, of

LIMITS = BulkLimits(lines_per_second=20, seconds=10, window=3)
SCREEN = 50  # lines on screen


def pager(detector: BulkDetector, seen: SeenLines, every: float, pages: int, start=0.0, blob="b"):
    """Page down through `blob` one screen every `every` seconds; return the firings."""
    fired = []
    for i in range(pages):
        first = i * SCREEN + 1
        new = seen.add(blob, first, first + SCREEN - 1)
        episode = detector.feed(start + i * every, new)
        if episode is not None:
            fired.append(episode)
    return fired


def test_a_fast_pager_fires_once_after_the_sustained_stretch():
    fired = pager(BulkDetector(LIMITS), SeenLines(), every=0.5, pages=60)  # 100 lines/s, 30 s
    assert len(fired) == 1
    (e,) = fired
    assert 10 <= e.at - e.started < 11
    assert e.lines > 20 * 10
    assert "per second" in e.describe(LIMITS)


def test_a_human_pace_stays_silent_for_ten_minutes():
    assert pager(BulkDetector(LIMITS), SeenLines(), every=8.0, pages=75) == []


def test_a_tall_screen_read_slowly_is_not_a_pace():
    d, seen = BulkDetector(LIMITS), SeenLines()
    fired = [d.feed(t * 6.0, seen.add("b", t * 120, t * 120 + 119)) for t in range(100)]
    assert fired == [None] * 100  # 120 new lines at once, then a rest: never sustained


def test_a_short_burst_then_reading_stays_silent():
    d, seen = BulkDetector(LIMITS), SeenLines()
    fired = pager(d, seen, every=0.3, pages=25)  # 7.5 s of skipping to a place
    fired += pager(d, seen, every=9.0, pages=30, start=8.0, blob="c")
    assert fired == []


def test_going_back_and_forth_over_seen_lines_is_not_bulk():
    d, seen = BulkDetector(LIMITS), SeenLines()
    pager(d, seen, every=8.0, pages=4)  # read 200 lines slowly
    fired = []
    for i in range(200):  # then flick between them ten times a second
        first = (i % 4) * SCREEN + 1
        fired.append(d.feed(40.0 + i * 0.1, seen.add("b", first, first + SCREEN - 1)))
    assert not any(fired)


def test_seen_lines_counts_only_lines_never_shown():
    s = SeenLines()
    assert s.add("b", 1, 50) == 50
    assert s.add("b", 26, 75) == 25
    assert s.add("b", 1, 75) == 0
    assert s.add("b", 100, 110) == 11
    assert s.add("b", 70, 120) == 24 + 10  # 76..99 and 111..120
    assert s.add("other", 1, 50) == 50


def test_the_guard_turns_a_fast_pager_into_one_bulk_read_alert(tmp_path: Path):
    room = build(tmp_path)
    try:
        for i in range(40):  # 50 lines every 0.4 s, on a scripted clock
            room.guard.feed_view("ab" * 32, i * 50 + 1, i * 50 + 50, now=i * 0.4)
        alerts = of("bulk_read", room.guard.drain())
        assert [(a.response, a.count) for a in alerts] == [("record", 1)]
        assert "limit 20 per second for 10 s" in alerts[0].detail
    finally:
        room.close()
