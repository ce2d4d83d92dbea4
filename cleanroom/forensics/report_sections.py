"""The sections of the HTML report that list ledgers and entries, each bounded.

"Verification" and "Sessions" (one row per ledger), "Searches", "Alerts and
resumes" and the "Timeline" of every entry: each takes its rows from an
`html_budget.Budget` and, once it is spent, says in one row how much it left
out and which report lists every one (docs/report-format.md). `report_html`
lays them out with the rest of the page.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..ledger.verdict import Status
from . import html_budget
from .describe import describe, duration, not_listed
from .html_budget import Budget
from .mismatch import CODE as MISMATCH
from .mismatch import Mismatch
from .report import Listed, Report, SessionReport
from .report_text import NAME_CHARS, h, h_name, short
from .timeline import TimelineEntry

# A description (an entry's payload: paths, alert details) and a cross-session
# finding are cut like names, longer: one row never spends a section's budget.
WHAT_CHARS = 64 * NAME_CHARS
MESSAGE_CHARS = 8 * NAME_CHARS
HIGHLIGHT = {"alert": "alert", "blocked": "warn", "recording_failed": "warn",
             "session_resume": "warn"}  # fmt: skip


def badge(status: Status) -> str:
    return f'<span class="status s-{status.value}">{status.value}</span>'


def flag(bad: Mismatch | None) -> str:
    """A visible mark on a row its session's snapshot contradicts; the why on hover."""
    if bad is None:
        return ""
    return f' <span class="flag" title="{h(bad.message())}">{MISMATCH}</span>'


# Where the rows cut from "Verification" and "Sessions" are (html_budget.bounded).
LEDGERS_ELSEWHERE = (
    "the JSON and JSON Lines reports list every ledger with its findings,"
    " and `cleanroom verify` gives each"
)
SESSIONS_ELSEWHERE = "the JSON report lists every ledger with its figures (ledgers[].stats)"
FINDINGS_ELSEWHERE = "the JSON report lists each (sessions[]), and `cleanroom verify` gives each"
WORST_FIRST = {Status.TAMPERED: 0, Status.INCOMPLETE: 1, Status.INTACT: 2}


def verification(r: Report) -> Iterator[str]:
    yield '<section id="verification"><h2>Verification</h2>\n<table class="sortable">\n'
    yield "<thead><tr><th>Ledger</th><th>Status</th><th>Entries</th><th>Findings</th></tr>"
    yield "</thead><tbody>\n"
    # Worst first, so a ledger past the bound is never the one that matters.
    ledgers = sorted(r.sessions, key=lambda s: WORST_FIRST[s.status])
    rows = [_verdict_row(s) for s in ledgers]
    yield from html_budget.bounded(rows, 4, "ledgers", LEDGERS_ELSEWHERE)
    yield "</tbody></table>\n"
    found = (
        f'<p class="banner">Across sessions: <b>{h(f.code)}</b> '
        f"{h_name(f.message, MESSAGE_CHARS)}</p>\n"  # it names paths, hosts, issuers
        for f in r.evidence.sessions
    )
    yield from html_budget.banners(found, "findings across sessions", FINDINGS_ELSEWHERE)
    yield "</section>\n"


def _verdict_row(s: SessionReport) -> str:
    t = s.timeline
    entries = "withheld" if t.withheld else str(len(t.entries))
    findings = "<br>".join(
        f"{h(f.severity.value)} <b>{h(f.code)}</b> "
        f"{'' if f.seq is None else 'seq ' + str(f.seq)} {h_name(f.message, MESSAGE_CHARS)}"
        for f in t.verdict.findings
    )
    if (left := not_listed(t.verdict.omitted)) is not None:  # the verdict's cap
        findings += f"<br><b>and {h(left)}</b>: <code>cleanroom verify</code> counts them"
    return (
        f'<tr class="ledger" data-status="{t.status.value}"><td class="path">{h_name(t.path)}'
        f"<br>ledger {short(t.ledger_id or 'unreadable')}</td><td>{badge(t.status)}</td>"
        f'<td class="num" data-sort="{len(t.entries)}">{entries}</td>'
        f"<td>{findings or 'none'}</td></tr>\n"
    )


SESSION_HEADS = ["Ledger", "Status", "Reviewer", "Workstation", "Snapshot", "Started", "Ended",
                 "Span", "On screen", "Blank (idle, locked)", "Files", "Views", "Searches",
                 "Alerts", "Blocked", "Resumes"]  # fmt: skip


def sessions(r: Report) -> Iterator[str]:
    yield '<section id="sessions"><h2>Sessions</h2>\n<table class="sortable">\n<thead><tr>'
    yield "".join(f"<th>{x}</th>" for x in SESSION_HEADS) + "</tr></thead><tbody>\n"
    rows = [_session_row(s) for s in r.sessions]
    yield from html_budget.bounded(rows, len(SESSION_HEADS), "sessions", SESSIONS_ELSEWHERE)
    yield "</tbody></table></section>\n"


def _session_row(s: SessionReport) -> str:
    t, st = s.timeline, s.stats
    summary = t.verdict.summary
    claimed = " (claimed)" if t.status is Status.TAMPERED else ""
    snap = t.snapshot_id or "none named"
    if s.snapshot_given is False:
        snap += " (not given: line counts as recorded)"
    cells = [
        f'<td class="path">{short(t.ledger_id or t.path)}</td>',
        f"<td>{badge(t.status)}</td>",
        f"<td>{_person(t.reviewer, t.org)}{claimed}</td>",
        f"<td>{h_name(t.workstation or 'unnamed')}</td>",
        f'<td class="mono">{short(snap)}</td>',
        f'<td class="time">{h(summary.get("started"))}</td>',
        f'<td class="time">{h(summary.get("ended"))}</td>',
    ]
    if t.withheld:
        cells.append(f'<td colspan="{len(SESSION_HEADS) - 7}">entries withheld</td>')
    else:
        times = ("span_us", "on_screen_us", "blank_us")
        counts = ("files", "views", "searches", "alerts", "blocked", "resumes")
        cells += [f'<td class="num" data-sort="{st[k]}">{duration(st[k])}</td>' for k in times]
        cells += [f'<td class="num">{st[k]}</td>' for k in counts]
    return f'<tr data-status="{t.status.value}">' + "".join(cells) + "</tr>\n"


def _listed_row(x: Listed, *cols: str) -> str:
    status = x.session.status
    cls = ' class="alert"' if status is Status.TAMPERED else ""
    return (
        f'<tr{cls} data-status="{status.value}"><td class="time">{h(x.entry.time)}</td>'
        f'<td class="path">{short(x.session.timeline.ledger_id or x.session.key)}</td>'
        f"<td>{badge(status)}</td><td>{x.entry.seq}</td>" + "".join(cols) + "</tr>\n"
    )


def searches(r: Report) -> Iterator[str]:
    yield '<section id="searches"><h2>Searches</h2>\n'
    if not r.searches:
        yield "<p>None.</p></section>\n"
        return
    yield (
        '<table class="searches sortable"><thead><tr><th>Time</th><th>Session</th><th>Status</th>'
        "<th>Seq</th><th>Kind</th><th>Query</th><th>Options</th><th>Hits</th>"
        "<th>Result rows shown</th></tr></thead><tbody>\n"
    )
    budget = Budget(html_budget.LISTED_ROWS, html_budget.LISTED_BYTES)
    for n, x in enumerate(r.searches):
        p = x.entry.payload
        hits = p.get("hits", p.get("matches"))
        opts = []
        if x.entry.kind == "search":
            opts = ["regex" if p.get("regex") else "text", "case" if p.get("case") else "any case"]
            opts += [f"include {v}" for v in p.get("include") or []]
            opts += [f"exclude {v}" for v in p.get("exclude") or []]
        rows = f"{x.rows_viewed[0]}-{x.rows_viewed[1]}" if x.rows_viewed else ""
        row = _listed_row(
            x,
            f"<td>{h(x.entry.kind)}</td>",
            f'<td class="mono query">{h(p.get("query"))}</td>',
            f"<td>{h(', '.join(map(str, opts)))}</td>",
            f'<td class="num">{h(hits)}</td>',
            f"<td>{rows}</td>",
        )
        if not budget.take(row):
            yield html_budget.cut_row(9, len(r.searches) - n, "searches")
            break
        yield row
    yield "</tbody></table></section>\n"


def incidents(r: Report) -> Iterator[str]:
    yield '<section id="incidents"><h2>Alerts and resumes</h2>\n'
    if not r.incidents:
        yield "<p>None.</p></section>\n"
        return
    yield (
        '<table class="sortable"><thead><tr><th>Time</th><th>Session</th><th>Status</th>'
        "<th>Seq</th><th>Kind</th><th>What</th></tr></thead><tbody>\n"
    )
    budget = Budget(html_budget.LISTED_ROWS, html_budget.LISTED_BYTES)
    for n, x in enumerate(r.incidents):
        what = h_name(describe(x.entry), WHAT_CHARS)
        row = _listed_row(x, f"<td>{h(x.entry.kind)}</td>", f"<td>{what}</td>")
        if not budget.take(row):
            yield html_budget.cut_row(6, len(r.incidents) - n, "alerts and resumes")
            break
        yield row
    yield "</tbody></table></section>\n"


def timeline(r: Report) -> Iterator[str]:
    yield '<section id="timeline"><h2>Timeline</h2>\n'
    budget = Budget(html_budget.TIMELINE_ROWS, html_budget.TIMELINE_BYTES)  # the whole page
    for n, s in enumerate(r.sessions):
        head = _heading(s)  # counted like a row, so the bound holds however many sessions
        if budget.rows <= 0 or not budget.take(head, rows=0):  # spent: one line for the rest
            yield (
                f'<p class="cut">{len(r.sessions) - n:,} more sessions\' timelines not shown '
                "here (the page's bound): the JSON, JSON Lines and CSV reports hold every "
                "entry</p>\n"
            )
            break
        yield from _session_timeline(s, budget, head)
    yield "</section>\n"


def runs(
    entries: list[TimelineEntry], wrong: dict[int, Mismatch] | None = None
) -> Iterator[list[tuple[TimelineEntry, str]]]:
    """Consecutive entries of one kind and one description, with that description;
    an entry its snapshot contradicts (`wrong`) never joins one that it does not."""
    wrong = wrong or {}
    run: list[tuple[TimelineEntry, str]] = []
    for e in entries:
        text = describe(e)
        if run and (
            (run[-1][0].kind, run[-1][1]) != (e.kind, text)
            or wrong.get(run[-1][0].seq) is not wrong.get(e.seq)
        ):
            yield run
            run = []
        run.append((e, text))
    if run:
        yield run


def _person(name: str | None, org: str | None) -> str:
    """ "name (org)", each cut as every name is; "unnamed" where a ledger gives none
    (a start that does not decode), never Python's `None` (atk14)."""
    return f"{h_name(name or 'unnamed')} ({h_name(org or 'no organisation')})"


def _heading(s: SessionReport) -> str:
    t = s.timeline
    return (
        f'<section class="session{" tampered" if t.status is Status.TAMPERED else ""}" '
        f'data-status="{t.status.value}"><h3>{badge(t.status)} '
        f'{_person(t.reviewer, t.org)} — <span class="mono">{h_name(t.path)}</span></h3>\n'
    )


def _session_timeline(s: SessionReport, budget: Budget, head: str) -> Iterator[str]:
    t = s.timeline
    tampered = t.status is Status.TAMPERED
    yield head
    if t.withheld:
        yield (
            '<p class="banner">Entries withheld: this ledger is TAMPERED, so what it says '
            "is not evidence. See its findings under Verification.</p></section>\n"
        )
        return
    if tampered:
        yield '<p class="banner">TAMPERED: every row below is only what the file claims.</p>\n'
    elif t.status is Status.INCOMPLETE:
        yield '<p class="banner incomplete">INCOMPLETE: see its findings under Verification.</p>\n'
    yield (
        '<table class="timeline"><tr><th>Time (UTC)</th><th>+s</th><th>Seq</th><th>Kind</th>'
        "<th>What</th><th>On screen</th></tr>\n"
    )
    t0 = t.entries[0].wall_us if t.entries else 0
    status = t.status.value
    for run in runs(t.entries, s.mismatches):
        e, last, n = run[0][0], run[-1][0], len(run)
        bad = s.mismatches.get(e.seq)
        cls = "mismatch" if bad else HIGHLIGHT.get(e.kind, "")
        views = sum(s.dwell_by_seq.get(x.seq, 0) for x, _ in run) if e.kind == "view" else None
        dwell = "" if views is None else duration(views)
        offset = f"{(e.wall_us - t0) / 1e6:.3f}"
        seq, what = str(e.seq), h_name(run[0][1], WHAT_CHARS)
        if n > 1:  # consecutive identical rows: one row, with the count and the span
            offset += f"–{(last.wall_us - t0) / 1e6:.3f}"
            seq += f"–{last.seq}"
            what += f" <b>(×{n})</b>"
        what += flag(bad)
        # The kind is [a-z_] by the ledger format, and the time is our own formatting.
        row = (
            f'<tr class="entry {cls}" data-kind="{e.kind}" data-status="{status}" '
            f'data-count="{n}"><td class="time">{e.time}</td><td class="num">{offset}</td>'
            f"<td>{seq}</td><td>{e.kind}</td><td>{what}</td>"
            f'<td class="num">{dwell}</td></tr>\n'
        )
        if not budget.take(row):
            left = sum(1 for x in t.entries if x.seq >= e.seq)
            yield (
                f'<tr class="cut"><td colspan="6">{left} more entries of this session from '
                f"#{e.seq} not shown here (the page's bound): the JSON, JSON Lines and CSV "
                "reports hold every entry</td></tr>\n"
            )
            break
        yield row
    yield "</table></section>\n"
