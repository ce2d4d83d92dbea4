"""The report as CSV, for spreadsheets: one row per ledger, then one per entry, then
the coverage rows (`report_rows`: per file and reviewer, and per line range seen).

A spreadsheet is a display, so text cells are for reading, not exact values:
each passes through the one sanitizer (hidden and control characters become
visible tags). Every cell is quoted (OWASP, "CSV Injection"), and a `'` goes
before every place a spreadsheet could start a formula (`=`, `+`, `-`, `@`, a
tab or a carriage return): the start of the cell and the start of each part
after a `,` or `;`. A spreadsheet that splits on `;` (many locales) or that
ignores the quotes then still reads text. The exact values are in the JSON and
JSON Lines outputs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import IO

from ..session.events import path_from_fields
from .describe import describe, display, not_listed, path_text
from .report import Report, SessionReport
from .report_rows import coverage_records

COLUMNS = [
    "record", "ledger_path", "ledger", "ledger_status", "reviewer", "org", "workstation",
    "seq", "time", "kind", "path", "blob", "first", "last", "dwell_s", "query", "hits",
    "detail", "trust", "lines", "lines_seen", "shown",
]  # fmt: skip
# Where a cell, or a field a `,`- or `;`-splitting spreadsheet makes of it, begins
# (after spaces) with a formula character: there goes the `'`.
_FORMULA_AT = re.compile(r"(^|[,;])( *)(?=[=+\-@\t\r])")
# The same places, found without the substitution machinery: a cell has none of
# them unless it starts (after spaces) with a formula character or holds a
# separator followed by one. Most cells have none, and a report has millions.
_FORMULA_START = frozenset("=+-@\t\r")
_FORMULA_AFTER = re.compile(r"[,;] *[=+\-@\t\r]")
QUOTING = csv.QUOTE_ALL
_NO_COVERAGE = ("", "", "", "")  # an event row's trust, lines, lines_seen and shown


def cell(value: object) -> str | int:
    """A safe spreadsheet cell for an untrusted value."""
    if type(value) is int:  # the common case first
        return value
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return defuse(display(value))


def own(text: str | None) -> str | int:
    """`cell` of a text this module or `timeline.timestamp` made from numbers (a
    time, a dwell): as it is when it is a digit then only digits and `.:TZ-`
    (nothing to sanitize, no place for a formula), else `cell`'s."""
    if text and _NUMERIC.fullmatch(text):
        return text
    return cell(text)


_NUMERIC = re.compile(r"[0-9][0-9.:TZ-]*")


def defuse(text: str) -> str:
    """`text` with a `'` before each place a spreadsheet could start a formula."""
    if text.lstrip(" ")[:1] in _FORMULA_START or (
        ("," in text or ";" in text) and _FORMULA_AFTER.search(text) is not None
    ):
        return _FORMULA_AT.sub(r"\1\2'", text)
    return text


def write_csv(report: Report, out: IO[str]) -> None:
    w = csv.writer(out, lineterminator="\n", quoting=QUOTING)
    w.writerow(COLUMNS)
    for s in report.sessions:
        w.writerow(_row(s, record="ledger", detail=_ledger_detail(s)))
    for s in report.sessions:
        # The first seven cells are the same on every row of a ledger: write them
        # once as text, and put that text before each row of the other cells.
        t = s.timeline
        head = _csv_text(
            [
                "event",
                *(
                    cell(x)
                    for x in (t.path, t.ledger_id, t.status.value, t.reviewer, t.org, t.workstation)
                ),
            ]  # fmt: skip
        )
        rows = csv.writer(_Prefixed(out, head + ","), lineterminator="\n", quoting=QUOTING)
        rows.writerows(_event_cells(s))
    for r in coverage_records(report):
        w.writerow([cell(x) for x in _coverage_row(r)])
    for f in report.evidence.sessions:
        w.writerow(_cells({"record": "session_finding", "detail": f"{f.code}: {f.message}"}))


def _cells(values: dict[str, object]) -> list[str | int]:
    return [cell(values.get(c)) for c in COLUMNS]


def _coverage_row(r: dict[str, object]) -> list[object]:
    raw = path_from_fields(r)
    values = {**r, "path": path_text(raw) if raw is not None else ""}
    if r["record"] == "coverage":
        us = r["on_screen_us"]
        values["dwell_s"] = f"{us / 1e6:.3f}" if isinstance(us, int) else ""
        values["detail"] = f"{r['lines_seen']} of {r['lines']} lines seen"
        if isinstance(bad := r.get("mismatch"), dict):  # the session's snapshot says otherwise
            values["detail"] = f"{bad['code']}: not counted; {values['detail']} claimed"
    else:
        us = r["dwell_us"]
        values["dwell_s"] = f"{us / 1e6:.3f}" if isinstance(us, int) else ""
    return [values.get(c) for c in COLUMNS]


class _Prefixed:
    """A file for csv.writer that puts `prefix` before every row it is given."""

    def __init__(self, out: IO[str], prefix: str) -> None:
        self._write, self._prefix = out.write, prefix

    def write(self, row: str) -> None:
        self._write(self._prefix + row)


def _csv_text(cells: list[str | int]) -> str:
    """The cells as CSV, without the line end: what csv.writer writes for them (with
    the same line end, which decides what is quoted)."""
    text: list[str] = []
    csv.writer(_Collect(text), lineterminator="\n", quoting=QUOTING).writerow(cells)
    return text[0].removesuffix("\n")


class _Collect:
    def __init__(self, into: list[str]) -> None:
        self.write = into.append


def _event_cells(s: SessionReport) -> Iterator[list[str | int]]:
    """The cells from `seq` on of each entry's row. The cell of a text that recurs (a
    kind, a path, a blob) is looked up, not made again."""
    made: dict[str, str | int] = {}

    def text(value: object) -> str | int:
        if type(value) is not str:
            return cell(value)
        out = made.get(value)
        if out is None:
            if len(made) > 100_000:
                made.clear()
            out = made[value] = cell(value)
        return out

    for e in s.timeline.entries:
        p, kind = e.payload, e.kind
        raw = getattr(e.event, "raw_path", None)
        view = kind == "view"
        blob = p.get("blob")
        dwell = f"{s.dwell_by_seq.get(e.seq, 0) / 1e6:.3f}" if view else None
        yield [
            cell(e.seq),
            own(e.time),
            text(kind),
            text(path_text(raw)) if raw is not None else "",
            text(blob) if isinstance(blob, str) else "",
            cell(p.get("first")) if view else "",
            cell(p.get("last")) if view else "",
            own(dwell),
            cell(p.get("query")) if kind in ("search", "quick_open") else "",
            cell(p.get("hits", p.get("matches"))) if "query" in p else "",
            cell(_flagged(s, e.seq) + describe(e)),
            *_NO_COVERAGE,
        ]


def _flagged(s: SessionReport, seq: int) -> str:
    """The flag before an entry's description when its snapshot contradicts it."""
    bad = s.mismatches.get(seq)
    return "" if bad is None else f"{bad.message()} Claimed: "


def _ledger_detail(s: SessionReport) -> str:
    t = s.timeline
    first = t.verdict.first_bad
    parts = [t.status.value]
    if t.withheld:
        parts.append("entries withheld: the ledger is not what the workstation wrote")
    elif t.status.value == "TAMPERED":
        parts.append("entries included on request: they are only what the file claims")
    if first is not None:  # a finding on the whole file has no seq
        at = "" if first.seq is None else f" at {first.seq}"
        parts.append(f"first finding {first.code}{at}: {first.message}")
    listed = len(t.verdict.findings)
    if listed:
        parts.append(f"{listed:,} findings listed in the JSON report")
    if (left := not_listed(t.verdict.omitted)) is not None:
        parts.append(f"and {left}")
    return "; ".join(parts)


def _row(s: SessionReport, **values: object) -> list[str | int]:
    t = s.timeline
    base = {
        "ledger_path": t.path,
        "ledger": t.ledger_id,
        "ledger_status": t.status.value,
        "reviewer": t.reviewer,
        "org": t.org,
        "workstation": t.workstation,
    }
    merged = {**base, **values}
    return [cell(merged.get(c)) for c in COLUMNS]
