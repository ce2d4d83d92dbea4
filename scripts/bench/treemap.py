#!/usr/bin/env python3
"""The snapshot map of a big snapshot: layout, HTML size, and rendering in Chromium.

    .venv/bin/python scripts/bench/treemap.py                 # the Linux snapshot if built
    .venv/bin/python scripts/bench/treemap.py --synthetic 84000   # a made-up tree instead
    .venv/bin/python scripts/bench/treemap.py --json

Target (issue 14; reported, never asserted): the treemap of the Linux snapshot
(84k files) renders in Chromium within 2 s and the report file stays under 20 MB.

The Linux snapshot is /tmp/linuxsrc/linux.snapshot, signed with tests/ledgerkit.py
`seeded_key("v")` (scripts/bench/search.py builds it); its file list and line
counts are read with `Snapshot.file_lines`. `--synthetic N` makes N files in a
tree shaped like a kernel's (directories 2 to 6 deep, 1 to 5,000 lines) without
a snapshot. In both, 2 % of the files are marked seen, so the map has colours.

The page is the report's own HTML (`report_html.render`) for a report with no
ledger and that one snapshot, so the map is the only big section. Timings:
building the tree (`snapshotmap`), the layout and SVG (`report_summary` +
`report_treemap`), the whole HTML; then headless Chromium (tests/chromiumkit.py,
networking blocked) at 1400 px: from navigation to the load event, then to the
first frame painted after it (`requestAnimationFrame` twice), median of --runs,
each in a fresh tab.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from cleanroom.forensics.coverage import FileCoverage, Segment
from cleanroom.forensics.report import CoverageGroup, Report, SnapshotFacts
from cleanroom.forensics.report_html import render
from cleanroom.forensics.report_treemap import LABEL, MAX_TILES, MIN_AREA
from cleanroom.forensics.snapshotmap import snapshot_map
from cleanroom.forensics.timeline import Evidence
from cleanroom.forensics.treemap import Rect, nest
from cleanroom.snapshot.store import Snapshot
from tests.chromiumkit import Browser
from tests.ledgerkit import seeded_key

LINUX = Path("/tmp/linuxsrc/linux.snapshot")
TARGET_S, TARGET_MB = 2.0, 20.0
PAINTED = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))"


def linux_rows() -> tuple[list[tuple[bytes, bytes, int, bool, int]], SnapshotFacts]:
    trust = [seeded_key("v").public_key().public_bytes_raw()]
    with Snapshot.open(LINUX, trust) as s:
        rows = list(s.file_lines())
        m = s.manifest
        return rows, SnapshotFacts(str(LINUX), s.id, m.name, m.version, m.root)


def synthetic_rows(n: int) -> tuple[list[tuple[bytes, bytes, int, bool, int]], SnapshotFacts]:
    rng = random.Random(14)
    tops = [b"drivers", b"arch", b"fs", b"net", b"sound", b"include", b"tools", b"kernel",
            b"Documentation", b"lib", b"mm", b"crypto", b"security", b"block"]  # fmt: skip
    rows = []
    for i in range(n):
        depth = rng.choice([1, 2, 2, 3, 3, 3, 4, 5])
        parts = [rng.choice(tops)] + [b"d%d" % rng.randrange(12) for _ in range(depth)]
        path = b"/".join([*parts, b"file%05d.c" % i])
        lines = int(min(5000, rng.lognormvariate(5.2, 1.2))) + 1
        rows.append((path, i.to_bytes(32, "big"), lines, False, 0))
    rows.sort()
    return rows, SnapshotFacts("synthetic", "00" * 32, f"synthetic-{n}", "1.0", "00" * 32)


def seen_of(rows: list[tuple[bytes, bytes, int, bool, int]]) -> dict:
    rng = random.Random(2)
    seen = {}
    for path, blob, lines, *_ in rng.sample(rows, max(1, len(rows) // 50)):  # binary, size
        upto = max(1, min(lines, rng.randrange(1, max(2, lines))))
        runs = [Segment(1, upto, 1_000_000, 1)] + ([Segment(upto + 1, lines, 0, 0)] if
                                                     upto < lines else [])  # fmt: skip
        seen[(path, blob.hex())] = FileCoverage(path, blob.hex(), max(lines, 1), runs, 1_000_000)
    return seen


def measure(rows, facts: SnapshotFacts, runs: int, out_dir: Path) -> dict:
    t0 = time.perf_counter()
    seen = seen_of(rows)
    tree = snapshot_map(rows, seen)
    t_tree = time.perf_counter() - t0
    t0 = time.perf_counter()
    tiles = nest(tree, Rect(0, 0, 1200, 640), MIN_AREA, LABEL, 1.0, MAX_TILES)
    t_layout = time.perf_counter() - t0
    group = CoverageGroup("verified", [], {}, {})
    report = Report(Evidence([]), [], [facts], [group], [], [], [], False, {facts.id: tree})
    t0 = time.perf_counter()
    buf = io.StringIO()
    for chunk in render(report):
        buf.write(chunk)
    t_html = time.perf_counter() - t0
    page = out_dir / "treemap-bench.html"
    page.write_text(buf.getvalue(), encoding="utf-8")
    size = page.stat().st_size
    rects = buf.getvalue().count("<rect ")
    browser = Browser(timeout=120)
    loads, paints, cpus, problems = [], [], [], []
    try:
        for _ in range(runs):
            tab = browser.page(1400)
            c0 = tree_cpu(browser.proc.pid)
            t0 = time.perf_counter()
            tab.send("Page.navigate", url=page.resolve().as_uri())
            browser.wait_for("Page.loadEventFired", tab.s)
            loads.append(time.perf_counter() - t0)
            tab.eval(PAINTED)
            paints.append(time.perf_counter() - t0)
            cpus.append(tree_cpu(browser.proc.pid) - c0)
            problems += tab.problems()
        tab.eval("document.getElementById('map').scrollIntoView()")
        tab.screenshot(out_dir / "treemap-bench.png")
    finally:
        browser.close()
    return {
        "snapshot": facts.name, "files": tree.files, "lines": tree.lines,
        "files_seen": tree.files_seen, "tiles_laid_out": len(tiles), "svg_rects": rects,
        "tree_seconds": t_tree, "layout_seconds": t_layout, "html_seconds": t_html,
        "html_bytes": size, "load_seconds": statistics.median(loads),
        "painted_seconds": statistics.median(paints), "runs": runs, "problems": problems,
        "chromium_cpu_seconds": statistics.median(cpus),
        "page": str(page), "screenshot": str(out_dir / "treemap-bench.png"),
    }  # fmt: skip


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and every live descendant:
    Chromium's browser, renderer and utility processes."""
    tick = os.sysconf("SC_CLK_TCK")
    parent, ticks = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parent[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    total, mine = 0, {pid}
    for p in sorted(parent):  # a child's pid may be below its parent's: walk up instead
        q, seen = p, set()
        while q not in mine and q in parent and q not in seen and q > 1:
            seen.add(q)
            q = parent[q]
        if q in mine:
            mine |= seen | {p}
            total += ticks.get(p, 0)
    return total / tick


def render_table(r: dict) -> str:
    ok = "ok" if r["painted_seconds"] <= TARGET_S and r["html_bytes"] / 1e6 <= TARGET_MB else "OVER"
    return "\n".join([
        f"snapshot map of {r['snapshot']}: {r['files']:,} files, {r['lines']:,} lines "
        f"({r['files_seen']:,} marked seen); load average {os.getloadavg()[0]:.1f}",
        f"  tree {r['tree_seconds']:.2f} s, layout {r['layout_seconds']:.2f} s "
        f"({r['tiles_laid_out']:,} tiles), whole HTML {r['html_seconds']:.2f} s",
        f"  HTML {r['html_bytes'] / 1e6:.1f} MB (target <= {TARGET_MB:.0f}), "
        f"{r['svg_rects']:,} SVG rects",
        f"  Chromium 1400 px, median of {r['runs']}: load event {r['load_seconds']:.2f} s, "
        f"first paint after it {r['painted_seconds']:.2f} s (target <= {TARGET_S:.0f}) {ok}",
        f"  Chromium CPU (all its processes) from navigation to that paint, median: "
        f"{r['chromium_cpu_seconds']:.2f} s",
        f"  console problems: {len(r['problems'])}; page {r['page']}; "
        f"screenshot {r['screenshot']}",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synthetic", type=int, metavar="N", help="N made-up files, no snapshot")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "cleanroom-bench")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.synthetic or not LINUX.exists():
        rows, facts = synthetic_rows(args.synthetic or 84_000)
    else:
        rows, facts = linux_rows()
    r = measure(rows, facts, args.runs, args.out)
    print(render_table(r), file=sys.stderr)
    if args.json:
        print(json.dumps(r, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
