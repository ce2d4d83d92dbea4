"""The jump list behind back / forward (issue 15): positions (a file and the top
line on screen) left by a jump, as vim keeps them. Plain data: moving back or
forward is a normal navigation, recorded as any other (`goto`, `file_open`,
then `view`)."""

from __future__ import annotations

Position = tuple[bytes, int]  # path, 1-based top line

MAX_POSITIONS = 100


class JumpList:
    def __init__(self) -> None:
        self._back: list[Position] = []
        self._forward: list[Position] = []

    def left(self, here: Position) -> None:
        """A jump is leaving `here`: it is where back goes, and forward is cleared."""
        if not self._back or self._back[-1] != here:
            self._back.append(here)
            del self._back[:-MAX_POSITIONS]
        self._forward.clear()

    def back(self, here: Position | None) -> Position | None:
        """Where back goes from `here`, or None; `here` becomes forward's."""
        if not self._back:
            return None
        if here is not None:
            self._forward.append(here)
        return self._back.pop()

    def forward(self, here: Position | None) -> Position | None:
        if not self._forward:
            return None
        if here is not None:
            self._back.append(here)
        return self._forward.pop()
