"""Back and forward across files and positions (`alt+←` / `ctrl+o`, `alt+→`), and
marks (`m` + letter sets one, `'` lists them and a letter jumps): issue 15.

Every move is a normal navigation: a `goto` in the open file or a `file_open`
of another, then the `view` the code view records before it draws. Setting a
mark records `mark` first (a failure shows nothing and sets nothing). Marks name
a file and a line only; their list shows names already recorded, sanitized.
"""

from __future__ import annotations

from typing import Any

from ..sanitize import clean, decode
from ..session.recorder import RecordingError
from .codeview import CodeView
from .jumplist import JumpList, Position
from .screens.marks import MarksScreen, SetMarkScreen


class HistoryNavigation:
    """Mixed into `ReviewApp`; uses its service, opened, open_path and notify."""

    service: Any
    jumps: JumpList
    marks_set: dict[str, tuple[bytes, str, int]]  # letter -> path, blob, line

    def here(self) -> Position | None:
        opened = self.opened  # type: ignore[attr-defined]
        if opened is None:
            return None
        return opened.path, int(self.query_one(CodeView).scroll_offset.y) + 1  # type: ignore[attr-defined]

    def remember(self) -> None:
        """A jump is about to leave the position shown: back comes here."""
        here = self.here()
        if here is not None:
            self.jumps.left(here)

    def go_to(self, path: bytes, line: int) -> bool:
        """Show `path` at `line`: recorded as a `goto` in the open file, else as a
        `file_open`; False (the source hidden) if it could not be recorded."""
        opened = self.opened  # type: ignore[attr-defined]
        if opened is not None and opened.path == path:
            try:
                self.service.goto(opened, line)
            except RecordingError as exc:
                self._recording_failed(str(exc))  # type: ignore[attr-defined]
                return False
            self.query_one(CodeView).goto(line)  # type: ignore[attr-defined]
        else:
            self.open_path(path, line)  # type: ignore[attr-defined]
        return True

    def action_back(self) -> None:
        where = self.jumps.back(self.here())
        if where is None:
            self.notify("Nothing to go back to.", markup=False)  # type: ignore[attr-defined]
            return
        self.go_to(*where)

    def action_forward(self) -> None:
        where = self.jumps.forward(self.here())
        if where is None:
            self.notify("Nothing to go forward to.", markup=False)  # type: ignore[attr-defined]
            return
        self.go_to(*where)

    def action_set_mark(self) -> None:
        opened, here = self.opened, self.here()  # type: ignore[attr-defined]
        if opened is None or here is None:
            self.notify("No file open to mark.", markup=False)  # type: ignore[attr-defined]
            return

        def chosen(letter: str | None) -> None:
            if letter is None or self.opened is not opened:  # type: ignore[attr-defined]
                return
            try:
                self.service.mark(opened, letter, here[1])
            except RecordingError as exc:
                self._recording_failed(str(exc))  # type: ignore[attr-defined]
                return
            self.marks_set[letter] = (opened.path, opened.blob, here[1])
            self.notify(f"Mark {letter}: line {here[1]}", markup=False)  # type: ignore[attr-defined]

        self.push_screen(SetMarkScreen(), chosen)  # type: ignore[attr-defined]

    def action_jump_to_mark(self) -> None:
        listed = [(k, clean(decode(p)), line) for k, (p, _, line) in sorted(self.marks_set.items())]

        def chosen(letter: str | None) -> None:
            if letter is None:
                return
            if letter not in self.marks_set:
                self.notify(f"No mark {letter}.", markup=False)  # type: ignore[attr-defined]
                return
            path, _, line = self.marks_set[letter]
            self.remember()
            self.go_to(path, line)

        self.push_screen(MarksScreen(listed), chosen)  # type: ignore[attr-defined]
