"""The snapshot map draws the same picture with far fewer elements, and the list of
directories never opened no longer holds back the first paint (issue 14: the Linux
map within 2 s in Chromium; scripts/bench/treemap.py measures it there).

- File tiles too small for hover text (most of a large tree's) are one `<path>`
  per colour, a closed square sub-path each, instead of a `<rect>` each: every
  tile `nest` lays out is drawn, at the same place, size and colour.
- "Never opened" lists its first `NEVER_OPEN_ROWS` directories; the rest are in a
  closed `<details>` (not laid out until opened), all of them still in the page.
"""

from __future__ import annotations

import re
from collections import Counter

from cleanroom.forensics import report_summary, report_treemap
from cleanroom.forensics.report import CoverageGroup, Report, SnapshotFacts
from cleanroom.forensics.report_text import h
from cleanroom.forensics.snapshotmap import snapshot_map
from cleanroom.forensics.timeline import Evidence
from cleanroom.forensics.treemap import Rect, nest

RECT = re.compile(r'<rect class="(\w+) m(\d)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
                  r'height="([\d.]+)"')  # fmt: skip
PATH = re.compile(r'<path class="file m(\d)" d="([^"]*)"/>')
SQUARE = re.compile(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-([\d.]+)z")


def _rows(files: int):
    """A tree shaped like a kernel's: many small files in a few hundred directories,
    one in fifty seen (so tiles of several colours)."""
    rows = []
    for i in range(files):
        path = b"d%02d/s%03d/f%05d.c" % (i % 7, i % 300, i)
        rows.append((path, b"%032d" % i, 1 + (i * 7919) % 900, False, 0))
    seen = {(p, b.hex()): _Seen(n) for p, b, n, _, _ in rows[::50]}
    return rows, seen


class _Seen:
    """What snapshot_map reads of a file's coverage: lines seen and time on screen."""

    def __init__(self, lines: int) -> None:
        self.lines_seen, self.lines, self.on_screen_us = lines // 2, lines, 1_000_000


def _drawn(page: str) -> Counter:
    tiles: Counter = Counter()
    for kind, level, x, y, w, hh in RECT.findall(page):
        tiles[(kind, int(level), x, y, w, hh)] += 1
    for level, d in PATH.findall(page):
        squares = SQUARE.findall(d)
        assert len(squares) == d.count("M")  # every sub-path a closed rectangle
        for x, y, w, hh, back in squares:
            assert back == w
            tiles[("file", int(level), x, y, w, hh)] += 1
    return tiles


def test_every_tile_is_drawn_as_before_with_half_the_elements():
    rows, seen = _rows(30_000)
    root = snapshot_map(rows, seen)
    page = "".join(report_treemap.svg(root, h, "map"))
    laid = nest(root, Rect(0, 0, report_treemap.WIDTH, report_treemap.HEIGHT),
                report_treemap.MIN_AREA, report_treemap.LABEL, 1.0,
                report_treemap.MAX_TILES)  # fmt: skip
    expected = Counter(
        ("dir" if t.node.is_dir else "file", report_treemap.share_level(t.node),
         f"{t.rect.x:.1f}", f"{t.rect.y:.1f}", f"{t.rect.w:.1f}", f"{t.rect.h:.1f}")
        for t in laid
    )  # fmt: skip
    assert _drawn(page) == expected and len(laid) > 5_000
    assert len({level for _, level, *_ in expected}) >= 2  # more than one colour drawn
    elements = page.count("<rect ") + page.count("<path ")
    assert elements < len(laid) / 2, (elements, len(laid))
    assert f"{len(laid):,} tiles drawn" in page


def _never_section(rows, seen) -> str:
    facts = SnapshotFacts("s.snapshot", "ab" * 32, "snap", "1.0", "00" * 32)
    maps = {facts.id: snapshot_map(rows, seen)}
    report = Report(Evidence([]), [], [facts], [CoverageGroup("verified", [], {}, {})], [],
                    [], [], False, maps)  # fmt: skip
    return "".join(report_summary.never(report, h))


def test_never_opened_folds_all_but_the_first_directories():
    rows, seen = _rows(3_000)
    page = _never_section(rows, seen)
    items = re.findall(r'<li class="(?:loose|whole)">', page)
    assert len(items) > report_summary.NEVER_OPEN_ROWS + 100
    head, fold = page.split('<details class="nevermore">')
    assert len(re.findall(r"<li ", head)) == report_summary.NEVER_OPEN_ROWS
    assert "<details" not in fold and " open" not in fold.split(">")[0]  # closed
    assert len(re.findall(r"<li ", fold)) == len(items) - report_summary.NEVER_OPEN_ROWS


def test_a_short_never_opened_list_is_not_folded():
    rows, seen = _rows(40)
    page = _never_section(rows, seen)
    assert 0 < len(re.findall(r"<li ", page)) <= report_summary.NEVER_OPEN_ROWS
    assert "<details" not in page
