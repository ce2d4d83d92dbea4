"""The whole snapshot as a tree of directories and files, with what was seen of each.

Each file carries its line count from the snapshot and the lines of that exact
content (path and blob) that verified sessions had on screen; each directory the
sums of what it holds. A file's lines are its lines on screen (`shown_lines`):
an empty file is one empty line and a binary file its hex rows, as in coverage
and the summary's totals, so a view of it is counted alike everywhere. A file's
weight (its area in the treemap) is its lines, so an empty or binary file is
still a tile. `never_opened` lists what nobody opened, folding a directory
nobody opened anything in into
one line instead of its thousands of files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from .coverage import FileCoverage, FileKey
from .shownlines import shown_lines


@dataclass(eq=False, slots=True)
class MapNode:
    name: bytes
    path: bytes  # b"" for the root
    is_dir: bool
    lines: int = 0
    seen: int = 0  # lines on screen at least once
    on_screen_us: int = 0  # time any of its lines was on screen (summed over files)
    files: int = 0
    files_seen: int = 0
    weight: int = 0
    children: list[MapNode] = field(default_factory=list)

    @property
    def share(self) -> float:
        """The fraction of its lines seen, 0..1 (0 for an empty directory)."""
        if self.lines <= 0:
            return 0.0
        return min(1.0, self.seen / self.lines)


def snapshot_map(
    rows: Iterable[tuple[bytes, bytes, int, bool, int]], seen: Mapping[FileKey, FileCoverage]
) -> MapNode:
    """The tree of `rows` (path, blob, lines, binary, size; from `Snapshot.file_lines`),
    with the coverage in `seen` (keyed by path and blob hex) of each file."""
    root = MapNode(b"", b"", True)
    dirs: dict[bytes, MapNode] = {b"": root}
    for path, blob, lines, binary, size in rows:
        where, _, name = path.rpartition(b"/")
        parent = dirs.get(where) or _directory(dirs, where)
        cov = seen.get((path, blob.hex())) if seen else None
        lines = shown_lines(lines, binary, size)  # a binary file: its hex rows
        node = MapNode(name, path, False, lines, files=1, weight=lines)
        if cov is not None:
            node.seen = min(lines, cov.lines_seen)
            node.on_screen_us = cov.on_screen_us
            node.files_seen = 1
        parent.children.append(node)
    _total(root)
    return root


def _directory(dirs: dict[bytes, MapNode], path: bytes) -> MapNode:
    """The directory at `path`, made with any missing parents (no recursion: a
    hostile tree may be thousands of levels deep)."""
    missing = []
    while path not in dirs:
        missing.append(path)
        path = path.rpartition(b"/")[0]
    node = dirs[path]
    for p in reversed(missing):
        child = MapNode(p.rpartition(b"/")[2], p, True)
        node.children.append(child)
        dirs[p] = node = child
    return node


def _total(root: MapNode) -> None:
    """Fill each directory's sums, bottom up, without recursion (deep trees)."""
    order: list[MapNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(k for k in node.children if k.is_dir)
    for node in reversed(order):
        node.lines = node.seen = node.on_screen_us = node.files = node.files_seen = 0
        node.weight = 0
        for k in node.children:
            node.lines += k.lines
            node.seen += k.seen
            node.on_screen_us += k.on_screen_us
            node.files += k.files
            node.files_seen += k.files_seen
            node.weight += k.weight


@dataclass(frozen=True, slots=True)
class Unopened:
    """In directory `path`: `names` of files nobody opened, or, when `whole`, the
    directory itself, none of whose `files` files was opened."""

    path: bytes
    whole: bool
    names: list[bytes]
    files: int
    lines: int


def never_opened(root: MapNode) -> Iterator[Unopened]:
    """What nobody opened, directory by directory in path order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.files_seen == 0 and node.files and node is not root:
            yield Unopened(node.path, True, [], node.files, node.lines)
            continue
        loose = [k for k in node.children if not k.is_dir and not k.files_seen]
        if loose:
            lines = sum(k.lines for k in loose)
            yield Unopened(node.path, False, [k.name for k in loose], len(loose), lines)
        stack.extend(sorted((k for k in node.children if k.is_dir), key=_key, reverse=True))


def _key(node: MapNode) -> bytes:
    return node.name
