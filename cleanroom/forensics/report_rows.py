"""Coverage as flat records, for JSON Lines and CSV: per file and reviewer, and per
line range.

One `coverage` record per file version (path and content) and reviewer who had any
of it on screen, with its lines, lines seen and time on screen; then one
`coverage_range` record per run of lines that reviewer saw with equal dwell
(first and last line, 1-based and inclusive, the dwell and how many times it was
shown). Never-seen runs are left out: `lines - lines_seen` says how much. Each
record names its trust group; a TAMPERED group's records are only what those
files claim. Exact values; the writers add their own escaping.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..session.events import path_fields
from .report import REPORT_FORMAT, Report


def coverage_records(report: Report) -> Iterator[dict[str, Any]]:
    for g in report.coverage:
        for who, files in g.by_reviewer.items():
            base = {"format": REPORT_FORMAT, "trust": g.trust, "reviewer": who[0], "org": who[1]}
            for f in files:
                key = (f.path, f.blob)
                where = {**path_fields(f.path), "blob": f.blob}
                yield {
                    "record": "coverage",
                    **base,
                    **where,
                    "lines": f.lines,
                    "lines_seen": min(f.lines_seen, f.lines),
                    "on_screen_us": f.on_screen_us,
                    "max_dwell_us": f.max_dwell_us,
                    "sessions": len(f.sessions),
                    "snapshots": g.in_snapshots.get((f.path, f.blob), []),
                    "mismatch": bad.as_json() if (bad := g.mismatches.get(key)) else None,
                }
                for seg in f.runs:
                    if seg.shown:
                        yield {
                            "record": "coverage_range",
                            **base,
                            **where,
                            "first": seg.first,
                            "last": seg.last,
                            "dwell_us": seg.dwell_us,
                            "shown": seg.shown,
                        }
