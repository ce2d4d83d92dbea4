"""Reviewers' notes as verified ledgers recorded them: the latest version of each.

A note (`note` entries, docs/events.md) is written as version 1 and edited as
each next version in the same session (a resumed session is the same ledger); a
`note_withdraw` ends it. A note belongs to the session whose ledger holds its
lowest version: another session's `note` or `note_withdraw` for its id (which a
genuine terminal never writes, docs/notes.md) is flagged and never applied
(ADR 0308). `written_notes` reads only the timelines the verifier did not withhold, so a
TAMPERED ledger's notes are never used unless the caller read it with
`include_tampered` (and then each note carries that ledger's status).

Each recorded version is named by `version_hash`: SHA-256 over a domain tag and
the canonical JSON of the payload exactly as recorded (docs/notes-release.md §2),
its random `nonce` included (ADR 0409), so the name confirms no guess of the text.
Whoever holds the ledger can recompute it; a release names notes by it. A note
entry whose fields are not exactly a note's, whose nonce is malformed, or that has
none after a note of its ledger that had one, is skipped (NOTE_SKIPPED).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ..ledger.encoding import EncodingError, canonical_json
from ..ledger.verdict import Status
from ..session.events import NOTE_KINDS, SEVERITIES, Note, NoteWithdraw
from .timeline import Evidence, Timeline, TimelineEntry

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
    """A note entry that does not fit the note format, or that edits or withdraws
    another session's note (`foreign`): skipped, and said so."""

    ledger_path: str
    seq: int
    why: str
    foreign: bool = False


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


_PAYLOAD = frozenset(
    {"note", "version", "note_kind", "severity", "title", "body", "blob", "first", "last"}
)


def payload_misfit(payload: dict[str, Any]) -> str | None:
    """Why a `note` payload's fields are not exactly those events.md gives, or its
    nonce (ADR 0409) not 32 lowercase hex digits; None when they are. A release
    names a version by the hash of exactly these fields, and publishes them for a
    released note, so that anyone can recompute it (docs/notes-release.md §4)."""
    keys = payload.keys() - {"path", "path_b64", "nonce"}
    if keys != _PAYLOAD or ("path" in payload) == ("path_b64" in payload):
        return "fields are not exactly a note's"
    nonce = payload.get("nonce")
    if nonce is not None and not (isinstance(nonce, str) and _NOTE_ID.fullmatch(nonce)):
        return "nonce is not 32 lowercase hex digits"
    return None


def written_notes(evidence: Evidence) -> tuple[list[WrittenNote], list[NoteProblem]]:
    """The latest version of every note in the timelines that were not withheld, in
    the order first written, and the note entries that had to be skipped. A later
    version wins; of two with the same number (a forged duplicate), the first read.
    A note withdrawn at any version is withdrawn: no version may follow a withdrawal
    (events.md), and one that does (a stale edit) never revives it. Only the session
    that owns a note (`_owners`) edits or withdraws it."""
    problems: list[NoteProblem] = []
    found: list[tuple[Timeline, TimelineEntry, Note | NoteWithdraw]] = []
    for timeline in evidence.timelines:
        if timeline.withheld:
            continue
        nonced = False  # a note of this ledger carried a nonce: every later one must
        for entry in timeline.entries:
            event = entry.event
            if entry.kind == "note" and event is None:
                problems.append(
                    NoteProblem(timeline.path, entry.seq, entry.problem or "unreadable")
                )
            elif isinstance(event, Note):
                why = note_misfit(event) or payload_misfit(entry.payload)
                if why is None and nonced and not event.nonce:
                    why = "no nonce, after a note of its ledger with one (ADR 0409)"
                if why is not None:
                    problems.append(NoteProblem(timeline.path, entry.seq, why))
                    continue
                nonced = nonced or bool(event.nonce)
                found.append((timeline, entry, event))
            elif isinstance(event, NoteWithdraw):
                found.append((timeline, entry, event))
    owners, contested = _owners(found)
    latest: dict[str, tuple[Note, Timeline, TimelineEntry]] = {}
    counts: dict[str, int] = {}
    withdrawn: set[str] = set()
    for timeline, entry, event in found:
        owner = owners.get(event.note)
        if owner is not None and _session(timeline) != owner:
            what = "withdraws" if isinstance(event, NoteWithdraw) else "edits"
            also = (  # two sessions wrote its lowest version: the earlier one's is kept
                f", which session {owner} (started first) also wrote at its lowest version,"
                if event.note in contested
                else f", which session {owner} wrote,"
            )
            problems.append(NoteProblem(timeline.path, entry.seq, (
                f"{what} note {event.note}{also} from session "
                f"{_session(timeline)}: not applied (a note is its own session's)"
            ), foreign=True))  # fmt: skip
        elif isinstance(event, NoteWithdraw):
            withdrawn.add(event.note)
        else:
            counts[event.note] = counts.get(event.note, 0) + 1
            held = latest.get(event.note)
            if held is None or event.version > held[0].version:
                latest[event.note] = (event, timeline, entry)
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


def _session(timeline: Timeline) -> str:
    return timeline.ledger_id or timeline.path


def _owners(
    found: list[tuple[Timeline, TimelineEntry, Note | NoteWithdraw]],
) -> tuple[dict[str, str], set[str]]:
    """note id -> the session (ledger id) holding its lowest version; of sessions
    holding the same lowest version, the one that started first (then the first
    read), and the id is `contested` (ids are 128 random bits: only a forger writes
    another session's, and a forgery comes after the note it copies)."""
    low: dict[str, tuple[int, int, str]] = {}
    contested: set[str] = set()
    for timeline, _, event in found:
        if isinstance(event, Note):
            rank = (event.version, _started(timeline))
            held, me = low.get(event.note), _session(timeline)
            if held is not None and held[0] == event.version and held[2] != me:
                contested.add(event.note)
            if held is None or rank < held[:2]:
                low[event.note] = (*rank, me)
    return {note_id: owner for note_id, (_, _, owner) in low.items()}, contested


def _started(timeline: Timeline) -> int:
    """When the session started (wall µs of its first entry); unknown: last."""
    period = timeline.verdict.summary.get("period_us")
    start = period[0] if isinstance(period, list) and period else None
    return start if type(start) is int else 2**63
