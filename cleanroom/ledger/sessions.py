"""Checks across ledgers: one workstation's sessions must form a single chain.

Each `session_start` names the head of the previous session on its workstation
(`prev_session`). Given several verified ledgers, this finds sessions that are
missing, forked, altered after a successor started, or out of order (spec §5.4).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .findings import Finding
from .verdict import Verdict


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
        if _period(before)[1] > _period(v)[0]:
            out.append(
                Finding(None, "SESSION_ORDER", f"{v.path} started before {before.path} ended")
            )
    for v in roots[1:]:
        prev = _prev(v)
        named = f"names predecessor {prev['ledger']}, which is absent" if prev else "names none"
        out.append(Finding(None, "SESSION_MISSING", f"workstation {ws}: {v.path} {named}"))
    for lid, kids in successors.items():
        if len(kids) > 1:
            names = ", ".join(k.path for k in kids)
            out.append(Finding(None, "SESSION_FORK", f"{names} all follow {by_id[lid].path}"))
    return out
