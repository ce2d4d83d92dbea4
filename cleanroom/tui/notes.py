"""Notes in the reviewer app (issue 16): `a` writes a note on the current line
(the top line of the code view: where a jump or `:` puts the line asked for),
or on the lines typed in the editor's Lines field; `A` on the whole file;
ctrl+n lists the notes. Each save and withdrawal is recorded by the service
before the terminal says it is done; a failed recording leaves the editor open
with the draft and the reason (docs/notes.md)."""

from __future__ import annotations

from typing import Any

from ..notes.model import Draft, Note, NoteError, Place
from ..session.recorder import RecordingError
from ..session.service import FileFacts, NoteList
from .codeview import CodeView
from .notes_editor import NoteEditorScreen
from .notes_pane import ConfirmWithdrawScreen, NotesScreen
from .off_loop import Answer


class NoteTaking:
    """Mixed into `ReviewApp`; uses its service, opened, open_path, notify and
    _recording_failed."""

    service: Any
    opened: FileFacts | None

    def action_note_here(self) -> None:
        self._write_note(whole_file=False)

    def action_note_file(self) -> None:
        self._write_note(whole_file=True)

    def _write_note(self, whole_file: bool) -> None:
        opened = self.opened
        if opened is None:
            self.notify("Open a file first: a note is on a file.", markup=False)  # type: ignore[attr-defined]
            return
        line = 0
        if not whole_file:
            viewport = self.query_one(CodeView).viewport()  # type: ignore[attr-defined]
            line = viewport.first if viewport is not None else 1
        place = Place(opened.path, opened.blob, line, line)
        editor = NoteEditorScreen(place, opened.lines, self._saver(None))
        self.push_screen(editor)  # type: ignore[attr-defined]

    def _saver(self, note_id: str | None) -> Any:
        def save(draft: Draft) -> str | None:
            try:
                note = self.service.save_note(draft, note_id)
            except NoteError as exc:
                return str(exc)
            except RecordingError as exc:
                self._recording_failed(str(exc))  # type: ignore[attr-defined]
                return f"recording failed ({exc}); the note is kept here, try again"
            finally:
                self._show_status()  # type: ignore[attr-defined]
            what = "saved" if note.version == 1 else f"saved (version {note.version})"
            self.notify(f"Note {what}: {note.draft.title}", markup=False)  # type: ignore[attr-defined]
            return None

        return save

    def action_notes(self) -> None:
        self._list_notes(None)

    def _list_notes(self, replacing: NotesScreen | None) -> None:
        """List the notes, recorded, off the event loop (ADR 0219); with `replacing`
        (a pane listed again after a withdrawal), the new pane takes its place only
        if it is still in front when the answer comes (not after Escape)."""
        then = lambda answer: self._notes_listed(answer, replacing)  # noqa: E731
        self.ask_off_loop(self.service.notes, then, "notes")  # type: ignore[attr-defined]

    def _notes_listed(self, answer: Answer[NoteList], replacing: NotesScreen | None) -> None:
        """The notes' answer (recorded), on the event loop."""
        if getattr(self, "_ending", None) is not None:
            return  # the session is ending: nothing more is shown
        if replacing is not None and self.screen is not replacing:  # type: ignore[attr-defined]
            return  # closed meanwhile: the listing is recorded, not shown
        try:
            listing = answer.get()
        except RecordingError as exc:
            self._recording_failed(str(exc))  # type: ignore[attr-defined]
            return
        if replacing is not None:
            replacing.dismiss(None)
        pane = NotesScreen(listing, self._edit_note, self._withdraw_note)
        self.push_screen(pane, self._jump_to_note)  # type: ignore[attr-defined]

    def _mine(self, note: Note) -> bool:
        if note.session or note.withdrawn:
            why = "withdrawn" if note.withdrawn else "an earlier session's"
            self.notify(f"That note is {why}: it cannot be changed.", markup=False)  # type: ignore[attr-defined]
            return False
        return True

    def _edit_note(self, note: Note) -> None:
        if not self._mine(note):
            return
        self.screen.dismiss(None)  # type: ignore[attr-defined]  # the pane; listed again after
        editor = NoteEditorScreen(note.place, 0, self._saver(note.id), editing=note.draft)
        self.push_screen(editor, lambda _: self.action_notes())  # type: ignore[attr-defined]

    def _withdraw_note(self, note: Note) -> None:
        if not self._mine(note):
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.service.withdraw_note(note.id)
            except (NoteError, RecordingError) as exc:
                if isinstance(exc, RecordingError):
                    self._recording_failed(str(exc))  # type: ignore[attr-defined]
                self.notify(f"Not withdrawn: {exc}", markup=False, severity="error")  # type: ignore[attr-defined]
                return
            finally:
                self._show_status()  # type: ignore[attr-defined]
            self.notify(f"Note withdrawn: {note.draft.title}", markup=False)  # type: ignore[attr-defined]
            if isinstance(self.screen, NotesScreen):  # type: ignore[attr-defined]
                self._list_notes(self.screen)  # type: ignore[attr-defined]

        self.push_screen(ConfirmWithdrawScreen(note), confirmed)  # type: ignore[attr-defined]

    def _jump_to_note(self, note: Note | None) -> None:
        """Go to the note's place: recorded as any navigation is (`goto` in the file
        shown, else `file_open` and the `view` of the lines)."""
        if note is None:
            return
        place = note.place
        line = max(1, place.first)
        opened = self.opened
        if opened is not None and opened.path == place.path and opened.blob == place.blob:
            try:
                self.service.goto(opened, min(line, max(1, opened.lines)))
            except RecordingError as exc:
                self._recording_failed(str(exc))  # type: ignore[attr-defined]
                return
            self.query_one(CodeView).goto(line)  # type: ignore[attr-defined]
            return
        self.open_path(place.path, line)  # type: ignore[attr-defined]
