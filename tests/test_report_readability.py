"""The HTML report reads at a glance: short ids with the whole on hover, a legend
with numbers, merged timeline rows and hottest ranges, sortable tables. (Wrapped
timestamps and the sorting itself are checked in Chromium: test_report_chromium.)"""

from __future__ import annotations

import re

import pytest

from cleanroom.forensics.coverage import LEVELS, FileCoverage, Segment, heat_level, level_floor_us
from cleanroom.forensics.hotranges import hot_ranges
from cleanroom.forensics.report_sections import runs as _runs
from cleanroom.forensics.report_text import short
from tests.forensicskit import entry, view
from tests.reportsite import two_reviewers
from tests.test_forensics_report import run_report


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("readable")
    site = two_reviewers(root)
    out = root / "r.html"
    assert run_report(site, site["ledgers"], out=out).exit_code == 0
    return out.read_text(encoding="utf-8")


def test_short_keeps_the_whole_value_in_the_title():
    full = "ab" * 32
    assert short(full) == f'<span class="id" title="{full}">{full[:12]}…</span>'
    assert short("abc") == "abc"
    assert short("") == ""
    hostile = '"><script>x</script>\u202e' * 2
    out = short(hostile)
    assert "<script>" not in out and "\u202e" not in out and "⟨RLO⟩" in out


def test_ledger_ids_and_hashes_are_shortened_in_the_page(page):
    sessions = page.split('id="sessions"')[1].split("</section>")[0]
    ids = re.findall(r'<span class="id" title="([0-9a-f]{32})">([0-9a-f]{12})…</span>', sessions)
    assert len(ids) == 2 and all(full.startswith(cut) for full, cut in ids)
    detail = page.split('class="filedetail"')[1].split("</details>")[0]
    assert re.search(r'Content <code><span class="id" title="[0-9a-f]{64}">', detail)


@pytest.mark.parametrize("scale", [1, 999, 5_000, 10**7, 3 * 10**9])
def test_the_legend_numbers_are_where_the_colours_change(scale):
    for level in range(2, LEVELS):
        floor = level_floor_us(level, scale)
        assert heat_level(floor, True, scale) >= level
        assert floor == 0 or heat_level(floor - 1, True, scale) < level
    assert level_floor_us(1, scale) == 0


def test_the_page_has_a_legend_with_numbers(page):
    legend = page.split('<p class="legend">')[1].split("</p>")[0]
    keys = re.findall(r'<i class="h(\d)"></i> ([^<]+)</span>', legend)
    assert [int(k) for k, _ in keys] == list(range(LEVELS))
    assert keys[0][1] == "never shown" and all(t.startswith("≥ ") for _, t in keys[2:])


def test_consecutive_identical_timeline_rows_are_one_row():
    entries = [view(1, 0, 1, 25), view(2, 10, 1, 25), view(3, 20, 1, 25), view(4, 30, 26, 50),
               entry(5, "idle", 40, after_s=300), view(6, 50, 26, 50)]  # fmt: skip
    runs = [[e.seq for e, _ in run] for run in _runs(entries)]
    assert runs == [[1, 2, 3], [4], [5], [6]]
    assert list(_runs([])) == []


def test_merged_rows_say_how_many_and_which(page):
    rows = re.findall(r'data-count="(\d+)"><td class="time">[^<]*</td><td class="num">([^<]*)'
                      r"</td><td>([^<]*)</td>", page)  # fmt: skip
    assert rows and all(int(n) >= 1 for n, _, _ in rows)
    for n, offset, seq in rows:
        assert ("–" in seq) == (int(n) > 1) == ("–" in offset)


def test_hottest_lines_are_merged_into_ranges():
    runs = [Segment(1, 10, 5, 1), Segment(11, 20, 9, 2), Segment(21, 30, 0, 0),
            Segment(31, 35, 7, 1), Segment(36, 40, 7, 3)]  # fmt: skip
    f = FileCoverage(b"a", "00", 40, runs)
    got = [(s.first, s.last, s.dwell_us, s.shown) for s in hot_ranges(f, 20)]
    assert got == [(1, 20, 9, 2), (31, 40, 7, 3)]
    assert hot_ranges(FileCoverage(b"a", "00", 5, [Segment(1, 5, 0, 0)]), 20) == []


def test_tables_a_responder_sorts_are_sortable(page):
    for cls in ("reviewers", "sessions-glance", "heatmap"):  # searches: test_forensics_report
        assert re.search(rf'<table class="{cls} sortable"><thead>|<table class="{cls} sortable">'
                         r"\n<thead>", page), cls  # fmt: skip
    sessions = page.split('id="sessions"')[1]
    assert sessions.startswith('><h2>Sessions</h2>\n<table class="sortable">\n<thead>')
