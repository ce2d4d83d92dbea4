"""The file tree, drawn from the snapshot (never the filesystem), loaded lazily
so a kernel-sized tree opens at once. Names are sanitized; labels are `Text`,
so no name is ever parsed as markup."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..sanitize import clean, decode
from ..session.source import Entry, Source


def label(entry: Entry) -> Text:
    name = clean(decode(entry.name))
    if entry.is_dir:
        return Text(name + "/", style="bold")
    if entry.kind == "link":
        return Text(name + " ⟶", style="italic")
    if entry.kind == "skipped":
        return Text(name + " (skipped)", style="dim")
    return Text(name)


class FileTree(Tree[Entry]):
    DEFAULT_CSS = "FileTree { width: 36; border-right: solid $panel; }"

    def __init__(self, source: Source, *, id: str | None = None) -> None:
        root = Entry(b"", b"", True, "dir")
        super().__init__(Text(clean(source.name), style="bold"), data=root, id=id)
        self.source = source
        self._loaded: set[bytes] = set()
        self.show_root = True

    def on_mount(self) -> None:
        self._load(self.root)
        self.root.expand()

    def _load(self, node: TreeNode[Entry]) -> None:
        entry = node.data
        if entry is None or entry.path in self._loaded:
            return
        self._loaded.add(entry.path)
        for child in self.source.children(entry.path):
            if child.is_dir:
                node.add(label(child), data=child)
            else:
                node.add_leaf(label(child), data=child)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        self._load(event.node)
