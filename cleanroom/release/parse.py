"""Strict JSON for files that come from outside: a release, a decisions file.

`read_json` refuses what a lenient parser would quietly accept: a file over its
size limit, bytes that are not UTF-8, duplicate keys (which of two values would
a reader believe?), floats, NaN and Infinity, integers beyond ±(2^53-1), and
nesting deeper than `MAX_DEPTH`. Every refusal is a `JsonRefused` with a code
and a message; nothing else is raised.
"""

from __future__ import annotations

import json
from typing import Any

from ..ledger.encoding import MAX_DEPTH, MAX_SAFE_INT, within_depth


class JsonRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonRefused("DUPLICATE_KEY", f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def _no_float(text: str) -> Any:
    raise JsonRefused("NUMBER", f"a fractional number ({text[:20]}) where only integers belong")


def _no_constant(text: str) -> Any:
    raise JsonRefused("NUMBER", f"{text} is not a JSON number")


def _int(text: str) -> int:
    if len(text) > 17 or abs(int(text)) > MAX_SAFE_INT:
        raise JsonRefused("NUMBER", f"the integer {text[:20]} is outside ±(2^53-1)")
    return int(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_float=_no_float, parse_constant=_no_constant, parse_int=_int
)


def read_json(data: bytes, limit: int) -> Any:
    """The value `data` holds, or JsonRefused."""
    if len(data) > limit:
        raise JsonRefused("TOO_BIG", f"larger than {limit} bytes")
    if not data.strip():
        raise JsonRefused("NOT_JSON", "the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRefused("NOT_JSON", f"not UTF-8 (byte {exc.start})") from None
    try:
        value = _DECODER.decode(text)
    except JsonRefused:
        raise
    except RecursionError:  # the C scanner counts its recursion; so does Python
        raise JsonRefused("TOO_DEEP", "nested too deeply to read") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise JsonRefused("NOT_JSON", f"not JSON: {exc}") from None
    if not within_depth(value):
        raise JsonRefused("TOO_DEEP", f"nested deeper than {MAX_DEPTH} levels")
    return value
