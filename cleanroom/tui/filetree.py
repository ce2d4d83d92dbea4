"""The file tree, drawn from the snapshot (never the filesystem), loaded lazily
so a kernel-sized tree opens at once. Names are sanitized; labels are `Text`,
so no name is ever parsed as markup. A directory's names are shown only after
the service has recorded the listing (`tree_list`) and answered with them, each
time it is expanded, and again each time the tree is shown again after a lock
(`relist`): the terminal holds no other names.

A directory is listed a page at a time (at most `PAGE_NAMES` names, each page
its own `tree_list`); a "… N more" row under its last name asks for the next
page when chosen. Expanding a directory and choosing a "more" row ask the
service from a thread worker, so a directory of 100,000 names, or a slow
recorder, never holds the event loop: keys, the guard's alerts and the idle lock
go on being handled while it is listed (docs/adr/0400-open-files-off-the-ui-thread.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..sanitize import clean, decode, sanitize
from ..session.display import cell_len
from ..session.service import PAGE_NAMES, Page
from ..session.source import Entry
from .ellipsis import fit

MORE = "more"  # the kind of a "… N more" row's entry: its `path` is the directory's


def label(entry: Entry, width: int | None = None) -> Text:
    """The row of `entry`: its sanitized name and what it is; within `width`
    cells when given, the name cut with `…` (tui/ellipsis.py), its kind kept."""
    if entry.is_dir:
        suffix, style = "/", "bold"
    elif entry.kind == "link":
        suffix, style = " ⟶", "italic"
    elif entry.kind == "skipped":
        suffix, style = " (skipped)", "dim"
    else:
        suffix, style = "", ""
    if width is None:
        name = clean(decode(entry.name))
    else:
        name = fit(sanitize(decode(entry.name)), width - cell_len(suffix))
    return Text(name + suffix, style=style)


def more_label(left: int) -> Text:
    return Text(f"… {left:,} more", style="dim italic")


# (directory, start, limit) -> that page once its `tree_list` is recorded, or None:
# list nothing. Raises IndexError when start is past the listing's end.
Lister = Callable[[bytes, int, int], Page | None]


@dataclass
class Listed:
    """What the tree shows of one directory: the pages it asked for, by start."""

    starts: list[int] = field(default_factory=list)
    after: int = 0  # the position of the first name not shown
    total: int = 0


class FileTree(Tree[Entry]):
    DEFAULT_CSS = "FileTree { width: 36; border-right: solid $panel; }"

    def __init__(
        self,
        root_name: str,
        lister: Lister,
        failed: Callable[[], None],
        *,
        id: str | None = None,
        shown: Callable[[], None] | None = None,
    ) -> None:
        root = Entry(b"", b"", True, "dir")
        super().__init__(Text(clean(root_name), style="bold"), data=root, id=id)
        self._lister = lister
        self._failed = failed
        self._shown = shown  # a page was recorded and drawn (the status bar counts entries)
        self._listed: dict[bytes, Listed] = {}
        self._busy: set[tuple[bytes, int]] = set()  # pages being asked for
        self._revealing: bytes | None = None  # the file `reveal` is opening the way to
        self.show_root = True

    def on_mount(self) -> None:
        self._expand(self.root)

    def render_label(self, node: TreeNode[Entry], base_style: Style, style: Style) -> Text:
        """A name too long for the tree's width ends in `…` (cut after sanitizing,
        never inside a tag); the full name is what the ledger's `tree_list` holds."""
        entry, room = node.data, self._room(node)
        if node.is_root or entry is None or entry.kind == MORE or node._label.cell_len <= room:
            return super().render_label(node, base_style, style)
        whole, node._label = node._label, label(entry, room)
        try:
            return super().render_label(node, base_style, style)
        finally:
            node._label = whole

    def _room(self, node: TreeNode[Entry]) -> int:
        """Cells left for `node`'s name: the width, less its guides and its icon."""
        depth, up = 0, node.parent
        while up is not None:
            depth, up = depth + 1, up.parent
        icon = 2 if node.allow_expand else 0
        return max(1, self.scrollable_content_region.width - depth * self.guide_depth - icon)

    def _toggle_node(self, node: TreeNode[Entry]) -> None:
        # Every way to expand (Enter, space, a click) comes here: record, then show.
        if node.allow_expand and not node.is_expanded:
            self._expand(node)
            return
        super()._toggle_node(node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Entry]) -> None:
        entry = event.node.data
        if entry is not None and entry.kind == MORE:
            event.stop()  # not a file to open
            self._more(event.node)

    @property
    def listing(self) -> bool:
        """True while a page is being asked for."""
        return bool(self._busy)

    # -- asking, in a worker ----------------------------------------------------

    def _expand(self, node: TreeNode[Entry]) -> None:
        """Record the directory's listing (its first page, or the pages it shows
        already) off the event loop, then expand it."""
        entry = node.data
        if entry is None:
            return
        shown = self._listed.get(entry.path)
        starts = [0] if shown is None else list(shown.starts)
        self._ask(node, entry.path, starts, fresh=shown is None)

    def _more(self, row: TreeNode[Entry]) -> None:
        entry, parent = row.data, row.parent
        if entry is None or parent is None:
            return
        row.set_label(Text("… listing", style="dim italic"))
        self._ask(parent, entry.path, [entry.size], fresh=True, row=row)

    def _ask(self, node: TreeNode[Entry], path: bytes, starts: list[int], fresh: bool,
             row: TreeNode[Entry] | None = None) -> None:  # fmt: skip
        key = (path, starts[0])
        if key in self._busy:
            return
        self._busy.add(key)

        def fetch() -> None:  # in a worker thread: the service may take its time
            pages: list[Page] = []
            for start in starts:
                try:
                    page = self._lister(path, start, PAGE_NAMES)
                except IndexError:
                    page = None
                if page is None:
                    self.app.call_from_thread(self._not_listed, key, row)
                    return
                pages.append(page)
            self.app.call_from_thread(self._show, node, key, pages, fresh, row)

        self.run_worker(fetch, thread=True, group="tree", exit_on_error=False)

    # -- showing, on the event loop ---------------------------------------------

    def _not_listed(self, key: tuple[bytes, int], row: TreeNode[Entry] | None) -> None:
        self._busy.discard(key)
        listed = self._listed.get(key[0])
        if row is not None and listed is not None:  # the names stay unshown; ask again later
            row.set_label(more_label(listed.total - listed.after))
        self._failed()

    def _show(self, node: TreeNode[Entry], key: tuple[bytes, int], pages: list[Page],
              fresh: bool, row: TreeNode[Entry] | None) -> None:  # fmt: skip
        """The pages are recorded: add their names (a fresh page) and expand."""
        self._busy.discard(key)
        if not self.is_mounted:
            return
        entry = node.data
        assert entry is not None
        if fresh:
            if row is not None:
                row.remove()
            page = pages[0]
            listed = self._listed.setdefault(entry.path, Listed())
            listed.starts.append(page.start)
            listed.after, listed.total = page.after, page.total
            for child in page.entries:
                if child.is_dir:
                    node.add(label(child), data=child)
                else:
                    node.add_leaf(label(child), data=child)
            if page.after < page.total:
                more = Entry(entry.path, b"", False, MORE, page.after)
                node.add_leaf(more_label(page.total - page.after), data=more)
        if not node.is_expanded:
            node.expand()
        if self._shown is not None:
            self._shown()
        if self._revealing is not None:
            self.call_after_refresh(self._reveal_step)

    # -- reveal -----------------------------------------------------------------

    def reveal(self, path: bytes) -> None:
        """Expand the directories down to file `path` and put the cursor on it. Each
        directory listed on the way is recorded first (`tree_list`), page by page
        until the name is listed, as if the reviewer had opened them."""
        self._revealing = path
        self._reveal_step()

    def _reveal_step(self) -> None:
        target = self._revealing
        if target is None or self._busy:
            return
        node = self.root
        parts = target.split(b"/")
        for depth in range(1, len(parts) + 1):
            want = b"/".join(parts[:depth])
            child = next((c for c in node.children if c.data is not None
                          and c.data.kind != MORE and c.data.path == want), None)  # fmt: skip
            if child is None:
                more = next((c for c in node.children if c.data is not None
                             and c.data.kind == MORE), None)  # fmt: skip
                if more is None:
                    self._revealing = None  # not in the listing: nothing more to ask
                else:
                    self._more(more)
                return
            if depth == len(parts):
                self._revealing = None
                self.move_cursor(child)
                return
            if not child.is_expanded:
                self._expand(child)
                return
            node = child

    def relist(self) -> bool:
        """The tree is shown again (a lock came off): record each page of each
        expanded directory again, top down, before it is drawn. A directory whose
        listing cannot be recorded is collapsed, and so is every one after it, so no
        name is shown unrecorded. True when every listing was recorded."""
        recorded = True

        def again(path: bytes) -> bool:
            listed = self._listed.get(path)
            for start in listed.starts if listed is not None else [0]:
                try:
                    if self._lister(path, start, PAGE_NAMES) is None:
                        return False
                except IndexError:
                    return False
            return True

        def walk(node: TreeNode[Entry]) -> None:
            nonlocal recorded
            if not node.is_expanded or node.data is None:
                return
            if recorded and again(node.data.path):
                for child in node.children:
                    walk(child)
                return
            recorded = False
            node.collapse()

        walk(self.root)
        return recorded
