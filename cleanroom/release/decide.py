"""Decisions on checked notes, and the release object they make (docs/notes-release.md §2).

Each note is released as written, withheld, or redacted: its title and/or body
replaced by text the vendor wrote. A note with no decision is withheld, and a
withdrawn note is always withheld (the reviewer took it back). A released note
carries its version's nonce, so version_hash can be recomputed from the release; a
redacted or withheld one never does, and a note recorded without a nonce cannot
be redacted (ADR 0409). A decisions file
(§5) is read strictly; a decision naming a note the ledgers do not hold, or a
version that is not the latest, is refused, so a decision is never applied to
a text the vendor did not see.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..forensics.timeline import Timeline
from ..notecheck.check import NoteCheck
from .document import FORMAT
from .parse import JsonRefused, read_json
from .shape import DECISIONS

MAX_DECISIONS_FILE = 64 << 20


# ADR 0409: a version recorded without a nonce is named by a hash anyone can test a
# guess of its text against, and a redacted note publishes every other field
UNSALTED_REDACTION = (
    "it was recorded without a nonce (a ledger from before ADR 0409), so its "
    "version_hash would confirm a guess of the redacted text; release or withhold it"
)


def unsalted(checks: Sequence[NoteCheck], decisions: Mapping[str, Decision]) -> list[str]:
    """The notes a release would withhold although recorded without a nonce: their
    version_hash confirms a guess of their whole text and place (ADR 0409)."""
    out = []
    for c in checks:
        d = decisions.get(c.note.id)
        if not c.note.note.nonce and (d is None or d.decision == "withhold" or c.note.withdrawn):
            out.append(c.note.id)
    return out


class DecisionError(ValueError):
    """A decision cannot be used: the message says which and why."""


@dataclass(frozen=True)
class Decision:
    note: str
    decision: str  # release, withhold or redact
    title: str | None = None  # redact: the replacement title
    body: str | None = None  # redact: the replacement body
    version: int | None = None  # if given, must be the latest version


def read_decisions(data: bytes) -> dict[str, Decision]:
    """The decisions file's decisions by note id; DecisionError for anything else."""
    try:
        doc = read_json(data, MAX_DECISIONS_FILE)
    except JsonRefused as exc:
        raise DecisionError(f"decisions file: {exc}") from None
    if (
        not isinstance(doc, dict)
        or doc.keys() != {"decisions"}
        or not isinstance(doc["decisions"], list)
    ):
        raise DecisionError('decisions file: not {"decisions": [...]}')
    out: dict[str, Decision] = {}
    for i, d in enumerate(doc["decisions"]):
        where = f"decisions[{i}]"
        if not isinstance(d, dict) or not {"note", "decision"} <= d.keys():
            raise DecisionError(f"{where}: needs note and decision")
        extra = d.keys() - {"note", "decision", "title", "body", "version"}
        if extra:
            raise DecisionError(f"{where}: unknown fields {', '.join(sorted(extra))}")
        if not isinstance(d["note"], str) or d["decision"] not in DECISIONS:
            raise DecisionError(f"{where}: decision must be one of {', '.join(DECISIONS)}")
        texts = {k: d[k] for k in ("title", "body") if k in d}
        if any(not isinstance(v, str) for v in texts.values()):
            raise DecisionError(f"{where}: title and body must be strings")
        if d["decision"] == "redact" and not texts:
            raise DecisionError(f"{where}: a redaction needs a replacement title or body")
        if d["decision"] != "redact" and texts:
            raise DecisionError(f"{where}: only a redaction carries replacement text")
        version = d.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            raise DecisionError(f"{where}: version must be an integer")
        if d["note"] in out:
            raise DecisionError(f"{where}: note {d['note']} is decided twice")
        out[d["note"]] = Decision(
            d["note"], d["decision"], texts.get("title"), texts.get("body"), version
        )
    return out


def check_decisions(checks: Sequence[NoteCheck], decisions: Mapping[str, Decision]) -> None:
    """DecisionError if a decision names an unknown note, an old version, or would
    release a withdrawn note, or a replacement breaks the note limits."""
    by_id = {c.note.id: c for c in checks}
    for d in decisions.values():
        c = by_id.get(d.note)
        if c is None:
            raise DecisionError(f"decision for note {d.note}: no such note in the ledgers")
        if d.version is not None and d.version != c.note.note.version:
            raise DecisionError(
                f"decision for note {d.note}: version {d.version} is not the "
                f"latest ({c.note.note.version})"
            )
        if c.note.withdrawn and d.decision != "withhold":
            raise DecisionError(
                f"decision for note {d.note}: it was withdrawn; it can only be withheld"
            )
        if d.decision == "redact" and not c.note.note.nonce:
            raise DecisionError(f"decision for note {d.note}: {UNSALTED_REDACTION}")
        for field in ("title", "body"):  # a lone surrogate: no release can hold it
            text = getattr(d, field)
            if text is not None and not _unicode(text):
                raise DecisionError(
                    f"decision for note {d.note}: the replacement {field} is not valid "
                    "Unicode text (a lone surrogate)"
                )
        if d.title is not None and len(d.title) > 200:
            raise DecisionError(f"decision for note {d.note}: the title is over 200 characters")
        if d.title is not None and (not d.title.strip() or "\n" in d.title or "\r" in d.title):
            raise DecisionError(  # a note's title is one line, never empty (notes.md)
                f"decision for note {d.note}: a replacement title is one line, not empty"
            )
        if d.body is not None and len(d.body.encode("utf-8", "surrogatepass")) > 16384:
            raise DecisionError(f"decision for note {d.note}: the body is over 16,384 bytes")


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def build_release(
    checks: Sequence[NoteCheck],
    decisions: Mapping[str, Decision],
    *,
    released_by: str,
    org: str,
    released_at: str,
    snapshot: Mapping[str, str],
    timelines: Sequence[Timeline],
    min_length: int,
) -> dict[str, Any]:
    """The release object (unsigned). Undecided notes are withheld."""
    check_decisions(checks, decisions)
    ledgers = []
    for t in timelines:
        head = t.verdict.summary.get("head") or {}
        ledgers.append(
            {
                "ledger": t.ledger_id,
                "head_seq": head.get("seq"),
                "head": head.get("hash"),
                "status": t.status.value,
            }
        )
    notes = [_entry(c, decisions.get(c.note.id)) for c in checks]
    notes.sort(key=lambda n: (n["ledger"], n["seq"]))
    return {
        "format": FORMAT,
        "released_at": released_at,
        "released_by": {"name": released_by, "org": org},
        "snapshot": dict(snapshot),
        "check": {"min_length": min_length},
        "ledgers": ledgers,
        "notes": notes,
    }


def _entry(c: NoteCheck, d: Decision | None) -> dict[str, Any]:
    w, n = c.note, c.note.note
    decision = "withhold" if d is None or w.withdrawn else d.decision
    entry: dict[str, Any] = {
        "note": n.note,
        "version": n.version,
        "version_hash": w.version_hash,
        "ledger": w.ledger,
        "seq": w.seq,
        "decision": decision,
        "withdrawn": w.withdrawn,
        "checked": {"fragments": len(c.fragments), "rare_names": len(c.rare)},
    }
    if decision == "withhold":
        return entry
    if decision == "release" and n.nonce:  # so anyone can recompute version_hash (§4)
        entry["nonce"] = n.nonce
    entry.update(
        note_kind=n.note_kind,
        severity=n.severity,
        title=n.title,
        body=n.body,
        blob=n.blob,
        first=n.first,
        last=n.last,
        reviewer=w.reviewer or "",
    )
    entry.update(_path(n.raw_path))
    if decision == "redact" and d is not None:
        redacted = [f for f in ("title", "body") if getattr(d, f) is not None]
        for f in redacted:
            entry[f] = getattr(d, f)
        entry["redacted"] = redacted
    return entry


def _path(raw: bytes) -> dict[str, str]:
    try:
        return {"path": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {
            "path": raw.decode("utf-8", "replace"),
            "path_b64": base64.b64encode(raw).decode("ascii"),
        }
