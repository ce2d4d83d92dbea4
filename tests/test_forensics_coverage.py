"""Coverage math: which lines were on screen and for how long, from hand-made timelines."""

from dataclasses import replace

from cleanroom.forensics.coverage import LEVELS, coverage, heat_level
from cleanroom.forensics.screen import Screen, screens, shown
from tests.forensicskit import BLOB, entry, opened, view

MS = 1000  # µs


def dwell_by_line(entries, lines=None):
    files = coverage([("s", shown(entries))], {(b"a.c", BLOB): lines} if lines else None)
    assert len(files) == 1
    return files[0]


def dwell_of(f):
    """Per line dwell (index 0 is line 1), expanded from the runs: small files only."""
    return [s.dwell_us for s in f.runs for _ in range(s.first, s.last + 1)]


def shown_of(f):
    return [s.shown for s in f.runs for _ in range(s.first, s.last + 1)]


def end(seq, ms):
    return entry(seq, "session_end", ms, reason="reviewer", entries=seq, by_kind={},
                 countersign=None)  # fmt: skip


def test_one_view_until_the_seal():
    f = dwell_by_line([opened(1, 0, 20), view(2, 10, 1, 10), end(3, 110)], lines=20)
    assert f.lines == 20
    assert dwell_of(f) == [100 * MS] * 10 + [0] * 10
    assert f.lines_seen == 10 and f.on_screen_us == 100 * MS


def test_overlapping_views_add_up_per_line():
    f = dwell_by_line([view(1, 0, 1, 10), view(2, 100, 5, 15), end(3, 300)])
    assert dwell_of(f)[0:4] == [100 * MS] * 4  # lines 1-4: first view only
    assert dwell_of(f)[4:10] == [300 * MS] * 6  # lines 5-10: both
    assert dwell_of(f)[10:15] == [200 * MS] * 5  # lines 11-15: second only
    assert shown_of(f)[4:10] == [2] * 6
    assert f.on_screen_us == 300 * MS and f.intervals == 2


def test_a_repeated_view_of_the_same_lines_counts_once_per_interval():
    f = dwell_by_line([view(1, 0, 1, 5), view(2, 50, 1, 5), end(3, 80)])
    assert dwell_of(f) == [80 * MS] * 5 and shown_of(f) == [2] * 5


def test_idle_time_is_excluded_and_the_viewport_returns_with_its_next_view():
    """The terminal records the viewport again before it repaints after a lock, so
    `active` alone shows nothing: the 1 ms between it and that view is not dwell."""
    entries = [
        view(1, 0, 1, 10),
        entry(2, "idle", 100, after_s=300),
        entry(3, "active", 1100, idle_s=1),
        view(4, 1101, 1, 10),
        end(5, 1200),
    ]
    intervals = shown(entries)
    assert [(s.viewport.seq, s.dwell_us, s.ended_by) for s in intervals] == [
        (1, 100 * MS, "idle"),
        (4, 99 * MS, "session_end"),
    ]
    assert dwell_of(dwell_by_line(entries)) == [199 * MS] * 10
    assert shown_of(dwell_by_line(entries)) == [2] * 10


def test_active_without_a_view_shows_nothing():
    """Recording the view after the lock failed: the source stayed hidden."""
    entries = [view(1, 0, 1, 10), entry(2, "idle", 100, after_s=300),
               entry(3, "active", 1100, idle_s=1), end(4, 1200)]  # fmt: skip
    assert dwell_of(dwell_by_line(entries)) == [100 * MS] * 10


def test_an_alert_that_locks_blanks_the_screen_until_the_next_view():
    entries = [
        view(1, 0, 1, 10),
        entry(2, "alert", 100, category="media", detail="/media/usb", response="lock", count=1),
        view(3, 900, 1, 10),
        end(4, 1000),
    ]
    assert dwell_of(dwell_by_line(entries)) == [200 * MS] * 10


def test_an_alert_that_only_records_does_not_blank():
    entries = [
        view(1, 0, 1, 10),
        entry(2, "alert", 100, category="network", detail="eth0", response="record", count=1),
        end(3, 1000),
    ]
    assert dwell_of(dwell_by_line(entries)) == [1000 * MS] * 10


def test_a_crash_ends_the_viewport_at_the_last_entry_before_the_resume():
    other_boot = b"\x43" * 16
    entries = [
        view(1, 0, 1, 10),
        entry(2, "goto", 50, path="a.c", line=1),
        entry(
            3,
            "session_resume",
            3_600_000,
            boot=other_boot,
            after_seq=2,
            after_head="00",
            reason="crash",
        ),  # fmt: skip
        view(4, 3_600_100, 20, 30),
        entry(
            5,
            "session_end",
            3_600_300,
            boot=other_boot,
            reason="reviewer",
            entries=5,
            by_kind={},
            countersign=None,
        ),  # fmt: skip
    ]
    entries[3] = replace(entries[3], boot=other_boot)
    intervals = shown(entries)
    assert [(s.viewport.first, s.dwell_us, s.ended_by) for s in intervals] == [
        (1, 50 * MS, "session_resume"),
        (20, 200 * MS, "session_end"),
    ]
    f = dwell_by_line(entries)
    assert dwell_of(f)[0] == 50 * MS and dwell_of(f)[19] == 200 * MS and dwell_of(f)[10] == 0


def test_nothing_is_visible_after_a_resume_until_a_view():
    entries = [
        view(1, 0, 1, 10),
        entry(2, "session_resume", 500, after_seq=1, after_head="00", reason="crash"),
        entry(3, "goto", 900, path="a.c", line=3),
    ]
    states = [s for _, s in screens(entries)]
    assert states[1].visible is None and states[2].visible is None
    assert [s.dwell_us for s in shown(entries)] == [0]  # shown, for no measurable time


def test_a_recording_outage_is_cut_out_of_the_dwell():
    failed_at = 1_790_000_000_000_000 + 400 * MS
    entries = [
        view(1, 0, 1, 10),
        entry(
            2, "recording_failed", 1000, error="disk full", failed_at_wall_us=failed_at, attempts=3
        ),  # fmt: skip
        end(3, 1500),
    ]
    intervals = shown(entries)
    assert [(s.dwell_us, s.ended_by) for s in intervals] == [
        (400 * MS, "recording_failed"),
        (500 * MS, "session_end"),
    ]
    assert intervals[0].end_us == failed_at


def test_opening_another_file_ends_the_viewport_and_shows_nothing_until_its_view():
    entries = [
        view(1, 0, 1, 10),
        opened(2, 100, 50, path="b.c", blob="cd" * 32),
        view(3, 130, 1, 20, path="b.c", blob="cd" * 32),
        end(4, 230),
    ]
    by_path = {f.path: f for f in coverage([("s", shown(entries))])}
    assert dwell_of(by_path[b"a.c"]) == [100 * MS] * 10
    assert dwell_of(by_path[b"b.c"]) == [100 * MS] * 20


def test_an_unsealed_ledger_counts_up_to_its_last_entry():
    entries = [view(1, 0, 1, 10), entry(2, "blocked", 70, action="copy", detail="")]
    assert [(s.dwell_us, s.ended_by) for s in shown(entries)] == [(70 * MS, "end")]


def test_durations_follow_the_monotonic_clock_when_the_wall_clock_steps():
    a = view(1, 0, 1, 10)
    b = end(2, 100)
    b = replace(b, wall_us=b.wall_us + 3_600_000_000)  # the wall clock jumped an hour
    assert dwell_of(dwell_by_line([a, b]))[0] == 100 * MS


def test_versions_of_a_file_are_kept_apart():
    entries = [
        view(1, 0, 1, 10, blob="01" * 32),
        view(2, 100, 1, 10, blob="02" * 32),
        end(3, 150),
    ]
    files = coverage([("s", shown(entries))])
    assert [(f.blob, f.on_screen_us) for f in files] == [
        ("01" * 32, 100 * MS),
        ("02" * 32, 50 * MS),
    ]


def test_sessions_add_up_and_are_listed_per_file():
    one = [view(1, 0, 1, 10), end(2, 100)]
    two = [view(1, 0, 5, 10), end(2, 300)]
    (f,) = coverage([("one", shown(one)), ("two", shown(two))])
    assert f.sessions == {"one": 100 * MS, "two": 300 * MS}
    assert dwell_of(f)[0] == 100 * MS and dwell_of(f)[5] == 400 * MS


def test_a_view_beyond_the_known_length_is_clamped_to_it():
    f = dwell_by_line([view(1, 0, 90, 120), end(2, 10)], lines=100)
    assert f.lines == 100 and dwell_of(f)[89:] == [10 * MS] * 11 and f.lines_seen == 11


def test_without_a_known_length_the_highest_line_shown_stands_in():
    f = dwell_by_line([view(1, 0, 90, 120), end(2, 10)])
    assert f.lines == 120 and dwell_of(f)[119] == 10 * MS


def test_heatmap_cells_keep_the_hottest_line_and_mark_unseen_cells():
    entries = [view(1, 0, 1, 100), view(2, 10, 37, 37), end(3, 5000)]
    f = dwell_by_line(entries, lines=1000)
    cells = f.heatmap(10)
    assert len(cells) == 10 and (cells[0].first, cells[0].last) == (1, 100)
    assert cells[0].dwell_us == 4990 * MS + 10 * MS  # line 37, not an average
    assert cells[0].level == LEVELS - 1
    assert all(c.level == 0 and not c.seen for c in cells[1:])
    assert [(s.first, s.last, s.dwell_us, s.shown) for s in f.segments()] == [
        (1, 36, 10 * MS, 1),
        (37, 37, 5000 * MS, 2),
        (38, 100, 10 * MS, 1),
        (101, 1000, 0, 0),
    ]
    assert f.hottest(1)[0].first == 37


def test_segments_are_runs_of_equal_dwell():
    f = dwell_by_line([view(1, 0, 3, 5), end(2, 10)], lines=8)
    assert [(s.first, s.last, s.dwell_us, s.shown) for s in f.segments()] == [
        (1, 2, 0, 0),
        (3, 5, 10 * MS, 1),
        (6, 8, 0, 0),
    ]


def test_heat_levels():
    assert heat_level(0, False, 100) == 0
    assert heat_level(0, True, 100) == 1  # seen, for no measurable time
    assert heat_level(100, True, 100) == LEVELS - 1
    assert 1 <= heat_level(10_000, True, 10_000_000) < heat_level(1_000_000, True, 10_000_000)


def test_screen_tracks_search_results():
    entries = [
        entry(
            1,
            "search",
            0,
            query="x",
            regex=False,
            case=False,
            include=[],
            exclude=[],
            hits=3,
            digest="00" * 32,
        ),  # fmt: skip
        entry(2, "search_results_view", 5, search_seq=1, first=0, last=2),
    ]
    last = list(screens(entries))[-1][1]
    assert last == Screen(search_seq=1, result_rows=(0, 2), searching=True)


def test_search_screen_covers_the_code_until_the_next_view():
    """Dwell stops while the search screen is in front; a view after it starts anew."""
    entries = [
        entry(0, "file_open", 0, path="a.c", blob=BLOB, size=10, lines=100),
        entry(1, "view", 10, path="a.c", blob=BLOB, first=1, last=20, col=0, cols=80),
        entry(
            2,
            "search",
            30,
            query="x",
            regex=False,
            case=False,
            include=[],
            exclude=[],
            hits=3,
            digest="00" * 32,
        ),  # fmt: skip
        entry(3, "search_results_view", 31, search_seq=2, first=0, last=2),
        entry(4, "view", 50, path="a.c", blob=BLOB, first=1, last=20, col=0, cols=80),
        entry(5, "session_end", 70, reason="reviewer", totals={}),
    ]
    intervals = shown(entries)
    assert [(s.viewport.seq, s.dwell_us, s.ended_by) for s in intervals] == [
        (1, 20_000, "search"),
        (4, 20_000, "session_end"),
    ]
    assert [screen.visible is None for _, screen in screens(entries)] == [
        True, False, True, True, False, True]  # fmt: skip


def test_cost_follows_the_intervals_not_the_length_of_the_file():
    """Ten million lines, eleven of them seen: the old per-line lists took 160 MB."""
    import tracemalloc

    tracemalloc.start()
    f = dwell_by_line([view(1, 0, 10**7 - 10, 10**7), end(2, 10)])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000, peak
    assert f.lines == 10**7 and f.lines_seen == 11 and len(f.runs) == 2
    assert f.at(10**7).dwell_us == 10 * MS and f.at(1).shown == 0
    cells = f.heatmap(100)
    assert len(cells) == 100 and [c.seen for c in cells] == [False] * 99 + [True]


def test_a_claimed_length_near_2_to_the_53_is_only_a_number():
    huge = 2**53 - 1
    f = dwell_by_line([opened(1, 0, huge), view(2, 5, huge - 20, huge), end(3, 10)], lines=huge)
    assert f.lines == huge and f.lines_seen == 21 and f.max_dwell_us == 5 * MS
    assert [(s.first, s.last) for s in f.hottest(5)] == [(huge - 20, huge)]
    assert f.heatmap(400)[-1].seen and not f.heatmap(400)[0].seen
