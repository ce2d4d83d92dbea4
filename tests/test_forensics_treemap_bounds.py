"""The treemap page is bounded whatever the tree (issue 14: under 20 MB; an outside
attack measured ~10 MB): at most `MAX_TILES` tiles, the biggest split first; hover
paths cut after sanitizing; no tile past `MAX_BYTES`. A hostile tree of deep,
long names full of escapes and quotes, each of which the sanitizer and HTML
escaping make longer, must not make the page grow with them.
"""

from __future__ import annotations

import hashlib
import html
import re

from cleanroom.forensics import report_summary, report_treemap
from cleanroom.forensics.report import CoverageGroup, Report, SnapshotFacts
from cleanroom.forensics.report_text import h
from cleanroom.forensics.snapshotmap import snapshot_map
from cleanroom.forensics.timeline import Evidence
from cleanroom.forensics.treemap import Rect, nest
from tests.test_forensics_treemap import Node, _inside, _tree

# 255-byte names (the most a file system allows) that grow under the sanitizer and
# HTML escaping: ESC becomes ⟨x1B⟩, a quote &quot;.
LONG = (b'\x1b"' * 127 + b"d")[:255]


def _hostile_rows(files: int, depth: int):
    top = b"/".join([LONG] * depth)
    for i in range(files):
        name = b"%s/%s%05d" % (top, LONG[:240], i)
        yield name, hashlib.sha256(name).digest(), 10, False, 0


def _page(rows) -> str:
    return "".join(report_treemap.svg(snapshot_map(list(rows), {}), h, "map"))


def _tiles(page: str) -> int:
    """Tiles drawn: rectangles, and the square sub-paths of the small file tiles."""
    paths = re.findall(r'<path class="file m\d" d="([^"]*)"', page)
    return page.count("<rect ") + sum(d.count("M") for d in paths)


def test_a_hostile_tree_keeps_the_page_small():
    page = _page(_hostile_rows(2000, 8))
    assert len(page.encode()) <= report_treemap.MAX_BYTES + 64_000
    titles = re.findall(r"<title>(.*?)</title>", page)
    assert titles and max(len(t) for t in titles) < 2_000  # cut, not 8 x 255 bytes
    # The cut is before sanitizing: no escape is split, and the file's number stays.
    plain = html.unescape(page)
    assert "\x1b" not in plain
    assert "⟨" not in plain.replace("⟨x1B⟩", "") and "⟩" not in plain.replace("⟨x1B⟩", "")
    assert re.search(r"\d{5}: 10 lines", plain)  # the end of the path: the file's name


def test_tiles_are_capped_and_the_page_says_how_many():
    rows = [(b"d%03d/f%05d" % (i % 500, i), b"%032d" % i, 1 + i % 7, False, 0)
            for i in range(60_000)]  # fmt: skip
    page = _page(rows)
    rects = _tiles(page)
    assert 1000 < rects <= report_treemap.MAX_TILES
    assert f"{rects:,} tiles drawn" in page


def test_a_cap_keeps_parents_before_children_and_the_biggest_split_first():
    root = _tree(20_000, 8)
    bounds = Rect(0.0, 0.0, 1200.0, 640.0)
    full = nest(root, bounds, 0.5, 0.0, 1.0)
    capped = nest(root, bounds, 0.5, 0.0, 1.0, max_tiles=500)
    assert len(full) > 500 >= len(capped) > 100
    index = {id(t.node): n for n, t in enumerate(capped)}
    parent = {id(k): t for t in capped for k in t.node.children}
    for n, t in enumerate(capped[1:], start=1):
        p = parent[id(t.node)]
        assert index[id(p.node)] < n and _inside(t.rect, p.rect)
        # all or none: a drawn tile's siblings big enough to draw are drawn too
        siblings = [k for k in p.node.children if id(k) in index]
        assert len(siblings) == sum(1 for x in full if x.depth == t.depth and
                                    any(x.node is k for k in p.node.children))  # fmt: skip
    # The biggest tiles are split first: the twenty biggest with children are split.
    split = {id(t.node) for t in capped if any(id(k) in index for k in t.node.children)}
    parents = sorted((t for t in capped if t.node.children), key=lambda t: -t.rect.area)
    assert all(id(t.node) in split for t in parents[:20])
    assert any(id(t.node) not in split for t in parents)  # and the cap left some whole


def test_a_small_tree_is_drawn_whole():
    root = Node(3, [Node(1), Node(2, [Node(2)])])
    assert len(nest(root, Rect(0, 0, 100, 100), 1.0, 0.0, 1.0, max_tiles=4)) == 4


def _report_with_maps(trees) -> str:
    """The report's map section for one snapshot per tree (report_summary)."""
    facts = [SnapshotFacts(f"s{n}.snapshot", f"{n:064x}", f"snap{n}", "1.0", "00" * 32)
             for n in range(len(trees))]  # fmt: skip
    maps = {f.id: snapshot_map(list(rows), {}) for f, rows in zip(facts, trees, strict=True)}
    group = CoverageGroup("verified", [], {}, {})
    report = Report(Evidence([]), [], facts, [group], [], [], [], False, maps)
    return "".join(report_summary.snapshot_map(report, h))


def test_the_bounds_are_per_report_not_per_snapshot():
    """Outside attack (second round): each `--snapshot` added its own ~6 MB map (20.3
    MB with three hostile snapshots). Three maps share one bound of bytes."""
    page = _report_with_maps([list(_hostile_rows(2000, 8)) for _ in range(3)])
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 3 and all(_tiles(s) > 10 for s in svgs)  # each map drawn
    assert len(page.encode()) <= report_treemap.MAX_BYTES + 64_000


def test_the_tile_cap_is_per_report_and_shared_fairly():
    rows = [(b"d%03d/f%05d" % (i % 500, i), b"%032d" % i, 1 + i % 7, False, 0)
            for i in range(60_000)]  # fmt: skip
    page = _report_with_maps([rows, rows, rows])
    counts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) tiles drawn", page)]
    assert len(counts) == 3 and sum(counts) == _tiles(page)
    assert sum(counts) <= report_treemap.MAX_TILES
    assert min(counts) >= report_treemap.MAX_TILES // 3 - 500  # no map starved by the first
