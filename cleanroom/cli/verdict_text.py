"""The text verdict of `cleanroom verify`: one block per ledger, for people.

Every string from a ledger or the file system goes through the one sanitizer
(`clean`). The finding that explains the status is printed first; the layout is
described in docs/verdict.md ("The text output"). Scripts use `--json`.
"""

from __future__ import annotations

import json
from typing import Any

import click

from ..forensics.describe import describe
from ..forensics.timeline import TimelineEntry, typed_event
from ..ledger.countersign import KNOWN, UNKNOWN
from ..ledger.findings import PER_CODE, Finding
from ..ledger.verdict import Verdict
from ..sanitize import clean

MAX_ALERT_TEXT = 300  # characters of one alert's description
MAX_PRINTED_ALERTS = 20
NOT_CHECKED = (
    "NOT checked: no --reviewer-key given; anyone holding the workstation key"
    " could have made this countersignature"
)


def print_verdict(v: Verdict, snapshot_names: dict[str, tuple[str, str]]) -> None:
    """Print `v`. `snapshot_names` maps a snapshot id to (name, version) for the
    snapshots given with --snapshot."""
    s = v.summary
    click.echo(f"{clean(v.path)}: {v.status.value}")
    rev = s.get("reviewer") or {}
    if rev.get("name") is not None:
        click.echo(f"  reviewer     {clean(rev.get('name'))} ({clean(rev.get('org'))})")
    if s.get("ledger") is not None:
        click.echo(f"  countersign  {countersign_text(rev, s.get('sealed', False))}")
    cert = s.get("certificate")
    if cert:
        trusted = "trusted" if cert["trusted"] else "NOT TRUSTED"
        click.echo(
            f"  workstation  {clean(s.get('workstation'))} "
            f"(key {cert['key_id']}, certified by {clean(cert['issuer'])}: {trusted})"
        )
    snap = s.get("snapshot")
    if isinstance(snap, dict):
        click.echo(f"  snapshot     {snapshot_text(snap, snapshot_names)}")
    if s.get("started"):
        click.echo(f"  period       {s['started']} to {s['ended']}")
    kinds = ", ".join(f"{clean(k)} {n}" for k, n in s.get("by_kind", {}).items())
    click.echo(f"  entries      {s.get('entries', 0)}" + (f": {kinds}" if kinds else ""))
    if s.get("alert_count"):
        click.echo(f"  ALERTS       {s['alert_count']}")
        for a in s["alerts"][:MAX_PRINTED_ALERTS]:
            click.echo(f"    seq {a['seq']} {a['time'] or '?'} {alert_text(a)}")
        if s["alert_count"] > MAX_PRINTED_ALERTS:
            click.echo(f"    … and {s['alert_count'] - MAX_PRINTED_ALERTS:,} more (see --json)")
    if s.get("resumes"):
        click.echo(f"  resumed at   {', '.join(map(str, s['resumes']))}")
    if s.get("head"):
        h = s["head"]
        sealed = "sealed" if s.get("sealed") else "NOT sealed"
        click.echo(f"  head         {h['seq']}:{h['witness']} ({sealed})")
    for r in v.receipts:
        click.echo(f"  receipt      {_result(r, 'receipt')}")
    for w in v.witnesses:
        click.echo(f"  witness      {_result(w, 'witness')}")
    explaining = v.explaining
    for f in ([explaining] if explaining else []) + [f for f in v.findings if f is not explaining]:
        click.echo(_finding(f))
    for code, n in v.omitted.items():
        click.echo(f"  {'':<10} {code}  … and {n:,} more (the first {PER_CODE} are listed)")


def _finding(f: Finding) -> str:
    where = "" if f.seq is None else f"seq {f.seq}  "
    return f"  {f.severity.value:<10} {f.code}  {where}{clean(f.message)}"


def countersign_text(reviewer: dict[str, Any], sealed: bool) -> str:
    """Who countersigned, and whether that key was checked against a known reviewer key."""
    cs = reviewer.get("countersign")
    if cs is None:
        if not sealed:
            return "none: the session is not sealed"
        if reviewer.get("key_id"):
            return f"NONE: the session named reviewer key {reviewer['key_id']}, the seal has none"
        return "none: the session names no reviewer key"
    who = f"by reviewer key {cs['key_id']}"
    if cs.get("known_as"):
        who += f" ({clean(cs['known_as'])})"
    if not cs.get("verifies"):
        who += ", which does NOT verify (COUNTERSIGN)"
    if cs.get("anchor") == KNOWN:
        return f"{who}: matches a known reviewer key"
    if cs.get("anchor") == UNKNOWN:
        return (
            f"{who}: NOT a known reviewer key (REVIEWER_UNKNOWN); anyone holding the"
            " workstation key could have made it"
        )
    return f"{who}: {NOT_CHECKED}"


def snapshot_text(snap: dict[str, Any], names: dict[str, tuple[str, str]]) -> str:
    sid, root = snap.get("id"), snap.get("root")
    label = names.get(sid) if isinstance(sid, str) else None
    named = (
        f"{clean(label[0])} {clean(label[1])}, " if label else "(name unknown: pass --snapshot) "
    )
    return f"{named}id {clean(sid)} root {clean(root)}"


def alert_text(alert: dict[str, Any]) -> str:
    """One alert in plain words, sanitized and cut to MAX_ALERT_TEXT characters."""
    payload = alert.get("payload")
    if not isinstance(payload, dict):
        return clean(repr(payload))[:MAX_ALERT_TEXT]
    seq = alert["seq"] if isinstance(alert.get("seq"), int) else 0
    event, problem = typed_event("alert", payload)
    if event is None:  # not the guard's shape: its fields as `name=value`, not JSON
        fields = ", ".join(f"{k}={_value(v)}" for k, v in sorted(payload.items()))
        text = clean(f"(unexpected fields: {problem}) {fields}")
    else:
        text = clean(describe(TimelineEntry(seq, "alert", 0, 0, b"", payload, event, problem)))
        text = text.removeprefix("ALERT ")
    return text if len(text) <= MAX_ALERT_TEXT else text[: MAX_ALERT_TEXT - 1] + "…"


def _value(v: object) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)


def _result(item: dict[str, Any], what: str) -> str:
    head = f"{item['seq']}:{item['witness']}"
    result = item["result"]
    if what == "receipt":
        text = {
            "matched": f"matched: head {head}",
            "mismatch": f"head {head} does NOT match (WITNESS_MISMATCH)",
            "beyond_end": f"head {head} is past the end (WITNESS_BEYOND_END)",
            "other_ledger": f"for another ledger {item['ledger']} (RECEIPT_LEDGER)",
        }
    else:
        text = {
            "matched": f"{head} matched",
            "mismatch": f"{head} does NOT match (WITNESS_MISMATCH)",
            "beyond_end": f"{head} is past the end (WITNESS_BEYOND_END)",
        }
    return text.get(result, f"{head} {result}")
