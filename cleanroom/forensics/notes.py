"""Reviewers' notes as verified ledgers recorded them: the latest version of each.

A note (`note` entries, docs/events.md) is written as version 1 and edited as
each next version, possibly in a later session's ledger; a `note_withdraw` ends
it. `written_notes` reads only the timelines the verifier did not withhold, so a
TAMPERED ledger's notes are never used unless the caller read it with
`include_tampered` (and then each note carries that ledger's status).

Each recorded version is named by `version_hash`: SHA-256 over a domain tag and
the canonical JSON of the payload exactly as recorded (docs/notes-release.md §2).
Whoever holds the ledger can recompute it; a release names notes by it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ..ledger.encoding import EncodingError, canonical_json
from ..ledger.verdict import Status
from ..session.events import NOTE_KINDS, SEVERITIES, Note, NoteWithdraw
from .timeline import Evidence, Timeline

NOTE_DOMAIN = b"cleanroom:note-version:v1\x00"
MAX_TITLE = 200  # characters, as docs/events.md limits them
MAX_BODY = 16384  # bytes of UTF-8
_NOTE_ID = re.compile(r"[0-9a-f]{32}")


def version_hash(payload: dict[str, Any]) -> str:
    """The hex name of one recorded note version (its payload as recorded)."""
    return hashlib.sha256(NOTE_DOMAIN + canonical_json(payload)).hexdigest()


@dataclass(frozen=True)
class WrittenNote:
    """The latest recorded version of a note, with where it was recorded."""

    note: Note
    version_hash: str
    ledger: str  # the ledger id
    ledger_path: str
    seq: int
    time: str | None
    reviewer: str | None
    status: Status  # the verdict of the ledger it came from
    withdrawn: bool
    versions: int  # how many versions of it the ledgers hold

    @property
    def id(self) -> str:
        return self.note.note


@dataclass(frozen=True)
class NoteProblem:
    """A note entry that does not fit the note format: skipped, and said so."""

    ledger_path: str
    seq: int
    why: str


def note_misfit(note: Note) -> str | None:
    """Why a typed `note` event breaks the limits of docs/events.md, or None."""
    if not _NOTE_ID.fullmatch(note.note):
        return "note id is not 32 lowercase hex digits"
    if note.version < 1:
        return "version below 1"
    if note.note_kind not in NOTE_KINDS:
        return "unknown note_kind"
    if note.severity not in (SEVERITIES if note.note_kind == "finding" else ("",)):
        return "severity does not fit the kind"
    if len(note.title) > MAX_TITLE or len(note.body.encode("utf-8", "surrogatepass")) > MAX_BODY:
        return "title or body over its limit"
    if not (0 <= note.first <= note.last) or (note.first == 0) != (note.last == 0):
        return "bad line range"
    return None


def written_notes(evidence: Evidence) -> tuple[list[WrittenNote], list[NoteProblem]]:
    """The latest version of every note in the timelines that were not withheld, in
    the order first written, and the note entries that had to be skipped. A later
    version wins; of two with the same number (a forged duplicate), the first read.
    A note withdrawn at any version is withdrawn: no version may follow a withdrawal
    (events.md), and one that does (another session's stale edit) never revives it."""
    latest: dict[str, tuple[Note, Timeline, Any]] = {}
    counts: dict[str, int] = {}
    withdrawn: set[str] = set()
    problems: list[NoteProblem] = []
    for timeline in evidence.timelines:
        if timeline.withheld:
            continue
        for entry in timeline.entries:
            event = entry.event
            if entry.kind == "note" and event is None:
                problems.append(
                    NoteProblem(timeline.path, entry.seq, entry.problem or "unreadable")
                )
            elif isinstance(event, Note):
                why = note_misfit(event)
                if why is not None:
                    problems.append(NoteProblem(timeline.path, entry.seq, why))
                    continue
                counts[event.note] = counts.get(event.note, 0) + 1
                held = latest.get(event.note)
                if held is None or event.version > held[0].version:
                    latest[event.note] = (event, timeline, entry)
            elif isinstance(event, NoteWithdraw):
                withdrawn.add(event.note)
    notes = []
    for note_id, (note, timeline, entry) in latest.items():
        try:
            name = version_hash(entry.payload)
        except EncodingError:  # a verified entry's payload is canonical; never expected
            problems.append(NoteProblem(timeline.path, entry.seq, "payload not canonical"))
            continue
        notes.append(
            WrittenNote(
                note=note,
                version_hash=name,
                ledger=timeline.ledger_id or "",
                ledger_path=timeline.path,
                seq=entry.seq,
                time=entry.time,
                reviewer=timeline.reviewer,
                status=timeline.status,
                withdrawn=note_id in withdrawn,
                versions=counts[note_id],
            )
        )
    return notes, problems
