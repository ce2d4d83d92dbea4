"""Naming the entries behind a snapshot's root mismatch (ADR 0102).

The signed Merkle root says only that the files table differs from what the
vendor signed. Two things can say which entries: a walk of the source tree,
compared entry by entry with the table (`walk_source`, `SourceTree.compare`);
and, with one row more than signed, the one row whose removal gives the signed
root (`leaf_whose_removal_gives`). `verify` turns both into findings.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .leaf import LEAF_COLUMNS, row_leaf_hash
from .merkle import empty_root, node_hash, root
from .walk import display_path, walk


class Change(StrEnum):
    """How an entry of the snapshot's files table differs from the source tree's."""

    ADDED = "added"  # in the snapshot only
    REMOVED = "removed"  # in the source only
    CHANGED = "changed"  # in both, with different fields


@dataclass(frozen=True)
class Difference:
    path: bytes
    change: Change
    detail: str  # which fields differ, in words

    def to_json(self) -> dict[str, Any]:
        return {"path": display_path(self.path), "path_hex": self.path.hex(),
                "change": self.change.value, "detail": self.detail}  # fmt: skip


@dataclass
class SourceComparison:
    """The snapshot's files table against a walk of the source tree."""

    path: str
    entries: int
    root: str  # the Merkle root of the walked tree
    signed_tree: bool  # `root` is the root a trusted vendor key signed
    counts: Counter[str] = field(default_factory=Counter)  # every difference, by change
    differences: list[Difference] = field(default_factory=list)  # the first PER_CODE of each

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "entries": self.entries,
            "root": self.root,
            "signed_tree": self.signed_tree,
            "counts": {c.value: self.counts[c] for c in Change},
            "differences": [d.to_json() for d in self.differences],
        }


def leaf_whose_removal_gives(leaves: list[bytes], signed: bytes) -> int | None:
    """The index i such that MTH(leaves without leaf i) == `signed`, or None.

    Each candidate costs O(log n) hashes, not O(n): the tree over n - 1 leaves
    differs from the candidate's point on only along one path; every other node
    covers a run of leaves that are all before it or all after it (shifted by
    one), and those runs' hashes are cached."""
    cache: dict[tuple[int, int], bytes] = {}

    def mth(lo: int, hi: int) -> bytes:  # of leaves[lo:hi], as merkle.root computes it
        if hi - lo == 1:
            return leaves[lo]
        h = cache.get((lo, hi))
        if h is None:
            k = _split(hi - lo)
            h = cache[lo, hi] = node_hash(mth(lo, lo + k), mth(lo + k, hi))
        return h

    def without(lo: int, hi: int, skip: int) -> bytes:  # of [lo, hi) once skip is gone
        if hi <= skip:
            return mth(lo, hi)
        if lo >= skip:
            return mth(lo + 1, hi + 1)
        k = _split(hi - lo)
        return node_hash(without(lo, lo + k, skip), without(lo + k, hi, skip))

    size = len(leaves) - 1
    for skip in range(len(leaves)):
        if (without(0, size, skip) if size else empty_root()) == signed:
            return skip
    return None


def _split(n: int) -> int:
    """The largest power of two below n >= 2: where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


Fields = tuple[bytes, int, int, bytes | None, bytes | None, bytes | None]  # a leaf's, but path
FIELD_NAMES = ("kind", "mode", "size", "content", "target", "reason")


@dataclass
class SourceTree:
    """A walk of the source tree: every entry's leaf fields, and the walk's root."""

    path: str
    entries: dict[bytes, Fields]  # path -> (kind, mode, size, blob, target, reason)
    root: bytes

    def compare(
        self, conn: sqlite3.Connection, signed_root: str | None, keep: int
    ) -> tuple[SourceComparison, list[Difference]]:
        """The files table against this walk: the comparison (keeping the first `keep`
        differences of each change) and every difference. `signed_root` is the root
        a trusted vendor key signed, if any."""
        diffs = differences(conn, self.entries)
        c = SourceComparison(self.path, len(self.entries), self.root.hex(),
                             self.root.hex() == signed_root)  # fmt: skip
        for d in diffs:
            c.counts[d.change] += 1
            if c.counts[d.change] <= keep:
                c.differences.append(d)
        return c, diffs


def walk_source(source: str | Path, max_file_size: int) -> SourceTree:
    """Walk `source` exactly as `create` does (raw names, links not followed, nothing but
    regular files opened) and keep each entry's leaf fields; raises WalkError."""
    entries: dict[bytes, Fields] = {}
    leaves = []
    for e in walk(source, max_file_size):
        blob = None if e.data is None else hashlib.sha256(e.data).digest()  # as blobs.facts
        reason = None if e.reason is None else e.reason.encode()
        fields = (e.kind.value.encode(), e.mode, e.size, blob, e.target, reason)
        leaves.append(row_leaf_hash((e.path, *fields)))
        entries[e.path] = fields
    return SourceTree(str(source), entries, root(leaves))


def differences(conn: sqlite3.Connection, source: dict[bytes, Fields]) -> list[Difference]:
    """Every path where the files table and the walk disagree, in path byte order. The
    table is read by key, not trusted to be in order (a damaged one may not be)."""
    unmatched = dict(source)
    added: list[tuple[bytes, tuple]] = []
    out = []
    for path, *fields in conn.execute(f"SELECT {LEAF_COLUMNS} FROM files"):  # noqa: S608
        if not isinstance(path, bytes):
            continue  # a ROW finding already
        theirs = unmatched.pop(path, None)
        if theirs is None:
            added.append((path, tuple(fields)))
        elif tuple(fields) != theirs:
            out.append(Difference(path, Change.CHANGED, _changed(tuple(fields), theirs)))
    removed: dict[tuple, list[bytes]] = {}  # a file or link by its fields: a rename's origin
    for path, fields in unmatched.items():
        out.append(Difference(path, Change.REMOVED, "only in the source"))
        if fields[0] in (b"file", b"link"):
            removed.setdefault(fields, []).append(path)
    for path, fields in added:
        detail = "only in the snapshot"
        if twins := removed.get(fields):
            kind = _show("kind", fields[0])
            detail += (
                f"; the same {kind} as {display_path(twins[0])}, only in the source (renamed?)"
            )
        out.append(Difference(path, Change.ADDED, detail))
    return sorted(out, key=lambda d: d.path)


def _changed(ours: tuple, theirs: Fields) -> str:
    return "; ".join(
        f"{name} {_show(name, a)} in the snapshot, {_show(name, b)} in the source"
        for name, a, b in zip(FIELD_NAMES, ours, theirs, strict=True)
        if a != b
    )


def _show(name: str, value: object) -> str:
    """A field's value in words, sanitized: kinds, targets and reasons may hold any bytes."""
    if value is None:
        return "none"
    if name == "mode" and isinstance(value, int):
        return oct(value)
    if name == "content" and isinstance(value, bytes):
        return value.hex()[:16]
    if isinstance(value, bytes):
        return display_path(value)
    return display_path(repr(value).encode())
