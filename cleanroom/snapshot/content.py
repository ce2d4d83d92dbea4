"""Is a stored content still what the vendor signed? Checked before any of it is shown.

The signed root (`signed_rows.py`) pins each file row, and so the SHA-256 of
its content; it does not pin the `blobs` row, which anyone who can write the
file can change. `content_problem` streams the content once, recomputes the
facts `create` recorded (hash, size, binary flag, line count and line index,
docs/snapshot-format.md §2) and compares each. About 0.12 s for a 36 MB file
of a million lines; the caller caches the answer per blob.
"""

from __future__ import annotations

import sqlite3

from .blobs import FactsBuilder
from .candidates import CHUNK
from .store import Snapshot


def content_problem(snapshot: Snapshot, blob: bytes, size: int) -> str | None:
    """Why the content stored for `blob` (a file's signed content hash; `size` its
    signed size) is not that content, or None. Never raises for a damaged or
    missing blob: that is a problem too."""
    try:
        info = snapshot.blob(blob)
        builder = FactsBuilder()
        offset = 0
        while chunk := snapshot.read(blob, offset, CHUNK):
            builder.update(chunk)
            offset += len(chunk)
        facts = builder.finish()
        stored_index = snapshot.line_index_bytes(blob)
    except KeyError:
        return f"its content {blob.hex()} is not stored"
    except (sqlite3.DatabaseError, ValueError, MemoryError) as exc:
        return f"its content {blob.hex()} cannot be read: {exc}"
    if facts.hash != blob:
        return (
            f"its content was changed after signing: it hashes to {facts.hash.hex()},"
            f" signed {blob.hex()}"
        )
    wrong = [
        name
        for name, stored, real in (
            ("size", size, facts.size),
            ("stored size", info.size, facts.size),
            ("binary flag", info.binary, facts.binary),
            ("line count", info.lines, facts.lines),
            ("line index", stored_index, facts.line_index),
        )
        if stored != real
    ]
    if wrong:
        return f"the {', '.join(wrong)} of its content {blob.hex()} do not match the content"
    return None
