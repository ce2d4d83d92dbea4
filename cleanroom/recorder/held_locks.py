"""The guard lock a resumed ledger was left under (atk12b): its `lock` alerts that
no `unlock` lifted. A recorder killed while the reviewer's screen was locked, then
started again, resumes the session locked: the alerts are handed to the terminal
again, and only an unlock that names them shows source (ADR 0220).

The ledger is the recorder's own, resumed after `settle_crashed` checked it; a
row that does not decode is skipped here as `owner_of` skips it."""

from __future__ import annotations

from pathlib import Path

from ..ledger.encoding import EncodingError, decode_body
from ..ledger.load import load_path
from ..session.events import Alert


def held_locks(path: Path) -> tuple[list[tuple[Alert, int]], int]:
    """The lock alerts still holding the lock, each with its seq, oldest first, and
    the ledger's next seq. An `unlock` lifts the alerts it names (ADR 0220), or,
    written before it named them, every lock alert before it."""
    held: list[tuple[Alert, int]] = []
    last = -1
    for row in load_path(path).rows:
        try:
            body = decode_body(row[1])  # type: ignore[arg-type]
        except EncodingError:
            continue
        last = max(last, body.seq)
        p = body.payload
        if body.kind == "alert" and p.get("response") == "lock":
            detail, category = p.get("detail"), p.get("category")
            if isinstance(detail, str) and isinstance(category, str):
                held.append((Alert(category, detail, "lock"), body.seq))
        elif body.kind == "unlock":
            named = p.get("alerts")
            if isinstance(named, list) and named:
                held = [(a, seq) for a, seq in held if seq not in named]
            else:
                held = []
    return held, last + 1
