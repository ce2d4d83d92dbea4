"""The top of a report: how much of its snapshot each reviewer and each session saw.

One `Reach` per reviewer and snapshot, and one per session, from the verified
coverage group only (TAMPERED ledgers never count towards what was seen). Files
and lines seen are those of the exact content the snapshot holds at each path;
the totals are the snapshot's own, so the percentages are of the whole
snapshot. A session whose snapshot was not given has no totals (None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..ledger.verdict import Status
from .coverage import FileCoverage
from .report import CoverageGroup, Report, SessionReport, Who, label, reviewer_of

STATUS_ORDER = (Status.INTACT, Status.INCOMPLETE, Status.TAMPERED)


@dataclass(frozen=True, slots=True)
class Reach:
    who: str  # "name (org)" for a reviewer, the ledger id for a session
    reviewer: str
    sessions: int
    status: Status  # the worst of its sessions
    snapshot: str | None  # the snapshot id its sessions name
    files_seen: int
    files: int | None  # None: the snapshot was not given
    lines_seen: int
    lines: int | None
    on_screen_us: int
    searches: int
    alerts: int

    def percent(self, part: str) -> float | None:
        seen, total = (self.files_seen, self.files) if part == "files" else (
            self.lines_seen, self.lines)  # fmt: skip
        if not total:
            return None
        return 100.0 * seen / total


def reviewers(report: Report) -> list[Reach]:
    """One row per reviewer and snapshot, in name order."""
    group = report.coverage[0]
    by: dict[tuple[Who, str | None], list[SessionReport]] = {}
    for s in _verified(report):
        by.setdefault((reviewer_of(s), s.timeline.snapshot_id), []).append(s)
    ordered = sorted(by.items(), key=lambda kv: (label(kv[0][0]), kv[0][1] or ""))
    return [
        _reach(report, group, label(who), label(who), snap, ss, group.by_reviewer.get(who, []))
        for (who, snap), ss in ordered
    ]


def sessions(report: Report) -> list[Reach]:
    """One row per verified session, in the report's order."""
    group = report.coverage[0]
    return [
        _reach(
            report,
            group,
            s.timeline.ledger_id or s.key,
            label(reviewer_of(s)),
            s.timeline.snapshot_id,
            [s],
            group.by_session.get(s.key, []),
        )  # fmt: skip
        for s in _verified(report)
    ]


def _verified(report: Report) -> Iterable[SessionReport]:
    return (s for s in report.sessions if s.status is not Status.TAMPERED)


def _reach(
    report: Report,
    group: CoverageGroup,
    who: str,
    reviewer: str,
    snap: str | None,
    ss: list[SessionReport],
    files: list[FileCoverage],
) -> Reach:
    tree = report.maps.get(snap) if snap is not None else None
    if tree is not None:
        files = [f for f in files if snap in group.in_snapshots.get((f.path, f.blob), ())]
    files = [f for f in files if (f.path, f.blob) not in group.mismatches]  # never credited
    return Reach(
        who=who,
        reviewer=reviewer,
        sessions=len(ss),
        status=max((s.status for s in ss), key=STATUS_ORDER.index),
        snapshot=snap,
        files_seen=len(files),
        files=tree.files if tree is not None else None,
        lines_seen=sum(min(f.lines_seen, f.lines) for f in files),
        lines=tree.lines if tree is not None else None,
        on_screen_us=sum(s.stats["on_screen_us"] for s in ss),
        searches=sum(s.stats["searches"] + s.stats["quick_opens"] for s in ss),
        alerts=sum(s.stats["alerts"] for s in ss),
    )
