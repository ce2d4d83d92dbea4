"""The request table: which requests each session state permits (docs/protocol.md
§5), after OpenSSH's monitor (`mon_dispatch`): the table *is* the state machine.
A request not in its state's row is refused and recorded; nothing else decides
whether a request may be served."""

from __future__ import annotations

from . import messages as m

NEW, READY, IDLE, GUARD_LOCK, ENDED = "new", "ready", "idle", "guard_lock", "ended"
COUNTERSIGN = "countersign"  # the seal waits for the reviewer's countersignature

_ALWAYS: tuple[type, ...] = (m.Key, m.Blocked, m.Status, m.Cancel, m.Bye, m.CrashReport)
_SHOWING: tuple[type, ...] = (m.Tree, m.Names, m.Pick, m.Open, m.View, m.Goto, m.Paragraph, m.Find,
                              m.Mark, m.Outline, m.Definitions, m.SymbolNames, m.Search,
                              m.Wait, m.Rows, m.Where, m.Idle, m.Witness, m.Seal,
                              m.NoteSave, m.NoteWithdraw, m.Notes)  # fmt: skip

# An unlock repeated for the guard lock the recorder lifted last, whose answer came
# too late to the terminal: recorded, changes nothing (dispatch.py `_unlock_again`,
# ADR 0218); with no lock lifted it is refused as the state's reason says.
_AGAIN: tuple[type, ...] = (m.Unlock,)

PERMITTED: dict[str, frozenset[type]] = {
    NEW: frozenset({m.Hello}),
    READY: frozenset(_ALWAYS + _SHOWING + _AGAIN),
    IDLE: frozenset(_ALWAYS + (m.Active, m.Seal) + _AGAIN),
    GUARD_LOCK: frozenset(_ALWAYS + (m.Unlock, m.Seal)),
    # Nothing that records may come between the bytes to sign and the signature.
    COUNTERSIGN: frozenset({m.Countersignature, m.Status, m.Bye}),
    ENDED: frozenset({m.Status, m.Bye}),
}

# Why a request is refused in a state that does not permit it.
REASON = {NEW: "order", READY: "order", IDLE: "locked", GUARD_LOCK: "locked", ENDED: "ended",
          COUNTERSIGN: "order"}  # fmt: skip


def permitted(state: str, request: object) -> bool:
    return type(request) in PERMITTED[state]


def tag(request: object) -> str:
    """The request's wire name, for the ledger."""
    return str(type(request).__struct_config__.tag)
