"""Who countersigned, and whether that key is one the verifier's user knows.

The per-entry check (entries.py) proves only that the seal's countersignature was
made with the reviewer key the `session_start` names. The workstation key signs
that `session_start`, so this proves nothing about the reviewer by itself: a
thief of the workstation key can name a key of their own. Here each reviewer key
the ledger names is compared with the known reviewer keys given from outside
(ADR 0007): one that is not among them is `REVIEWER_UNKNOWN`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .encoding import Body
from .entries import Noted
from .findings import Finding
from .keys import key_id
from .reviewer_keys import ReviewerKey

KNOWN, UNKNOWN, NOT_CHECKED = "known", "unknown", "not_checked"
MAX_LISTED_KEYS = 10


def named_reviewer_key(start: Body | None) -> bytes | None:
    """The reviewer key a readable `session_start` names, or None."""
    if start is None or start.kind != "session_start":
        return None
    hex_key = start.payload["reviewer"]["key"]  # shape checked: 64 lowercase hex or null
    return None if hex_key is None else bytes.fromhex(hex_key)


def judge_reviewer(
    start: Body | None,
    end: Noted | None,
    findings: Sequence[Finding],
    known: Sequence[ReviewerKey],
) -> tuple[dict[str, Any] | None, list[Finding]]:
    """(the summary's `reviewer.countersign`, REVIEWER_UNKNOWN findings).

    `end` is the first readable `session_end`, `findings` those found so far (a
    COUNTERSIGN finding at the seal means the countersignature does not verify).
    With no `known` keys nothing is checked and no finding is made."""
    by_raw = {k.raw: k for k in known}
    out: list[Finding] = []
    named = named_reviewer_key(start)
    if known and named is not None and named not in by_raw:
        out.append(
            Finding(
                start.seq if start is not None else 0,
                "REVIEWER_UNKNOWN",
                f"the session_start names reviewer key {key_id(named)}, which is not a known"
                f" reviewer key ({_listed(known)})",
            )
        )
    cs = end.payload.get("countersign") if end is not None else None
    if end is None or not isinstance(cs, dict):
        return None, out
    raw = bytes.fromhex(cs["key"])  # shape checked: 64 lowercase hex
    match = by_raw.get(raw)
    if known and match is None:
        out.append(
            Finding(
                end.seq,
                "REVIEWER_UNKNOWN",
                f"the seal is countersigned by reviewer key {key_id(raw)}, which is not a known"
                f" reviewer key ({_listed(known)})",
            )
        )
    bad = any(f.code == "COUNTERSIGN" and f.seq == end.seq for f in findings)
    summary = {
        "key_id": key_id(raw),
        "key": raw.hex(),
        "verifies": not bad,
        "anchor": NOT_CHECKED if not known else KNOWN if match else UNKNOWN,
        "known_as": match.name if match else None,
    }
    return summary, out


def _listed(known: Sequence[ReviewerKey]) -> str:
    ids = ", ".join(k.key_id for k in known[:MAX_LISTED_KEYS])
    more = len(known) - MAX_LISTED_KEYS
    return f"known: {ids}" + (f" and {more} more" if more > 0 else "")
