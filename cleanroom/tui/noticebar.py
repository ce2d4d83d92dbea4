"""The top line: the session's title, or for a while the latest notice.

Alerts, refusals and hints used to be toasts drawn over the code and the status
bar, so a guard alert could hide source lines and the witness code for ten
seconds. They have a place of their own instead: the title line, which carries
nothing the reviewer needs while a notice is up (the start screen showed it all).
Every notice is untrusted text and goes through the one sanitizer.
"""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from ..sanitize import clean

STYLES = {
    "information": "bold black on cyan",
    "warning": "bold black on yellow",
    "error": "bold white on red",
}


class NoticeBar(Static):
    DEFAULT_CSS = """
    NoticeBar { height: 1; background: $primary; color: $text; }
    """

    def __init__(self, title: str, *, id: str = "title") -> None:  # noqa: A002
        super().__init__(Text(clean(title), style="bold"), markup=False, id=id)
        self.title_text = clean(title)
        self.notice: str | None = None  # what is on the line now, if not the title
        self._timer: Timer | None = None

    def post(self, message: str, severity: str = "information", timeout: float = 5.0) -> None:
        """Show `message` for `timeout` seconds (the latest notice wins)."""
        self.notice = clean(message)
        style = STYLES.get(severity, STYLES["information"])
        self.update(Text(f" {self.notice} ", style=style, no_wrap=True, overflow="ellipsis"))
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(timeout, 0.1), self.restore)

    def restore(self) -> None:
        self.notice = None
        self._timer = None
        self.update(Text(self.title_text, style="bold", no_wrap=True, overflow="ellipsis"))
