"""The note editor (`a`, `A`, or `e` in the notes pane): kind, severity (a
finding's), the lines, a title and a multi-line body. ctrl+s saves, escape
cancels. Saving hands the draft to `save`, which records it; only when that
returns None is the note saved and the editor closed. Otherwise the editor
stays, with every character typed, and says why (a limit, or a recording
failure). Typing shows no source and records nothing (docs/notes.md)."""

from __future__ import annotations

import re
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, RadioButton, RadioSet, Static

from ..notes.model import MAX_TITLE, NOTE_KINDS, SEVERITIES, Draft, NoteError, Place, check
from ..sanitize import clean, decode
from .notes_fields import NoteBody, NoteInput
from .screens.once import ClosesOnce

Save = Callable[[Draft], "str | None"]  # None: recorded and saved; else why not
LINES = re.compile(r"\s*(\d{1,15})\s*(?:-\s*(\d{1,15})\s*)?")


def parse_lines(text: str) -> tuple[int, int]:
    """`12` or `12-30` as (first, last); empty is the whole file (0, 0). Raises NoteError."""
    if not text.strip():
        return 0, 0
    match = LINES.fullmatch(text)
    if match is None:
        raise NoteError("lines: a line, first-last, or empty for the whole file")
    first = int(match.group(1))
    return first, int(match.group(2) or first)


def lines_field(place: Place) -> str:
    if place.whole_file:
        return ""
    return str(place.first) if place.first == place.last else f"{place.first}-{place.last}"


class NoteEditorScreen(ClosesOnce, ModalScreen[bool]):
    # The reviewer's own draft, kept open with the reason when a save fails
    # (docs/notes.md), and the name of the file it is on: nothing of the code.
    SHOWS_RECORDED = False
    AUTO_FOCUS = "#title"  # the screen's own focus on resume: the title, not the first radio
    BINDINGS = [
        Binding("ctrl+s,f2", "save_note", "Save note"),
        Binding("escape", "cancel_note", "Cancel"),
    ]
    DEFAULT_CSS = """
    NoteEditorScreen { align: center middle; }
    NoteEditorScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; padding: 0 1;
    }
    NoteEditorScreen Horizontal { height: auto; margin: 0 0 1 0; }
    NoteEditorScreen RadioSet { layout: horizontal; height: 1; border: none; padding: 0; }
    NoteEditorScreen RadioSet:focus { background: $boost; border: none; }
    NoteEditorScreen Input { height: 1; border: none; padding: 0 1; width: 1fr; }
    NoteEditorScreen Input:focus { background: $boost; border: none; }
    NoteEditorScreen .label { width: 10; }
    NoteEditorScreen #where { margin: 0 0 1 0; }
    NoteEditorScreen #body { height: 12; }
    NoteEditorScreen #why { color: $error; height: auto; }
    """

    def __init__(self, place: Place, line_count: int, save: Save, *,
                 editing: Draft | None = None) -> None:  # fmt: skip
        super().__init__()
        self.place = place
        self.line_count = line_count
        self._save = save
        self.editing = editing  # an edit keeps its place: the lines are not asked for
        self.why = ""  # the last reason the note was not saved (shown)

    def compose(self) -> ComposeResult:
        d = self.editing
        kind = d.kind if d else "finding"
        severity = d.severity if d and d.severity else "medium"
        with Vertical():
            what = "Edit note" if d else "New note"
            yield Static(f"{what} on {clean(decode(self.place.path))}", markup=False, id="where")
            with Horizontal():
                yield Static("Kind", classes="label")
                with RadioSet(id="kind"):
                    for k in NOTE_KINDS:
                        yield RadioButton(k, value=k == kind, name=k)
            with Horizontal(id="severity-row"):
                yield Static("Severity", classes="label")
                with RadioSet(id="severity"):
                    for s in SEVERITIES:
                        yield RadioButton(s, value=s == severity, name=s)
            with Horizontal():
                yield Static("Lines", classes="label")
                yield NoteInput(lines_field(self.place), restrict=r"[0-9 \-]*", max_length=40,
                                placeholder="whole file", id="lines",
                                disabled=d is not None)  # fmt: skip
            with Horizontal():
                yield Static("Title", classes="label")
                yield NoteInput(d.title if d else "", max_length=MAX_TITLE, id="title",
                                select_on_focus=False)  # fmt: skip
            yield NoteBody(d.body if d else "", id="body")
            yield Static("", id="why", markup=False)
            yield Static("ctrl+s save · escape cancel · tab next field", markup=False)

    def on_mount(self) -> None:
        self._severity_shown()
        self.query_one("#title", Input).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._severity_shown()

    def _severity_shown(self) -> None:
        self.query_one("#severity-row").display = self._kind() == "finding"

    def _kind(self) -> str:
        pressed = self.query_one("#kind", RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "finding"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()  # enter moves on; only ctrl+s saves

    def draft(self) -> Draft:
        """The note as typed. Raises NoteError (a limit broken, said to the reviewer)."""
        pressed = self.query_one("#severity", RadioSet).pressed_button
        severity = pressed.name if pressed is not None and pressed.name else ""
        place = self.place
        if self.editing is None:
            first, last = parse_lines(self.query_one("#lines", Input).value)
            place = Place(place.path, place.blob, first, last)
        title = self.query_one("#title", Input).value
        body = self.query_one("#body", NoteBody).text
        return check(Draft(self._kind(), severity, title, body, place), self.line_count)

    def say(self, why: str) -> None:
        self.why = why
        self.query_one("#why", Static).update(f"Not saved: {clean(why)}")

    def action_save_note(self) -> None:
        try:
            draft = self.draft()
        except NoteError as exc:
            self.say(str(exc))
            return
        why = self._save(draft)
        if why is not None:
            self.say(why)  # the draft stays, every character of it
            return
        self.dismiss(True)

    def action_cancel_note(self) -> None:
        self.dismiss(False)
