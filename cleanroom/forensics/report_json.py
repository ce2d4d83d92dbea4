"""The report as JSON, format `cleanroom.report.v1` (docs/report-format.md).

Values are exact, as the ledger holds them; the file is ASCII (`\\u` escapes), so
printing it cannot drive a terminal. Sanitize strings before displaying them.
File names that are not UTF-8 are `path` (with U+FFFD) and `path_b64` (`jsonsafe`),
so strict parsers accept the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import IO, Any

from ..jsonsafe import name_fields, strict
from ..ledger.verdict import EXIT_CODES
from ..session.events import path_fields
from . import summary
from .coverage import FileCoverage
from .describe import shown_payload
from .report import REPORT_FORMAT, CoverageGroup, Listed, Report, SessionReport
from .report_notes import note_json
from .timeline import TimelineEntry

HEATMAP_CELLS = 100


# One C encoder (dumps with options builds a new one per call); no indent, or it is Python's.
_plain = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


class Lazy:
    """A JSON array written an item at a time (`write_json`): the events of a ledger
    and the coverage rows, which a hostile site makes hundreds of megabytes."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def write_json(report: Report, out: IO[str]) -> None:
    """The report, written a piece at a time: the same bytes as encoding it whole,
    without the whole text (and the whole tree of dicts) in memory at once."""
    _write(_report_json(report, lazy=True), out.write)
    out.write("\n")


def _write(value: Any, write: Callable[[str], object]) -> None:
    if isinstance(value, Lazy):
        write("[")
        first = True
        batch: list[Any] = []
        for item in value.items:
            if _nested(item):
                first = _flush(batch, first, write)
                write("" if first else ",")
                _write(item, write)
                first = False
            else:
                batch.append(item)
                if len(batch) == _BATCH:
                    first = _flush(batch, first, write)
        _flush(batch, first, write)
        write("]")
    elif _nested(value):
        write("{")
        for n, (k, v) in enumerate(value.items()):
            write(("," if n else "") + _plain(k) + ":")
            _write(v, write)
        write("}")
    else:  # a string is never split across pieces, so its surrogate pairs stay whole
        write(strict(_plain(value)))


_BATCH = 256  # items encoded in one call: one call per item costs 3x the time


def _nested(value: Any) -> bool:
    """A dict holding a `Lazy` array (at any depth): written a piece at a time."""
    return isinstance(value, dict) and any(
        isinstance(v, Lazy) or _nested(v) for v in value.values()
    )


def _flush(batch: list[Any], first: bool, write: Callable[[str], object]) -> bool:
    """Write the items of `batch` (then empty it) as array items; False once any is written."""
    if not batch:
        return first
    write(("" if first else ",") + strict(_plain(batch))[1:-1])
    batch.clear()
    return False


def report_to_json(report: Report) -> dict[str, Any]:
    return _report_json(report, lazy=False)


def _report_json(report: Report, lazy: bool) -> dict[str, Any]:
    many: Callable[[Iterable[Any]], Any] = Lazy if lazy else list
    return {
        "format": REPORT_FORMAT,
        "generated": report.generated,
        "software": report.software,
        "trust": report.trust,
        "tampered": "included" if report.include_tampered else "withheld",
        "status": report.status.value,
        "exit_code": report.exit_code,
        "snapshots": [{**vars(s), **name_fields(s.path)} for s in report.snapshots],
        "sessions": [f.to_json() for f in report.evidence.sessions],
        "ledgers": many(ledger_json(s, events=True, lazy=lazy) for s in report.sessions),
        "summary": {
            "reviewers": [reach_json(x) for x in summary.reviewers(report)],
            "sessions": [reach_json(x) for x in summary.sessions(report)],
        },
        "coverage": many(file_json(g, f) for g in report.coverage for f in g.files),
        "unmapped_results": [
            {
                **name_fields(u.index.path, "ledger"),
                "trust": g.trust,
                "search_seq": u.search_seq,
                "views": u.views,
                "why": u.why,
            }
            for g in report.coverage
            for u in g.unmapped
        ],  # fmt: skip
        "notes": [note_json(r) for r in report.notes],
        "notes_skipped": [
            {
                **name_fields(p.ledger_path, "ledger"),
                "seq": p.seq,
                "why": p.why,
                "code": "NOTE_FOREIGN" if p.foreign else "NOTE_SKIPPED",
            }
            for p in report.note_problems
        ],  # fmt: skip
        "searches": [listed_json(x) for x in report.searches],
        "incidents": [listed_json(x) for x in report.incidents],
    }


def ledger_json(s: SessionReport, events: bool, lazy: bool = False) -> dict[str, Any]:
    t = s.timeline
    out: dict[str, Any] = {
        **name_fields(t.path),
        "status": t.status.value,
        "exit_code": EXIT_CODES[t.status],
        "withheld": t.withheld,
        "findings": [f.to_json() for f in t.verdict.findings],
        "findings_omitted": dict(t.verdict.omitted),  # per code: counted, not listed
        "summary": t.verdict.summary,
        "snapshot_given": s.snapshot_given,
        "stats": s.stats,
    }
    if events:
        made = (event_json(e, s) for e in t.entries)
        out["events"] = Lazy(made) if lazy else list(made)
    return out


def event_json(e: TimelineEntry, s: SessionReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "seq": e.seq,
        "time": e.time,
        "wall_us": e.wall_us,
        "kind": e.kind,
        "payload": shown_payload(e.kind, e.payload),
    }
    if e.kind == "view":
        out["dwell_us"] = s.dwell_by_seq.get(e.seq, 0)
    if e.problem is not None:
        out["problem"] = e.problem
    if (bad := s.mismatches.get(e.seq)) is not None:  # its snapshot says otherwise
        out["mismatch"] = bad.as_json()
    return out


def file_json(g: CoverageGroup, f: FileCoverage) -> dict[str, Any]:
    return {
        "trust": g.trust,
        **path_fields(f.path),
        "blob": f.blob,
        "lines": f.lines,
        "lines_seen": f.lines_seen,
        "on_screen_us": f.on_screen_us,
        "max_dwell_us": f.max_dwell_us,
        "intervals": f.intervals,
        "snapshots": g.in_snapshots.get((f.path, f.blob), []),
        "mismatch": _mismatch(g, f),
        "sessions": [
            {**name_fields(k, "ledger"), "status": g.statuses[k].value, "on_screen_us": us}
            for k, us in sorted(f.sessions.items())
        ],
        "segments": [[x.first, x.last, x.dwell_us, x.shown] for x in f.segments()],
        "heatmap": [c.level for c in f.heatmap(HEATMAP_CELLS, g.scale_us)],
    }


def _mismatch(g: CoverageGroup, f: FileCoverage) -> dict[str, object] | None:
    """Null, or how the session's own snapshot contradicts this path and content."""
    bad = g.mismatches.get((f.path, f.blob))
    return None if bad is None else bad.as_json()


def reach_json(x: summary.Reach) -> dict[str, Any]:
    """A row of the summary: what share of its snapshot a reviewer or session saw."""
    return {
        "who": x.who,
        "reviewer": x.reviewer,
        "sessions": x.sessions,
        "status": x.status.value,
        "snapshot": x.snapshot,
        "files_seen": x.files_seen,
        "files": x.files,
        "lines_seen": x.lines_seen,
        "lines": x.lines,
        "on_screen_us": x.on_screen_us,
        "searches": x.searches,
        "alerts": x.alerts,
    }


def listed_json(x: Listed) -> dict[str, Any]:
    out = {
        **name_fields(x.session.key, "ledger"),
        "status": x.session.status.value,
        "seq": x.entry.seq,
        "time": x.entry.time,
        "kind": x.entry.kind,
        "payload": shown_payload(x.entry.kind, x.entry.payload),
    }
    if x.entry.kind == "search":
        out["rows_viewed"] = list(x.rows_viewed) if x.rows_viewed else None
    return out
