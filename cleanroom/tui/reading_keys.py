"""The code view's keys in the habits of less and vim (issue 15): j/k, g/G,
space/b, ctrl+d/ctrl+u, and horizontal steps of half a screen.

Each key only moves the viewport; what comes into view is recorded before it is
drawn, like any other scroll (the code view's gate). Every key moves it in its own
handler: Textual's own line, page, home and end actions scroll through its
animator, whose timer then applies the move at its next tick even with
animations off; a key is then acted on only if that timer runs, and a PageDown
right after `w` was once seen not acted on within 2 s in tmux. Scrolled here, a
key's move does not wait on any timer (`tests/test_tui_scroll_keys.py`).
"""

from __future__ import annotations

from textual.actions import SkipAction
from textual.binding import Binding

BINDINGS = [
    Binding("j", "scroll_down", "Down", show=False),
    Binding("k", "scroll_up", "Up", show=False),
    Binding("g", "scroll_home", "Top", show=False),
    Binding("G", "scroll_end", "Bottom", show=False),
    Binding("space", "page_down", "Page down", show=False),
    Binding("b", "page_up", "Page up", show=False),
    Binding("ctrl+d", "half_page_down", "Half a page down", show=False),
    Binding("ctrl+u", "half_page_up", "Half a page up", show=False),
]

# For the help screen (actions.NAVIGATION), named as typed.
HELP = (
    ("j / k", "Down / up a line (code)"),
    ("g / G", "Top / bottom of the file"),
    ("space / b", "Page down / up"),
    ("ctrl+d / ctrl+u", "Half a page down / up"),
    ("← / →", "Half a screen left / right (long lines)"),
)


class ReadingKeys:
    """Mixed into CodeView (a ScrollView)."""

    def _half(self, width: int) -> int:
        return max(1, width // 2)

    # Textual's actions of the same names, without the animator (see the docstring).

    def action_scroll_down(self) -> None:
        self._move_y(1)

    def action_scroll_up(self) -> None:
        self._move_y(-1)

    def action_page_down(self) -> None:
        self._move_y(self.scrollable_content_region.height)  # type: ignore[attr-defined]

    def action_page_up(self) -> None:
        self._move_y(-self.scrollable_content_region.height)  # type: ignore[attr-defined]

    def action_scroll_home(self) -> None:
        at_top = self.scroll_y == 0  # type: ignore[attr-defined]
        self._jump(0 if at_top else None, 0)  # at the top already: the first column too

    def action_scroll_end(self) -> None:
        self._jump(None, self.max_scroll_y)  # type: ignore[attr-defined]

    def _move_y(self, lines: int) -> None:
        if not self.allow_vertical_scroll:  # type: ignore[attr-defined]
            raise SkipAction()
        self.scroll_relative(y=lines, animate=False)  # type: ignore[attr-defined]

    def _jump(self, x: int | None, y: int) -> None:
        if not self.allow_vertical_scroll:  # type: ignore[attr-defined]
            raise SkipAction()
        self.scroll_to(x, y, animate=False)  # type: ignore[attr-defined]

    def action_half_page_down(self) -> None:
        height = self.scrollable_content_region.height  # type: ignore[attr-defined]
        self.scroll_relative(y=self._half(height), animate=False)  # type: ignore[attr-defined]

    def action_half_page_up(self) -> None:
        height = self.scrollable_content_region.height  # type: ignore[attr-defined]
        self.scroll_relative(y=-self._half(height), animate=False)  # type: ignore[attr-defined]

    def action_scroll_right(self) -> None:
        self.scroll_relative(x=self._half(self._code_width()), animate=False)  # type: ignore[attr-defined]

    def action_scroll_left(self) -> None:
        self.scroll_relative(x=-self._half(self._code_width()), animate=False)  # type: ignore[attr-defined]

    def _code_width(self) -> int:
        width = self.scrollable_content_region.width  # type: ignore[attr-defined]
        return max(2, width - self.gutter_width)  # type: ignore[attr-defined]
