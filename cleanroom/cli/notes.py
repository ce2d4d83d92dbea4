"""`cleanroom notes`: check, release, verify and export reviewers' notes.

docs/notes-release.md specifies the release; docs/guide-vendor.md walks the path.
Every note's text, name and path shown here passes through the one sanitizer.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..forensics.cache import default_dir
from ..forensics.mismatch import content_at
from ..forensics.notes import NoteProblem, WrittenNote, written_notes
from ..forensics.report_notes import note_findings
from ..forensics.timeline import Evidence, read_evidence
from ..jsonsafe import name_fields, strict
from ..ledger.regular_file import read_small
from ..ledger.verdict import EXIT_CODES
from ..notecheck.check import DEFAULT_MIN_LENGTH, MIN_MIN_LENGTH, NoteCheck, check_notes
from ..notecheck.corpus import SnapshotText
from ..release.document import MAX_RELEASE
from ..release.export_json import released_json
from ..release.export_markdown import markdown
from ..release.export_sarif import sarif
from ..release.verify import ReleaseVerdict, verify_release
from ..sanitize import clean
from ..snapshot.store import Snapshot
from .options import trust_option
from .output import write_atomically
from .verify import expand_ledgers

SHOWN_PLACES = 5

LEDGERS = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
SNAPSHOT = click.option(
    "--snapshot",
    "snapshot_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The vendor-signed snapshot the notes were written on.",
)
MIN_LENGTH = click.option(
    "--min-length",
    type=click.IntRange(MIN_MIN_LENGTH, 100_000),
    default=DEFAULT_MIN_LENGTH,
    show_default=True,
    help="Shortest run of characters (whitespace-normalised) reported as verbatim source.",
)


def name_cache(f: Any) -> Any:
    """--cache-dir and --no-cache: where the snapshot's name table is kept (ADR 0402)."""
    f = click.option(
        "--no-cache",
        is_flag=True,
        help="Build the snapshot's name table and word-pair filter now (minutes on a large "
        "tree); read and keep no cache.",
    )(f)
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where the snapshot's name table and word-pair filter are cached "
        "[$CLEANROOM_CACHE_DIR, else ~/.cache/cleanroom].",
    )(f)


def cache_choice(cache_dir: Path | None, no_cache: bool) -> Path | None:
    return None if no_cache else (cache_dir or default_dir())


@click.group()
def notes() -> None:
    """Check, release, verify and export reviewers' notes.

    \b
    check    find verbatim source and rare names in notes (from verified ledgers)
    release  decide per note (release, withhold, redact) and sign a release
    verify   check a release's signature and format anywhere
    export   write a release's released notes as SARIF, Markdown or JSON
    """


@dataclass
class Checked:
    evidence: Evidence
    notes: list[WrittenNote]
    problems: list[NoteProblem]
    checks: list[NoteCheck]
    snapshot: dict[str, str]


def run_check(
    paths: tuple[Path, ...],
    snapshot_file: Path,
    trust: list[bytes],
    min_length: int,
    cache_dir: Path | None,
) -> Checked:
    """Verify the ledgers (TAMPERED ones are withheld), read their notes, check them.
    The snapshot's name table is read from `cache_dir`, or counted (and kept there)."""
    evidence = read_evidence(expand_ledgers(paths), trust)
    notes, problems = written_notes(evidence)
    with Snapshot.open(snapshot_file, trust) as snap:
        _same_snapshot(evidence, snap)
        notes = _in_snapshot(evidence, snap, notes, problems)
        evidence.sessions.extend(note_findings(problems))  # NOTE_FOREIGN: the exit status
        with (
            _corpus(snap, cache_dir) as corpus,
            click.progressbar(length=len(notes), label="checking notes", file=sys.stderr) as bar,
        ):
            checks = check_notes(notes, corpus, min_length, lambda: bar.update(1))
        m = snap.manifest
        snapshot = {"id": snap.id, "name": m.name, "root": m.root}
    return Checked(evidence, notes, problems, checks, snapshot)


def _same_snapshot(evidence: Evidence, snap: Snapshot) -> None:
    """A usage error when a ledger read names another snapshot than --snapshot: its
    notes were written on source the check would not search, so it would find nothing
    and a release would name the wrong snapshot (atk16). A ledger naming none is read."""
    for t in evidence.timelines:
        if not t.withheld and t.snapshot_id is not None and t.snapshot_id != snap.id:
            raise click.UsageError(
                f"{clean(t.path)} records a session on snapshot {clean(t.snapshot_id)}, "
                f"not {snap.id} (--snapshot): give that snapshot, or only its ledgers"
            )


def _in_snapshot(
    evidence: Evidence, snap: Snapshot, notes: list[WrittenNote], problems: list[NoteProblem]
) -> list[WrittenNote]:
    """The notes whose path and content the snapshot their ledger names holds; each
    other one is skipped (NOTE_SKIPPED) and never leaves: its place is not in the
    source, so a release would send a location that is not (atk16; the report's
    PATH_BLOB_MISMATCH). A ledger that names no snapshot cannot be held to one."""
    named = {t.path for t in evidence.timelines if t.snapshot_id == snap.id}
    kept = []
    for w in notes:
        n = w.note
        if w.ledger_path in named and content_at(snap, n.raw_path) != n.blob:
            where = clean(n.raw_path.decode("utf-8", "surrogateescape"))
            why = f"note {n.note} is on {where} at content the snapshot does not hold there"
            problems.append(NoteProblem(w.ledger_path, w.seq, why))
        else:
            kept.append(w)
    return kept


@contextlib.contextmanager
def _corpus(snap: Snapshot, cache_dir: Path | None) -> Iterator[SnapshotText]:
    counted = [0]

    def counting() -> None:
        if counted[0] == 0:
            click.echo("counting the snapshot's names (once per snapshot when cached)", err=True)
        counted[0] += 1

    corpus = SnapshotText(snap, cache_dir=cache_dir, counting=counting)
    try:
        yield corpus
    finally:
        corpus.close()


def ledger_lines(evidence: Evidence) -> Iterator[str]:
    for t in evidence.timelines:
        if t.status.value != "INTACT":
            why = " (its notes are not read)" if t.withheld else ""
            yield f"ledger {clean(t.path)}: {t.status.value}{why}"


@notes.command("check")
@LEDGERS
@SNAPSHOT
@trust_option()
@MIN_LENGTH
@name_cache
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check(
    paths: tuple[Path, ...],
    snapshot_file: Path,
    trust: list[bytes],
    min_length: int,
    cache_dir: Path | None,
    no_cache: bool,
    as_json: bool,
) -> None:
    """Find verbatim source in the notes of verified ledgers.

    PATHS are ledger files or directories of them; each is verified first, and a
    TAMPERED ledger's notes are not read. For the latest version of every note
    (withdrawn ones too, marked), prints each whitespace-normalised run of at least
    --min-length characters that occurs in the snapshot's text, with every place,
    and the names in it that occur only once or twice in the snapshot.
    Exit status: 0 all ledgers intact, 1 one is tampered, 3 one is incomplete, 2 usage.
    """
    done = run_check(paths, snapshot_file, trust, min_length, cache_choice(cache_dir, no_cache))
    if as_json:
        click.echo(strict(json.dumps(check_json(done), ensure_ascii=True, indent=1)))
    else:
        for line in ledger_lines(done.evidence):
            click.echo(line)
        for p in done.problems:
            click.echo(f"skipped note entry {p.seq} in {clean(p.ledger_path)}: {clean(p.why)}")
        for c in done.checks:
            for line in describe(c):
                click.echo(line)
        flagged = sum(1 for c in done.checks if c.flagged)
        click.echo(
            f"{len(done.checks)} notes checked, {flagged} with verbatim source or rare names"
        )
    sys.exit(EXIT_CODES[done.evidence.status])


def note_header(w: WrittenNote) -> str:
    n = w.note
    sev = f", {n.severity}" if n.severity else ""
    where = _where(n.raw_path, n.first, n.last)
    gone = " [withdrawn]" if w.withdrawn else ""
    return (
        f"note {n.note} v{n.version} ({n.note_kind}{sev}) {clean(n.title)!s} "
        f"at {where}{gone}; by {clean(w.reviewer or '?')}"
    )


def _where(raw: bytes, first: int, last: int) -> str:
    path = clean(raw.decode("utf-8", "surrogateescape"))
    return path if first == 0 else f"{path}:{first}-{last}"


def describe(c: NoteCheck) -> Iterator[str]:
    yield note_header(c.note)
    for f in c.fragments:
        places = ", ".join(_place(p.path, p.line) for p in f.places[:SHOWN_PLACES])
        more = len(f.places) - SHOWN_PLACES
        tail = f" and {more} more" if more > 0 else ""
        partial = " (at least)" if f.partial else ""
        yield f"  VERBATIM in {f.field}, {len(f.text)} characters: «{clean(f.text)}»"
        yield f"    found{partial} at {places}{tail}"
    for r in c.rare:
        places = ", ".join(_place(p.path, p.line) for p in r.places)
        yield f"  RARE NAME {clean(r.name)}: only at {places}"
    if c.unconfirmed:
        yield f"  {c.unconfirmed} runs of common words only were not confirmed either way"
    if not c.flagged:
        yield "  no verbatim source and no rare names found"


def _place(path: bytes, line: int) -> str:
    return f"{clean(path.decode('utf-8', 'surrogateescape'))}:{line}"


def _path_json(raw: bytes) -> dict[str, str]:
    return name_fields(os.fsdecode(raw))


def check_json(done: Checked) -> dict[str, Any]:
    def place(p: Any) -> dict[str, Any]:
        return {**_path_json(p.path), "line": p.line}

    notes = []
    for c in done.checks:
        w, n = c.note, c.note.note
        notes.append(
            {
                "note": n.note,
                "version": n.version,
                "version_hash": w.version_hash,
                "ledger": w.ledger,
                "seq": w.seq,
                "withdrawn": w.withdrawn,
                "note_kind": n.note_kind,
                "severity": n.severity,
                "title": n.title,
                **_path_json(n.raw_path),
                "first": n.first,
                "last": n.last,
                "fragments": [
                    {
                        "field": f.field,
                        "text": f.text,
                        "partial": f.partial,
                        "places": [place(p) for p in f.places],
                    }
                    for f in c.fragments
                ],
                "rare_names": [
                    {"name": r.name, "places": [place(p) for p in r.places]} for r in c.rare
                ],
                "unconfirmed": c.unconfirmed,
            }
        )
    return {
        "snapshot": done.snapshot,
        "ledgers": [{"path": t.path, "status": t.status.value} for t in done.evidence.timelines],
        "skipped": [{"ledger": p.ledger_path, "seq": p.seq, "why": p.why} for p in done.problems],
        "notes": notes,
    }


def read_release_file(path: Path, trust: list[bytes]) -> ReleaseVerdict:
    """The verdict on the release at `path`; OSError (a usage error) if unreadable."""
    data = read_small(path, MAX_RELEASE)
    return verify_release(data, trust)


@notes.command("verify")
@click.argument("release_file", type=click.Path(dir_okay=False, path_type=Path))
@trust_option()
def verify(release_file: Path, trust: list[bytes]) -> None:
    """Check a release's signature and format.

    Exit status: 0 a valid release signed by a trusted key; 1 not a release, changed
    after signing, or not signed by a trusted key; 2 usage (an unreadable file).
    docs/notes-release.md §4 lists the codes.
    """
    verdict = read_release_file(release_file, trust)
    if not verdict.ok:
        click.echo(f"{clean(release_file)}: {verdict.code}: {clean(verdict.message)}", err=True)
        sys.exit(1)
    r = verdict.release
    assert r is not None
    counts = {
        d: sum(1 for n in r["notes"] if n["decision"] == d)
        for d in ("release", "redact", "withhold")
    }
    by = r["released_by"]
    click.echo(f"{clean(release_file)}: RELEASE_OK, signed by vendor key {verdict.key}")
    click.echo(f"  released {r['released_at']} by {clean(by['name'])} ({clean(by['org'])})")
    click.echo(f"  snapshot {clean(r['snapshot']['name'])} {r['snapshot']['id']}")
    click.echo(
        f"  {len(r['ledgers'])} ledgers; notes: {counts['release']} released, "
        f"{counts['redact']} redacted, {counts['withhold']} withheld"
    )


EXPORTS = (".sarif", ".md", ".json")


@notes.command("export")
@click.argument("release_file", type=click.Path(dir_okay=False, path_type=Path))
@trust_option()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The export: .sarif (SARIF 2.1.0), .md (Markdown) or .json.",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
def export(release_file: Path, trust: list[bytes], output: Path, force: bool) -> None:
    """Write the released notes of a verified release: never a withheld one.

    The release is verified first (as by `notes verify`); an invalid one exits 1 and
    writes nothing. Locations only: no source text is added to any format. An
    existing output file is replaced only with --force (a symlink there is replaced
    itself, never followed).
    """
    suffix = output.suffix.lower()
    if suffix not in EXPORTS:
        raise click.UsageError(
            f"-o {clean(output)}: the extension must be one of {', '.join(EXPORTS)}"
        )
    if not force and (output.exists() or output.is_symlink()):
        raise click.UsageError(f"-o {clean(output)} exists; --force replaces it")
    verdict = read_release_file(release_file, trust)
    if not verdict.ok or verdict.release is None:
        click.echo(f"{clean(release_file)}: {verdict.code}: {clean(verdict.message)}", err=True)
        sys.exit(1)
    release = verdict.release
    if suffix == ".md":
        text = markdown(release)
    else:
        from importlib.metadata import version

        doc = sarif(release, version("cleanroom")) if suffix == ".sarif" else released_json(release)
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    write_atomically(output, lambda f: f.write(text))
    n = sum(1 for x in release["notes"] if x["decision"] != "withhold")
    click.echo(f"wrote {clean(output)}: {n} released notes", err=True)
