"""One line of plain words per timeline entry, for people reading a report.

The text quotes what the ledger holds (paths, queries, names, alert details)
exactly, so it is *untrusted*: every writer must pass it through
`cleanroom.sanitize.clean` (terminal, CSV) and also `html.escape` (HTML).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ..ledger.keys import key_id
from ..ledger.shapes import KEY, fits
from ..sanitize import clean, decode
from ..session.events import (
    Active,
    Alert,
    Blocked,
    FileOpen,
    Find,
    Goto,
    Idle,
    Mark,
    Note,
    QuickOpen,
    RecordingFailed,
    Search,
    SearchCancel,
    SearchResultsView,
    SearchStart,
    SymbolDefinitions,
    SymbolOutline,
    SymbolQuickOpen,
    Unlock,
    View,
    WitnessShown,
)
from ..snapshot.symbols.references import references_name
from .timeline import TimelineEntry, timestamp


def shown_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An entry's payload as a report shows it: a note's `body` is left out (its
    length is given as `body_omitted`), since reports show notes by title only
    (docs/report-format.md); the notes release is where bodies are chosen to go."""
    if kind != "note" or "body" not in payload:
        return payload
    out = {k: v for k, v in payload.items() if k != "body"}
    body = payload["body"]
    out["body_omitted"] = len(body) if isinstance(body, str) else None
    return out


def describe(entry: TimelineEntry) -> str:
    ev, p = entry.event, shown_payload(entry.kind, entry.payload)
    if entry.problem is not None:
        return f"{entry.kind} (does not fit its kind: {entry.problem}): {_compact(p)}"
    match ev:
        case FileOpen():
            flags = ", ".join(f"{k} {n}" for k, n in sorted(ev.flags.items()))
            extra = f"; flagged characters: {flags}" if flags else ""
            return f"opened {path_text(ev.raw_path)} ({ev.lines} lines, {ev.size} bytes){extra}"
        case View():
            cols = f"columns {ev.col + 1}-{ev.col + ev.cols}"
            if ev.wrap:  # ADR 0212
                cols = f"wrapped at {ev.cols} columns in {ev.wrap} rows"
            return f"{path_text(ev.raw_path)} lines {ev.first}-{ev.last}, {cols}"
        case Search():
            how = ", ".join(
                x
                for x in (
                    "regex" if ev.regex else "text",
                    "case-sensitive" if ev.case else "any case",
                    f"include {', '.join(ev.include)}" if ev.include else "",
                    f"exclude {', '.join(ev.exclude)}" if ev.exclude else "",
                )
                if x
            )
            name = references_name(ev.query, ev.regex, ev.case, bool(ev.include or ev.exclude))
            if name is not None:
                return f"found references of “{name}”: {plural(ev.hits, 'hit')}"
            return f"searched for “{ev.query}” ({how}): {plural(ev.hits, 'hit')}"
        case SearchStart():
            return (f"listed the first {plural(ev.rows, 'hit')} of the search for "
                    f"“{ev.query}” while it ran")  # fmt: skip
        case SearchCancel():
            return f"the search for “{ev.query}” was stopped ({ev.why}); none of the rest shown"
        case SearchResultsView():
            return f"result rows {ev.first}-{ev.last} of the search at entry {ev.search_seq}"
        case QuickOpen():
            return f"quick open “{ev.query}”: {plural(ev.matches, 'matching path')}"
        case Goto():
            return f"went to line {ev.line} of {path_text(ev.raw_path)}"
        case Find():
            how = "case-sensitive" if ev.case else "any case"
            return (
                f"found “{ev.query}” in {path_text(ev.raw_path)} ({how}): {plural(ev.hits, 'line')}"
            )
        case Note():
            where = f" lines {ev.first}-{ev.last}" if ev.first else ""
            how = f"{ev.note_kind}, {ev.severity}" if ev.severity else ev.note_kind
            return (f"note “{ev.title}” ({how}, version {ev.version}) on "
                    f"{path_text(ev.raw_path)}{where}; body not shown")  # fmt: skip
        case Mark():
            return f"set mark {ev.mark} at line {ev.line} of {path_text(ev.raw_path)}"
        case SymbolOutline():
            page = f" after the first {ev.offset:,}" if ev.offset else ""
            return (f"outline of {path_text(ev.raw_path)}: {plural(ev.listed, 'definition')}"
                    f" listed{page} of {ev.symbols:,}")  # fmt: skip
        case SymbolDefinitions():
            return (f"definitions of “{ev.name}”: {plural(ev.places, 'place')},"
                    f" {ev.listed:,} listed")  # fmt: skip
        case SymbolQuickOpen():
            return f"symbol quick open “{ev.query}”: {plural(len(ev.names), 'name')} listed"
        case Idle():
            return f"screen blanked after {ev.after_s} s without input"
        case Active():
            return f"input resumed; the screen was blank for {ev.idle_s} s"
        case Unlock():
            said = f"the {ev.lock} lock was acknowledged after {ev.locked_s} s"
            if ev.alerts:  # ADR 0220: the alerts the lock screen listed before the Enter
                said += ", lifting " + plural(len(ev.alerts), "alert") + " (entries "
                said += ", ".join(f"#{seq}" for seq in ev.alerts) + ")"
            return said
        case Blocked():
            return f"blocked {ev.action}" + (f": {ev.detail}" if ev.detail else "")
        case WitnessShown():
            return f"witness code shown: {ev.seq}:{ev.code}"
        case RecordingFailed():
            since = timestamp(ev.failed_at_wall_us) or "?"
            return (
                f"recording failed from {since} ({ev.error}); source hidden; {ev.attempts} attempts"
            )
        case Alert():
            count = f", {ev.count} events" if ev.count != 1 else ""
            return f"ALERT {ev.category}: {ev.detail} (response {ev.response}{count})"
    return _structural(entry.kind, p)


def _structural(kind: str, p: dict[str, Any]) -> str:
    if kind == "session_start":
        rev = p.get("reviewer") if isinstance(p.get("reviewer"), dict) else {}
        snap = p.get("snapshot") if isinstance(p.get("snapshot"), dict) else {}
        return (
            f"session started: reviewer {rev.get('name')} ({rev.get('org')}), "
            f"snapshot {snap.get('id') if snap else 'none named'}"
        )
    if kind == "session_resume":
        return f"session resumed after entry {p.get('after_seq')} ({p.get('reason')})"
    if kind == "session_end":
        return f"session sealed ({p.get('reason')}), {_countersign(p.get('countersign'))}"
    return f"{kind}: {_compact(p)}"


def _countersign(cs: object) -> str:
    """Who countersigned, by key id. A report does not check it against known reviewer
    keys (only `cleanroom verify --reviewer-key` does, ADR 0007), and says so."""
    if not cs:
        return "not countersigned"
    key = cs.get("key") if isinstance(cs, dict) else None
    if not fits(key, KEY):
        return "countersigned by an unreadable key"
    kid = key_id(bytes.fromhex(key))
    return f"countersigned by key {kid} (not checked against known reviewer keys)"


def plural(n: int, noun: str) -> str:
    """`1 hit`, `2 hits`: with a thousands separator."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def not_listed(omitted: dict[str, int]) -> str | None:
    """What a verdict's findings cap left out (`Verdict.omitted`), in words, or None:
    "2,000 more findings not listed (CHAIN 1,950, SIGNATURE 50)"."""
    counts = {c: n for c, n in omitted.items() if isinstance(n, int) and n > 0}
    if not counts:
        return None
    each = ", ".join(f"{clean(c)} {n:,}" for c, n in sorted(counts.items()))
    return f"{sum(counts.values()):,} more findings not listed ({each})"


def duration(us: int) -> str:
    """A duration for people: 0.004 s, 12.3 s, 4 min 3 s, 1 h 2 min."""
    s = us / 1e6
    if s < 60:
        return f"{s:.3f} s" if s < 10 else f"{s:.1f} s"
    m, sec = divmod(int(s), 60)
    return f"{m} min {sec} s" if m < 60 else f"{m // 60} h {m % 60} min"


@lru_cache(maxsize=4096)
def path_text(raw: bytes) -> str:
    """A recorded path as text; bytes that are not UTF-8 stay visible to the sanitizer."""
    return decode(raw)


def display(value: object) -> str:
    """`clean(value)`: the one sanitizer, which leaves printable ASCII as it is. That
    case is tested here first only to skip the call for the many plain strings."""
    text = value if isinstance(value, str) else str(value)
    return text if text.isascii() and text.isprintable() else clean(text)


def _compact(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)[:500]
