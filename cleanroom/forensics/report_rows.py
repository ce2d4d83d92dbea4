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
from .report import REPORT_FORMAT, FileKey, Report, Who, reviewer_of


def coverage_records(report: Report) -> Iterator[dict[str, Any]]:
    owner = {s.key: reviewer_of(s) for s in report.sessions}
    for g in report.coverage:
        listed: set[tuple[Who, FileKey]] = set()
        per_reviewer = [(who, files) for who, files in g.by_reviewer.items()]
        # A row made only of forged views (flagged, never credited) is in no
        # reviewer's coverage; it is listed, flagged, under each reviewer who claimed it.
        for f in g.files:
            if (f.path, f.blob) in g.mismatches:
                for who in sorted({owner[k] for k in f.sessions if k in owner}, key=str):
                    per_reviewer.append((who, [f]))
        for who, files in per_reviewer:
            base = {"format": REPORT_FORMAT, "trust": g.trust, "reviewer": who[0], "org": who[1]}
            for f in files:
                key = (f.path, f.blob)
                if (who, key) in listed:
                    continue
                listed.add((who, key))
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
