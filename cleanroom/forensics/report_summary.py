"""The top of the HTML report: who saw how much, what nobody opened, and the map.

Three sections, each readable on its own: "At a glance" (per reviewer and per
session: files and lines of the snapshot seen, with percentages and a bar, time
on screen, searches, alerts), "Never opened" (per snapshot, by directory; a
directory nobody opened anything in is one line) and "Snapshot map" (the
treemap of `report_treemap`). Only verified ledgers count.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

from . import html_budget
from .describe import duration, path_text
from .html_budget import Budget
from .report import Report
from .report_text import name_text
from .report_treemap import MapBudget, legend, svg
from .snapshotmap import never_opened
from .summary import Reach, reviewers, sessions

NEVER_LISTED = 400  # names listed per directory; the count says how many more
NEVER_OPEN_ROWS = 60  # directories listed open; the rest in a closed <details>
CSS = """
.bar{display:inline-block;width:120px;height:10px;border:1px solid #999;background:#eee;
vertical-align:middle;margin-left:6px}.bar b{display:block;height:100%;background:#3182bd}
td.share,.id{white-space:nowrap}@media (max-width:1100px){.bar{display:none}
#glance td.share,#glance td:first-child .id{white-space:normal}
#glance td,#glance th{padding:2px 4px}}.pct{white-space:nowrap}
ul.never{list-style:none;padding-left:0}ul.never li{margin:.15em 0}
ul.never .names{font-family:ui-monospace,monospace;color:#444}
#glance td:first-child,#glance td:first-child .id{white-space:normal;overflow-wrap:anywhere}
"""


def glance(r: Report, h: Callable[[object], str]) -> Iterator[str]:
    yield '<section id="glance"><h2>At a glance</h2>\n'
    yield (
        "<p>How much of the snapshot each reviewer, and each session, had on screen: files "
        "opened and lines shown, of the whole snapshot, from verified ledgers only "
        "(TAMPERED ledgers never count as seen).</p>\n"
    )
    people = reviewers(r)
    if not people:
        yield "<p>No verified session.</p></section>\n"
        return
    yield "<h3>Per reviewer</h3>\n"
    yield from _table(people, h, "Reviewer", "reviewers")
    yield "<h3>Per session</h3>\n"
    yield from _table(sessions(r), h, "Session", "sessions-glance")
    yield "</section>\n"


def _table(rows: list[Reach], h: Callable[[object], str], who: str, cls: str) -> Iterator[str]:
    yield (
        f'<table class="{cls} sortable"><thead><tr><th>{who}</th><th>Sessions</th>'
        "<th>Snapshot</th><th>Files seen</th><th>Lines seen</th><th>On screen</th>"
        "<th>Searches</th><th>Alerts</th></tr></thead><tbody>\n"
    )
    lines = [_reach_row(x, h, who) for x in rows]
    what = "reviewers" if who == "Reviewer" else "sessions"
    where = f"the JSON report lists every one (summary.{what})"
    yield from html_budget.bounded(lines, 8, what, where)
    yield "</tbody></table>\n"


def _reach_row(x: Reach, h: Callable[[object], str], who: str) -> str:
    if who == "Reviewer":
        name = _short(h, x.who)
    else:  # the ledger id as every id is shown (12 characters), the whole on hover
        full = f"{x.who} — {x.reviewer}"
        person = x.reviewer if len(x.reviewer) <= 40 else x.reviewer[:40] + "…"
        title = html.escape(name_text(full), quote=True)
        name = f'<span class="id" title="{title}">{h(x.who[:12])}… — {h(person)}</span>'
    snap = x.snapshot or "none named"
    return (
        f'<tr class="reach" data-who="{html.escape(name_text(x.who), quote=True)}"><td>{name}</td>'
        f'<td class="num">{x.sessions}</td>'
        f'<td class="mono">{_short(h, snap, 12)}</td>'
        f"{_share(x.files_seen, x.files, x.percent('files'))}"
        f"{_share(x.lines_seen, x.lines, x.percent('lines'))}"
        f'<td class="num" data-sort="{x.on_screen_us}">{duration(x.on_screen_us)}</td>'
        f'<td class="num">{x.searches}</td><td class="num">{x.alerts}</td></tr>\n'
    )


def _share(seen: int, total: int | None, pct: float | None) -> str:
    if total is None or pct is None:
        return f'<td class="num" data-sort="{seen}">{seen:,} (snapshot not given)</td>'
    return (
        f'<td class="num share" data-sort="{pct:.4f}">{seen:,} / {total:,} '
        f'<span class="pct">({pct:.1f} %)</span>'
        f'<span class="bar"><b style="width:{pct:.1f}%"></b></span></td>'
    )


def _short(h: Callable[[object], str], value: str, keep: int = 48) -> str:
    """Long values cut to `keep` characters, the whole on hover."""
    if len(value) <= keep:
        return h(value)
    title = html.escape(name_text(value), quote=True)  # bounded like every name (ADR 0309)
    return f'<span class="id" title="{title}">{h(value[:keep])}…</span>'


def never(r: Report, h: Callable[[object], str]) -> Iterator[str]:
    yield '<section id="never"><h2>Never opened</h2>\n'
    if not r.maps:
        yield "<p>No snapshot given.</p></section>\n"
        return
    budget = Budget(html_budget.NEVER_ROWS, html_budget.NEVER_BYTES)  # over all snapshots
    for snap in r.snapshots:
        root = r.maps[snap.id]
        left = root.files - root.files_seen
        yield (
            f"<h3>{h(snap.name)} {h(snap.version)}: {left:,} of {root.files:,} files never "
            f"opened ({root.lines - root.seen:,} lines never shown)</h3>\n"
        )
        if not left:
            continue
        yield '<ul class="never">\n'
        units = never_opened(root)
        folded = False
        for n, u in enumerate(units):
            row = _never_row(u, h)
            if not budget.take(row):
                left = 1 + sum(1 for _ in units)
                yield (
                    f'<li class="cut">{left:,} more directories not listed here (the '
                    "page's bound): the JSON, JSON Lines and CSV reports hold every file's "
                    "coverage</li>\n"
                )
                break
            if n == NEVER_OPEN_ROWS:
                # The rest folded: a closed <details> is not laid out, so a large tree's
                # thousands of rows no longer delay the first paint, nor push the map
                # a screen further down. Opening it shows them all.
                folded = True
                yield (
                    '</ul>\n<details class="nevermore"><summary>More directories with files '
                    'never opened</summary>\n<ul class="never">\n'
                )
            yield row
        yield "</ul>\n</details>\n" if folded else "</ul>\n"
    yield "</section>\n"


def _never_row(u: Any, h: Callable[[object], str]) -> str:
    where = h(path_text(u.path) + "/") if u.path else "(top level)"
    if u.whole:
        return (
            f'<li class="whole"><code>{where}</code>: the whole directory, '
            f"{u.files:,} files, {u.lines:,} lines</li>\n"
        )
    names = ", ".join(h(path_text(n)) for n in u.names[:NEVER_LISTED])
    more = len(u.names) - NEVER_LISTED
    tail = f", and {more:,} more" if more > 0 else ""
    return (
        f'<li class="loose"><code>{where}</code>: {u.files:,} files, {u.lines:,} lines: '
        f'<span class="names">{names}{tail}</span></li>\n'
    )


def snapshot_map(r: Report, h: Callable[[object], str]) -> Iterator[str]:
    yield '<section id="map"><h2>Snapshot map</h2>\n'
    if not r.maps:
        yield "<p>No snapshot given.</p></section>\n"
        return
    yield (
        "<p>Every directory and file of the snapshot, sized by its lines and coloured by the "
        "share of its lines seen in verified sessions. Hover over a tile for its path and "
        "figures. Tiles too small to draw take their directory's colour.</p>\n"
    )
    yield legend()
    budget = MapBudget()  # one bound for all the maps of the report, not each
    for n, snap in enumerate(r.snapshots):
        root = r.maps[snap.id]
        yield f"<h3>{h(snap.name)} {h(snap.version)}</h3>\n"
        label = f"Treemap of {snap.name} {snap.version}"
        yield from svg(root, h, label, budget, len(r.snapshots) - n)
    yield "</section>\n"
