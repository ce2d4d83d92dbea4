"""The verifier's answer: a status, named findings and a summary of the session.

`Verdict.to_json` is a stable, documented format (docs/verdict.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..jsonsafe import name_fields
from .encoding import Body
from .entries import Noted, State
from .findings import Finding, Severity, cap
from .keys import Certificate, key_id
from .shapes import KEY, fits
from .witness import witness_code

VERDICT_FORMAT = "cleanroom.verdict.v1"
MAX_LISTED_ALERTS = 1000


class Status(StrEnum):
    INTACT = "INTACT"
    INCOMPLETE = "INCOMPLETE"
    TAMPERED = "TAMPERED"


EXIT_CODES = {Status.INTACT: 0, Status.TAMPERED: 1, Status.INCOMPLETE: 3}
EXIT_USAGE = 2


def status_of(findings: list[Finding]) -> Status:
    severities = {f.severity for f in findings}
    if Severity.TAMPER in severities:
        return Status.TAMPERED
    if Severity.INCOMPLETE in severities:
        return Status.INCOMPLETE
    return Status.INTACT


def worst(statuses: list[Status]) -> Status:
    for s in (Status.TAMPERED, Status.INCOMPLETE):
        if s in statuses:
            return s
    return Status.INTACT


@dataclass
class Verdict:
    path: str
    status: Status
    findings: list[Finding]
    summary: dict[str, Any] = field(default_factory=dict)
    omitted: dict[str, int] = field(default_factory=dict)  # findings counted, not listed
    # What each --witness and --receipt checked against this ledger: stable JSON.
    witnesses: list[dict[str, Any]] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_findings(
        cls,
        path: str,
        findings: list[Finding],
        summary: dict[str, Any],
        omitted: Counter[str] | None = None,
        witnesses: list[dict[str, Any]] | None = None,
        receipts: list[dict[str, Any]] | None = None,
    ) -> Verdict:
        """The verdict on `findings`, of which the first PER_CODE of each code (in
        seq order) are listed and the rest, with `omitted`, only counted."""
        omitted = Counter(omitted or {})
        ordered = cap(sorted(set(findings), key=Finding.sort_key), omitted)
        status = status_of(ordered)  # every code left out is also listed
        return cls(
            path,
            status,
            ordered,
            summary,
            dict(sorted(omitted.items())),
            witnesses or [],
            receipts or [],
        )

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def first_bad(self) -> Finding | None:
        """The first finding that is not a mere warning, in seq order."""
        return next((f for f in self.findings if f.severity is not Severity.WARNING), None)

    @property
    def explaining(self) -> Finding | None:
        """The finding that explains the status: the first listed of the status's
        own severity (tamper for TAMPERED, incomplete for INCOMPLETE), else None."""
        severity = {Status.TAMPERED: Severity.TAMPER, Status.INCOMPLETE: Severity.INCOMPLETE}
        want = severity.get(self.status)
        return next((f for f in self.findings if f.severity is want), None)

    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})

    def to_json(self) -> dict[str, Any]:
        return {
            **name_fields(self.path),  # `path`, and `path_b64` for a name not UTF-8
            "status": self.status.value,
            "exit_code": self.exit_code,
            "findings": [f.to_json() for f in self.findings],
            "omitted": self.omitted,
            "witnesses": self.witnesses,
            "receipts": self.receipts,
            "summary": self.summary,
        }


def iso(wall_us: int | None) -> str | None:
    if wall_us is None:
        return None
    try:
        t = dt.datetime.fromtimestamp(wall_us / 1e6, dt.UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def summarize(
    cert: Certificate | None = None,
    start: Body | None = None,
    noted: list[Noted] | None = None,
    counts: Counter[str] | None = None,
    entries: int = 0,
    last: State | None = None,
    first_wall: int | None = None,
    trust: tuple[bytes, ...] | list[bytes] = (),
    countersign: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Facts about the session as the ledger states them (trust them only if INTACT)."""
    p = start.payload if start is not None and start.kind == "session_start" else {}
    reviewer = p.get("reviewer") if isinstance(p.get("reviewer"), dict) else {}
    named = reviewer.get("key")
    noted = noted or []
    end = next((n for n in noted if n.kind == "session_end"), None)
    alerts = [n for n in noted if n.kind == "alert"]
    return {
        "ledger": start.ledger.hex() if start is not None else None,
        "workstation": cert.workstation if cert else None,
        "certificate": None
        if cert is None
        else {
            "key_id": key_id(cert.key),
            "issuer": cert.issuer,
            "trusted": any(cert.signed_by(k) for k in trust),
            "not_before": cert.not_before,
            "not_after": cert.not_after,
        },
        "reviewer": {
            "name": reviewer.get("name"),
            "org": reviewer.get("org"),
            "countersigned": bool(end and end.payload.get("countersign")),
            "key_id": key_id(bytes.fromhex(named)) if fits(named, KEY) else None,
            "countersign": countersign,
        },
        "snapshot": p.get("snapshot"),
        "prev_session": p.get("prev_session"),
        "period_us": [first_wall, last.wall_us if last is not None else None],
        # Only the monotonic clock orders two sessions of one boot (sessions.py).
        "period_mono_us": [
            start.mono_us if start is not None else None,
            last.mono_us if last is not None else None,
        ],
        "boots": [
            start.boot.hex() if start is not None else None,
            last.boot.hex() if last is not None and last.boot is not None else None,
        ],
        "started": iso(first_wall),
        "ended": iso(last.wall_us if last is not None else None),
        "entries": entries,
        "by_kind": dict(sorted((counts or Counter()).items())),
        "alerts": [
            {"seq": a.seq, "time": iso(a.wall_us), "payload": a.payload}
            for a in alerts[:MAX_LISTED_ALERTS]
        ],
        "alert_count": len(alerts),
        "resumes": [n.seq for n in noted if n.kind == "session_resume"],
        "sealed": end is not None,
        "end_reason": end.payload.get("reason") if end else None,
        "head": None
        if last is None or last.hash is None
        else {"seq": last.seq, "hash": last.hash.hex(), "witness": witness_code(last.hash)},
    }
