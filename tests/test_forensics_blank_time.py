"""A report's figure for blank screen time (`stats["blank_us"]`): the time from an
`idle`, or an alert that locks the screen, to the entry after it, by the
monotonic clock. An alert that only records blanks nothing, and neither does a
sealed session."""

from __future__ import annotations

from cleanroom.forensics.report import analyse
from cleanroom.forensics.screen import rows_shown, shown, watch
from tests.forensicskit import entry, opened, view


def _alert(seq: int, ms: int, response: str):
    return entry(seq, "alert", ms, category="media", detail="/media/usb0", response=response,
                 count=1)  # fmt: skip


def test_idle_and_locks_count_as_blank_until_the_next_entry():
    entries = [
        opened(0, 0, 100),
        view(1, 1_000, 1, 40),
        entry(2, "idle", 5_000, after_s=4),
        entry(3, "active", 305_000, idle_s=300),  # 300 s blank
        view(4, 306_000, 1, 40),
        _alert(5, 310_000, "record"),  # not blank
        _alert(6, 320_000, "lock"),
        entry(7, "unlock", 327_500, lock="guard", locked_s=7),  # 7.5 s blank
        view(8, 330_000, 41, 80),
        entry(9, "idle", 340_000, after_s=10),  # blank to the end: the last entry
    ]
    stats = analyse(entries, 0).stats
    assert stats["blank_us"] == 307_500_000
    # The one walk agrees with the separate views of it.
    w = watch(entries, ("idle", "locked"))
    assert w.blank_us == stats["blank_us"]
    assert w.shown == shown(entries) and w.rows == rows_shown(entries)
    # On screen: 1-5 s, 306-320 s (the recording alert hides nothing), 330-340 s.
    assert sum(s.dwell_us for s in w.shown) == stats["on_screen_us"] == 28_000_000


def test_no_blank_time_without_idle_or_lock():
    entries = [opened(0, 0, 100), view(1, 1_000, 1, 40), _alert(2, 9_000, "record"),
               view(3, 10_000, 41, 80)]  # fmt: skip
    assert analyse(entries, 0).stats["blank_us"] == 0
    assert analyse([], 0).stats["blank_us"] == 0
