"""The report as one self-contained HTML file: inline CSS, no script, nothing fetched.

A Content-Security-Policy of `default-src 'none'` forbids every script, image,
font and connection, so even a string that slipped past escaping could not run
or call out. Every untrusted string (paths, queries, names, alert details,
finding messages) goes through the one sanitizer, so bidi and hidden characters
show as tags instead of reordering the page, and then through `html.escape`.

Sections: at a glance, never opened and the map (`report_summary`),
verification and sessions, the coverage heatmap (here: one row per file
version, a strip of cells coloured by the hottest line in each, details per
file below, for the `TOP_FILES` hottest; one plain row for each other file
version), searches, alerts and resumes, notes, and the timeline of every entry
(`report_sections`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from ..ledger.verdict import Status
from . import html_budget, report_source, report_summary, report_treemap
from .coverage import LEVELS, FileCoverage, FileKey, level_floor_us
from .describe import duration, path_text
from .hotranges import hot_ranges
from .html_budget import Budget
from .mismatch import CODE as MISMATCH
from .mismatch import Mismatch
from .report import CoverageGroup, Report, label
from .report_notes import notes_html
from .report_sections import badge, flag, incidents, searches, sessions, timeline, verification
from .report_sort import CSP_SOURCE, SCRIPT
from .report_text import h, h_name, short
from .source_text import SourceText

STRIP_CELLS = 100  # cells in a file's row of the overview heatmap
DETAIL_CELLS = 400  # cells in a file's detailed strip
HOT_SEGMENTS = 20  # hottest line ranges listed per file
TOP_FILES = 200  # file versions per group given a heatmap and details; the rest: a row

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111;background:#fff}
h1{margin:0 0 .3em}h2{border-bottom:2px solid #333;margin-top:1.8em}
table{border-collapse:collapse;margin:.5em 0;display:block;max-width:100%;overflow-x:auto}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
code,.mono,td.path{font-family:ui-monospace,monospace;word-break:break-all}
.status{display:inline-block;padding:1px 8px;border-radius:3px;font-weight:bold;color:#fff}
.s-INTACT{background:#1a7f37}.s-INCOMPLETE{background:#b35900}.s-TAMPERED{background:#c00}
.banner{padding:.5em 1em;margin:.5em 0;border-left:6px solid #c00;background:#fee}
.banner.incomplete{border-color:#b35900;background:#fff4e5}
section.tampered{border:3px dashed #c00;padding:0 1em}
.flag{color:#b00;font-weight:bold;white-space:nowrap}tr.mismatch{background:#fee}
tr.alert td{background:#fdd;font-weight:bold}tr.warn td{background:#fff1cc}
.strip{display:flex;width:600px;height:16px;border:1px solid #999;background:#eee}
.strip.wide{width:100%;max-width:1200px;height:24px}
.strip i{flex:1 1 0;min-width:0}
.h0{background:#eeeeee}.h1{background:#fff5c0}.h2{background:#ffe08a}.h3{background:#ffc658}
.h4{background:#ffa83a}.h5{background:#fb8530}.h6{background:#f0602b}.h7{background:#d93a26}
.h8{background:#b31e22}.h9{background:#7a0a18}
.legend i{display:inline-block;width:22px;height:12px;border:1px solid #999;vertical-align:middle}
.legend span{margin-right:.8em;white-space:nowrap}td.time,.time{white-space:nowrap}
details{margin:.4em 0}summary{cursor:pointer}
td.num{text-align:right;font-variant-numeric:tabular-nums}
h1,h2,h3,p,li,summary,header th{overflow-wrap:anywhere}
"""


def write_html(report: Report, out: IO[str]) -> None:
    for chunk in render(report):
        out.write(chunk)


def render(report: Report) -> Iterator[str]:
    source = report.source
    if source is not None:  # said on the first line, for anyone who opens it as text
        yield "<!DOCTYPE html><!-- THIS REPORT CONTAINS SOURCE CODE (--with-source) -->\n"
    else:
        yield "<!DOCTYPE html>\n"
    yield (
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        f"content=\"default-src 'none'; style-src 'unsafe-inline'; script-src {CSP_SOURCE}\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>Cleanroom report {h(report.generated)}</title>\n"
        f"<style>{CSS}{report_summary.CSS}{report_treemap.CSS}{report_source.CSS}</style>"
        "</head>\n<body>\n"
    )
    if source is not None:
        yield report_source.banner(source, h)
    yield from _header(report)
    yield from report_summary.glance(report, h)
    yield from report_summary.never(report, h)
    yield from report_summary.snapshot_map(report, h)
    yield from verification(report)
    yield from sessions(report)
    yield from _coverage(report)
    yield from searches(report)
    yield from incidents(report)
    yield from notes_html(report.notes, h, len(report.note_problems))
    yield from timeline(report)
    yield f"<script>{SCRIPT}</script>\n</body></html>\n"


def _header(r: Report) -> Iterator[str]:
    yield '<header id="summary"><h1>Cleanroom forensic report</h1>\n'
    yield f"<p>Overall: {badge(r.status)}</p>\n"
    if r.withheld:
        yield (
            f'<p class="banner">{len(r.withheld)} ledger(s) are TAMPERED: their entries are '
            "withheld from every section below. Only their verdicts are shown.</p>\n"
        )
    elif any(s.status is Status.TAMPERED for s in r.sessions):
        yield (
            '<p class="banner">TAMPERED ledgers are included on request. Their entries are '
            "only what the files claim; they are marked and kept out of the verified "
            "coverage.</p>\n"
        )
    if any(s.status is Status.INCOMPLETE for s in r.sessions):
        yield (
            '<p class="banner incomplete">Some ledgers are INCOMPLETE (unsealed or resumed '
            "after a crash): authentic as far as they go; each is marked.</p>\n"
        )
    yield "<table>\n"
    rows = [
        ("Generated", r.generated),
        ("Software", r.software),
        ("Trusted vendor keys", ", ".join(r.trust)),
        ("TAMPERED ledgers", "included, marked" if r.include_tampered else "withheld"),
    ]
    rows += [(f"Snapshot {s.name} {s.version}", f"{s.id} (root {s.root})") for s in r.snapshots]
    for k, v in rows:
        yield f'<tr><th>{h(k)}</th><td class="mono">{h(v)}</td></tr>\n'
    yield "</table>\n"
    yield (
        '<p><a href="#glance">At a glance</a> · <a href="#never">Never opened</a> · '
        '<a href="#map">Snapshot map</a> · '
        '<a href="#verification">Verification</a> · <a href="#sessions">Sessions</a> · '
        '<a href="#coverage">Coverage</a> · <a href="#searches">Searches</a> · '
        '<a href="#incidents">Alerts and resumes</a> · <a href="#timeline">Timeline</a></p>'
        "</header>\n"
    )


def _coverage(r: Report) -> Iterator[str]:
    yield '<section id="coverage"><h2>Coverage</h2>\n'
    yield (
        "<p>One row per file version (path and content). Each cell is a run of lines, "
        "coloured by the longest time any line in it stayed on screen, idle time excluded. "
        "Grey: never shown. The colours are on a log scale up to the hottest line of the "
        "group (the details below: of the file).</p>\n"
    )
    # The hottest files' rows and details are bounded over the whole page (ADR 0306).
    rows = Budget(TOP_FILES * len(r.coverage), html_budget.TOP_ROWS_BYTES)
    details = Budget(TOP_FILES * len(r.coverage), html_budget.DETAIL_BYTES)
    lines = Budget(TOP_FILES * len(r.coverage) * report_source.MAX_LINES, html_budget.SOURCE_BYTES)
    for g in r.coverage:
        yield _legend(g.scale_us)
        yield from _group(g, r.source, rows, details, lines)
    yield "</section>\n"


def _legend(scale_us: int) -> str:
    """The heat colours with the least dwell each stands for, on `scale_us`."""
    keys = ['<span><i class="h0"></i> never shown</span>']
    for k in range(1, LEVELS):
        keys.append(f'<span><i class="h{k}"></i> {_level_floor(k, scale_us)}</span>')
    return f'<p class="legend">{"".join(keys)}</p>\n'


def _level_floor(level: int, scale_us: int) -> str:
    us = level_floor_us(level, scale_us)
    return f"≥ {duration(us)}" if us else "shown"


def _group(
    g: CoverageGroup,
    source: SourceText | None = None,
    row_budget: Budget | None = None,
    detail_budget: Budget | None = None,
    source_budget: Budget | None = None,
) -> Iterator[str]:
    tampered = g.trust == "tampered"
    cls = ' class="tampered"' if tampered else ""
    yield f'<section{cls} data-trust="{g.trust}">'
    if tampered:
        yield (
            '<h3>Claimed by TAMPERED ledgers</h3><p class="banner">Not verified: only what the '
            "tampered files claim. Never add these to the verified coverage.</p>\n"
        )
    else:
        yield "<h3>From verified ledgers (INTACT and INCOMPLETE)</h3>\n"
    lost = (  # lines that were read but cannot be counted: say so
        f'<p class="banner">Result rows of search #{u.search_seq} in '
        f"{h_name(u.index.path)} were "
        f"on screen {u.views} times but are not counted here: {h(u.why)}.</p>\n"
        for u in g.unmapped
    )
    yield from html_budget.banners(lost, "searches whose result rows are not counted")
    if g.mismatches:
        yield (
            f'<p class="banner mismatch">{len(g.mismatches)} file version(s) on screen contradict '
            f"the snapshot their session names ({MISMATCH}): the ledger names a path with "
            "content that snapshot does not hold there. They are flagged below and not counted "
            "as seen.</p>\n"
        )
    if not g.files:
        yield "<p>No file was on screen.</p></section>\n"
        return
    files = sorted(g.files, key=lambda f: (-f.max_dwell_us, f.path, f.blob))
    top, rest = files[:TOP_FILES], files[TOP_FILES:]
    scale = g.scale_us
    # One column per reviewer: lines of this file version each of them saw.
    people, hidden = _reviewer_columns(g)
    yield '<table class="heatmap sortable">\n<thead><tr><th>File</th><th>Lines on screen</th>'
    yield "<th>Seen</th><th>On screen</th><th>Hottest line</th>"
    yield "".join(f'<th class="who">{h_name(name)}</th>' for name, _ in people)
    yield "</tr></thead><tbody>\n"
    row_budget = row_budget or Budget(len(top), html_budget.TOP_ROWS_BYTES)
    detail_budget = detail_budget or Budget(len(top), html_budget.DETAIL_BYTES)
    detailed: set[int] = set()  # the details that fit, measured first so rows link to them
    for n, f in enumerate(top):
        if not detail_budget.take("".join(_file_detail(g, f, f"f{g.trust}{n}", None))):
            break
        detailed.add(n)
    shown = 0
    for n, f in enumerate(top):
        cells = "".join(
            f'<i class="h{c.level}" title="lines {c.first}-{c.last}: {duration(c.dwell_us)}"></i>'
            for c in f.heatmap(STRIP_CELLS, scale)
        )
        who = "".join(_seen_by(seen.get((f.path, f.blob))) for _, seen in people)
        bad = g.mismatches.get((f.path, f.blob))
        name = h(path_text(f.path))
        link = f'<a href="#f{g.trust}{n}">{name}</a>' if n in detailed else name
        row = (
            f'<tr class="heatrow{" mismatch" if bad else ""}" data-path="{name}"'
            f' data-blob="{h(f.blob)}">'
            f'<td class="path">{link}{flag(bad)}</td>'
            f'<td><div class="strip">{cells}</div></td>'
            f"{_seen_cell(f, bad)}"
            f'<td class="num" data-sort="{f.on_screen_us}">{duration(f.on_screen_us)}</td>'
            f'<td class="num" data-sort="{f.max_dwell_us}">{duration(f.max_dwell_us)}</td>'
            f"{who}</tr>\n"
        )
        if not row_budget.take(row):
            yield (
                f'<tr class="cut"><td colspan="{5 + len(people)}">{len(top) - n} more of the '
                "hottest file versions not shown here (the page's bound): the JSON, JSON Lines "
                "and CSV reports hold every one</td></tr>\n"
            )
            break
        shown += 1
        yield row
    yield "</tbody></table>\n"
    if hidden:
        yield (
            f'<p class="cut">{hidden:,} more reviewers have no column here (the page\'s '
            f"bound: the {len(people)} who saw the most lines have one): At a glance gives "
            "every reviewer's share, and the CSV and JSON Lines reports every reviewer's "
            "lines of each file</p>\n"
        )
    if rest:
        yield from _summarized(rest, g.mismatches)
    for n, f in enumerate(top[:shown]):
        if n in detailed:
            yield from _file_detail(g, f, f"f{g.trust}{n}", source, source_budget)
    if len(detailed) < shown:
        yield (
            f'<p class="cut">{shown - len(detailed)} more file details not shown here (the '
            "page's bound): the JSON report holds each file's line ranges and sessions</p>\n"
        )
    yield "</section>\n"


Columns = list[tuple[str, dict[FileKey, FileCoverage]]]  # (reviewer, their coverage)


def _reviewer_columns(g: CoverageGroup) -> tuple[Columns, int]:
    """(label, coverage by file version) of the reviewers given a column, in the
    group's order, and how many more have none: at most REVIEWER_COLUMNS, those
    who saw the most lines."""
    seen = {who: sum(min(f.lines_seen, f.lines) for f in fs) for who, fs in g.by_reviewer.items()}
    chosen = set(sorted(seen, key=lambda w: (-seen[w], label(w)))[: html_budget.REVIEWER_COLUMNS])
    people = [
        (label(who), {(f.path, f.blob): f for f in fs})
        for who, fs in g.by_reviewer.items()
        if who in chosen
    ]
    return people, len(seen) - len(people)


def _seen_cell(f: FileCoverage, bad: Mismatch | None) -> str:
    if bad is not None:
        claimed = f"{f.lines_seen} / {f.lines} claimed"
        return f'<td class="num" data-sort="0">not counted ({claimed})</td>'
    return f'<td class="num" data-sort="{f.lines_seen}">{f.lines_seen} / {f.lines}</td>'


def _seen_by(f: FileCoverage | None) -> str:
    if f is None:
        return '<td class="num who" data-sort="0"></td>'
    seen = min(f.lines_seen, f.lines)
    return f'<td class="num who" data-sort="{seen}">{seen} / {f.lines}</td>'


def _summarized(files: list[FileCoverage], wrong: dict[FileKey, Mismatch]) -> Iterator[str]:
    """One short row per file beyond the top ones: the page grows by a line per file,
    not by a heatmap and a detail section (the JSON report has them all)."""
    yield (
        f'<details class="otherfiles"><summary>{len(files)} more file versions, less '
        f"watched: summarized without heatmaps (all are in the JSON report)</summary>\n"
        "<table><tr><th>File</th><th>Content</th><th>Seen</th><th>On screen</th>"
        "<th>Hottest line</th></tr>\n"
    )
    budget = Budget(html_budget.SUMMARY_ROWS, html_budget.SUMMARY_BYTES)
    for n, f in enumerate(files):
        bad = wrong.get((f.path, f.blob))
        row = (
            f'<tr class="filesummary{" mismatch" if bad else ""}"><td class="path">'
            f"{h(path_text(f.path))}{flag(bad)}</td>"
            f'<td class="mono">{h(f.blob[:16])}</td>'
            f"{_seen_cell(f, bad)}"
            f'<td class="num">{duration(f.on_screen_us)}</td>'
            f'<td class="num">{duration(f.max_dwell_us)}</td></tr>\n'
        )
        if not budget.take(row):
            yield (
                f'<tr class="cut"><td colspan="5">{len(files) - n} more file versions not '
                "listed here (the page's bound): the JSON, JSON Lines and CSV reports list "
                "every one</td></tr>\n"
            )
            break
        yield row
    yield "</table></details>\n"


def _file_detail(
    g: CoverageGroup,
    f: FileCoverage,
    anchor: str,
    source: SourceText | None,
    source_budget: Budget | None = None,
) -> Iterator[str]:
    held = g.in_snapshots.get((f.path, f.blob), [])
    where = ", ".join(held) if held else "in no snapshot given at this path"
    yield (
        f'<details id="{anchor}" class="filedetail"><summary><code>{h(path_text(f.path))}'
        f"</code> — {f.lines_seen} of {f.lines} lines seen, {duration(f.on_screen_us)} "
        f"on screen</summary>\n<p>Content <code>{short(f.blob)}</code>; snapshot: "
        f"{', '.join(short(x) for x in held) if held else h(where)}.</p>\n"
    )
    cells = "".join(
        f'<i class="h{c.level}" title="lines {c.first}-{c.last}: {duration(c.dwell_us)}"></i>'
        for c in f.heatmap(DETAIL_CELLS)
    )
    yield f'<div class="strip wide">{cells}</div>\n'
    bad = g.mismatches.get((f.path, f.blob))
    if bad is not None:  # its lines are another file's, or unknown: never shown as this one
        yield f'<p class="banner mismatch">{h(bad.message())}</p>\n'
    elif source is not None:
        # shaded as the strip; all files' lines share the report's SOURCE_BYTES
        yield from report_source.source_table(f, source, f.max_dwell_us, h, source_budget)
    yield "<table><tr><th>Hottest lines</th><th>On screen</th><th>Times shown</th></tr>\n"
    for seg in hot_ranges(f, HOT_SEGMENTS):
        yield (
            f'<tr><td>{seg.first}-{seg.last}</td><td class="num">{duration(seg.dwell_us)}'
            f'</td><td class="num">{seg.shown}</td></tr>\n'
        )
    yield "</table>\n<table><tr><th>Session</th><th>Status</th><th>On screen</th></tr>\n"
    for key, us in sorted(f.sessions.items()):
        yield (
            f'<tr><td class="path">{h(key)}</td><td>{badge(g.statuses[key])}</td>'
            f'<td class="num">{duration(us)}</td></tr>\n'
        )
    yield "</table></details>\n"
