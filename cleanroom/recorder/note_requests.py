"""The reviewer's notes (docs/protocol.md §4, docs/notes.md): `note_save`,
`note_withdraw` and the `notes` pages. A note is recorded, text and place,
before it is answered saved. A mixin of `Dispatcher`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..notes.model import Draft, Note, NoteError, Place
from ..session.local_service import LocalService
from ..session.review import ReviewSession
from ..session.service import FileFacts
from . import messages as m
from .refusal import Refusal

NOTE_PAGE_BYTES = 4 << 20  # bytes of notes one `notes` page carries at most (one, if larger)


class NoteRequests:
    service: LocalService
    session: ReviewSession

    if TYPE_CHECKING:  # provided by another mixin of Dispatcher; no stub at run time

        def _the_opened(self, path: bytes, blob: str) -> FileFacts: ...  # FileRequests'

    def _note_save(self, r: m.NoteSave) -> m._Answer:
        """Record the note, then answer it saved. A new note is on the file last
        opened, within its lines; an edit keeps its note's place."""
        place = Place(r.path, r.blob, r.first, r.last)
        draft = Draft(r.kind, r.severity, r.title, r.body, place)
        lines = None
        if not r.note:
            lines = self._the_opened(r.path, r.blob).lines
        try:
            note = self.session.save_note(draft, r.note or None, lines)
        except NoteError as exc:
            raise Refusal("invalid", str(exc)) from None
        return m.Noted(note=note.id, version=note.version, seq=self.session.entries - 1)

    def _note_withdraw(self, r: m.NoteWithdraw) -> m._Answer:
        try:
            note = self.session.withdraw_note(r.note)
        except NoteError as exc:
            raise Refusal("invalid", str(exc)) from None
        return m.Noted(note=note.id, version=note.version, seq=self.session.entries - 1)

    def _notes(self, r: m.Notes) -> m._Answer:
        """A page of the notes to list: this session's, then earlier sessions'."""
        listing = self.service.notes()
        every = listing.current + listing.withdrawn + listing.earlier
        if r.start > len(every):
            raise Refusal("bounds", f"note {r.start} of {len(every)}")
        items: list[m.NoteInfo] = []
        used = 0
        for note in every[r.start :]:
            used += len(note.draft.body.encode()) + len(note.place.path) + 1024
            if items and used > NOTE_PAGE_BYTES:
                break
            items.append(_note_info(note))
        return m.NotePage(items=items, start=r.start, total=len(every))


def _note_info(n: Note) -> m.NoteInfo:
    d, p = n.draft, n.place
    return m.NoteInfo(n.id, n.version, d.kind, d.severity, d.title, d.body, p.path, p.blob,
                      p.first, p.last, n.withdrawn, n.session, n.reviewer)  # fmt: skip
