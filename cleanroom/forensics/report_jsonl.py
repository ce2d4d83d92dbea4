"""The report as JSON Lines, for a SIEM: one self-contained record per line.

First one `ledger` record per ledger (its status and findings), then one `event`
record per entry of every ledger whose entries are not withheld, then the
`coverage` and `coverage_range` records (`report_rows`: per file and reviewer,
and per line range seen), then one `session_finding` record per cross-session
finding. Every record names its
ledger's status, so a filter on events alone still sees it. Exact values, ASCII
only. The fields are listed in docs/report-format.md.
"""

from __future__ import annotations

import json
from typing import IO, Any

from ..jsonsafe import name_fields, strict
from ..ledger.findings import Finding
from .report import REPORT_FORMAT, Report, SessionReport
from .report_json import event_json
from .report_rows import coverage_records

# One encoder for every line: json.dumps with these options builds a new one per call.
_plain = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def _encode(value: Any) -> str:
    return strict(_plain(value))


def write_jsonl(report: Report, out: IO[str]) -> None:
    for s in report.sessions:
        out.write(_encode(_ledger_record(s)) + "\n")
    for s in report.sessions:
        # Every event line opens with the same fields: encode them once per ledger.
        # Event keys never repeat these, so the line equals the encoded merged record.
        head = _encode({"record": "event", **_context(s)})[:-1] + ","
        for e in s.timeline.entries:
            out.write(head + _encode(event_json(e, s))[1:] + "\n")
    for r in coverage_records(report):
        out.write(_encode(r) + "\n")
    for f in report.evidence.sessions:
        out.write(_encode(_session_record(f)) + "\n")


def _context(s: SessionReport) -> dict[str, Any]:
    t = s.timeline
    return {
        "format": REPORT_FORMAT,
        **name_fields(t.path, "ledger_path"),
        "ledger": t.ledger_id,
        "ledger_status": t.status.value,
        "reviewer": t.reviewer,
        "org": t.org,
        "workstation": t.workstation,
        "snapshot": t.snapshot_id,
    }


def _ledger_record(s: SessionReport) -> dict[str, Any]:
    return {
        "record": "ledger",
        **_context(s),
        "withheld": s.timeline.withheld,
        "findings": [f.to_json() for f in s.timeline.verdict.findings],
        "findings_omitted": dict(s.timeline.verdict.omitted),  # per code: not listed
    }


def _session_record(f: Finding) -> dict[str, Any]:
    return {"record": "session_finding", "format": REPORT_FORMAT, **f.to_json()}
