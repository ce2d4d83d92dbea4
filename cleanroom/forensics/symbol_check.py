"""Replay's check of what following code showed (issue 15): each
`symbol_outline`, `symbol_definitions` and `symbol_quick_open` entry derived
again from the session's snapshot's signed symbol index, and compared with what
the ledger says was listed (counts, digest, names). References are searches and
are checked as searches (replay.check_search).

The index is checked against the vendor's signature once per replay, as the
terminal does once per session; a snapshot without one, or with a table that is
not the signed one, makes every symbol entry unchecked, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..session.events import SymbolDefinitions, SymbolOutline, SymbolQuickOpen
from ..session.symbol_digest import symbols_digest
from ..session.symbols import NAMES_LIMIT, SessionSymbols
from ..snapshot.symbols.query import Symbol, SymbolsUnavailable

SymbolEvent = SymbolOutline | SymbolDefinitions | SymbolQuickOpen


@dataclass(frozen=True)
class SymbolCheck:
    """One symbol entry derived again. `ok` when what it lists is what the index
    gives now; `rows` (outline, definitions) or `names` are what was listed."""

    seq: int
    recorded: SymbolEvent
    ok: bool = False
    rows: list[Symbol] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    error: str | None = None
    now: str = ""  # what the index gives now, when it differs


def check_symbol(seq: int, ev: SymbolEvent, symbols: SessionSymbols | None) -> SymbolCheck:
    if symbols is None:
        return SymbolCheck(seq, ev, error="no snapshot of this session was given")
    try:
        match ev:
            case SymbolOutline():
                return _outline(seq, ev, symbols)
            case SymbolDefinitions():
                found = symbols.definitions(ev.name)
                rows = found.candidates  # as the terminal lists them, not cut to the claim
                ok = (found.count == ev.places and len(rows) == ev.listed
                      and symbols_digest(rows) == ev.digest)  # fmt: skip
                now = "" if ok else f"{found.count} places, digest {symbols_digest(rows)}"
                return SymbolCheck(seq, ev, ok, rows, now=now)
            case SymbolQuickOpen():
                names = symbols.names(ev.query)
                ok = names == ev.names
                now = "" if ok else f"{len(names)} names: {', '.join(names[:5])}"
                return SymbolCheck(seq, ev, ok, names=names, now=now)
    except SymbolsUnavailable as exc:
        return SymbolCheck(seq, ev, error=str(exc))
    raise TypeError(type(ev).__name__)


def _outline(seq: int, ev: SymbolOutline, symbols: SessionSymbols) -> SymbolCheck:
    # first: a snapshot without an index says so; a later page from its offset (ADR 0127)
    rows, total = symbols.outline(ev.raw_path, ev.offset)
    snapshot: Any = symbols.snapshot
    try:
        blob = snapshot.stat(ev.raw_path).blob
    except (FileNotFoundError, KeyError, ValueError):
        blob = None
    if not isinstance(blob, bytes) or blob.hex() != ev.blob:
        return SymbolCheck(seq, ev, error="the snapshot does not hold this file's content")
    ok = total == ev.symbols and len(rows) == ev.listed and symbols_digest(rows) == ev.digest
    now = "" if ok else f"{total} definitions, digest {symbols_digest(rows)}"
    return SymbolCheck(seq, ev, ok, rows, now=now)


__all__ = ["NAMES_LIMIT", "SymbolCheck", "SymbolEvent", "check_symbol"]
