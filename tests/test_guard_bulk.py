"""The bulk-capture detector: fires on a scripted fast pager, silent at a human pace.

Time is scripted (the detector takes `now`), so a ten-minute reading session
runs in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.guard.bulk import BulkDetector, SeenLines
from cleanroom.guard.policy import BulkLimits, Horizon
from tests.guardkit import build, of

LIMITS = BulkLimits()  # the defaults: 50/s over 10 s, 15/s over 1 min, 8/s over 10 min
SCREEN = 50  # lines on screen


def pager(detector, seen, every, pages, start=0.0, blob="b", screen=SCREEN):
    """Page down through `blob` one screen every `every` seconds; return the firings."""
    fired = []
    for i in range(pages):
        first = i * screen + 1
        new = seen.add(blob, first, first + screen - 1)
        fired += detector.feed(start + i * every, new)
    return fired


def test_a_fast_pager_fires_within_ten_seconds():
    fired = pager(BulkDetector(LIMITS), SeenLines(), every=0.5, pages=60)  # 100 lines/s, 30 s
    assert fired, "paging at 100 lines a second went unnoticed"
    assert fired[0].at <= 10
    assert fired[0].lines > 50 * 10
    assert "per second over 10 s" in fired[0].describe()


def test_a_pager_paced_just_past_a_short_window_is_caught():
    # The case: a tall terminal (215 lines) paged every 3.2 s, about 67 lines
    # a second, slower than any 3 s window. It must fire, and within a minute.
    fired = pager(BulkDetector(LIMITS), SeenLines(), every=3.2, pages=40, screen=215)
    assert fired and fired[0].at <= 10


@pytest.mark.parametrize("every", [3.1, 5.0, 9.0, 20.0, 59.0])
def test_no_cadence_beats_the_long_horizons(every):
    # 20 lines a second on average, paced at any interval, for an hour.
    screen = int(20 * every)
    pages = int(3600 / every)
    fired = pager(BulkDetector(LIMITS), SeenLines(), every=every, pages=pages, screen=screen)
    assert fired, f"20 lines a second, one page every {every} s, went unnoticed for an hour"


def test_a_human_pace_stays_silent_for_an_hour():
    assert pager(BulkDetector(LIMITS), SeenLines(), every=8.0, pages=450) == []


def test_one_tall_screen_read_slowly_is_not_a_pace():
    d, seen = BulkDetector(LIMITS), SeenLines()
    fired = []
    for t in range(60):  # a 400-line screen, read for a minute each
        fired += d.feed(t * 60.0, seen.add("b", t * 400 + 1, t * 400 + 400))
    assert fired == []


def test_a_short_skip_then_reading_stays_silent():
    d, seen = BulkDetector(LIMITS), SeenLines()
    fired = pager(d, seen, every=0.3, pages=5)  # skipping 250 lines to a place
    fired += pager(d, seen, every=9.0, pages=60, start=2.0, blob="c")
    assert fired == []


def test_going_back_and_forth_over_seen_lines_is_not_bulk():
    d, seen = BulkDetector(LIMITS), SeenLines()
    pager(d, seen, every=8.0, pages=4)  # read 200 lines slowly
    fired = []
    for i in range(2000):  # then flick between them ten times a second
        first = (i % 4) * SCREEN + 1
        fired += d.feed(40.0 + i * 0.1, seen.add("b", first, first + SCREEN - 1))
    assert fired == []


def test_a_horizon_fires_once_per_episode_and_again_after_falling_back():
    d = BulkDetector(BulkLimits((Horizon(10, 10),)))
    fired = [t for t in range(0, 40) if d.feed(float(t), 20)]  # 20/s for 40 s
    assert fired == [5]  # 120 lines in the 10 s ending at t=5: over 100
    assert d.feed(100.0, 0) == []  # a rest: back under the limit
    assert [e.at for e in d.feed(101.0, 101)] == [101.0]  # a new episode


def test_each_horizon_is_its_own_limit():
    limits = BulkLimits((Horizon(10, 100), Horizon(60, 5)))
    d = BulkDetector(limits)
    fired = []
    for t in range(0, 120, 2):
        fired += d.feed(float(t), 20)  # 10 a second: under 100, over 5
    assert [e.horizon for e in fired] == [Horizon(60, 5)]


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
        # one alert (the 10 s and 1 min horizons both went over: coalesced, count 2)
        assert [(a.response, a.count) for a in alerts] == [("record", 2)]
        assert "limit 50 per second over 10 s" in alerts[0].detail
    finally:
        room.close()


def test_the_guard_counts_search_result_rows_as_lines_read(tmp_path: Path):
    room = build(tmp_path)
    try:
        for i in range(40):  # 50 result rows, each a line of some file, every 0.4 s
            rows = [(f"file{n}", i + 1, i + 1) for n in range(50)]
            room.guard.feed_lines(rows, now=i * 0.4)
        assert len(of("bulk_read", room.guard.drain())) == 1
    finally:
        room.close()


def sideways(detector, seen, every, width=120, height=36, lines=20, size=20_000):
    """Scroll right through `lines` lines of `size` bytes, `width` columns at a time."""
    fired, t = [], 0.0
    for col in range(0, size, width):
        new = seen.add("min.js", 1, lines, col, width, [size] * lines)
        fired += detector.feed(t, new)
        t += every
    return fired


def test_scrolling_sideways_through_long_lines_fires_like_paging_down():
    # The round-2 finding: 20 lines of 20,000 characters, one screen to the right
    # every 0.15 s: about 16,000 characters a second, and the same 20 lines.
    fired = sideways(BulkDetector(LIMITS), SeenLines(), every=0.15)
    assert fired and fired[0].at <= 10


def test_scrolling_sideways_at_a_reading_pace_stays_silent():
    assert sideways(BulkDetector(LIMITS), SeenLines(), every=8.0, height=20) == []


def test_seen_lines_counts_columns_in_bands_of_a_hundred():
    s = SeenLines()
    assert s.add("b", 1, 10, 0, 300, [1000] * 10) == 30  # 3 bands of 10 lines
    assert s.add("b", 1, 10, 250, 100, [1000] * 10) == 10  # band 2 seen, band 3 new
    assert s.add("b", 1, 10, 0, 400, [1000] * 10) == 0
    assert s.add("b", 1, 10, 0, 80) == 0  # narrow, no lengths: band 0 only
    assert s.add("c", 1, 1, 0, 1_000_000, [250]) == 3  # only as far as the line goes
    assert s.add("c", 2, 2, 0, 0) == 1  # cols 0: the column `col` alone


def test_a_wide_screen_of_short_lines_counts_its_lines_only():
    s = SeenLines()
    lengths = [40, 0, 150, 80]  # empty line: a line read; 150: reaches band 1
    assert s.add("b", 1, 4, 0, 400, lengths) == 4 + 1
    assert s.add("b", 1, 4, 100, 300, lengths) == 0  # band 1 of line 3 seen already
    assert s.add("b", 1, 4, 500, 100, lengths) == 0  # nothing there to show
    # Scrolled right of empty lines: their band 0 was delivered (empty), a line read.
    assert s.add("d", 1, 3, 150, 100, [0, 0, 0]) == 3


def test_a_view_far_right_of_short_lines_counts_every_line_it_delivers():
    """Attack F1 on issue 13: `view(col=1000, cols=1)` of 5,000 lines of 31 bytes
    carries each line whole (its characters left of `col`), and counted nothing."""
    s = SeenLines()
    assert s.add("f", 1, 500, 1000, 1, [31] * 500) == 500
    assert s.add("f", 1, 500, 0, 80, [31] * 500) == 0  # the same lines again: nothing new
    s = SeenLines()
    assert s.add("g", 1, 20, 1900, 100, [2000] * 20) == 20 * 20  # 20 bands delivered
    detector, fired, t = BulkDetector(LIMITS), [], 0.0
    seen = SeenLines()
    for first in range(1, 5000, 500):  # the whole file in ten views, 0.02 s apart
        fired += detector.feed(t, seen.add("h", first, first + 499, 1000, 1, [31] * 500))
        t += 0.02
    assert fired


def test_the_guard_counts_sideways_views_and_wide_result_rows(tmp_path: Path):
    room = build(tmp_path)
    try:
        for i in range(60):  # 120 columns to the right every 0.15 s through 20 long lines
            room.guard.feed_view("ab" * 32, 1, 20, now=i * 0.15, col=i * 120, cols=120,
                                 lengths=[20_000] * 20)  # fmt: skip
        assert len(of("bulk_read", room.guard.drain())) == 1
        for i in range(30):  # 20 rows each carrying 1,000 bytes of a long line
            rows = [("cd" * 32, i * 20 + n + 1, i * 20 + n + 1, 0, 1000) for n in range(20)]
            room.guard.feed_lines(rows, now=100.0 + i * 0.4)
        assert len(of("bulk_read", room.guard.drain())) == 1
    finally:
        room.close()
