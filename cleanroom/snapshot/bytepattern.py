"""A user regex as a byte pattern that matches wherever its RE2 pattern does, and maybe
more: what the Hyperscan prefilter compiles (prefilter.py, ADR 0113).

The RE2 pattern (`pattern.parse`) runs in UTF-8 mode: a code point over 0x7F is
1-4 bytes, each over 0x7F. Hyperscan gets no UTF-8 or Unicode flag (its behaviour
on invalid UTF-8 is undefined there); instead this module writes the same tree
(Python's parse) as bytes, with the same rules `pattern._emit` follows:

- An ASCII character is its byte; a letter under case-insensitivity is a class of
  its two cases (only ASCII folds, as in RE2's pattern). A code point over 0x7F is
  its UTF-8 bytes (a surrogate: any 1-4 bytes over 0x7F).
- A class keeps its ASCII part exactly (folded and without the line feed, as
  `pattern._class` makes it); any part over 0x7F becomes "1-4 bytes over 0x7F",
  which holds every byte sequence RE2 can match for such a code point, invalid
  UTF-8 included. Repeated on its own, such a class becomes one byte class
  repeated up to four times as often.
- `^ $ \\b \\B` stay: with HS_FLAG_MULTILINE, Hyperscan's `^` and `$` are the start
  and end of the scanned data and the places after and before a line feed, as
  RE2's are under `(?m)` on the same data; both engines' `\\b` is ASCII.
- Laziness is dropped: which ends exist does not depend on it.

`byte_pattern` returns None where a prefilter cannot help or its line rule would
not hold: a pattern that can match the empty string (its matches could be empty,
and would be on every line), one that can never match, or one too deeply nested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

from .pattern import MAX_CODE, Ranges, _complement, _fold, _normal, _set_of, _subtract_newline

WIDE = r"[\x80-\xff]"  # one byte of a code point over 0x7F


@dataclass(frozen=True, slots=True)
class _Node:
    text: str  # Hyperscan syntax over bytes
    empty: bool  # whether it can match the empty string
    byte_class: str | None = None  # one character of a class: its bytes, as "[...]" innards
    wide: bool = False  # ...and code points over 0x7F (1-4 bytes over 0x7F each)


def byte_pattern(text: str, case: bool) -> str | None:
    """The byte pattern for a user pattern `pattern.parse` accepted, or None."""
    flags = re.ASCII | (0 if case else re.IGNORECASE)
    try:
        tree = _parser.parse(text, flags)
        node = _seq(list(tree), bool(tree.state.flags & re.IGNORECASE))
    except (re.error, ValueError, OverflowError, RecursionError):
        return None
    if node is None or node.empty:
        return None
    return node.text


def _seq(items: list, ci: bool) -> _Node | None:
    """Concatenation; None: never matches."""
    parts = []
    for op, av in items:
        node = _one(op, av, ci)
        if node is None:
            return None
        parts.append(node)
    if len(parts) == 1:
        return parts[0]
    return _Node("".join(p.text for p in parts), all(p.empty for p in parts))


def _one(op, av, ci: bool) -> _Node | None:  # noqa: C901 (one case per node type)
    if op is c.LITERAL:
        if av == 0x0A:
            return None  # a line never holds a line feed
        if ci and (0x41 <= av <= 0x5A or 0x61 <= av <= 0x7A):
            return _class([(av, av)], False, ci)
        if av < 0x80:
            return _Node(f"\\x{av:02x}", False)
        if 0xD800 <= av <= 0xDFFF:  # not encodable: whatever RE2 makes of it
            return _Node(WIDE + "{1,4}", False)
        return _Node("".join(f"\\x{b:02x}" for b in chr(av).encode("utf-8")), False)
    if op is c.NOT_LITERAL:
        return _class([(av, av)], True, ci)
    if op is c.ANY:
        return _class([], True, False)
    if op is c.IN:
        negate = bool(av) and av[0][0] is c.NEGATE
        return _class(_set_of(av[1:] if negate else av), negate, ci)
    if op is c.BRANCH:
        alts = [n for n in (_seq(list(alt), ci) for alt in av[1]) if n is not None]
        if not alts:
            return None
        return _Node("(?:" + "|".join(a.text for a in alts) + ")", any(a.empty for a in alts))
    if op is c.SUBPATTERN:
        _group, add, remove, sub = av
        inner = ci or bool(add & re.IGNORECASE)
        if remove & re.IGNORECASE:
            inner = False
        return _seq(list(sub), inner)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        lo, hi, sub = av
        return _repeat(lo, None if hi is c.MAXREPEAT else hi, _seq(list(sub), ci))
    if op is c.AT:
        return _Node(_ANCHORS[av], True)
    raise ValueError(f"unsupported construct: {op}")  # pattern.parse refused it already


_ANCHORS = {
    c.AT_BEGINNING: "^",
    c.AT_BEGINNING_STRING: "^",
    c.AT_END: "$",
    c.AT_END_STRING: "$",
    c.AT_BOUNDARY: r"\b",
    c.AT_NON_BOUNDARY: r"\B",
}


def _class(ranges: Ranges, negate: bool, ci: bool) -> _Node | None:
    """One character of the code points `ranges`, as pattern._class chooses them."""
    if ci:
        ranges = _fold(ranges)
    ranges = _complement(_normal([*ranges, (0x0A, 0x0A)])) if negate else _subtract_newline(ranges)
    ascii_part = [(a, min(b, 0x7F)) for a, b in ranges if a <= 0x7F]
    wide = any(b > 0x7F and a <= MAX_CODE for a, b in ranges)
    inner = "".join(f"\\x{a:02x}" if a == b else f"\\x{a:02x}-\\x{b:02x}" for a, b in ascii_part)
    if inner and wide:
        text = f"(?:[{inner}]|{WIDE}{{1,4}})"
    elif inner:
        text = f"[{inner}]"
    elif wide:
        text = WIDE + "{1,4}"
    else:
        return None
    return _Node(text, False, inner, wide)


def _repeat(lo: int, hi: int | None, sub: _Node | None) -> _Node | None:
    if sub is None:
        return _Node("", True) if lo == 0 else None
    empty = lo == 0 or sub.empty
    if sub.byte_class is not None and sub.wide:
        # n characters are n to 4n bytes of the class's bytes or bytes over 0x7F
        top = None if hi is None else 4 * hi
        return _Node(f"[{sub.byte_class}\\x80-\\xff]" + _quantifier(lo, top), empty)
    return _Node("(?:" + sub.text + ")" + _quantifier(lo, hi), empty)


def _quantifier(lo: int, hi: int | None) -> str:
    if hi is None:
        return {0: "*", 1: "+"}.get(lo, f"{{{lo},}}")
    return f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
