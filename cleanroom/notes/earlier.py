"""Earlier sessions' notes on the same snapshot, read back from their ledgers.

Each ledger is read through the safe loader (`ledger.load.load_path`: read-only,
bounded by the file's size, a hostile file is findings, not a crash) and only
its `note` and `note_withdraw` entries are folded, newest version last. Nothing
here verifies signatures: that is `cleanroom verify`'s job. A file that cannot
be read, an entry that does not decode, or a note that breaks the limits of
`model.check` is skipped; whatever a ledger holds, this returns a list.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..ledger.encoding import EncodingError, decode_body
from ..ledger.load import load_path
from .model import NOTE_ID, Draft, Note, NoteError, Place, check

MAX_EARLIER = 2000  # notes listed from earlier sessions at most (the newest files first)


def earlier_notes(paths: Iterable[Path], snapshot: str) -> list[Note]:
    """The notes (withdrawn ones marked) of the ledgers in `paths` that reviewed
    `snapshot`, in the order given; at most MAX_EARLIER. Never raises."""
    out: list[Note] = []
    for path in paths:
        try:
            out.extend(notes_in(path, snapshot))
        except Exception:  # noqa: BLE001, S112 (a hostile ledger is skipped, never a crash)
            continue
        if len(out) >= MAX_EARLIER:
            return out[:MAX_EARLIER]
    return out


def notes_in(path: Path, snapshot: str) -> list[Note]:
    """The notes one ledger holds, if its session reviewed `snapshot`. Raises
    OSError for a file that cannot be opened (the caller skips it)."""
    rows = load_path(path).rows
    if not rows:
        return []
    first = _decoded(rows[0][1])
    if first is None or first.kind != "session_start":
        return []
    start = first.payload
    if ((start.get("snapshot") or {}).get("id")) != snapshot:
        return []
    session = first.ledger.hex()
    reviewer = str((start.get("reviewer") or {}).get("name", ""))[:200]
    notes: dict[str, Note] = {}
    for row in rows[1:]:
        body = _decoded(row[1])
        if body is None or body.kind not in ("note", "note_withdraw"):
            continue
        _fold(notes, body.kind, body.payload, session, reviewer)
    return list(notes.values())


def _decoded(data: object) -> Any:
    try:
        return decode_body(data)  # type: ignore[arg-type]
    except (EncodingError, ValueError, TypeError):
        return None


def _fold(notes: dict[str, Note], kind: str, p: dict[str, Any], session: str, who: str) -> None:
    note_id = p.get("note")
    if not isinstance(note_id, str) or not NOTE_ID.fullmatch(note_id):
        return
    last = notes.get(note_id)
    if kind == "note_withdraw":
        if last is not None:
            notes[note_id] = Note(last.id, last.version, last.draft, True, session, who)
        return
    note = _note(note_id, p, session, who)
    if note is not None and (last is None or (not last.withdrawn and note.version > last.version)):
        notes[note_id] = note


def _note(note_id: str, p: dict[str, Any], session: str, who: str) -> Note | None:
    try:
        place = Place(_path(p), _str(p["blob"]), _int(p["first"]), _int(p["last"]))
        draft = Draft(_str(p["note_kind"]), _str(p["severity"]), _str(p["title"]),
                      _str(p["body"]), place)  # fmt: skip
        return Note(note_id, _int(p["version"]), check(draft), False, session, who)
    except (KeyError, TypeError, ValueError, NoteError, binascii.Error):
        return None


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _path(p: dict[str, Any]) -> bytes:
    if isinstance(p.get("path"), str):
        return p["path"].encode("utf-8")
    return base64.b64decode(_str(p["path_b64"]), validate=True)
