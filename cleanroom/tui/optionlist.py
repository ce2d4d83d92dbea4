"""An OptionList whose page keys wait for its layout.

textual's OptionList pages by the line each option was laid out on; between
replacing its options and the next layout that map is empty, and page up or down
raised KeyError, which stopped the reviewer terminal (seen in the random-key soak,
in quick open under load). Here a page key in that moment does nothing.
"""

from __future__ import annotations

from textual.widgets import OptionList


class SteadyOptionList(OptionList):
    def _move_page(self, direction: int) -> None:  # type: ignore[override]
        lines = getattr(self, "_index_to_line", None)
        if lines is not None and (self.highlighted or 0) not in lines:
            return  # not laid out yet: the next key finds it laid out
        super()._move_page(direction)  # type: ignore[arg-type]
