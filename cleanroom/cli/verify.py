"""`cleanroom verify`: the offline verdict on one or more ledgers."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from ..jsonsafe import strict
from ..ledger.findings import Finding
from ..ledger.private_dir import sweep_once
from ..ledger.reviewer_keys import ReviewerKey, from_public_key_file, load_list
from ..ledger.schema import SUFFIX
from ..ledger.sessions import check_sessions
from ..ledger.verdict import EXIT_CODES, VERDICT_FORMAT, Verdict, status_of, summarize, worst
from ..ledger.verify import verify_path
from ..ledger.witness import Receipt, Witness
from ..sanitize import clean
from .options import trust_option
from .verdict_text import print_verdict


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
    "--reviewer-key",
    "reviewer_key_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A known reviewer's public key file, to check who countersigned (repeatable).",
)
@click.option(
    "--reviewer-keys",
    "reviewer_list",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of known reviewer keys, one `KEY [NAME]` a line (docs/verdict.md).",
)
@click.option(
    "--snapshot",
    "snapshot_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A snapshot the sessions reviewed, to show it by name and version (repeatable).",
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
    reviewer_key_files: tuple[Path, ...],
    reviewer_list: Path | None,
    snapshot_files: tuple[Path, ...],
    as_json: bool,
    workers: int | None,
) -> None:
    """Verify ledgers offline and print a verdict.

    PATHS are ledger files or directories of them. Every hash and signature is
    recomputed; the workstation is trusted only through a certificate from a
    --trust key; the countersigning reviewer key only against --reviewer-key
    and --reviewer-keys. Exit status: 0 intact and sealed, 1 tampered, invalid
    or untrusted, 3 intact but incomplete (unsealed or resumed), 2 usage.
    """
    # SIGTERM unwinds, so the private copies of evidence are removed; after a
    # SIGKILL the next run removes them (ledger/private_dir.py).
    signal.signal(signal.SIGTERM, _terminated)
    sweep_once()
    witnesses = [Witness.parse(t) for t in witness_texts]
    receipts = [Receipt.load(p) for p in receipt_files]
    reviewers = known_reviewers(reviewer_key_files, reviewer_list)
    names = snapshot_names(snapshot_files, trust)
    ledgers = expand_ledgers(paths)
    if witnesses and len(ledgers) > 1:
        raise click.UsageError("--witness applies to a single ledger; name just one")
    verdicts = []
    for path in ledgers:
        several = len(ledgers) > 1
        try:
            verdicts.append(
                verify_path(path, trust, witnesses, receipts, workers, several, reviewers=reviewers)
            )
        except OSError as exc:  # a dangling link or a directory named like a ledger
            if not several:
                raise
            why = f"cannot be read: {exc.strerror or exc}"
            verdicts.append(Verdict.from_findings(str(path), [Finding(None, "NOT_SQLITE", why)],
                                                  summarize()))  # fmt: skip
    sessions = check_sessions(verdicts) if len(verdicts) > 1 else []
    sessions += _unmatched(receipts, verdicts) if len(verdicts) > 1 else []
    status = worst([v.status for v in verdicts] + [status_of(sessions)])
    if as_json:
        doc = _as_json(verdicts, sessions, status, trust, reviewers, names)
        click.echo(strict(json.dumps(doc, indent=1)))
    else:
        for v in verdicts:
            print_verdict(v, names)
        for f in sessions:
            click.echo(f"sessions: {f.code}  {clean(f.message)}")
        if len(verdicts) > 1:
            click.echo(f"overall: {status.value}")
    sys.exit(EXIT_CODES[status])


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def expand_ledgers(paths: tuple[Path, ...]) -> list[Path]:
    """Ledger files named or found (non-recursively) in directories: in a directory,
    every entry named `*.ledger` but a directory, so a FIFO or a dangling link in a
    ledger's place is judged (or refused), never silently left out. Raises UsageError."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.name.endswith(SUFFIX) and not q.is_dir())
            if not found:
                raise click.UsageError(f"no {SUFFIX} files in {clean(p)}")
            for q in found:
                if not q.exists():
                    raise click.UsageError(f"{clean(q)}: a link to nothing ({clean(q.readlink())})")
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


def known_reviewers(files: tuple[Path, ...], listed: Path | None) -> list[ReviewerKey]:
    """The known reviewer keys: each --reviewer-key file, then the --reviewer-keys
    list; a key given twice counts once. Raises KeyFileError (exit 2)."""
    keys = [from_public_key_file(p) for p in files]
    keys += load_list(listed) if listed is not None else []
    unique: dict[bytes, ReviewerKey] = {}
    for k in keys:
        unique.setdefault(k.raw, k)
    return list(unique.values())


def snapshot_names(files: tuple[Path, ...], trust: list[bytes]) -> dict[str, tuple[str, str]]:
    """Snapshot id to (name, version), for each --snapshot file, which must open as a
    snapshot signed by a --trust key. Raises SnapshotError (exit 2)."""
    from ..snapshot.store import Snapshot  # only for --snapshot: not every verify's cost

    names = {}
    for path in files:
        with Snapshot.open(path, trust) as snap:
            names[snap.id] = (snap.manifest.name, snap.manifest.version)
    return names


def _as_json(
    verdicts: list[Verdict],
    sessions: list[Finding],
    status: Any,
    trust: list[bytes],
    reviewers: list[ReviewerKey] | None = None,
    names: dict[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    from ..ledger.keys import key_id

    return {
        "format": VERDICT_FORMAT,
        "status": status.value,
        "exit_code": EXIT_CODES[status],
        "trust": [key_id(k) for k in trust],
        "reviewer_keys": [k.to_json() for k in reviewers or []],
        "ledgers": [_ledger_json(v, names or {}) for v in verdicts],
        "sessions": [f.to_json() for f in sessions],
    }


def _ledger_json(v: Verdict, names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    doc = v.to_json()
    snap = v.summary.get("snapshot")
    sid = snap.get("id") if isinstance(snap, dict) else None
    label = names.get(sid) if isinstance(sid, str) else None
    doc["snapshot_name"] = None if label is None else {"name": label[0], "version": label[1]}
    return doc
