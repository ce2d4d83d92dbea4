"""The file tree, drawn from the snapshot (never the filesystem), loaded lazily
so a kernel-sized tree opens at once. Names are sanitized; labels are `Text`,
so no name is ever parsed as markup. A directory's names are shown only after
the service has recorded the listing (`tree_list`) and answered with them, each
time it is expanded, and again each time the tree is shown again after a lock
(`relist`): the terminal holds no other names."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..sanitize import clean, decode
from ..session.source import Entry


def label(entry: Entry) -> Text:
    name = clean(decode(entry.name))
    if entry.is_dir:
        return Text(name + "/", style="bold")
    if entry.kind == "link":
        return Text(name + " ⟶", style="italic")
    if entry.kind == "skipped":
        return Text(name + " (skipped)", style="dim")
    return Text(name)


# directory -> its entries once `tree_list` is recorded, or None: list nothing
Lister = Callable[[bytes], list[Entry] | None]


class FileTree(Tree[Entry]):
    DEFAULT_CSS = "FileTree { width: 36; border-right: solid $panel; }"

    def __init__(
        self, root_name: str, lister: Lister, failed: Callable[[], None], *, id: str | None = None
    ) -> None:
        root = Entry(b"", b"", True, "dir")
        super().__init__(Text(clean(root_name), style="bold"), data=root, id=id)
        self._lister = lister
        self._failed = failed
        self._loaded: set[bytes] = set()
        self.show_root = True

    def on_mount(self) -> None:
        if self._listed(self.root):
            self.root.expand()

    def _toggle_node(self, node: TreeNode[Entry]) -> None:
        # Every way to expand (Enter, space, a click) comes here: record, then show.
        if node.allow_expand and not node.is_expanded and not self._listed(node):
            return
        super()._toggle_node(node)

    def _listed(self, node: TreeNode[Entry]) -> bool:
        """Load `node`'s children if need be and record their listing; False (and
        nothing added) when it could not be recorded."""
        entry = node.data
        if entry is None:
            return False
        children = self._lister(entry.path)  # recorded each time it is listed
        if children is None:
            self._failed()
            return False
        if entry.path not in self._loaded:
            self._loaded.add(entry.path)
            for child in children:
                if child.is_dir:
                    node.add(label(child), data=child)
                else:
                    node.add_leaf(label(child), data=child)
        return True

    def relist(self) -> bool:
        """The tree is shown again (a lock came off): record the listing of each
        expanded directory again, top down, before it is drawn. A directory whose
        listing cannot be recorded is collapsed, and so is every one after it, so no
        name is shown unrecorded. True when every listing was recorded."""
        recorded = True

        def walk(node: TreeNode[Entry]) -> None:
            nonlocal recorded
            if not node.is_expanded or node.data is None:
                return
            if recorded and self._lister(node.data.path) is not None:
                for child in node.children:
                    walk(child)
                return
            recorded = False
            node.collapse()

        walk(self.root)
        return recorded
