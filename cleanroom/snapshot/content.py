"""Is a stored content still what the vendor signed? Checked before any of it is shown.

The signed root (`signed_rows.py`) pins each file row, and so the SHA-256 of
its content; it does not pin the `blobs` row, which anyone who can write the
file can change. `checked_content` reads the content once into memory,
recomputes the facts `create` recorded (hash, size, binary flag, line count and
line index, docs/snapshot-format.md §2) from those bytes and compares each. The
bytes it returns are the bytes it checked: what is shown is served from them,
never read from the file again, so a write to the snapshot file after the check
cannot reach the screen. About 0.12 s for a 36 MB file of a million lines.
"""

from __future__ import annotations

import sqlite3
from array import array
from dataclasses import dataclass

from .blobs import FactsBuilder, unpack_line_index
from .candidates import CHUNK
from .store import Snapshot


@dataclass(frozen=True)
class CheckedContent:
    """A content as checked: its bytes and the start offset of each line."""

    data: bytes
    starts: array[int]


def changed(actual: bytes, blob: bytes) -> str:
    """Why a content that hashes to `actual` is not the signed content `blob`."""
    return (
        f"its content was changed after signing: it hashes to {actual.hex()}, signed {blob.hex()}"
    )


def content_problem(snapshot: Snapshot, blob: bytes, size: int) -> str | None:
    """Why the content stored for `blob` is not that content, or None."""
    checked = checked_content(snapshot, blob, size)
    return checked if isinstance(checked, str) else None


def checked_content(snapshot: Snapshot, blob: bytes, size: int) -> CheckedContent | str:
    """The content stored for `blob` (a file's signed content hash; `size` its signed
    size), read once and checked, or why it is not that content. Never raises for a
    damaged or missing blob: that is a problem too."""
    try:
        info = snapshot.blob(blob)
        data = snapshot.read(blob, 0, info.size)
        builder = FactsBuilder()
        for at in range(0, len(data), CHUNK):  # bounded steps: this may run in a worker
            builder.update(data[at : at + CHUNK])
        facts = builder.finish()
        stored_index = snapshot.line_index_bytes(blob)
    except KeyError:
        return f"its content {blob.hex()} is not stored"
    except (sqlite3.DatabaseError, ValueError, MemoryError) as exc:
        return f"its content {blob.hex()} cannot be read: {exc}"
    if facts.hash != blob:
        return changed(facts.hash, blob)
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
    return CheckedContent(data, unpack_line_index(facts.line_index))
