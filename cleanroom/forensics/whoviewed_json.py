"""who-viewed's answer as JSON (the format is docs/who-viewed.md).

Every name is given both as text and as base64 of its exact bytes
(`jsonsafe.name_fields`, `session.events.path_fields`); every time is UTC text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..jsonsafe import name_fields
from ..ledger.keys import key_id
from ..ledger.verdict import Status
from ..session.events import path_fields
from .sessionindex import SessionIndex
from .timeline import timestamp
from .whoviewed import Answer

WHO_VIEWED_FORMAT = "cleanroom.who-viewed.v1"


def _who(index: SessionIndex) -> dict[str, Any]:
    s = index.summary
    rev = s.get("reviewer") if isinstance(s.get("reviewer"), dict) else {}
    snap = s.get("snapshot") if isinstance(s.get("snapshot"), dict) else {}
    return {
        **name_fields(index.path, "ledger_path"),
        "ledger": s.get("ledger"),
        "status": index.status.value,
        "reviewer": rev.get("name"),
        "org": rev.get("org"),
        "workstation": s.get("workstation"),
        "snapshot": snap.get("id") if snap else None,
    }


def _ranges(ranges: list[tuple[int, int]]) -> list[list[int]]:
    return [[a, b] for a, b in ranges]


def answer_to_json(a: Answer, trust: Sequence[bytes]) -> dict[str, Any]:
    t, r = a.target, a.resolved
    period = a.period
    return {
        "format": WHO_VIEWED_FORMAT,
        "status": a.status.value,
        "exit_code": a.exit_code,
        "trust": [key_id(k) for k in trust],
        "target": {
            **path_fields(t.path),
            "first": t.first,
            "last": t.last,
            "kind": r.kind,
            "checked": r.checked,
            "checked_in": r.snapshot,
            "lines": r.lines,
        },  # fmt: skip
        "files": [path_fields(p) for p in r.files],
        "search": a.search_text,
        "tampered": "included" if a.include_tampered else "withheld",
        "sessions_searched": len(a.searched),
        "period": None
        if period is None
        else {"first": timestamp(period[0]), "last": timestamp(period[1])},  # fmt: skip
        "nobody": not a.sightings and not a.caveats,
        "caveats": [{"code": c.code, "message": c.message} for c in a.caveats],
        "reference": None
        if a.reference is None
        else {"snapshot": a.reference[0], "blob": a.reference[1]},  # fmt: skip
        "versions": [
            {
                **path_fields(f.path),
                "blob": v.blob,
                "snapshots": v.snapshots,
                "elsewhere": [{"snapshot": i, **path_fields(p)} for i, p in v.elsewhere],
                "reference": v.reference,
                "lines": list(v.lines) if v.lines else None,
                "mapped": v.mapped,
                "file_lines": v.file_lines,
            }
            for f in a.files
            for v in f.versions.values()
        ],  # fmt: skip
        "ledgers": [
            {
                **_who(i),
                "withheld": not a.include_tampered and i.status is Status.TAMPERED,
                "from_cache": i.path in a.cached,
                "findings": [f.to_json() for f in i.verdict.findings],
            }
            for i in a.indexes
        ],  # fmt: skip
        "sessions": [f.to_json() for f in a.sessions],
        "sightings": [
            {
                **_who(s.index),
                **path_fields(s.path),
                "via": s.via,
                "blob": s.blob,
                "content": s.content,
                "lines": list(s.lines),
                "ranges": _ranges(s.ranges),
                "lines_seen": s.lines_seen,
                "first_seen": timestamp(s.first_us),
                "last_seen": timestamp(s.last_us),
                "dwell_us": s.dwell_us,
                "intervals": s.intervals,
                "mismatch": None if s.mismatch is None else s.mismatch.as_json(),
            }
            for s in a.sightings
        ],  # fmt: skip
        "unmapped_results": [
            {**_who(u.index), "search_seq": u.search_seq, "views": u.views, "why": u.why}
            for u in a.unmapped
        ],  # fmt: skip
        "searches": [
            {
                **_who(m.index),
                "seq": m.search.seq,
                "time": timestamp(m.search.wall_us),
                "kind": m.search.kind,
                "query": m.search.query,
                "hits": m.search.hits,
            }
            for m in a.searches
        ],  # fmt: skip
    }
