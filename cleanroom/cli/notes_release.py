"""`cleanroom notes release`: decide on each checked note and sign the release.

Interactive by default: each note is shown sanitized, with what the check found,
and the vendor answers release, withhold or redact (then types the replacement
text). With --decisions FILE it runs unattended (docs/notes-release.md §5).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from ..ledger.keys import Role
from ..ledger.regular_file import read_small
from ..ledger.verdict import Status
from ..release.decide import (
    MAX_DECISIONS_FILE,
    UNSALTED_REDACTION,
    Decision,
    DecisionError,
    build_release,
    read_decisions,
    unsalted,
)
from ..release.document import MAX_RELEASE, sign_release
from ..sanitize import clean, sanitize
from .keys import PASSPHRASE_FILE, load_signing_key
from .notes import (
    LEDGERS,
    MIN_LENGTH,
    SNAPSHOT,
    cache_choice,
    describe,
    ledger_lines,
    name_cache,
    notes,
    run_check,
)
from .options import trust_option

END_OF_TEXT = "."


@notes.command("release")
@LEDGERS
@SNAPSHOT
@trust_option()
@click.option(
    "--vendor-key",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The vendor root private key that signs the release.",
)
@PASSPHRASE_FILE
@click.option(
    "--decisions",
    "decisions_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Decide from this JSON file instead of asking (docs/notes-release.md §5).",
)
@click.option("--released-by", required=True, help="Who releases: a person's name.")
@click.option("--org", required=True, help="The organisation releasing.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The release file to write (never overwritten).",
)
@MIN_LENGTH
@name_cache
def release(
    paths: tuple[Path, ...],
    snapshot_file: Path,
    trust: list[bytes],
    vendor_key: Path,
    passphrase_file: Path | None,
    decisions_file: Path | None,
    released_by: str,
    org: str,
    output: Path,
    min_length: int,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """Check the notes, decide on each, and write a release signed by the vendor.

    Refused (exit 1) when any ledger is TAMPERED. A note with no decision is
    withheld; a withdrawn note is always withheld. The release holds the text of
    each released or redacted note, the hash of every note version it decides on,
    and the ledgers (by head hash) they came from. Exit 0 when written, 2 usage.
    """
    if output.exists() or output.is_symlink():
        raise click.UsageError(f"-o {clean(output)} exists; a release is never overwritten")
    if len(released_by) > 200 or len(org) > 200:
        raise click.UsageError("--released-by and --org take at most 200 characters")
    key = load_signing_key(vendor_key, passphrase_file, Role.VENDOR_ROOT, "--vendor-key")
    decisions: dict[str, Decision] | None = None
    if decisions_file is not None:
        try:
            decisions = read_decisions(read_small(decisions_file, MAX_DECISIONS_FILE))
        except DecisionError as exc:
            raise click.UsageError(clean(exc)) from exc
    done = run_check(paths, snapshot_file, trust, min_length, cache_choice(cache_dir, no_cache))
    for line in ledger_lines(done.evidence):
        click.echo(line, err=True)
    for finding in done.evidence.sessions:  # NOTE_FOREIGN, NOTE_SKIPPED, SESSION_*
        click.echo(f"{finding.code}: {clean(finding.message)}", err=True)
    if done.evidence.status is Status.TAMPERED:
        click.echo(
            "refused: TAMPERED evidence (a ledger, or the set: a note another session "
            "edited or withdrew is NOTE_FOREIGN); nothing is released from it",
            err=True,
        )
        sys.exit(1)
    if decisions is None:
        decisions = _ask(done.checks)
    undecided = [c for c in done.checks if c.note.id not in decisions]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        body = build_release(
            done.checks,
            decisions,
            released_by=released_by,
            org=org,
            released_at=now,
            snapshot=done.snapshot,
            timelines=[t for t in done.evidence.timelines if not t.withheld],
            min_length=min_length,
        )
    except DecisionError as exc:
        raise click.UsageError(clean(exc)) from exc
    data = sign_release(body, key)
    if len(data) > MAX_RELEASE:  # every verifier refuses it (RELEASE_TOO_BIG): write none
        raise click.UsageError(
            f"the release would be {len(data):,} bytes, over the {MAX_RELEASE:,} a verifier "
            "reads; withhold some notes, or release them in parts (nothing written)"
        )
    _write_new(output, data)
    for c in undecided:
        click.echo(f"withheld (no decision): note {c.note.id}", err=True)
    for note_id in unsalted(done.checks, decisions):
        click.echo(
            f"WARNING: note {note_id} is withheld but was recorded without a nonce (a "
            "ledger from before ADR 0409): anyone holding this release can confirm a "
            "guess of its whole text and place against its version_hash",
            err=True,
        )
    counts = {
        d: sum(1 for n in body["notes"] if n["decision"] == d)
        for d in ("release", "redact", "withhold")
    }
    click.echo(
        f"wrote {clean(output)}: {counts['release']} released, {counts['redact']} "
        f"redacted, {counts['withhold']} withheld"
    )


def _write_new(output: Path, data: bytes) -> None:
    """Write the release to a file this makes (never one that appeared meanwhile), on
    disk before the command says so; if it cannot be written whole (a full disk),
    remove what was written, so no truncated release is left to block the next run
    (atk16b)."""
    with open(output, "xb") as f:
        try:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        except BaseException:
            output.unlink(missing_ok=True)
            raise


def _ask(checks: list) -> dict[str, Decision]:
    decisions: dict[str, Decision] = {}
    for i, c in enumerate(checks, 1):
        click.echo(f"\n[{i}/{len(checks)}]")
        for line in describe(c):
            click.echo(line)
        click.echo("  --- body ---")
        for line in c.note.note.body.split("\n"):
            click.echo("  | " + sanitize(line).text)
        if c.note.withdrawn:
            click.echo("  withdrawn by the reviewer: withheld")
            decisions[c.note.id] = Decision(c.note.id, "withhold")
            continue
        if c.note.note.nonce:
            choice = click.prompt(
                "  release, withhold or redact? [r/w/d]",
                type=click.Choice(["r", "w", "d"]),
                show_choices=False,
            )
        else:  # ADR 0409: its hash would confirm a guess of the redacted text
            click.echo(f"  cannot be redacted: {UNSALTED_REDACTION}")
            choice = click.prompt(
                "  release or withhold? [r/w]", type=click.Choice(["r", "w"]), show_choices=False
            )
        if choice == "d":
            while True:
                title = click.prompt(
                    "  replacement title (empty: keep it)", default="", show_default=False
                ).strip()  # blank keeps it too: a title is never blank
                if _typed(title):
                    break
            while True:
                click.echo(
                    f"  replacement body, ended by a line holding only {END_OF_TEXT!r}"
                    " (empty: keep it):"
                )
                body = _read_text()
                if _typed(body):
                    break
            if not title and not body:
                click.echo("  nothing replaced: withheld")
                decisions[c.note.id] = Decision(c.note.id, "withhold")
                continue
            decisions[c.note.id] = Decision(c.note.id, "redact", title or None, body or None)
        else:
            decisions[c.note.id] = Decision(c.note.id, "release" if choice == "r" else "withhold")
    return decisions


def _typed(text: str) -> bool:
    """Whether typed text can go into a release; if not (under the C locale a byte
    that is not UTF-8 is read as a lone surrogate: atk16b), say so, to ask again
    rather than fail after every note is decided."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        click.echo("  that holds a byte that is not UTF-8 text: type it again")
        return False
    return True


def _read_text() -> str:
    lines = []
    while True:
        line = sys.stdin.readline()
        if not line or line.rstrip("\n") == END_OF_TEXT:
            return "\n".join(lines)
        lines.append(line.rstrip("\n"))
