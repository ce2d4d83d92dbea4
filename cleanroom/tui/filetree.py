"""The file tree, drawn from the snapshot (never the filesystem), loaded lazily
so a kernel-sized tree opens at once. Names are sanitized; labels are `Text`,
so no name is ever parsed as markup. A directory's names are shown only after
the gate has recorded the listing (`tree_list`), each time it is expanded.

Expanding never blocks the event loop for long (the guard's drain and the idle
lock run on it): a directory is listed at once only if it has at most `PAGE`
entries; a bigger one is listed in a worker thread (its label says "listing…"
meanwhile, and nothing of it is shown), and then shown `PAGE` names at a time,
with a last row "… N more" that shows the next `PAGE` when selected. Each
`tree_list` entry counts the names it shows (ADR 0400, "Big directories").
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..sanitize import clean, decode
from ..session.source import Entry, Source

PAGE = 500  # names shown per step; listing and drawing this many takes a few ms
MORE = "more"  # the kind of the "… N more" row's entry


def label(entry: Entry) -> Text:
    name = clean(decode(entry.name))
    if entry.is_dir:
        return Text(name + "/", style="bold")
    if entry.kind == "link":
        return Text(name + " ⟶", style="italic")
    if entry.kind == "skipped":
        return Text(name + " (skipped)", style="dim")
    return Text(name)


def more_label(hidden: int) -> Text:
    return Text(f"… {hidden} more (Enter lists {min(hidden, PAGE)})", style="dim italic")


TreeGate = Callable[[bytes, int], bool]  # (directory, how many names shown) -> recorded?


class FileTree(Tree[Entry]):
    DEFAULT_CSS = "FileTree { width: 36; border-right: solid $panel; }"

    def __init__(self, source: Source, gate: TreeGate, *, id: str | None = None) -> None:
        root = Entry(b"", b"", True, "dir")
        super().__init__(Text(clean(source.name), style="bold"), data=root, id=id)
        self.source = source
        self._gate = gate
        self._listings: dict[bytes, list[Entry]] = {}  # each directory's entries, once read
        self._listing: set[bytes] = set()  # directories a worker is listing
        self._labels: dict[bytes, Text] = {}  # their labels, without "listing…"
        self.show_root = True

    def on_mount(self) -> None:
        self._expand(self.root)

    def _toggle_node(self, node: TreeNode[Entry]) -> None:
        # Every way to expand (Enter, space, a click) comes here: record, then show.
        if node.allow_expand and not node.is_expanded:
            self._expand(node)
            return
        super()._toggle_node(node)

    def shown(self, node: TreeNode[Entry]) -> int:
        """How many names `node`'s children show (the "… N more" row is not a name)."""
        return sum(1 for c in node.children if c.data is None or c.data.kind != MORE)

    def _expand(self, node: TreeNode[Entry]) -> None:
        """List `node` (at once, or from a worker if it is big), record, then expand."""
        entry = node.data
        if entry is None or entry.path in self._listing:
            return
        if entry.path not in self._listings:
            first = self.source.children(entry.path, limit=PAGE + 1)
            if len(first) > PAGE:  # big: list it all off the UI thread
                self._listing.add(entry.path)
                self._labels[entry.path] = node.label
                node.set_label(node.label.copy().append(" listing…", style="dim italic"))
                self._list_in_thread(node, entry.path)
                return
            self._listings[entry.path] = first
        self._show(node)

    @work(thread=True, group="tree_list")
    def _list_in_thread(self, node: TreeNode[Entry], path: bytes) -> None:
        try:
            children = self.source.children(path)
        except Exception as exc:  # noqa: BLE001 - a damaged snapshot: say so, show nothing
            self.app.call_from_thread(self._not_listed, node, path, type(exc).__name__)
            return
        self.app.call_from_thread(self._listed_in_thread, node, path, children)

    def _listed_in_thread(self, node: TreeNode[Entry], path: bytes, children: list[Entry]) -> None:
        self._listing.discard(path)
        self._listings[path] = children
        node.set_label(self._labels.pop(path))
        self._show(node)

    def _not_listed(self, node: TreeNode[Entry], path: bytes, why: str) -> None:
        self._listing.discard(path)
        node.set_label(self._labels.pop(path))
        self.notify(f"The directory cannot be listed ({why})", severity="error", markup=False)

    def _show(self, node: TreeNode[Entry]) -> None:
        """Record and show `node`'s names: those shown before, or the first page."""
        entry = node.data
        assert entry is not None
        if node.children:  # listed before: the same names again
            if self._gate(entry.path, self.shown(node)):
                node.expand()
            return
        if self._add_page(node):
            node.expand()

    def _add_page(self, node: TreeNode[Entry]) -> bool:
        """Record, then add the next `PAGE` names of `node` and a "… N more" row if
        some are left; False (and nothing added) when it could not be recorded."""
        entry = node.data
        assert entry is not None
        children = self._listings[entry.path]
        start = self.shown(node)
        page = children[start : start + PAGE]
        if not self._gate(entry.path, len(page)):
            return False
        for child in page:
            if child.is_dir:
                node.add(label(child), data=child)
            else:
                node.add_leaf(label(child), data=child)
        hidden = len(children) - start - len(page)
        if hidden:
            node.add_leaf(more_label(hidden), data=Entry(entry.path, b"", False, MORE))
        return True

    def on_tree_node_selected(self, event: Tree.NodeSelected[Entry]) -> None:
        node = event.node
        if node.data is None or node.data.kind != MORE or node.parent is None:
            return
        event.stop()
        parent = node.parent
        node.remove()
        if not self._add_page(parent):
            parent.add_leaf(more_label(len(self._listings[parent.data.path]) - self.shown(parent)),
                            data=node.data)  # fmt: skip
