"""Hide, show and resize the file tree (issue 15): `t`, `<` and `>`; and `R`
reveals the open file in it (each directory listed on the way is recorded).

Nothing here is recorded by itself: the code view changes width, and its new
viewport (more or fewer columns) is recorded before it is drawn, as any other
(the code view's gate). The tree shows only names already recorded."""

from __future__ import annotations

from .codeview import CodeView
from .filetree import FileTree

STEP = 4  # columns per < or >
NARROWEST, WIDEST = 16, 80


class TreeKeys:
    """Mixed into `ReviewApp`."""

    def action_toggle_tree(self) -> None:
        tree = self.query_one(FileTree)  # type: ignore[attr-defined]
        tree.display = not tree.display
        if not tree.display:
            self.query_one(CodeView).focus()  # type: ignore[attr-defined]

    def action_reveal_file(self) -> None:
        opened = self.opened  # type: ignore[attr-defined]
        if opened is None:
            return
        tree = self.query_one(FileTree)  # type: ignore[attr-defined]
        tree.display = True
        tree.reveal(opened.path)
        tree.focus()

    def action_widen_tree(self) -> None:
        self._tree_width(+STEP)

    def action_narrow_tree(self) -> None:
        self._tree_width(-STEP)

    def _tree_width(self, step: int) -> None:
        tree = self.query_one(FileTree)  # type: ignore[attr-defined]
        tree.display = True
        width = tree.styles.width
        now = int(width.value) if width is not None else tree.size.width
        tree.styles.width = max(NARROWEST, min(WIDEST, now + step))
