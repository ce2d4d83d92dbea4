"""`cleanroom who-viewed`: who had given lines on screen, across many sessions."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from ..forensics.cache import Cache, CacheUnusable, default_dir
from ..forensics.describe import duration, path_text, plural
from ..forensics.indented_json import dumps
from ..forensics.indexes import cut_index, fresh_index, load_indexes
from ..forensics.sessionindex import SessionIndex
from ..forensics.target import Resolved, Target, TargetError, resolve
from ..forensics.timeline import timestamp
from ..forensics.whoviewed import (
    Answer,
    FileAnswer,
    Version,
    who_viewed,
)
from ..forensics.whoviewed_json import answer_to_json
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
              help="Where verification results are cached [$CLEANROOM_CACHE_DIR, else "
                   "$XDG_CACHE_HOME/cleanroom, each if absolute, else "
                   "~/.cache/cleanroom].")  # fmt: skip
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
    (src/auth.c:120-140, or :120 for one line), or a directory or glob
    ('src/*.c'), answered file by file; PATHS are ledger files or directories
    of them. With --snapshot, a PATH or range the snapshot does not hold is a
    usage error naming the closest paths; without, PATH cannot be checked.
    Each ledger is verified as by `cleanroom verify`, or its result is taken
    from a private cache keyed by its exact bytes
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
        resolved = _resolve(target, parsed, snapshots, ()) if snapshots else None
        cache = None
        if not no_cache:
            try:
                cache = stack.enter_context(Cache.open(cache_dir or default_dir()))
                for notice in cache.notices:
                    click.echo(f"cache: {clean(notice)}", err=True)
            except CacheUnusable as exc:
                click.echo(f"not using the cache: {clean(exc)}", err=True)
        with click.progressbar(length=len(ledgers), label="verifying", file=sys.stderr) as bar:
            indexes, cached = load_indexes(ledgers, trust, cache, lambda _: bar.update(1))
        if resolved is None:
            seen = [p for i in indexes if include_tampered or i.status is not Status.TAMPERED
                    for p in i.paths]  # fmt: skip
            resolved = _resolve(target, parsed, (), seen)

        def refresh(index: SessionIndex) -> SessionIndex:
            return fresh_index(Path(index.path), trust, cache)

        answer = who_viewed(
            indexes, resolved, snapshots, search_text, include_tampered, cached, refresh,
            lambda index, last: cut_index(index, trust, last),
        )  # fmt: skip
    if as_json:
        # json.dumps(indent=1)'s bytes, from the C escaper (indented_json.py)
        click.echo(strict(dumps(answer_to_json(answer, trust))))
    else:
        _print(answer)
    sys.exit(answer.exit_code)


def _resolve(text: str, parsed: Target, snapshots: list[Snapshot], seen) -> Resolved:
    """`resolve`, with a TargetError as a usage error naming the closest paths."""
    try:
        return resolve(parsed, snapshots, seen)
    except TargetError as exc:
        message = f"{clean(text)}: {clean(str(exc))}"
        if exc.suggestions:
            message += "\nclosest paths in the snapshot:" + "".join(
                f"\n  {clean(path_text(p))}" for p in exc.suggestions
            )
        elif exc.suggestions is not None:
            message += "\nno path in the snapshot is close to it"
        raise click.UsageError(message) from exc


def _person(s: dict) -> str:
    rev = s.get("reviewer") if isinstance(s.get("reviewer"), dict) else {}
    return f"{_said(rev.get('name'), 'unnamed')} ({_said(rev.get('org'), 'no organisation')})"


def _session(index) -> str:
    s = index.summary
    return (
        f"{_person(s)} on {_said(s.get('workstation'), 'an unnamed workstation')}, session "
        f"{_said(s.get('ledger'), 'unreadable')} [{index.status.value}]"
    )


def _said(value: object, missing: str) -> str:
    """A name from a verdict's summary, or `missing` where a ledger gives none (a
    start that does not decode): never Python's `None` (atk14)."""
    return missing if value is None or value == "" else clean(value)


MAX_FILES_SHOWN = 20  # files with sightings printed; --json lists them all
MAX_RANGES_SHOWN = 8  # line ranges printed per sighting
MAX_UNMAPPED_SHOWN = 10  # searches whose result rows could not be mapped, printed


def _lines(ranges: list[tuple[int, int]]) -> str:
    """`lines 1-40, 4000-4029 (70 lines)`, at most MAX_RANGES_SHOWN ranges."""
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in ranges[:MAX_RANGES_SHOWN]]
    if len(ranges) > MAX_RANGES_SHOWN:
        parts.append(f"… and {len(ranges) - MAX_RANGES_SHOWN} more ranges")
    n = sum(b - a + 1 for a, b in ranges)
    word = "line" if len(ranges) == 1 and ranges[0][0] == ranges[0][1] else "lines"
    return f"{word} {', '.join(parts)} ({plural(n, 'line')})"


def _header(a: Answer) -> None:
    t, r = a.target, a.resolved
    lines = "" if t.first is None else f" lines {t.first}-{t.last}"
    what = clean(path_text(t.path)) or "."
    if r.kind == "file":
        click.echo(f"who viewed {what}{lines}")
    else:
        where = "in the snapshot" if r.checked else "among the paths the ledgers recorded"
        shown = f"{what}/" if r.kind == "directory" and t.path else what
        click.echo(f"who viewed {shown} ({r.kind}: {plural(len(r.files), 'file')} {where})")
    if r.checked:
        click.echo(f"  checked in   snapshot {clean(r.snapshot)}")
    else:
        click.echo("  not checked  no --snapshot: the path could not be checked against a snapshot")
    counts = {s: sum(1 for i in a.indexes if i.status is s) for s in Status}
    parts = ", ".join(f"{n} {s.value.lower()}" for s, n in counts.items() if n)
    click.echo(f"  ledgers      {len(a.indexes)} ({parts}); {len(a.cached)} from the cache")
    period = a.period
    span = "" if period is None else f", from {timestamp(period[0])} to {timestamp(period[1])}"
    click.echo(f"  searched     {plural(len(a.searched), 'session')}{span}")


def _versions(a: Answer) -> None:
    if a.reference is not None:
        click.echo(
            f"  reference    snapshot {clean(a.reference[0])}, content {clean(a.reference[1])}"
        )
    for v in a.versions.values():
        if v.reference:
            continue
        where = ", ".join(v.snapshots) or _elsewhere(v)
        moved = ""
        if v.mapped:
            moved = f"; lines {v.lines[0]}-{v.lines[1]} there" if v.lines else "; lines gone there"
        click.echo(f"  version      content {clean(v.blob)} ({clean(where)}){moved}")


def _elsewhere(v: Version) -> str:
    """Where a content not at this path is, in the snapshots given."""
    if not v.checked:
        return "no snapshot given"
    if not v.elsewhere:
        return "in no snapshot given"
    snap = v.elsewhere[0][0]
    paths = ", ".join(path_text(p) for _, p in v.elsewhere)
    return f"not at this path; snapshot {snap} holds it at {paths}"


def _sightings(f: FileAnswer) -> None:
    for s in f.sightings:
        differs = {"same": "", "differs": "  CONTENT DIFFERED", "unknown": ""}[s.content]
        via = " in search results" if s.via == "search_results" else " on screen"
        seen = "SEEN" if s.mismatch is None else "CONTRADICTED, not counted:"
        click.echo(
            f"{seen} {timestamp(s.first_us)} to {timestamp(s.last_us)}  "
            f"{duration(s.dwell_us)}{via}, {_lines(s.ranges)}{differs}"
        )
        click.echo(f"     {_session(s.index)}  content {clean(s.blob[:16])}")
        if s.mismatch is not None:
            click.echo(f"     {clean(s.mismatch.message())}")


def _print(a: Answer) -> None:
    _header(a)
    _versions(a)
    single = a.resolved.kind == "file"
    for f in a.files[: 1 if single else MAX_FILES_SHOWN]:
        if not single:
            click.echo(f"{clean(path_text(f.path))}:")
        _sightings(f)
    if len(a.files) > MAX_FILES_SHOWN and not single:
        click.echo(f"… and {len(a.files) - MAX_FILES_SHOWN} more files with sightings "
                   "(--json lists them all)")  # fmt: skip
    unseen = len(a.resolved.files) - len(a.files) if not single else 0
    caveats = a.caveats
    if not a.credited or unseen:  # a contradicted sighting does not count as seen
        which = ("these lines" if single else
                 f"any of the {plural(unseen, 'other file')}" if a.files else
                 f"any of the {plural(unseen, 'file')}")  # fmt: skip
        if not caveats:
            click.echo(f"nobody had {which} on screen, in the code or in search results, in "
                       f"the {plural(len(a.searched), 'session')} searched")  # fmt: skip
        else:
            click.echo(f"no session searched had {which} on screen; that does not show "
                       "nobody did, because:")  # fmt: skip
            for c in caveats:
                click.echo(f"  {c.code}: {c.message}")
    if a.credited:
        totals: dict[str, int] = {}
        for s in a.credited:
            who = _person(s.index.summary) + ("" if s.index.status is Status.INTACT
                                              else f" [{s.index.status.value}]")  # fmt: skip
            totals[who] = totals.get(who, 0) + s.dwell_us
        click.echo("by reviewer:")
        for who, us in sorted(totals.items(), key=lambda x: -x[1]):
            click.echo(f"  {who}: {duration(us)}")
    for u in a.unmapped[:MAX_UNMAPPED_SHOWN]:
        click.echo(f"UNMAPPED {plural(u.views, 'search result screen')} of search "
                   f"{u.search_seq} in {_session(u.index)}: {clean(u.why)}")  # fmt: skip
    if len(a.unmapped) > MAX_UNMAPPED_SHOWN:
        click.echo(f"… and {len(a.unmapped) - MAX_UNMAPPED_SHOWN} more searches UNMAPPED "
                   "(--json lists them all)")  # fmt: skip
    if a.search_text is not None:
        none = "" if a.searches else " none"
        click.echo(f"searches containing “{clean(a.search_text)}”:{none}")
        for m in a.searches:
            first = m.search.kind == "search_start"  # its first page, listed before the count
            count = plural(m.search.hits, "row") + " listed first" if first else plural(
                m.search.hits, "hit")  # fmt: skip
            click.echo(
                f"  {timestamp(m.search.wall_us)} {m.search.kind} “{clean(m.search.query)}” "
                f"({count})  {_session(m.index)}"
            )
    for i in a.withheld:
        first = i.verdict.first_bad
        why = f" {first.code}: {clean(first.message)}" if first else ""
        click.echo(f"WITHHELD {clean(i.path)}: TAMPERED, not searched;{why}")
    for f in a.sessions:
        click.echo(f"sessions: {f.code}  {clean(f.message)}")
    click.echo(f"overall: {a.status.value}")
