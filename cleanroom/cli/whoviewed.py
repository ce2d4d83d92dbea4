"""`cleanroom who-viewed`: who had given lines on screen, across many sessions."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from ..forensics.cache import Cache, CacheUnusable, default_dir
from ..forensics.describe import duration, path_text, plural
from ..forensics.sessionindex import SessionIndex
from ..forensics.timeline import timestamp
from ..forensics.whoviewed import (
    Answer,
    Target,
    TargetError,
    answer_to_json,
    fresh_index,
    load_indexes,
    who_viewed,
)
from ..jsonsafe import strict
from ..ledger.verdict import Status
from ..sanitize import clean
from ..snapshot.store import Snapshot
from .options import trust_option
from .verify import expand_ledgers


@click.command("who-viewed")
@click.argument("target", metavar="PATH[:START-END]")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@trust_option()
@click.option("--snapshot", "snapshot_files", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Snapshot whose content the line numbers refer to; more snapshots let "
                   "the range be followed into their versions (repeatable).")  # fmt: skip
@click.option(
    "--search",
    "search_text",
    metavar="TEXT",
    help="Also list searches and quick opens whose query has TEXT (any case).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/who-viewed.md).")
@click.option("--include-tampered", is_flag=True,
              help="Search TAMPERED ledgers too, marked, instead of withholding them.")  # fmt: skip
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where verification results are cached [$CLEANROOM_CACHE_DIR, "
                   "else ~/.cache/cleanroom].")  # fmt: skip
@click.option("--no-cache", is_flag=True, help="Verify every ledger now; use no cache.")
def who_viewed_command(
    target: str,
    paths: tuple[Path, ...],
    trust: list[bytes],
    snapshot_files: tuple[Path, ...],
    search_text: str | None,
    as_json: bool,
    include_tampered: bool,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """List every session that had lines of a file on screen.

    PATH is a file's path in the snapshot, optionally with a line range
    (src/auth.c:120-140, or :120 for one line); PATHS are ledger files or
    directories of them. Each ledger is verified as by `cleanroom verify`, or its
    result is taken from a private cache keyed by its exact bytes
    (docs/who-viewed.md). Sessions of TAMPERED ledgers are withheld unless
    --include-tampered. Exit status as for verify: 0 intact, 1 tampered, 3
    incomplete, 2 usage.
    """
    try:
        parsed = Target.parse(target)
    except TargetError as exc:
        raise click.UsageError(f"{clean(target)}: {exc}") from exc
    ledgers = expand_ledgers(paths)
    with contextlib.ExitStack() as stack:
        snapshots = [stack.enter_context(Snapshot.open(p, trust)) for p in snapshot_files]
        cache = None
        if not no_cache:
            try:
                cache = stack.enter_context(Cache.open(cache_dir or default_dir()))
            except CacheUnusable as exc:
                click.echo(f"not using the cache: {clean(exc)}", err=True)
        with click.progressbar(length=len(ledgers), label="verifying", file=sys.stderr) as bar:
            indexes, cached = load_indexes(ledgers, trust, cache, lambda _: bar.update(1))

        def refresh(index: SessionIndex) -> SessionIndex:
            return fresh_index(Path(index.path), trust, cache)

        answer = who_viewed(
            indexes, parsed, snapshots, search_text, include_tampered, cached, refresh
        )
    if as_json:
        click.echo(strict(json.dumps(answer_to_json(answer, trust), ensure_ascii=True, indent=1)))
    else:
        _print(answer)
    sys.exit(answer.exit_code)


def _person(s: dict) -> str:
    rev = s.get("reviewer") if isinstance(s.get("reviewer"), dict) else {}
    return f"{clean(rev.get('name'))} ({clean(rev.get('org'))})"


def _session(index) -> str:
    s = index.summary
    return (
        f"{_person(s)} on {clean(s.get('workstation'))}, session "
        f"{clean(s.get('ledger'))} [{index.status.value}]"
    )


def _print(a: Answer) -> None:
    t = a.target
    lines = "" if t.first is None else f" lines {t.first}-{t.last}"
    click.echo(f"who viewed {clean(path_text(t.path))}{lines}")
    counts = {s: sum(1 for i in a.indexes if i.status is s) for s in Status}
    parts = ", ".join(f"{n} {s.value.lower()}" for s, n in counts.items() if n)
    click.echo(f"  ledgers      {len(a.indexes)} ({parts}); {len(a.cached)} from the cache")
    if a.reference is not None:
        click.echo(
            f"  reference    snapshot {clean(a.reference[0])}, content {clean(a.reference[1])}"
        )
    for v in a.versions.values():
        if v.reference:
            continue
        where = ", ".join(v.snapshots) or "no snapshot given"
        moved = ""
        if v.mapped:
            moved = f"; lines {v.lines[0]}-{v.lines[1]} there" if v.lines else "; lines gone there"
        click.echo(f"  version      content {clean(v.blob)} ({clean(where)}){moved}")
    if not a.sightings:
        click.echo("  nobody had these lines on screen")
    for s in a.sightings:
        differs = {"same": "", "differs": "  CONTENT DIFFERED", "unknown": ""}[s.content]
        click.echo(
            f"SEEN {timestamp(s.first_us)} to {timestamp(s.last_us)}  "
            f"{duration(s.dwell_us)} on screen, lines {s.lines[0]}-{s.lines[1]}{differs}"
        )
        click.echo(f"     {_session(s.index)}  content {clean(s.blob[:16])}")
    if a.sightings:
        totals: dict[str, int] = {}
        for s in a.sightings:
            who = _person(s.index.summary) + ("" if s.index.status is Status.INTACT
                                              else f" [{s.index.status.value}]")  # fmt: skip
            totals[who] = totals.get(who, 0) + s.dwell_us
        click.echo("by reviewer:")
        for who, us in sorted(totals.items(), key=lambda x: -x[1]):
            click.echo(f"  {who}: {duration(us)}")
    if a.search_text is not None:
        none = "" if a.searches else " none"
        click.echo(f"searches containing “{clean(a.search_text)}”:{none}")
        for m in a.searches:
            click.echo(
                f"  {timestamp(m.search.wall_us)} {m.search.kind} “{clean(m.search.query)}” "
                f"({plural(m.search.hits, 'hit')})  {_session(m.index)}"
            )
    for i in a.withheld:
        first = i.verdict.first_bad
        why = f" {first.code}: {clean(first.message)}" if first else ""
        click.echo(f"WITHHELD {clean(i.path)}: TAMPERED, not searched;{why}")
    for f in a.sessions:
        click.echo(f"sessions: {f.code}  {clean(f.message)}")
    click.echo(f"overall: {a.status.value}")
