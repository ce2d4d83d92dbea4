"""`ShownDocument`: the terminal's only copy of a file: the lines of the screen
it is showing, as the service answered them for a recorded `view`.

Lines the terminal was not sent read as empty. The painter remembers how it
drew each line of the screen with the cells it drew it from, so a line is drawn
(and coloured) again when its cells change, and never shows a line from before
it was sent; it forgets every line off the screen before it draws a new one
(`Painter.keep_only`), so no copy of a screen no longer shown stays behind.
Nothing here reads the snapshot: there is no snapshot.
"""

from __future__ import annotations

from ..session.service import FileFacts, Screen


class ShownDocument:
    # Its lines are display cells from column `origin` (session/display.py), not
    # raw lines: the painter draws them as they are, cut and judged already.
    drawn = True

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.name = facts.name
        self.blob = facts.blob
        self.raw_path = facts.path
        self.binary = facts.binary
        self.line_count = max(1, facts.lines)
        self.max_line_bytes = facts.max_line_bytes
        self._first = 0  # 0-based index of the first line held
        self.origin = 0  # the display column the held cells start at
        self._lines: list[bytes] = []
        self._sizes: list[int] = []

    def put(self, screen: Screen) -> None:
        """Hold exactly the lines of `screen`, dropping those of the screen before."""
        self._first = screen.first - 1
        self.origin = screen.col
        self._lines = list(screen.lines)
        self._sizes = list(screen.sizes)

    def _held(self, index: int) -> int | None:
        at = index - self._first
        return at if 0 <= at < len(self._lines) else None

    def lines(self, first: int, stop: int) -> list[bytes]:
        out = []
        for index in range(first, stop):
            at = self._held(index)
            out.append(b"" if at is None else self._lines[at])
        return out

    def line_size(self, index: int) -> int:
        """The full size in bytes of line `index` (0-based), 0 when not held."""
        at = self._held(index)
        return 0 if at is None else self._sizes[at]
