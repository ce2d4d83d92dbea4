"""What the terminal makes of the recorder's answers (docs/protocol.md §4, §7):
refusals as exceptions (`RequestRefused`, `NotAdmitted`), a seal and an
unfinished seal as the receipts the terminal's screens read, a crash report's
outcome, and the answers that carry rows (results, hits, notes, symbols) as the
session's own types. No I/O: client.py sends and receives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..ledger.encoding import COUNTERSIGN_DOMAIN
from ..ledger.keys import raw_public
from ..notes.model import Draft, Note, Place
from ..session.crash import CrashFile, CrashOutcome
from ..session.recorder import RecordingError, SealUnfinished
from ..session.review import RefusedHit
from ..session.service import Results, SymbolRows
from ..snapshot.results import Hit
from ..snapshot.search import SearchError
from ..snapshot.symbols.query import Symbol, SymbolsUnavailable
from . import messages as m

# What becomes of a session a crash left unsealed, under --connect:
UNSEALED_THERE = ("The session is not sealed; the recorder resumes it, or closes it as "
                  "abandoned, when a terminal next connects.")  # fmt: skip
LOST = ("The session is not sealed; the recorder seals it or keeps it for the next "
        "`cleanroom review`, as it is configured for a lost terminal.")  # fmt: skip


class RequestRefused(RecordingError):
    """The recorder refused the request (and recorded that): show nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused by the recorder: {reason}")
        self.reason = reason


class NotAdmitted(RecordingError):
    """The recorder refused this terminal before its hello (protocol §1): `busy`,
    another terminal is being served; `owner`, the session waits for another
    reviewer. Trying again at once would not help."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class WitnessOf:
    code: str


@dataclass(frozen=True)
class SealedReceipt:
    """What the terminal shows of a seal: the final entry and its witness code."""

    seq: int
    witness: WitnessOf

    @property
    def code(self) -> str:
        return self.witness.code


@dataclass(frozen=True)
class FinishedElsewhere:
    """What the terminal shows of a seal whose ledger file the recorder could not
    finish (the shape of `ledger.finish.Finished` the failure screen reads)."""

    receipt: SealedReceipt
    receipt_path: str | None
    gone: str | None


def unfinished(a: m.Unfinished) -> SealUnfinished:
    receipt = SealedReceipt(a.seq, WitnessOf(a.code))
    return SealUnfinished(a.why, FinishedElsewhere(receipt, a.receipt_path, a.gone))


def sealed(a: m.Sealed | m.State) -> SealedReceipt:
    """The receipt of a `sealed` answer, or of a `state` that ended sealed."""
    if isinstance(a, m.State):
        return SealedReceipt(a.witness_seq, WitnessOf(a.witness_code))
    return SealedReceipt(a.seq, WitnessOf(a.code))


def countersignature(a: m.Countersign, key: Ed25519PrivateKey | None, session_id: str) -> bytes:
    """The reviewer's signature over what the recorder asks to be countersigned, or
    b"" (the seal is then not countersigned): without a key, for a key other than
    the one the session names, and for bytes that are not the countersignature
    message of this session's ledger (docs/ledger-format.md: the domain, the
    ledger id, the seal's seq, the hash before it). The reviewer's key signs
    nothing else, whatever a recorder sends."""
    if key is None or a.key != raw_public(key).hex():
        return b""
    try:
        head = COUNTERSIGN_DOMAIN + bytes.fromhex(session_id)
    except ValueError:
        return b""
    if len(a.message) != len(head) + 8 + 32 or not a.message.startswith(head):
        return b""
    return key.sign(a.message)


def crash_outcome(a: Any) -> CrashOutcome:
    """What the terminal shows after its crash report: the recorder's `crashed`
    answer, or that it answered something else."""
    if not isinstance(a, m.Crashed):
        return CrashOutcome(None, False, None, f"the recorder answered {_name(a)}", LOST)
    where = None if a.file is None else CrashFile(Path(a.file), a.sha256)
    receipt = SealedReceipt(a.seq, WitnessOf(a.code)) if a.seq >= 0 else None
    return CrashOutcome(where, a.recorded, receipt, a.why, UNSEALED_THERE)


def _results(a: Any) -> Results:
    """A `found` as Results; `search_failed` raises SearchError."""
    if isinstance(a, m.SearchFailed):
        raise SearchError(a.why)
    if not isinstance(a, m.Found):
        raise RecordingError(f"the recorder answered a search with {_name(a)}")
    return Results(a.seq, a.kept, a.total, a.digest, a.done)


def _hit(h: m.HitInfo) -> Any:
    if h.refused:
        return RefusedHit(h.path, h.display, h.line, h.why)
    spans = tuple((int(a), int(b)) for a, b in h.spans)
    return Hit(h.path, h.display, h.line, spans, h.more_spans, h.text, h.text_start, h.line_size)


def _note(i: m.NoteInfo) -> Note:
    place = Place(i.path, i.blob, i.first, i.last)
    draft = Draft(i.kind, i.severity, i.title, i.body, place)
    return Note(i.note, i.version, draft, i.withdrawn, i.session, i.reviewer)


def _name(answer: Any) -> str:
    return getattr(answer, "reason", None) or type(answer).__name__


def _symbol_rows(a: Any, offset: int = 0) -> SymbolRows:
    """The rows of a `symbols` answer (an outline's page after `offset` rows);
    SymbolsUnavailable for `no_symbols`."""
    if isinstance(a, m.NoSymbols):
        raise SymbolsUnavailable(a.why)
    rows = [Symbol(r.path, r.display, r.line, r.name, r.kind) for r in a.rows]
    return SymbolRows(rows, a.total, offset)
