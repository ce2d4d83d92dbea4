"""Summarise a snapshot without verifying it: manifest, counts, skipped entries.

Nothing here is trusted: the summary says whether the signature was checked
(only when trusted keys are given), and `verify` is what checks the content.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .manifest import Manifest, ManifestError, as_json, parse, snapshot_id, trusted_signer
from .readonly import SnapshotFileError, as_file_error, connect
from .schema import schema_problems
from .walk import display_path

MAX_LISTED = 1000


@dataclass
class Summary:
    path: str
    file_size: int
    manifest: Manifest
    snapshot_id: str
    signature: str  # "trusted", "NOT trusted" or "not checked"
    kinds: dict[str, int] = field(default_factory=dict)
    text_blobs: int = 0
    binary_blobs: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (display path, reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "file_size": self.file_size,
            "snapshot_id": self.snapshot_id,
            "signature": self.signature,
            "manifest": as_json(self.manifest),
            "kinds": self.kinds,
            "text_blobs": self.text_blobs,
            "binary_blobs": self.binary_blobs,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
        }


def summarize(path: str | Path, trust: list[bytes] | None = None) -> Summary:
    """Read the summary. Raises SnapshotFileError (with a plain message) for a file
    that is not a readable snapshot; FileNotFoundError if there is no file."""
    path = Path(path)
    conn = connect(path)
    try:
        problems = schema_problems(conn)
        if problems:
            raise SnapshotFileError("SCHEMA", "not a snapshot: " + "; ".join(problems))
        row = conn.execute("SELECT body, sig FROM manifest WHERE id = 1").fetchone()
        if row is None:
            raise SnapshotFileError("MANIFEST", "the manifest is missing")
        body, sig = row
        manifest = parse(body)
        signature = "not checked"
        if trust is not None:
            ok = trusted_signer(manifest, body, sig, trust) is not None
            signature = "trusted" if ok else "NOT trusted"
        summary = Summary(str(path), os.path.getsize(path), manifest, snapshot_id(body), signature)
        summary.kinds = dict(conn.execute("SELECT kind, count(*) FROM files GROUP BY kind"))
        for binary, n in conn.execute("SELECT binary, count(*) FROM blobs GROUP BY binary"):
            if binary:
                summary.binary_blobs = n
            else:
                summary.text_blobs = n
        skipped = conn.execute(
            "SELECT path, reason FROM files WHERE kind = 'skipped' ORDER BY path LIMIT ?",
            (MAX_LISTED,),
        )
        summary.skipped = [(display_path(p), str(reason)) for p, reason in skipped]
        return summary
    except ManifestError as exc:
        raise SnapshotFileError("MANIFEST", f"bad manifest: {exc}") from exc
    except MemoryError as exc:  # SQLite's heap limit (ledger.guarded_sqlite) was reached
        raise SnapshotFileError(
            "CORRUPT", "reading it needs more memory than a snapshot may"
        ) from exc
    except (sqlite3.DatabaseError, UnicodeDecodeError, TypeError, ValueError) as exc:
        if isinstance(exc, sqlite3.DatabaseError):
            raise as_file_error(exc) from exc
        raise SnapshotFileError("CORRUPT", f"unreadable: {exc}") from exc
    finally:
        conn.close()
