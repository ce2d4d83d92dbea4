"""`cleanroom verify`: the offline verdict on one or more ledgers."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from ..jsonsafe import strict
from ..ledger.findings import PER_CODE, Finding
from ..ledger.private_dir import sweep_once
from ..ledger.schema import SUFFIX
from ..ledger.sessions import check_sessions
from ..ledger.verdict import EXIT_CODES, VERDICT_FORMAT, Verdict, status_of, worst
from ..ledger.verify import verify_path
from ..ledger.witness import Receipt, Witness
from ..sanitize import clean
from .options import trust_option


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@trust_option()
@click.option("--witness", "witness_texts", multiple=True, metavar="SEQ:CODE",
              help="A witness code copied from paper (repeatable; one ledger only).")  # fmt: skip
@click.option(
    "--receipt",
    "receipt_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A seal receipt kept off the workstation (repeatable; matched by ledger id).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the verdict as JSON (docs/verdict.md)."
)
@click.option(
    "--workers", type=click.IntRange(1, 256), help="Processes to verify with [all cores]."
)
def verify(
    paths: tuple[Path, ...],
    trust: list[bytes],
    witness_texts: tuple[str, ...],
    receipt_files: tuple[Path, ...],
    as_json: bool,
    workers: int | None,
) -> None:
    """Verify ledgers offline and print a verdict.

    PATHS are ledger files or directories of them. Every hash and signature is
    recomputed; the workstation is trusted only through a certificate from a
    --trust key. Exit status: 0 intact and sealed, 1 tampered, invalid or
    untrusted, 3 intact but incomplete (unsealed or resumed), 2 usage.
    """
    # SIGTERM unwinds, so the private copies of evidence are removed; after a
    # SIGKILL the next run removes them (ledger/private_dir.py).
    signal.signal(signal.SIGTERM, _terminated)
    sweep_once()
    witnesses = [Witness.parse(t) for t in witness_texts]
    receipts = [Receipt.load(p) for p in receipt_files]
    ledgers = expand_ledgers(paths)
    if witnesses and len(ledgers) > 1:
        raise click.UsageError("--witness applies to a single ledger; name just one")
    verdicts = []
    for path in ledgers:
        several = len(ledgers) > 1
        verdicts.append(verify_path(path, trust, witnesses, receipts, workers, several))
    sessions = check_sessions(verdicts) if len(verdicts) > 1 else []
    sessions += _unmatched(receipts, verdicts) if len(verdicts) > 1 else []
    status = worst([v.status for v in verdicts] + [status_of(sessions)])
    if as_json:
        click.echo(strict(json.dumps(_as_json(verdicts, sessions, status, trust), indent=1)))
    else:
        for v in verdicts:
            _print(v)
        for f in sessions:
            click.echo(f"sessions: {f.code}  {clean(f.message)}")
        if len(verdicts) > 1:
            click.echo(f"overall: {status.value}")
    sys.exit(EXIT_CODES[status])


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def expand_ledgers(paths: tuple[Path, ...]) -> list[Path]:
    """Ledger files named or found (non-recursively) in directories. Raises UsageError."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.name.endswith(SUFFIX) and q.is_file())
            if not found:
                raise click.UsageError(f"no {SUFFIX} files in {clean(p)}")
            out += found
        elif p.exists() or p.is_symlink():
            out.append(p)
        else:
            raise click.UsageError(f"{clean(p)}: no such file or directory")
    return out


def _unmatched(receipts: list[Receipt], verdicts: list[Verdict]) -> list[Finding]:
    """Receipts whose ledger is not among those given: the ledger is missing."""
    ids = {v.summary.get("ledger") for v in verdicts}
    return [
        Finding(None, "RECEIPT_LEDGER", f"no ledger given has the receipt's id {r.ledger}")
        for r in receipts
        if r.ledger not in ids
    ]


def _as_json(
    verdicts: list[Verdict], sessions: list[Finding], status: Any, trust: list[bytes]
) -> dict[str, Any]:
    from ..ledger.keys import key_id

    return {
        "format": VERDICT_FORMAT,
        "status": status.value,
        "exit_code": EXIT_CODES[status],
        "trust": [key_id(k) for k in trust],
        "ledgers": [v.to_json() for v in verdicts],
        "sessions": [f.to_json() for f in sessions],
    }


def _print(v: Verdict) -> None:
    s = v.summary
    click.echo(f"{clean(v.path)}: {v.status.value}")
    rev = s.get("reviewer") or {}
    if rev.get("name") is not None:
        signed = ", countersigned" if rev.get("countersigned") else ""
        click.echo(f"  reviewer     {clean(rev.get('name'))} ({clean(rev.get('org'))}){signed}")
    cert = s.get("certificate")
    if cert:
        trusted = "trusted" if cert["trusted"] else "NOT TRUSTED"
        click.echo(
            f"  workstation  {clean(s.get('workstation'))} "
            f"(key {cert['key_id']}, certified by {clean(cert['issuer'])}: {trusted})"
        )
    snap = s.get("snapshot")
    if isinstance(snap, dict):
        click.echo(f"  snapshot     {clean(snap.get('id'))} root {clean(snap.get('root'))}")
    if s.get("started"):
        click.echo(f"  period       {s['started']} to {s['ended']}")
    kinds = ", ".join(f"{clean(k)} {n}" for k, n in s.get("by_kind", {}).items())
    click.echo(f"  entries      {s.get('entries', 0)}" + (f": {kinds}" if kinds else ""))
    if s.get("alert_count"):
        click.echo(f"  ALERTS       {s['alert_count']}")
        for a in s["alerts"][:20]:
            click.echo(f"    seq {a['seq']} {a['time']} {clean(json.dumps(a['payload']))}")
    if s.get("resumes"):
        click.echo(f"  resumed at   {', '.join(map(str, s['resumes']))}")
    if s.get("head"):
        h = s["head"]
        sealed = "sealed" if s.get("sealed") else "NOT sealed"
        click.echo(f"  head         {h['seq']}:{h['witness']} ({sealed})")
    for f in v.findings:
        where = "" if f.seq is None else f"seq {f.seq}  "
        click.echo(f"  {f.severity.value:<10} {f.code}  {where}{clean(f.message)}")
    for code, n in v.omitted.items():
        click.echo(f"  {'':<10} {code}  … and {n:,} more (the first {PER_CODE} are listed)")
