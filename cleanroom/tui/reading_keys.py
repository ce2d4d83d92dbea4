"""The code view's keys in the habits of less and vim (issue 15): j/k, g/G,
space/b, ctrl+d/ctrl+u, and horizontal steps of half a screen.

Each key only moves the viewport; what comes into view is recorded before it is
drawn, like any other scroll (the code view's gate).
"""

from __future__ import annotations

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
