"""`cleanroom report`: a forensic report on verified ledgers, in the format of -o's extension."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import click

from ..forensics.notes import written_notes
from ..forensics.report import Analyser, Report, analyse, build_report
from ..forensics.report_csv import write_csv
from ..forensics.report_html import write_html
from ..forensics.report_json import write_json
from ..forensics.report_jsonl import write_jsonl
from ..forensics.report_notes import note_findings, note_rows
from ..forensics.source_text import SourceText
from ..forensics.timeline import read_evidence
from ..ledger.regular_file import read_small
from ..ledger.verdict import Status
from ..release.document import MAX_RELEASE
from ..release.verify import verify_release
from ..sanitize import clean
from ..snapshot.store import Snapshot
from . import TamperedProblem
from .options import trust_option
from .output import write_atomically
from .verify import expand_ledgers

WRITERS: dict[str, Callable[[Report, IO[str]], None]] = {
    ".html": write_html,
    ".json": write_json,
    ".jsonl": write_jsonl,
    ".csv": write_csv,
}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--snapshot", "snapshot_files", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The vendor-signed snapshot the sessions reviewed (repeatable).")  # fmt: skip
@trust_option()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The report file: .html, .json, .jsonl or .csv.")  # fmt: skip
@click.option("--include-tampered", is_flag=True,
              help="Show what TAMPERED ledgers claim, marked, not withheld.")  # fmt: skip
@click.option("--with-source", is_flag=True,
              help="HTML only: put the lines of each watched file beside its heat strip. "
                   "The report then contains source; it says so on its first line.")  # fmt: skip
@click.option("--release", "releases", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="A notes release (repeatable), verified with --trust: the notes "
                   "section then says which notes it released, redacted or withheld.")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 256),
              help="Processes to verify with [all cores].")  # fmt: skip
def report(
    paths: tuple[Path, ...],
    snapshot_files: tuple[Path, ...],
    trust: list[bytes],
    output: Path,
    include_tampered: bool,
    with_source: bool,
    releases: tuple[Path, ...],
    workers: int | None,
) -> None:
    """Verify ledgers and write a forensic report on them.

    PATHS are ledger files or directories of them. Each ledger is verified as by
    `cleanroom verify` and its status is stamped on every part of the report. The
    entries of a TAMPERED ledger are withheld (only its verdict is shown) unless
    --include-tampered is given. The format follows the extension of -o: .html (one
    self-contained page), .json (docs/report-format.md), .jsonl (one event per line)
    or .csv. Exit status as for verify: 0 intact, 1 tampered, 3 incomplete, 2 usage.
    """
    writer = WRITERS.get(output.suffix.lower())
    if writer is None:
        names = ", ".join(WRITERS)
        raise click.UsageError(f"-o {clean(output)}: the extension must be one of {names}")
    if with_source and not snapshot_files:
        raise click.UsageError("--with-source needs --snapshot: source comes only from there")
    if with_source and writer is not write_html:
        raise click.UsageError("--with-source is for an .html report only")
    decided = _release_decisions(releases, trust)
    ledgers = expand_ledgers(paths)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_no_cycle_collection())
        snapshots = [stack.enter_context(Snapshot.open(p, trust)) for p in snapshot_files]
        with click.progressbar(length=2 * len(ledgers), label="verifying and reading",
                               file=sys.stderr) as bar:  # fmt: skip
            # Each ledger's entries are analysed while its verification runs.
            evidence = read_evidence(
                ledgers, trust, include_tampered, lambda _: bar.update(1), workers, analyse,
                digest=Analyser,
            )  # fmt: skip
            result = build_report(evidence, trust, snapshots, include_tampered,
                                  lambda: bar.update(1))  # fmt: skip
        written, result.note_problems = written_notes(evidence)
        evidence.sessions.extend(note_findings(result.note_problems))  # flagged in every format
        result.notes = note_rows(written, decided, result.sessions)
        if with_source:
            result.source = SourceText(snapshots)
        write_atomically(output, lambda f: writer(result, f))
    _summary(result, output)
    sys.exit(result.exit_code)


def _release_decisions(
    releases: tuple[Path, ...], trust: list[bytes]
) -> dict[str, tuple[str, str]]:
    """note id -> (decision, version hash) over the releases, each verified first; an
    invalid release stops the report (exit 1) before any ledger is read."""
    decided: dict[str, tuple[str, str]] = {}
    for path in releases:
        verdict = verify_release(read_small(path, MAX_RELEASE), trust)
        if verdict.release is None:
            raise TamperedProblem(
                f"--release {clean(path)}: {verdict.code}: {clean(verdict.message)}"
            )
        for n in verdict.release["notes"]:
            decided[n["note"]] = (n["decision"], n["version_hash"])
    return decided


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector. A report holds millions of small objects
    (rows, entries, payloads, intervals) that form no cycles and live until it is
    written; the collector would walk all of them each time the heap grows by a
    quarter, over a second in a 100k-entry report. Reference counting still frees
    everything that is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


SHOWN_MISMATCHES = 20  # entries named on stderr; the rest are counted (every one is in the file)


def _entry_mismatches(r: Report) -> None:
    """The entries whose path and content their snapshot contradicts (ADR 0305): a
    count by kind, then the first few, so a hostile ledger cannot flood the terminal."""
    flagged = [
        (s.key, e.seq, e.kind, m)
        for s in r.sessions
        if s.mismatches
        for e in s.timeline.entries
        if (m := s.mismatches.get(e.seq)) is not None
    ]
    if not flagged:
        return
    by_kind = Counter(kind for _, _, kind, _ in flagged)
    counts = ", ".join(f"{n} {k}" for k, n in sorted(by_kind.items()))
    click.echo(f"  entries: {len(flagged)} name a path and content their snapshot "
               f"contradicts ({counts}); none counted as seen", err=True)  # fmt: skip
    for key, seq, kind, m in flagged[:SHOWN_MISMATCHES]:
        click.echo(f"  {clean(key)} #{seq} {kind}: {clean(m.message())}", err=True)
    if len(flagged) > SHOWN_MISMATCHES:
        click.echo(f"  … and {len(flagged) - SHOWN_MISMATCHES} more entries", err=True)


def _summary(r: Report, output: Path) -> None:
    counts = {s: sum(1 for x in r.sessions if x.status is s) for s in Status}
    parts = ", ".join(f"{n} {s.value.lower()}" for s, n in counts.items() if n)
    click.echo(f"wrote {clean(output)}: {len(r.sessions)} ledgers ({parts})", err=True)
    for s in r.sessions:
        if s.status is Status.INTACT:
            continue
        first = s.timeline.verdict.first_bad
        why = f": {first.code} {clean(first.message)}" if first else ""
        withheld = ", entries withheld" if s.timeline.withheld else ""
        click.echo(f"  {clean(s.key)}: {s.status.value}{withheld}{why}", err=True)
    for f in r.evidence.sessions:
        click.echo(f"  sessions: {f.code} {clean(f.message)}", err=True)
    for g in r.coverage:
        for m in g.mismatches.values():
            click.echo(f"  coverage ({g.trust}): {clean(m.message())}", err=True)
    _entry_mismatches(r)
    if r.notes:
        decided = sum(1 for n in r.notes if n.decision not in ("written", "other version"))
        click.echo(f"  notes: {len(r.notes)} written, {decided} decided by a release", err=True)
    for f in note_findings(r.note_problems):  # NOTE_FOREIGN, NOTE_SKIPPED: never silent
        click.echo(f"  notes: {f.code} {clean(f.message)}", err=True)
    click.echo(f"overall: {r.status.value}", err=True)
