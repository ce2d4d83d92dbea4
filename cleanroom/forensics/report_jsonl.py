"""The report as JSON Lines, for a SIEM: one self-contained record per line.

First one `ledger` record per ledger (its status and findings), then one `event`
record per entry of every ledger whose entries are not withheld, then one
`session_finding` record per cross-session finding. Every record names its
ledger's status, so a filter on events alone still sees it. Exact values, ASCII
only. The fields are listed in docs/report-format.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from .report import REPORT_FORMAT, Report, SessionReport
from .report_json import event_json


def write_jsonl(report: Report, out: IO[str]) -> None:
    for record in records(report):
        out.write(json.dumps(record, ensure_ascii=True, separators=(",", ":")))
        out.write("\n")


def _context(s: SessionReport) -> dict[str, Any]:
    t = s.timeline
    return {
        "format": REPORT_FORMAT,
        "ledger_path": t.path,
        "ledger": t.ledger_id,
        "ledger_status": t.status.value,
        "reviewer": t.reviewer,
        "org": t.org,
        "workstation": t.workstation,
        "snapshot": t.snapshot_id,
    }


def records(report: Report) -> Iterator[dict[str, Any]]:
    for s in report.sessions:
        yield {
            "record": "ledger",
            **_context(s),
            "withheld": s.timeline.withheld,
            "findings": [f.to_json() for f in s.timeline.verdict.findings],
        }
    for s in report.sessions:
        ctx = _context(s)
        for e in s.timeline.entries:
            yield {"record": "event", **ctx, **event_json(e, s)}
    for f in report.evidence.sessions:
        yield {"record": "session_finding", "format": REPORT_FORMAT, **f.to_json()}
