"""The digest of a list of symbols shown (outline, definitions): what the
`symbol_outline` and `symbol_definitions` entries record instead of the rows,
and what replay recomputes from the signed index (docs/events.md).

Each row is the JSON array `[path, line, name, kind]` (path as `path_fields`:
`{"path": ...}` or `{"path_b64": ...}`; line 1-based), written with sorted keys,
no spaces and ASCII escapes, followed by a newline; the digest is the hex
SHA-256 of the rows in the order listed. No rows: the SHA-256 of nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from ..snapshot.symbols.query import Symbol
from .events import path_fields


def symbols_digest(rows: Iterable[Symbol]) -> str:
    h = hashlib.sha256()
    for s in rows:
        row = [path_fields(s.path), s.line + 1, s.name, s.kind]
        h.update(json.dumps(row, sort_keys=True, separators=(",", ":")).encode("ascii"))
        h.update(b"\n")
    return h.hexdigest()


__all__ = ["symbols_digest"]
