"""The workstation's earlier sessions in a ledger directory: the head the next
session must name, and any session left unsealed by a crash."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..ledger.encoding import EncodingError, decode_body, entry_hash
from ..ledger.events import Head
from ..ledger.finish import unfinished
from ..ledger.load import load_path
from ..ledger.schema import SUFFIX


@dataclass(frozen=True)
class PastSession:
    path: Path
    head: Head
    started_us: int
    sealed: bool
    reviewer: str
    snapshot: str | None  # the snapshot id it reviewed
    unfinished: tuple[str, ...] = ()  # sealed, but what sealing left undone on its file


def past_sessions(directory: Path, cert_body: bytes) -> list[PastSession]:
    """Sessions in `directory` started by the workstation holding `cert_body`, oldest first.
    Unreadable files are skipped here; `cleanroom verify` is where they are judged."""
    out = []
    for path in sorted(Path(directory).glob(f"*{SUFFIX}")):
        try:
            rows = load_path(path).rows
            first, last = decode_body(rows[0][1]), decode_body(rows[-1][1])  # type: ignore[arg-type]
        except (OSError, IndexError, EncodingError, TypeError):
            continue
        if first.kind != "session_start" or first.payload.get("cert") != cert_body.decode():
            continue
        seq, body, sig = rows[-1]
        head = Head(first.ledger.hex(), seq, entry_hash(body, sig).hex())  # type: ignore[arg-type]
        reviewer = (first.payload.get("reviewer") or {}).get("name", "")
        snapshot = (first.payload.get("snapshot") or {}).get("id")
        sealed = last.kind == "session_end"
        left = tuple(unfinished(path)) if sealed else ()
        out.append(PastSession(path, head, first.wall_us, sealed, reviewer, snapshot, left))
    return sorted(out, key=lambda s: s.started_us)


def previous_head(sessions: list[PastSession]) -> Head | None:
    return sessions[-1].head if sessions else None


def unsealed(sessions: list[PastSession]) -> list[PastSession]:
    return [s for s in sessions if not s.sealed]


def unfinished_seals(sessions: list[PastSession]) -> list[PastSession]:
    """Sealed sessions whose file sealing did not finish (`ledger.finish`)."""
    return [s for s in sessions if s.sealed and s.unfinished]
