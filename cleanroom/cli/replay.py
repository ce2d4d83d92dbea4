"""`cleanroom replay`: step through a verified ledger in a locked-down terminal
app, or export it as an asciicast. Searches are run again first."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..forensics.replay import Replay, WhenError, open_source, parse_when, recorded_hits
from ..forensics.timeline import Timeline, read_timeline
from ..isolation import require as require_isolated
from ..ledger.verdict import Status
from ..sanitize import clean
from ..session.snapshot_source import SnapshotSource
from .options import trust_option
from .output import write_atomically


@click.command()
@click.argument("ledger", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--snapshot", "snapshot_files", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The vendor-signed snapshot the session reviewed (repeatable; the one "
                   "the ledger names is used).")  # fmt: skip
@trust_option()
@click.option("--cast", "cast_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the replay as an asciicast v2 file instead of showing it.")  # fmt: skip
@click.option("--force", is_flag=True,
              help="Replace the --cast file if it exists.")  # fmt: skip
@click.option("--at", "start_at", metavar="WHEN",
              help="Start at #SEQ, +M:SS from the start, HH:MM:SS (UTC) or ISO time.")  # fmt: skip
@click.option("--include-tampered", is_flag=True,
              help="Replay what a TAMPERED ledger claims, marked; else refused.")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 256),
              help="Processes to verify with [all cores].")  # fmt: skip
def replay(
    ledger: Path,
    snapshot_files: tuple[Path, ...],
    trust: list[bytes],
    cast_file: Path | None,
    force: bool,
    start_at: str | None,
    include_tampered: bool,
    workers: int | None,
) -> None:
    """Show exactly what a reviewer saw, entry by entry.

    The LEDGER is verified as by `cleanroom verify`; a TAMPERED one is refused
    unless --include-tampered, and then marked on every screen. Each viewport is
    drawn from the snapshot with the reviewer terminal's own renderer and
    sanitizer, only if the snapshot holds the very content (blob) the ledger
    names. Every recorded search is run again on the snapshot and its hit count
    and result digest compared. Keys: right/left step, space plays (+/- speed,
    1x to 64x), t jumps to a time or #seq, s next search, f lists only the events of
    the file on screen (again: all), ? help, q quits. An existing --cast file is
    replaced only with --force.
    Without --cast, stdin, stdout and stderr must be a terminal, else it
    refuses at once (exit 2).
    Exit status: 0 intact and every search matches, 1 tampered or a search
    differs, 3 intact but incomplete, 2 usage (and no terminal without --cast).
    """
    if cast_file is not None and os.path.lexists(cast_file) and not force:
        raise click.UsageError(
            f"--cast {clean(cast_file)} exists: give --force to replace it"
        )  # before verifying: minutes on a big ledger, then nothing written
    if cast_file is not None and not os.path.isdir(cast_file.parent):
        raise click.UsageError(f"--cast {clean(cast_file)}: no such directory to write it in")
    require_isolated()  # its terminal runs as the reviewer's does (ADR 0201)
    if cast_file is None and (not_tty := _not_terminals()):
        raise click.UsageError(
            f"{' and '.join(not_tty)} {'is' if len(not_tty) == 1 else 'are'} not a terminal: "
            "replay shows its screens only in a terminal; give --cast FILE to write them"
        )  # before verifying: the app would wait on input that never comes
    click.echo(f"verifying {clean(ledger)}", err=True)
    timeline = read_timeline(ledger, trust, include_tampered, workers)
    _verdict(timeline)
    if timeline.withheld:
        click.echo("refused: the ledger is TAMPERED (--include-tampered replays what it "
                   "claims, marked)", err=True)  # fmt: skip
        sys.exit(1)
    if timeline.snapshot_id is None:  # no session_start, or one naming no snapshot
        click.echo("nothing to replay: the ledger records no session_start naming a snapshot",
                   err=True)  # fmt: skip
        sys.exit(timeline.verdict.exit_code)
    sources = [SnapshotSource.from_file(p, trust) for p in snapshot_files]
    source = open_source(sources, timeline)
    if source is None:
        ids = ", ".join(clean(s.snapshot.id[:16]) for s in sources)
        raise click.UsageError(
            f"the session reviewed snapshot {clean(timeline.snapshot_id)}; "
            f"the snapshots given are {ids}"
        )
    model = Replay(timeline, source)
    try:  # before the searches, which can take a while
        start = parse_when(start_at, model) if start_at else 0
    except WhenError as exc:
        raise click.UsageError(f"--at: {exc}") from exc
    searches = len(model.search_indexes)
    with click.progressbar(length=searches, label="running the searches again",
                           file=sys.stderr) as bar:  # fmt: skip
        model.check_searches(lambda: bar.update(1))
    differ = [c for c in model.searches.values() if not c.ok]
    for c in differ:
        why = c.error or f"{c.total} results, digest {c.digest}"
        click.echo(f"  search #{c.seq} “{clean(c.recorded.query)}” DIFFERS: recorded "
                   f"{recorded_hits(c.recorded)} results, digest {clean(c.recorded.digest)}; "
                   f"now {clean(why)}", err=True)  # fmt: skip
    click.echo(f"searches: {searches} run again, {len(differ)} differ", err=True)
    model.check_symbols()  # outlines, definitions, symbol names: from the signed index
    wrong = [c for c in model.symbols.values() if not c.ok]
    for c in wrong:
        click.echo(f"  {c.recorded.kind} #{c.seq} DIFFERS: {clean(c.error or c.now)}", err=True)
    if model.symbols:
        click.echo(f"symbol lists: {len(model.symbols)} derived again, {len(wrong)} differ",
                   err=True)  # fmt: skip
    differ += wrong  # type: ignore[arg-type]
    title = _title(ledger, timeline)
    alarm = timeline.status is not Status.INTACT or bool(differ)
    if cast_file is not None:
        mark = timeline.status.value if timeline.status is not Status.INTACT else None
        if differ:
            mark = f"{mark + ', ' if mark else ''}{len(differ)} SEARCHES DIFFER"
        _export(model, cast_file, title, start, mark, force)
    else:
        _show(model, title, start, alarm)
    sys.exit(1 if differ else timeline.verdict.exit_code)


def _not_terminals() -> list[str]:
    """The standard streams that are not a terminal, by name."""
    return [name for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr"))
            if not os.isatty(fd)]  # fmt: skip


def _verdict(t: Timeline) -> None:
    click.echo(f"verdict  {t.status.value}", err=True)
    for f in t.verdict.findings:
        click.echo(f"  {f.code}  {clean(f.message)}", err=True)


def _title(ledger: Path, t: Timeline) -> str:
    who = f"{t.reviewer or '?'} ({t.org or '?'})"
    return clean(f" Cleanroom replay  {ledger.name}  {t.status.value}  reviewer {who}")


def _export(
    model: Replay, out: Path, title: str, start: int, mark: str | None, force: bool
) -> None:
    from ..tui.launch import prepare

    prepare([out.parent])  # only the output's directory may be written
    from ..tui.replay.cast import write_cast

    frames = len(model) - start
    with click.progressbar(length=frames, label="drawing frames", file=sys.stderr) as bar:
        try:  # without --force, a file made meanwhile is kept too, not only one there before
            write_atomically(
                out,
                lambda f: write_cast(model, f, title, lambda: bar.update(1), start, mark),
                replace=force,
            )
        except FileExistsError:
            raise click.UsageError(
                f"--cast {clean(out)} exists: give --force to replace it"
            ) from None
    click.echo(f"wrote {clean(out)}: {frames} frames", err=True)


def _show(model: Replay, title: str, start: int, alarm: bool) -> None:
    from ..tui.launch import prepare

    prepare([])  # replay writes nothing
    from ..tui.replay.app import ReplayApp

    ReplayApp(model, title, start=start, alarm=alarm).run()
