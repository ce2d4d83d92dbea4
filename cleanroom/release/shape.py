"""The exact shape of a release object (docs/notes-release.md §2), field by field.

`shape_problem` returns the first way a release differs from the format, as a
sentence, or None. Unknown keys are refused: a reader must not meet a field the
format does not define.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ..session.events import NOTE_KINDS, SEVERITIES
from .document import FORMAT

DECISIONS = ("release", "withhold", "redact")
STATUSES = ("INTACT", "INCOMPLETE")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")

_TOP = {"format", "released_at", "released_by", "snapshot", "check", "ledgers", "notes"}
_NOTE = {"note", "version", "version_hash", "ledger", "seq", "decision", "withdrawn", "checked"}
_TEXT = {"note_kind", "severity", "title", "body", "blob", "first", "last", "reviewer"}
_PATH = {"path", "path_b64"}


class _Bad(Exception):
    pass


def _obj(value: Any, where: str, required: set[str], optional: set[str] = frozenset()) -> dict:  # type: ignore[assignment]
    if not isinstance(value, dict):
        raise _Bad(f"{where} is not an object")
    missing = sorted(required - value.keys())
    if missing:
        raise _Bad(f"{where} lacks {', '.join(missing)}")
    extra = sorted(value.keys() - required - optional)
    if extra:
        raise _Bad(f"{where} has unknown fields: {', '.join(extra)}")
    return value


def _str(
    value: Any, where: str, pattern: re.Pattern[str] | None = None, limit: int = 1 << 16
) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise _Bad(f"{where} is not a string of at most {limit} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise _Bad(f"{where} is not in its format")
    return value


def _int(value: Any, where: str, low: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise _Bad(f"{where} is not an integer of at least {low}")
    return value


def shape_problem(release: Any) -> str | None:
    try:
        _check(release)
    except _Bad as exc:
        return str(exc)
    return None


def _check(r: Any) -> None:
    _obj(r, "the release", _TOP)
    if r["format"] != FORMAT:
        raise _Bad(f"format is not {FORMAT}")
    _str(r["released_at"], "released_at", _TIME)
    by = _obj(r["released_by"], "released_by", {"name", "org"})
    _str(by["name"], "released_by.name", limit=200)
    _str(by["org"], "released_by.org", limit=200)
    snap = _obj(r["snapshot"], "snapshot", {"id", "name", "root"})
    _str(snap["id"], "snapshot.id", _HEX64)
    _str(snap["root"], "snapshot.root", _HEX64)
    _str(snap["name"], "snapshot.name", limit=1024)
    _int(_obj(r["check"], "check", {"min_length"})["min_length"], "check.min_length", 1)
    if not isinstance(r["ledgers"], list) or not r["ledgers"]:
        raise _Bad("ledgers is not a non-empty array")
    ledgers = set()
    for i, led in enumerate(r["ledgers"]):
        where = f"ledgers[{i}]"
        _obj(led, where, {"ledger", "head_seq", "head", "status"})
        ledgers.add(_str(led["ledger"], f"{where}.ledger", _HEX32))
        _int(led["head_seq"], f"{where}.head_seq")
        _str(led["head"], f"{where}.head", _HEX64)
        if led["status"] not in STATUSES:
            raise _Bad(f"{where}.status is not one of {', '.join(STATUSES)}")
    if len(ledgers) != len(r["ledgers"]):
        raise _Bad("a ledger is listed twice")
    if not isinstance(r["notes"], list):
        raise _Bad("notes is not an array")
    seen = set()
    last: tuple[str, int] | None = None
    for i, note in enumerate(r["notes"]):
        _note(note, f"notes[{i}]", ledgers)
        if note["note"] in seen:
            raise _Bad(f"notes[{i}]: note {note['note']} is listed twice")
        seen.add(note["note"])
        here = (note["ledger"], note["seq"])
        if last is not None and here <= last:
            raise _Bad(f"notes[{i}] is not after notes[{i - 1}] (ordered by ledger, then seq)")
        last = here


def _note(n: Any, where: str, ledgers: set[str]) -> None:
    if not isinstance(n, dict):
        raise _Bad(f"{where} is not an object")
    decision = n.get("decision")
    if decision not in DECISIONS:
        raise _Bad(f"{where}.decision is not one of {', '.join(DECISIONS)}")
    leaves = decision != "withhold"
    required = _NOTE | (_TEXT if leaves else set())
    # a released note carries its version's nonce when it has one (ADR 0409); a
    # redacted or withheld one never does: its hash must confirm no guess
    extra = {"redacted"} if decision == "redact" else {"nonce"}
    optional = (_PATH | extra) if leaves else set()
    _obj(n, where, required, optional)
    _str(n["note"], f"{where}.note", _HEX32)
    _int(n["version"], f"{where}.version", 1)
    _str(n["version_hash"], f"{where}.version_hash", _HEX64)
    if _str(n["ledger"], f"{where}.ledger", _HEX32) not in ledgers:
        raise _Bad(f"{where}.ledger is not among the release's ledgers")
    _int(n["seq"], f"{where}.seq")
    if not isinstance(n["withdrawn"], bool):
        raise _Bad(f"{where}.withdrawn is not true or false")
    if n["withdrawn"] and leaves:
        raise _Bad(f"{where}: a withdrawn note cannot leave")
    checked = _obj(n["checked"], f"{where}.checked", {"fragments", "rare_names"})
    _int(checked["fragments"], f"{where}.checked.fragments")
    _int(checked["rare_names"], f"{where}.checked.rare_names")
    if leaves:
        _leaving(n, where, decision)


def _leaving(n: dict, where: str, decision: str) -> None:
    if n["note_kind"] not in NOTE_KINDS:
        raise _Bad(f"{where}.note_kind is not one of {', '.join(NOTE_KINDS)}")
    allowed = SEVERITIES if n["note_kind"] == "finding" else ("",)
    if n["severity"] not in allowed:
        raise _Bad(f"{where}.severity does not fit its kind")
    _str(n["title"], f"{where}.title", limit=200)
    _str(n["body"], f"{where}.body", limit=16384)
    _str(n["reviewer"], f"{where}.reviewer", limit=200)
    _str(n["blob"], f"{where}.blob", _HEX64)
    first, last = _int(n["first"], f"{where}.first"), _int(n["last"], f"{where}.last")
    if first > last or (first == 0) != (last == 0):
        raise _Bad(f"{where}: first..last is not a line range (or 0..0 for the whole file)")
    if "path" not in n:
        raise _Bad(f"{where} lacks path")
    _str(n["path"], f"{where}.path", limit=4096)
    if "path_b64" in n:
        _str(n["path_b64"], f"{where}.path_b64", _B64, limit=8192)
        # the hash covers path_b64, readers are shown path: one file (§2, atk16b)
        try:
            name = base64.b64decode(n["path_b64"], validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise _Bad(f"{where}.path_b64 is not base64") from None
        if n["path"] != name:
            raise _Bad(f"{where}.path is not the name path_b64 gives (U+FFFD for each byte)")
    if "nonce" in n:
        _str(n["nonce"], f"{where}.nonce", _HEX32)
    if decision == "redact":
        red = n.get("redacted")
        if not isinstance(red, list) or not red or any(f not in ("title", "body") for f in red):
            raise _Bad(f"{where}.redacted is not a non-empty list of title, body")
        if len(set(red)) != len(red) or red != sorted(red, key=("title", "body").index):
            raise _Bad(f"{where}.redacted is not in order without repeats")
