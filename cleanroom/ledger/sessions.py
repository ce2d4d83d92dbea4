"""Checks across ledgers: one workstation's sessions must form a single chain.

Each `session_start` names the head of the previous session on its workstation
(`prev_session`). Given several verified ledgers, this finds sessions that are
missing, forked, altered after a successor started, or out of order (spec §5.4).

Order is what `prev_session` says. The wall clock is settable (NTP steps it), so
a successor that starts "before" its predecessor ended by the wall clock is only
a warning; the monotonic clock, which cannot go back within one boot, is
evidence. A successor under a renewed certificate is noted, never judged.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from .credit import Credit, HashesOf, copy_key, credit
from .findings import Finding
from .verdict import Status, Verdict, iso


def check_sessions(verdicts: list[Verdict], hashes_of: HashesOf | None = None) -> list[Finding]:
    """SESSION_* findings over `verdicts`. With `hashes_of` (credit.py), a file that is
    a prefix of another is told from a fork, and a fork's common part is named."""
    given = _Given(verdicts, credit(verdicts, hashes_of))
    by_ws: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        if isinstance(v.summary.get("ledger"), str) and isinstance(
            v.summary.get("workstation"), str
        ):
            by_ws[v.summary["workstation"]].append(v)
    out: list[Finding] = []
    for ws, sessions in sorted(by_ws.items()):
        out += _check_workstation(
            ws, sorted(sessions, key=lambda v: v.summary.get("started") or ""), given
        )
    return out


def _period(v: Verdict) -> tuple[int, int]:
    start, end = (v.summary.get("period_us") or [None, None])[:2]
    return (start if isinstance(start, int) else 0, end if isinstance(end, int) else 0)


def _order(before: Verdict, v: Verdict) -> list[Finding]:
    """SESSION_ORDER when the monotonic clock of one boot shows `v` started before
    `before` ended; SESSION_CLOCK when only the wall clock says so."""
    boot_end, boot_start = _pair(before, "boots")[1], _pair(v, "boots")[0]
    mono_end, mono_start = _pair(before, "period_mono_us")[1], _pair(v, "period_mono_us")[0]
    if (
        isinstance(boot_end, str)
        and boot_end == boot_start
        and isinstance(mono_end, int)
        and isinstance(mono_start, int)
        and mono_start < mono_end
    ):
        late = (mono_end - mono_start) / 1e6
        why = f"{v.path} started {late:.3f} s before {before.path} ended (one boot's clock)"
        return [Finding(None, "SESSION_ORDER", why)]
    wall_end, wall_start = _period(before)[1], _period(v)[0]
    if wall_end > wall_start:
        late = (wall_end - wall_start) / 1e6
        why = (
            f"{v.path} starts {late:.3f} s before {before.path} ends by the wall clock, "
            "which was set back between them; their order is the order of prev_session"
        )
        return [Finding(None, "SESSION_CLOCK", why)]
    return []


def _renewal(before: Verdict, v: Verdict) -> list[Finding]:
    """SESSION_RENEWED when `v` runs under another certificate than `before`."""
    old, new = before.summary.get("certificate"), v.summary.get("certificate")
    if not isinstance(old, dict) or not isinstance(new, dict) or old == new:
        return []
    fields = ("key_id", "issuer", "not_before", "not_after")
    if all(old.get(f) == new.get(f) for f in fields):
        return []
    key = "a new workstation key" if old.get("key_id") != new.get("key_id") else "the same key"
    older = _is_int(new.get("not_before")) and _is_int(old.get("not_before"))
    if older and new["not_before"] < old["not_before"]:
        # Not a renewal: the certificate (and key) a renewal replaced was used again,
        # as whoever kept or stole the old key file could.
        other_key = old.get("key_id") != new.get("key_id")
        key = "the workstation key a renewal replaced" if other_key else "the same key"
        what = f"an OLDER certificate than its predecessor's, with {key} "
    else:
        what = f"a renewed certificate with {key} "
    why = (
        f"{v.path} runs under {what}"
        f"(key {new.get('key_id')}, issuer {new.get('issuer')}, "
        f"valid {_day(new.get('not_before'))} to {_day(new.get('not_after'))}); "
        f"{before.path} ran under key {old.get('key_id')}, issuer {old.get('issuer')}, "
        f"valid {_day(old.get('not_before'))} to {_day(old.get('not_after'))}"
    )
    return [Finding(None, "SESSION_RENEWED", why)]


class _Given:
    """The verdicts checked and what each file is credited with."""

    def __init__(self, verdicts: list[Verdict], credit: Credit) -> None:
        self.verdicts, self.credit = verdicts, credit
        self.where = {id(v): i for i, v in enumerate(verdicts)}

    def credited(self, v: Verdict) -> bool:
        return self.where[id(v)] not in self.credit.dropped


def _twice(kept: Verdict, v: Verdict, lid: str, given: _Given) -> Finding:
    """SESSION_COPY when `v` holds the same session as `kept`, entry for entry (one
    file named twice, or a byte copy), or when one is a prefix of another file of
    the session; SESSION_FORK when their entries differ (ADR 0308)."""
    if copy_key(kept) is not None and copy_key(kept) == copy_key(v):
        if os.path.realpath(kept.path) == os.path.realpath(v.path):
            why = f"{v.path} is given twice (ledger {lid}): counted once"
        else:
            why = f"{v.path} is a copy of {kept.path} (ledger {lid}): counted once"
        return Finding(None, "SESSION_COPY", why)
    i, k = given.where[id(v)], given.where[id(kept)]
    for short in (i, k):
        if short in given.credit.prefix_of:
            what = given.verdicts[short]
            longer = given.verdicts[given.credit.prefix_of[short]]
            seq = (what.summary.get("head") or {}).get("seq")
            why = (
                f"{what.path} is a prefix of {longer.path} (ledger {lid}, its entries 0 to "
                f"{seq} are the same): counted once, as the longer file"
            )
            return Finding(None, "SESSION_COPY", why)
    if not given.credit.compared:  # `cleanroom verify`: nothing is credited there
        why = f"{kept.path} and {v.path} both claim ledger {lid} with different entries"
        return Finding(None, "SESSION_FORK", why)
    common = next((c for tops, c in given.credit.forks if i in tops or k in tops), -1)
    agree = (
        f"they agree up to entry {common}: the session is credited once, up to entry {common}, "
        "and no later entry of either file is credited"
        if common >= 0
        else "no common entry is known: neither file is credited"
    )
    why = f"{kept.path} and {v.path} both claim ledger {lid} with different entries; {agree}"
    return Finding(None, "SESSION_FORK", why)


def _is_int(value: object) -> bool:
    return type(value) is int


def _day(seconds: object) -> str:
    stamp = iso(seconds * 1_000_000) if type(seconds) is int else None
    return stamp or "?"


def _pair(v: Verdict, name: str) -> list[object]:
    pair = v.summary.get(name)
    return list(pair[:2]) if isinstance(pair, list) and len(pair) >= 2 else [None, None]


def _prev(v: Verdict) -> dict[str, Any] | None:
    prev = v.summary.get("prev_session")
    return prev if isinstance(prev, dict) and isinstance(prev.get("ledger"), str) else None


def copies(verdicts: list[Verdict], hashes_of: HashesOf | None = None) -> dict[int, int]:
    """Index of each verdict that is a copy of an earlier one → that one's index:
    same session, same content (`copy_key`), whatever file holds it. A session is
    credited once however many copies are given; the first is kept, unless it is
    TAMPERED and a copy is not (then the copy stands for it). A prefix of another
    file of the session, and every branch of a fork but the first, are dropped too
    (credit.py, ADR 0308); the first branch is then cut (`credit(...).cut`)."""
    out = _byte_copies(verdicts)
    for i, kept in credit(verdicts, hashes_of).dropped.items():
        out.setdefault(i, kept)
    return out


def _byte_copies(verdicts: list[Verdict]) -> dict[int, int]:
    first: dict[tuple[str, int, str], int] = {}
    out: dict[int, int] = {}
    for i, v in enumerate(verdicts):
        key = copy_key(v)
        if key is None:
            continue
        if key not in first:
            first[key] = i
            continue
        kept = first[key]
        if verdicts[kept].status is Status.TAMPERED and v.status is not Status.TAMPERED:
            out = {c: (i if o == kept else o) for c, o in out.items()}
            out[kept], first[key] = i, i
        else:
            out[i] = kept
    return out


def _check_workstation(ws: str, sessions: list[Verdict], given: _Given) -> list[Finding]:
    out: list[Finding] = []
    by_id: dict[str, Verdict] = {}
    for v in sessions:
        lid = v.summary["ledger"]
        if lid in by_id:  # a copy or a fork: report it, then judge the chain without it
            out.append(_twice(by_id[lid], v, lid, given))
            if given.credited(v) and not given.credited(by_id[lid]):
                by_id[lid] = v  # the chain goes on from the file credited (a prefix's longer)
            continue
        by_id[lid] = v
    sessions = list(by_id.values())
    successors: dict[str, list[Verdict]] = defaultdict(list)
    roots: list[Verdict] = []
    for v in sessions:
        prev = _prev(v)
        if prev is None or prev["ledger"] not in by_id:
            roots.append(v)
            continue
        successors[prev["ledger"]].append(v)
        before = by_id[prev["ledger"]]
        head = before.summary.get("head") or {}
        if head.get("seq") != prev.get("seq") or head.get("hash") != prev.get("head"):
            out.append(
                Finding(
                    None,
                    "SESSION_HEAD",
                    f"{v.path} recorded {before.path} ending at entry {prev.get('seq')}, "
                    f"but it ends at {head.get('seq')} with another head",
                )
            )
        out += _order(before, v)
        out += _renewal(before, v)
    for v in roots[1:]:
        prev = _prev(v)
        named = f"names predecessor {prev['ledger']}, which is absent" if prev else "names none"
        out.append(Finding(None, "SESSION_MISSING", f"workstation {ws}: {v.path} {named}"))
    for lid, kids in successors.items():
        if len(kids) > 1:
            names = ", ".join(k.path for k in kids)
            out.append(Finding(None, "SESSION_FORK", f"{names} all follow {by_id[lid].path}"))
    return out
