"""The workstation's earlier sessions in a ledger directory: the head the next
session must name, and any session left unsealed by a crash.

A session is this workstation's when its certificate names the same workstation
id and a vendor key we trust signed it: a renewed certificate (new validity,
even a new key) is the same workstation, so renewing does not orphan the chain.
The next session follows the `prev_session` links to the chain's tip; the wall
clock, which NTP may set back between sessions, never decides the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..ledger.ed25519 import verify_signature
from ..ledger.encoding import decode_body, entry_hash, signed_message
from ..ledger.ends import load_ends
from ..ledger.events import Head
from ..ledger.finish import unfinished
from ..ledger.keys import Certificate
from ..ledger.schema import SUFFIX


@dataclass(frozen=True)
class PastSession:
    path: Path
    head: Head
    started_us: int
    sealed: bool
    reviewer: str
    snapshot: str | None  # the snapshot id it reviewed
    cert: Certificate | None = None  # the certificate it was started under
    prev: str | None = None  # the ledger id its `prev_session` names
    unfinished: tuple[str, ...] = ()  # sealed, but what sealing left undone on its file


def past_sessions(directory: Path, cert: Certificate, trust: Sequence[bytes]) -> list[PastSession]:
    """Sessions in `directory` of the workstation `cert` certifies, oldest first by
    the chain (`in_chain_order`). A session counts when its certificate names the
    same workstation, is signed by a key in `trust`, and its key signed entry 0.
    Unreadable files are skipped here; `cleanroom verify` is where they are judged."""
    out = []
    for path in sorted(Path(directory).glob(f"*{SUFFIX}")):
        try:
            session = _read(path, cert, trust)
        except (OSError, IndexError, KeyError, AttributeError, ValueError, TypeError):
            continue  # EncodingError is a ValueError
        if session is not None:
            out.append(session)
    return in_chain_order(out)


def _read(path: Path, cert: Certificate, trust: Sequence[bytes]) -> PastSession | None:
    """The session in `path` if this workstation started it, else None. Raises
    on a file that is not a readable ledger (see the caller)."""
    rows = load_ends(path).rows  # the first and the last: start and head
    first, last = decode_body(rows[0][1]), decode_body(rows[-1][1])  # type: ignore[arg-type]
    p = first.payload
    if first.kind != "session_start":
        return None
    theirs = Certificate.parse(p["cert"].encode(), bytes.fromhex(p["cert_sig"]))
    if not _same_workstation(theirs, cert, trust):
        return None
    if not verify_signature(theirs.key, rows[0][2], signed_message(rows[0][1])):  # type: ignore[arg-type]
        return None
    seq, body, sig = rows[-1]
    head = Head(first.ledger.hex(), seq, entry_hash(body, sig).hex())  # type: ignore[arg-type]
    reviewer = str((p.get("reviewer") or {}).get("name", ""))
    snapshot = (p.get("snapshot") or {}).get("id")
    prev = (p.get("prev_session") or {}).get("ledger")
    prev = prev if isinstance(prev, str) else None
    sealed = last.kind == "session_end"
    left = tuple(unfinished(path)) if sealed else ()
    return PastSession(path, head, first.wall_us, sealed, reviewer, snapshot, theirs, prev, left)


def _same_workstation(theirs: Certificate, ours: Certificate, trust: Sequence[bytes]) -> bool:
    return theirs.workstation == ours.workstation and any(theirs.signed_by(k) for k in trust)


def in_chain_order(sessions: list[PastSession]) -> list[PastSession]:
    """`sessions` with the chain's tip last: every session after the one its
    `prev_session` names. Where the links leave a choice (a chain broken by an
    older release, or a cycle no honest writer makes), the longer chain comes
    later, then the later start: the wall clock only breaks ties."""
    by_id = {s.head.ledger: s for s in sessions}

    def depth(s: PastSession) -> int:
        seen, n = {s.head.ledger}, 0
        while s.prev in by_id and s.prev not in seen:
            s = by_id[s.prev]
            seen.add(s.head.ledger)
            n += 1
        return n

    return sorted(sessions, key=lambda s: (depth(s), s.started_us, str(s.path)))


def previous_head(sessions: list[PastSession]) -> Head | None:
    """The head the next session names: the tip of the chain of `prev_session` links."""
    named = {s.prev for s in sessions}
    tips = [s for s in sessions if s.head.ledger not in named] or sessions
    return in_chain_order(tips)[-1].head if tips else None


def unsealed(sessions: list[PastSession]) -> list[PastSession]:
    return [s for s in sessions if not s.sealed]


def resumable(session: PastSession, cert: Certificate, now_us: int) -> bool:
    """True when this workstation can still append to `session`: the resume is
    signed with our key and checked against the certificate the session started
    under, so that must be for our key and still valid (else CERT_EXPIRED)."""
    theirs = session.cert
    return (
        theirs is not None
        and theirs.key == cert.key
        and theirs.not_before * 1_000_000 <= now_us <= theirs.not_after * 1_000_000
    )


def unfinished_seals(sessions: list[PastSession]) -> list[PastSession]:
    """Sealed sessions whose file sealing did not finish (`ledger.finish`)."""
    return [s for s in sessions if s.sealed and s.unfinished]
