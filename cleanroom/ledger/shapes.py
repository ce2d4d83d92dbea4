"""The exact shapes of the structural payloads (spec §3.4).

A payload of `session_start`, `session_resume` or `session_end` has exactly the
fields below, at every level of nesting, each of exactly its type: an integer is
never a boolean, hex is lowercase and of its exact length, and `(shape, None)`
means the value may also be `null`. A payload that does not fit is an ENCODING
finding and the entry is unreadable (spec §5.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LEDGER_ID = re.compile(r"[0-9a-f]{32}")
KEY = re.compile(r"[0-9a-f]{64}")  # a raw Ed25519 public key
HASH = KEY  # an entry hash
SIGNATURE = re.compile(r"[0-9a-f]{128}")


@dataclass(frozen=True)
class Each:
    """An object with any keys, each value of `shape` (`by_kind`)."""

    shape: Any


# A shape: a type, a pattern a string must match, a dict of exactly these fields,
# Each, or a tuple of alternatives (None: the value null).
PAYLOADS: dict[str, dict[str, Any]] = {
    "session_start": {
        "cert": str,
        "cert_sig": SIGNATURE,
        "reviewer": {"name": str, "org": str, "key": (KEY, None)},
        "snapshot": ({"id": str, "root": str}, None),
        "prev_session": ({"ledger": LEDGER_ID, "seq": int, "head": HASH}, None),
        "software": str,
    },
    "session_resume": {"after_seq": int, "after_head": HASH, "reason": str},
    "session_end": {
        "reason": str,
        "entries": int,
        "by_kind": Each(int),
        "countersign": ({"key": KEY, "sig": SIGNATURE}, None),
    },
}


def fits(value: Any, shape: Any) -> bool:
    """True when `value` has exactly `shape`. Never raises."""
    if isinstance(shape, dict):
        return (
            type(value) is dict
            and value.keys() == shape.keys()
            and all(fits(value[k], shape[k]) for k in shape)
        )
    if isinstance(shape, Each):
        return type(value) is dict and all(fits(v, shape.shape) for v in value.values())
    if isinstance(shape, re.Pattern):
        return type(value) is str and shape.fullmatch(value) is not None
    if isinstance(shape, tuple):
        return any(value is None if s is None else fits(value, s) for s in shape)
    return type(value) is shape  # exact: a bool is not an int


def misfit(kind: str, payload: dict[str, Any]) -> str | None:
    """Why `payload` does not fit its kind's shape, or None (other kinds: any object)."""
    shape = PAYLOADS.get(kind)
    if shape is None or fits(payload, shape):
        return None
    return f"the {kind} payload does not have the fields and types of spec §3.4"
