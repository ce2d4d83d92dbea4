"""Opening a file in the reviewer app, without blocking the event loop.

`ReviewService.open_file` reads what it must (the whole file, hashed; for a
text file, every character is checked for what the sanitizer tags: about 0.03
CPU-s per MB of accented Latin text, up to about 0.4 when every line holds
another script's words, `session/flag_scan.py`) and records `file_open`; a file
over `MAX_OPEN_BYTES` (512 MiB) is refused unread. A file up to `ON_UI_THREAD`
bytes is opened at
once; a larger one in a worker thread, while the code view shows "Opening"
and no source (the one shown before is hidden at once). Opening another file
meanwhile makes the first one's result stale: it was recorded, and is never
shown. docs/adr/0400-open-files-off-the-ui-thread.md says why.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.widgets import Static
from textual.worker import get_current_worker

from ..sanitize import clean, decode
from ..session.recorder import RecordingError
from ..session.service import FileFacts
from ..session.source import ContentRefused
from .banner import banner_text
from .codeview import CodeView
from .shown import ShownDocument

ON_UI_THREAD = 256 * 1024  # bytes: at most a few ms of checking on the UI thread


class FileOpening:
    """Mixed into `ReviewApp`; uses its session, notify and _recording_failed."""

    opened: FileFacts | None
    document: ShownDocument | None
    service: Any
    _opening: bytes | None = None  # the path a worker is opening, if any

    def open_path(self, path: bytes, line: int = 1) -> None:
        """Open `path` at `line` (1-based): at once if small, else off the UI thread."""
        try:
            size = self.service.size_of(path)
        except KeyError:
            self._no_such_file(path)
            return
        self._opening = path
        if size <= ON_UI_THREAD:
            self._open_now(path, line)
            return
        self.opened = self.document = None
        self.query_one(CodeView).show_opening(clean(decode(path)))  # type: ignore[attr-defined]
        self._open_in_thread(path, line)

    def _open_now(self, path: bytes, line: int) -> None:
        try:
            opened = self.service.open_file(path)
        except KeyError:
            self._no_such_file(path)
            return
        except RecordingError as exc:
            self._recording_failed(str(exc))  # type: ignore[attr-defined]
            return
        except ContentRefused as exc:
            self._refused(path, exc)
            return
        self._show_opened(opened, line)

    @work(thread=True, exclusive=True, group="open_file")
    def _open_in_thread(self, path: bytes, line: int) -> None:
        worker = get_current_worker()
        call = self.call_from_thread  # type: ignore[attr-defined]
        try:
            opened = self.service.open_file(path)
        except KeyError:
            call(self._no_such_file, path)
            return
        except RecordingError as exc:
            call(self._open_failed, path, str(exc))
            return
        except ContentRefused as exc:  # recorded as `blocked`; nothing of it is shown
            call(self._refused, path, exc)
            return
        if not worker.is_cancelled:
            call(self._show_opened, opened, line)

    def _show_opened(self, opened: FileFacts, line: int) -> None:
        if self._opening != opened.path or self.receipt is not None:  # type: ignore[attr-defined]
            return  # another file was asked for since, or the session is sealed
        self._opening = None
        self.opened = opened
        self.document = ShownDocument(opened)  # empty: lines come with each recorded view
        banner = self.query_one("#banner", Static)  # type: ignore[attr-defined]
        banner.update(banner_text(opened.path, opened.lines, opened.flags))
        banner.set_class(bool(opened.flags), "flagged")
        view = self.query_one(CodeView)  # type: ignore[attr-defined]
        view.open(self.document, line, opened.flagged_lines)
        self.show_marks()  # type: ignore[attr-defined]
        view.focus()
        self._show_status()  # type: ignore[attr-defined]

    def _refused(self, path: bytes, exc: ContentRefused) -> None:
        """The file's content is not what the vendor signed (app._content_refused)."""
        if self._opening == path:
            self._opening = None
        self._content_refused(exc)  # type: ignore[attr-defined]

    def _open_failed(self, path: bytes, why: str) -> None:
        if self._opening == path:
            self._opening = None
            self.query_one(CodeView).waiting_for = None  # type: ignore[attr-defined]
        self._recording_failed(why)  # type: ignore[attr-defined]

    def _no_such_file(self, path: bytes) -> None:
        if self._opening == path:
            self._opening = None
            self.query_one(CodeView).waiting_for = None  # type: ignore[attr-defined]
            self.query_one(CodeView).refresh()  # type: ignore[attr-defined]
        self.notify(f"No such file: {decode(path)}", markup=False, severity="error")  # type: ignore[attr-defined]
