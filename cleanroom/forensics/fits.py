"""What a reviewer event's values must be, beyond their JSON types.

`timeline.typed_event` checks each payload field against its dataclass type;
this adds the ranges the reviewer terminal can actually produce. A value
outside them is not something a genuine workstation writes, and the outputs
must never act on it (draw a hostile string, allocate per claimed line or
column), so the entry "does not fit its kind" and keeps only its raw payload:

- `blob` (file_open, view) and `digest` (search) are 64 lowercase hex digits,
  a SHA-256 (docs/events.md). Anything else could carry terminal escapes.
- A `view` shows lines 1 ≤ first ≤ last, at most `MAX_VIEW_ROWS` of them, from
  column 0 ≤ col < `MAX_COLUMN`, at most `MAX_VIEW_COLS` columns wide; wrapped
  (`wrap` rows, ADR 0212), from column 0, in at most `MAX_VIEW_ROWS` rows, no more
  lines than rows, and at most `MAX_WRAPPED_CELLS` cells (`wrap * cols`).
- A `file_open`'s `size` and `lines` are not negative.
- A `tree_list` lists 0 ≤ entries names from 0 ≤ start, within its `total`
  when it records one (-1: a ledger of before pages).
- A `quick_open_list` lists at most `MAX_QUICK_OPEN_NAMES` names, and no more
  than its `matches`; those lie among the 0 ≤ `searched` ≤ `total` paths it
  searched when it records them (-1, -1: a ledger of before the bound).
- A `search_start` lists 1 ≤ `rows` ≤ 100 (a first page, ADR 0116) and names
  them by a `digest` of 64 hex digits.
- A `symbol_outline` or `symbol_definitions` lists 0 ≤ listed ≤ its count of
  definitions or places, at most `MAX_SYMBOLS_LISTED`, and names them by a
  `digest` of 64 hex digits (and the outline its `blob`); an outline's page
  starts at 0 ≤ `offset`, lists no more than the definitions after it, and a
  later page starts before the last of them (ADR 0127); a `symbol_quick_open`
  lists at most `MAX_SYMBOL_NAMES` names (issue 15).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_VIEW_ROWS = 10_000  # a screen taller than any terminal: rows of one viewport
MAX_VIEW_COLS = 10_000  # columns of one viewport
MAX_WRAPPED_CELLS = 1_000_000  # cells of one wrapped screen (1,000 rows of 1,000)
MAX_COLUMN = 1 << 31  # the first column shown (lines may be long, not this long)

MAX_SYMBOLS_LISTED = 5_000  # session/symbols.py OUTLINE_LIMIT (definitions list 50)
MAX_SYMBOL_NAMES = 50  # session/symbols.py NAMES_LIMIT
MAX_QUICK_OPEN_NAMES = 100  # session/local_service.py SHOWN_NAMES
MAX_FIRST_PAGE_ROWS = 100  # snapshot/search.py PAGE: a first page's rows at most

Check = Callable[[dict[str, Any]], str | None]


def _hex(name: str) -> Check:
    def check(p: dict[str, Any]) -> str | None:
        value = p[name]
        if len(value) != 64 or not HEX64.fullmatch(value):
            return f"field {name} is not 64 lowercase hex digits"
        return None

    return check


def _view(p: dict[str, Any]) -> str | None:
    first, last, col, cols = p["first"], p["last"], p["col"], p["cols"]
    if not 1 <= first <= last or last - first >= MAX_VIEW_ROWS:
        return f"lines {first}-{last}: not 1 <= first <= last, at most {MAX_VIEW_ROWS} lines"
    if not 0 <= col < MAX_COLUMN or not 0 <= cols <= MAX_VIEW_COLS:
        return f"{cols} columns from column {col}: at most {MAX_VIEW_COLS}, from 0 to 2^31"
    wrap = p.get("wrap", 0)
    if wrap != 0 and (not 0 < wrap <= MAX_VIEW_ROWS or col != 0 or cols < 1
                      or last - first >= wrap or wrap * cols > MAX_WRAPPED_CELLS):  # fmt: skip
        return f"wrapped in {wrap} rows of {cols} from column {col}: not a screen"
    return _hex("blob")(p)


def _file_open(p: dict[str, Any]) -> str | None:
    if p["size"] < 0 or p["lines"] < 0:
        return "a negative size or line count"
    return _hex("blob")(p)


def _tree_list(p: dict[str, Any]) -> str | None:
    entries, start, total = p["entries"], p.get("start", 0), p.get("total", -1)
    if entries < 0 or start < 0 or total < -1 or (total >= 0 and start + entries > total):
        return f"{entries} names from {start} of {total}: not a page of the listing"
    return None


def _quick_open_list(p: dict[str, Any]) -> str | None:
    listed, matches = len(p["names"]), p["matches"]
    searched, total = p.get("searched", -1), p.get("total", -1)
    if not listed <= min(matches, MAX_QUICK_OPEN_NAMES):
        return f"{listed} names listed of {matches} matches: more than matched, or than 100"
    if (searched, total) != (-1, -1) and not matches <= searched <= total:
        return f"{matches} matches in the first {searched} of {total} paths: not a bounded match"
    return None


def _listed(count: str) -> Check:
    def check(p: dict[str, Any]) -> str | None:
        listed, total = p["listed"], p[count]
        if not 0 <= listed <= min(total, MAX_SYMBOLS_LISTED):
            return f"{listed} listed of {total}: not 0 <= listed <= {count}, {MAX_SYMBOLS_LISTED}"
        return _hex("digest")(p) or (_hex("blob")(p) if "blob" in p else None)

    return check


def _outline(p: dict[str, Any]) -> str | None:
    offset, listed, total = p.get("offset", 0), p["listed"], p["symbols"]
    if offset < 0 or (offset and offset >= total) or listed > total - offset:
        return f"{listed} listed after {offset} of {total}: not a page of the outline"
    return _listed("symbols")(p)


def _symbol_names(p: dict[str, Any]) -> str | None:
    if len(p["names"]) > MAX_SYMBOL_NAMES:
        return f"{len(p['names'])} names: more than the {MAX_SYMBOL_NAMES} a list shows"
    return None


def _search_start(p: dict[str, Any]) -> str | None:
    if not 1 <= p["rows"] <= MAX_FIRST_PAGE_ROWS:
        return f"{p['rows']} rows: a first page lists 1 to {MAX_FIRST_PAGE_ROWS}"
    return _hex("digest")(p)


CHECKS: dict[str, Check] = {"view": _view, "file_open": _file_open, "search": _hex("digest"),
                            "search_start": _search_start,
                            "tree_list": _tree_list, "quick_open_list": _quick_open_list,
                            "symbol_outline": _outline,
                            "symbol_definitions": _listed("places"),
                            "symbol_quick_open": _symbol_names}  # fmt: skip


def misfit(kind: str, payload: dict[str, Any]) -> str | None:
    """Why a payload whose fields have the right types still does not fit `kind`;
    None when it fits. Call only once the types are checked."""
    check = CHECKS.get(kind)
    return None if check is None else check(payload)
