"""`NoteBook`: a session's notes, as recorded: the current version of each, the
withdrawn ones, and earlier sessions' notes on the same snapshot. It decides the
next version and refuses what cannot follow (an edit of a withdrawn note); the
caller records the new version first and only then calls `saved`/`withdrawn`, so
the book never holds a note the ledger does not."""

from __future__ import annotations

import threading
from dataclasses import replace

from .model import Draft, Note, NoteError, check, new_id


class NoteBook:
    def __init__(self) -> None:
        self._notes: dict[str, Note] = {}  # id -> its last version, in order first written
        self._lock = threading.Lock()
        self.earlier: list[Note] = []  # earlier sessions' notes (earlier.py), read-only

    def next_save(self, draft: Draft, note_id: str | None = None, lines: int | None = None) -> Note:
        """The version to record for `draft`: version 1 under a new id, or the next
        version of `note_id`, whose place it keeps. Raises NoteError."""
        if note_id is None:
            return Note(new_id(), 1, check(draft, lines))
        last = self._last(note_id)
        return Note(note_id, last.version + 1, check(replace(draft, place=last.place)))

    def next_withdraw(self, note_id: str) -> Note:
        """The version a withdrawal names (the last). Raises NoteError."""
        return replace(self._last(note_id), withdrawn=True)

    def _last(self, note_id: str) -> Note:
        with self._lock:
            last = self._notes.get(note_id)
        if last is None:
            raise NoteError("no such note in this session")
        if last.withdrawn:
            raise NoteError("the note was withdrawn; it cannot be changed")
        return last

    def saved(self, note: Note) -> None:
        """`note` is recorded: it is the note's current version now."""
        with self._lock:
            self._notes[note.id] = note

    def resume(self, notes: list[Note]) -> None:
        """A resumed session's own notes, as its ledger holds them (`earlier.notes_in`):
        this session's again, to edit and withdraw."""
        with self._lock:
            for note in notes:
                self._notes[note.id] = replace(note, session="", reviewer="")

    def current(self) -> list[Note]:
        """This session's notes not withdrawn, in the order first written."""
        with self._lock:
            return [n for n in self._notes.values() if not n.withdrawn]

    def withdrawn(self) -> list[Note]:
        with self._lock:
            return [n for n in self._notes.values() if n.withdrawn]
