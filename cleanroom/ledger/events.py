"""Typed ledger events: one small dataclass per kind.

The ledger layer defines the structural kinds (start, resume, end). The session
layer adds the reviewer vocabulary (`cleanroom.session.events`) on the same base.
An event knows only its kind and how to become a canonical-JSON payload, so it
can be sent as-is to a separate recorder process.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Reviewer:
    name: str
    org: str
    key: str | None = None  # hex raw Ed25519 public key, if the reviewer will countersign


@dataclass(frozen=True)
class SnapshotRef:
    id: str
    root: str  # hex Merkle root of the vendor-signed snapshot


@dataclass(frozen=True)
class Head:
    """The last entry of a ledger: what the next session, a witness or a receipt pins."""

    ledger: str  # hex id
    seq: int
    head: str  # hex entry hash


@dataclass(frozen=True)
class SessionStart(Event):
    kind: ClassVar[str] = "session_start"
    cert: str
    cert_sig: str
    reviewer: Reviewer
    snapshot: SnapshotRef | None
    prev_session: Head | None
    software: str


@dataclass(frozen=True)
class SessionResume(Event):
    kind: ClassVar[str] = "session_resume"
    after_seq: int
    after_head: str
    reason: str = "crash"


@dataclass(frozen=True)
class Countersign:
    key: str
    sig: str


@dataclass(frozen=True)
class SessionEnd(Event):
    kind: ClassVar[str] = "session_end"
    reason: str
    entries: int
    by_kind: dict[str, int] = field(default_factory=dict)
    countersign: Countersign | None = None


STRUCTURAL_KINDS = frozenset({"session_start", "session_resume", "session_end"})
