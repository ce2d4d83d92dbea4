"""The files table against the signed root: the cheap half of `verify` that open affords.

Every row is framed as its Merkle leaf (docs/snapshot-format.md §4.1) and the
root recomputed (§4.2). About 0.3 s for the 84,000 rows of the Linux snapshot.
It does not read any content: a changed blob keeps its row, and is caught when
it is opened (`content.py`). The stored `display`, which the leaf leaves out
because it is derived, is neither read nor checked here: readers derive a
path's display form from the signed path when they show it (`walk.display_path`),
so a tree of hostile names costs the sanitizer only for the names shown, not
every name at every open (issue 14, ADR 0305). `verify_snapshot` still checks
every stored `display`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from .leaf import LeafError, leaf_data
from .manifest import Manifest
from .merkle import leaf_hash, root

_ROWS = "SELECT path, kind, mode, size, blob, target, reason FROM files ORDER BY path"


class _Unframed(Exception):
    pass


def rows_problem(conn: sqlite3.Connection, manifest: Manifest) -> str | None:
    """Why the files table is not the one the vendor signed, or None. Raises
    sqlite3.DatabaseError if the table cannot be read."""
    count = 0

    def leaves() -> Iterator[bytes]:
        nonlocal count
        prev: bytes | None = None
        for path, kind, mode, size, blob, target, reason in conn.execute(_ROWS):
            if not isinstance(path, bytes) or (prev is not None and path <= prev):
                raise _Unframed("the files table is not in strictly increasing path order")
            try:
                yield leaf_hash(leaf_data(path, kind, mode, size, blob, target, reason))
            except LeafError as exc:
                raise _Unframed(f"a files row cannot be framed as a leaf: {exc}") from exc
            prev = path
            count += 1

    try:
        actual = root(leaves()).hex()
    except _Unframed as exc:
        return str(exc)
    if count != manifest.entries:
        return f"the files table has {count} entries, the vendor signed {manifest.entries}"
    if actual != manifest.root:
        return f"the files table has Merkle root {actual}, the vendor signed {manifest.root}"
    return None
