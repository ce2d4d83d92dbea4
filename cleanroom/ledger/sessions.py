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

from collections import defaultdict
from typing import Any

from .findings import Finding
from .verdict import Verdict, iso


def check_sessions(verdicts: list[Verdict]) -> list[Finding]:
    by_ws: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        if isinstance(v.summary.get("ledger"), str) and isinstance(
            v.summary.get("workstation"), str
        ):
            by_ws[v.summary["workstation"]].append(v)
    out: list[Finding] = []
    for ws, sessions in sorted(by_ws.items()):
        out += _check_workstation(
            ws, sorted(sessions, key=lambda v: v.summary.get("started") or "")
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
    why = (
        f"{v.path} runs under a renewed certificate with {key} "
        f"(key {new.get('key_id')}, issuer {new.get('issuer')}, "
        f"valid {_day(new.get('not_before'))} to {_day(new.get('not_after'))}); "
        f"{before.path} ran under key {old.get('key_id')}, issuer {old.get('issuer')}, "
        f"valid {_day(old.get('not_before'))} to {_day(old.get('not_after'))}"
    )
    return [Finding(None, "SESSION_RENEWED", why)]


def _day(seconds: object) -> str:
    stamp = iso(seconds * 1_000_000) if type(seconds) is int else None
    return stamp or "?"


def _pair(v: Verdict, name: str) -> list[object]:
    pair = v.summary.get(name)
    return list(pair[:2]) if isinstance(pair, list) and len(pair) >= 2 else [None, None]


def _prev(v: Verdict) -> dict[str, Any] | None:
    prev = v.summary.get("prev_session")
    return prev if isinstance(prev, dict) and isinstance(prev.get("ledger"), str) else None


def _check_workstation(ws: str, sessions: list[Verdict]) -> list[Finding]:
    out: list[Finding] = []
    by_id: dict[str, Verdict] = {}
    for v in sessions:
        lid = v.summary["ledger"]
        if lid in by_id:  # a copy: report it, then judge the chain without it
            twice = f"{by_id[lid].path} and {v.path} are both ledger {lid}"
            out.append(Finding(None, "SESSION_FORK", twice))
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
