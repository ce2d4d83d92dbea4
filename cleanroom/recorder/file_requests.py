"""The file on screen (docs/protocol.md §4): `open`, then `view`, `goto`, `find`
and `mark`, which may name only the file last opened. Each records before it
answers (LocalService). A mixin of `Dispatcher`."""

from __future__ import annotations

from ..sanitize import clean
from ..session.local_service import LocalService
from ..session.review import ReviewSession
from ..session.service import MAX_VIEW_COLS, MAX_VIEW_LINES, FileFacts
from ..session.source import ContentRefused
from . import messages as m
from .refusal import Refusal


class FileRequests:
    service: LocalService
    session: ReviewSession
    _opened: FileFacts | None

    def _open(self, r: m.Open) -> m._Answer:
        try:
            facts = self.service.open_file(r.path)
        except KeyError:  # the name probed is recorded, sanitized
            raise Refusal("no_such_file", clean(r.path.decode("utf-8", "replace"))) from None
        except ContentRefused as exc:
            return m.RefusedFile(path=exc.path, display=exc.display, why=exc.why,
                                 action=exc.action)  # fmt: skip
        self._opened = facts
        return m.Opened(path=facts.path, name=facts.name, blob=facts.blob, size=facts.size,
                        lines=facts.lines, max_line_bytes=facts.max_line_bytes,
                        binary=facts.binary, flags=facts.flags,
                        flagged_lines=facts.flagged_lines)  # fmt: skip

    def _the_opened(self, path: bytes, blob: str) -> FileFacts:
        o = self._opened
        if o is None or o.path != path or o.blob != blob:
            raise Refusal("order", "not the file last opened")
        return o

    def _view(self, r: m.View) -> m._Answer:
        opened = self._the_opened(r.path, r.blob)
        lines = max(1, opened.lines)
        if not (1 <= r.first <= r.last <= lines and r.last - r.first < MAX_VIEW_LINES
                and 0 <= r.col <= 10**6 and 1 <= r.cols <= MAX_VIEW_COLS
                and 0 <= r.wrap <= MAX_VIEW_LINES and (r.wrap == 0 or r.col == 0)):  # fmt: skip
            raise Refusal("bounds", f"lines {r.first}..{r.last} of {lines}, cols {r.col}+{r.cols}"
                                     f", wrap {r.wrap}")  # fmt: skip
        try:
            screen = self.service.view(opened, r.first, r.last, r.col, r.cols, r.wrap)
        except ContentRefused as exc:  # a chunk of it is not the signed one (ADR 0109)
            self._opened = None
            return m.RefusedFile(path=exc.path, display=exc.display, why=exc.why,
                                 action=exc.action)  # fmt: skip
        if screen is None:
            return m.Failed(why=self.session.failure or "recording failed")
        return m.Lines(first=screen.first, lines=screen.lines, sizes=screen.sizes)

    def _goto(self, r: m.Goto) -> m._Answer:
        opened = self._the_opened(r.path, r.blob)
        if not 1 <= r.line <= max(1, opened.lines):
            raise Refusal("bounds", f"line {r.line} of {opened.lines}")
        self.service.goto(opened, r.line)
        return m.Ok()

    def _paragraph(self, r: m.Paragraph) -> m._Answer:
        """`{` / `}`: the line is found here, where the signed text is, and recorded
        (`goto`) before it is answered."""
        opened = self._the_opened(r.path, r.blob)
        if not 1 <= r.line <= max(1, opened.lines):
            raise Refusal("bounds", f"line {r.line} of {opened.lines}")
        try:
            line = self.service.paragraph(opened, r.line, r.forward)
        except ContentRefused as exc:  # a chunk read is not the signed one (ADR 0109)
            self._opened = None
            return m.RefusedFile(path=exc.path, display=exc.display, why=exc.why,
                                 action=exc.action)  # fmt: skip
        return m.Location(path=opened.path, line=line)

    def _find(self, r: m.Find) -> m._Answer:
        opened = self._the_opened(r.path, r.blob)
        try:
            hits = self.service.find(opened, r.query, r.case)
        except ValueError as exc:
            raise Refusal("bounds", str(exc)) from None
        return m.FileHits(lines=hits.lines, cells=hits.cells, total=hits.total)

    def _mark(self, r: m.Mark) -> m._Answer:
        opened = self._the_opened(r.path, r.blob)
        if not 1 <= r.line <= max(1, opened.lines):
            raise Refusal("bounds", f"line {r.line} of {opened.lines}")
        self.service.mark(opened, r.mark, r.line)
        return m.Ok()
