"""Check a snapshot's symbol index against the vendor's signature once per snapshot file.

Proving the symbols table is the signed one means reading every row (41-48 s
for the Linux snapshot's 7 million in format v1, ADR 0125; 29 s of CPU for v2's
names and rows, ADR 0126); done at the first symbol answer of every session, the
reviewer waited that long for it. It is done instead
where the search index is checked (`index_check`, docs/adr/0104), before the
session starts, and remembered the same way: a record in
`<ledger dir>/.snapshot-checks/<snapshot id>.symbols.json` (a directory only the
recording user may write) holding the snapshot id, the signed digest and row
count, and the file's identity and change times. Any write to the file changes
its ctime, so a file changed since the record is checked again; a record that
is not a private regular file is ignored. A table that is not the signed one
refuses the snapshot, as a changed search index does (fail closed).

The snapshot's `symbols_verified` is set once the table is proved, here or by
`SymbolIndex.check`; `session.symbols` answers nothing before it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..snapshot.store import Snapshot
from .index_check import check_once

FORMAT = "cleanroom.symbols-check.v1"


def ensure_symbols_checked(
    snapshot: Snapshot,
    before: dict[str, int],
    ledger_dir: Path,
    say: Callable[[str], None] = lambda _: None,
) -> bool:
    """Make sure the symbols table of `snapshot` (whose file had `identity` `before`
    when it was opened) is the signed one, and mark it verified. True if it was
    checked now, False if a trusted record said so or the snapshot has no symbol
    index. Raises SnapshotTampered if it is not the signed table, SnapshotError if
    the file changed meanwhile or cannot be read."""
    signed = snapshot.manifest.symbols
    if signed is None:
        return False
    record = {"format": FORMAT, "snapshot": snapshot.id, "symbols_digest": signed.digest,
              "symbols_rows": signed.rows, **before}  # fmt: skip
    checked = check_once(snapshot, before, record, f"{snapshot.id}.symbols.json", ledger_dir,
                         "symbol index", snapshot.symbols_problem, say)  # fmt: skip
    snapshot.symbols_verified = True
    return checked


__all__ = ["FORMAT", "ensure_symbols_checked"]
