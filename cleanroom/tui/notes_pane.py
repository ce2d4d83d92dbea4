"""The notes pane (ctrl+n): this session's notes, the withdrawn ones, and earlier
sessions' notes on the same snapshot. enter jumps to a note's place (recorded as
any opening or going to a line is), e edits and w withdraws one of this
session's notes, escape closes. Every note's text is untrusted here (an earlier
ledger's notes most of all) and goes through the sanitizer."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..notes.model import Note
from ..sanitize import clean, decode
from ..session.service import NoteList
from .failure_blank import HIDDEN, BlanksOnFailure
from .screens.once import ClosesOnce

MAX_SHOWN_BODY = 200  # lines of a body the pane shows (the editor holds the rest)


def note_row(note: Note) -> str:
    """One line: kind, severity, title, place, and whose: all sanitized."""
    d, p = note.draft, note.place
    tag = f"{d.kind} {d.severity}".strip()
    whose = ""
    if note.session:
        whose = f"  [earlier: {clean(note.reviewer) or '?'}, {note.session[:8]}]"
    if note.withdrawn:
        whose += "  [withdrawn]"
    where = f"{clean(decode(p.path))} {p.lines_text()}"
    return f"{tag:<16} {clean(d.title)}  — {where}{whose}"


def note_detail(note: Note) -> str:
    """The title, the place and the body, line by line, each line sanitized."""
    d = note.draft
    lines = d.body.split("\n")
    shown = [clean(x) for x in lines[:MAX_SHOWN_BODY]]
    if len(lines) > MAX_SHOWN_BODY:
        shown.append(f"… {len(lines) - MAX_SHOWN_BODY} more lines")
    head = f"{clean(d.title)} (version {note.version})\n{clean(decode(note.place.path))} "
    return head + note.place.lines_text() + "\n\n" + "\n".join(shown)


class NotesScreen(BlanksOnFailure, ClosesOnce, ModalScreen[Note | None]):
    """Dismisses with the note to jump to, or None."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("e", "edit_note", "Edit"),
        Binding("w", "withdraw_note", "Withdraw"),
    ]
    DEFAULT_CSS = """
    NotesScreen { align: center middle; }
    NotesScreen > Vertical {
        width: 100; max-width: 100%; height: 90%; border: thick $primary; padding: 0 1;
    }
    NotesScreen OptionList { height: 1fr; }
    NotesScreen VerticalScroll { height: 1fr; border-top: solid $primary; }
    NotesScreen #detail { height: auto; }
    """

    def __init__(self, notes: NoteList, edit: Callable[[Note], None],
                 withdraw: Callable[[Note], None]) -> None:  # fmt: skip
        super().__init__()
        self.notes = notes.current + notes.withdrawn + notes.earlier
        self._edit = edit
        self._withdraw = withdraw

    def compose(self) -> ComposeResult:
        with Vertical():
            count = len(self.notes)
            yield Static(f"Notes ({count}) · enter go to · e edit · w withdraw · escape close",
                         markup=False)  # fmt: skip
            yield OptionList(*(Option(note_row(n), id=str(i)) for i, n in enumerate(self.notes)),
                             markup=False, id="list")  # fmt: skip
            with VerticalScroll():
                empty = "No notes yet: a adds one on the current line, A on the whole file."
                yield Static("" if self.notes else empty, id="detail", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        if self.notes:
            self.query_one(OptionList).highlighted = 0

    def blank_shown(self) -> None:
        """Recording failed: no note's row or text stays on screen (failure_blank.py).
        The pane stays empty; ctrl+n lists the notes again, recorded."""
        self.notes = []
        self.query_one(OptionList).clear_options()
        self.query_one("#detail", Static).update(HIDDEN)

    def highlighted(self) -> Note | None:
        index = self.query_one(OptionList).highlighted
        return None if index is None or index >= len(self.notes) else self.notes[index]

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        note = self.highlighted()
        self.query_one("#detail", Static).update(note_detail(note) if note else "")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.highlighted())

    def action_edit_note(self) -> None:
        note = self.highlighted()
        if note is not None:
            self._edit(note)

    def action_withdraw_note(self) -> None:
        note = self.highlighted()
        if note is not None:
            self._withdraw(note)


class ConfirmWithdrawScreen(BlanksOnFailure, ClosesOnce, ModalScreen[bool]):
    """`w` in the notes pane: withdraw only after an explicit yes."""

    BINDINGS = [
        Binding("y", "confirm", "Yes, withdraw"),
        Binding("n,escape", "cancel", "No, keep it"),
    ]
    DEFAULT_CSS = """
    ConfirmWithdrawScreen { align: center middle; }
    ConfirmWithdrawScreen > Vertical {
        width: 70; height: auto; border: thick $error; padding: 1 2;
    }
    """

    def __init__(self, note: Note) -> None:
        super().__init__()
        self.note = note

    def blank_shown(self) -> None:
        """Recording failed: the note's title goes (y still withdraws it, recorded
        first; not while recording fails)."""
        self.query_one("#title", Static).update(HIDDEN)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Withdraw the note “{clean(self.note.draft.title)}”?", markup=False,
                         id="title")  # fmt: skip
            yield Static("It stays in the ledger, marked withdrawn; it cannot be edited again.\n"
                         "y: withdraw    n: keep it", markup=False)  # fmt: skip

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
