"""`cleanroom snapshot`: create, verify and summarise vendor-signed source snapshots."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import click

from ..ledger.keys import Role, key_id
from ..sanitize import clean
from ..snapshot.create import CreateError, Progress, create_snapshot
from ..snapshot.info import summarize
from ..snapshot.manifest import ManifestError, snapshot_id
from ..snapshot.readonly import SnapshotFileError
from ..snapshot.verify import EXIT_CODES, Report, verify_snapshot
from ..snapshot.walk import DEFAULT_MAX_FILE, WalkError, display_path
from . import UsageProblem
from .keys import PASSPHRASE_FILE, load_signing_key
from .options import trust_option

SHOWN_SKIPPED = 20
FILE = click.Path(dir_okay=False, path_type=Path)
DIR = click.Path(file_okay=False, exists=True, path_type=Path)
JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group()
def snapshot() -> None:
    """Create, verify and summarise source snapshots.

    \b
    A snapshot is one SQLite file holding a source tree: every file's content
    (stored once per distinct SHA-256), a trigram search index, and a manifest
    with the tree's Merkle root, signed by the vendor key. Specification:
    docs/snapshot-format.md.
    """


@snapshot.command("create")
@click.argument("src_dir", type=DIR)
@click.option("-o", "--output", required=True, type=FILE, help="The new snapshot file.")
@click.option(
    "--vendor-key",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The vendor root private key that signs the snapshot (role vendor-root).",
)
@PASSPHRASE_FILE
@click.option("--name", help="The snapshot's name [the source directory's name].")
@click.option("--version", "version", default="", help="The source's version label.")
@click.option(
    "--max-file-size",
    type=click.IntRange(0, DEFAULT_MAX_FILE),
    default=DEFAULT_MAX_FILE,
    show_default=True,
    help="Larger files are recorded as skipped.",
)
@click.option(
    "--symbols/--no-symbols",
    default=True,
    show_default=True,
    help="Build the signed symbol index with universal-ctags (needs `ctags` on PATH).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def create(
    src_dir: Path,
    output: Path,
    vendor_key: Path,
    passphrase_file: Path | None,
    name: str | None,
    version: str,
    max_file_size: int,
    symbols: bool,
    quiet: bool,
) -> None:
    """Snapshot SRC_DIR into a new signed file (never overwrites one).

    Symbolic links are recorded, never followed; FIFOs, devices, sockets and
    unreadable files are recorded as skipped, with the reason, and listed here.
    Exit status: 0 written; 1 it could not be written (a full disk: no file is
    left); 2 usage (an existing output, an unusable label or key).
    """
    key = load_signing_key(vendor_key, passphrase_file, Role.VENDOR_ROOT, "--vendor-key")
    label = name if name is not None else src_dir.resolve().name
    bars = _Bars(quiet)
    try:
        manifest = create_snapshot(
            src_dir,
            output,
            key,
            label,
            version,
            max_file_size=max_file_size,
            progress=bars,
            symbols=symbols,
        )
    except (CreateError, ManifestError) as exc:
        raise UsageProblem(clean(exc)) from exc
    except (OSError, sqlite3.Error) as exc:  # a full disk, a read-only directory: no traceback
        raise click.ClickException(f"cannot write {clean(output)}: {clean(exc)}") from None
    finally:
        bars.close()
    m = manifest
    click.echo(f"wrote {clean(output)}: {clean(m.name)} {clean(m.version)}".rstrip())
    click.echo(f"  entries  {m.entries} ({m.files} files, {m.bytes} bytes, {m.skipped} skipped)")
    click.echo(f"  blobs    {m.blobs} distinct contents")
    click.echo(f"  root     {m.root}")
    if m.symbols is not None:
        click.echo(f"  symbols  {m.symbols.rows} definitions ({clean(m.symbols.tool)})")
    click.echo(f"  id       {snapshot_id(m.encode())}")
    click.echo(f"  signed   by vendor key {m.vendor}")
    if m.skipped:
        skipped = summarize(output).skipped
        for path, reason in skipped[:SHOWN_SKIPPED]:
            click.echo(f"  skipped  {path}: {clean(reason)}", err=True)
        if m.skipped > SHOWN_SKIPPED:
            click.echo(f"  ... and {m.skipped - SHOWN_SKIPPED} more (snapshot info)", err=True)


class _Bars:
    """Progress bars on stderr: one for reading the tree, one for indexing it."""

    LABELS = {"read": "reading ", "index": "indexing", "symbols": "symbols "}

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.phase = ""
        self.bar: object = None
        self.done = 0

    def __call__(self, p: Progress) -> None:
        if self.quiet:
            return
        if p.phase != self.phase:
            self.close()
            self.phase = p.phase
            if p.phase in self.LABELS:
                self.bar = click.progressbar(
                    length=max(p.total, 1), label=self.LABELS[p.phase], file=sys.stderr
                ).__enter__()
                self.done = 0
        if self.bar is not None:
            step = min(p.done, p.total) - self.done
            if step > 0:
                self.bar.update(step)  # type: ignore[attr-defined]
                self.done += step

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)  # type: ignore[attr-defined]
            self.bar = None


@snapshot.command("verify")
@click.argument("file", type=FILE)
@trust_option()
@click.option(
    "--rebuild-index",
    is_flag=True,
    help="Also rebuild the search index from the content and compare (slow: as long as "
    "creating it).",
)
@click.option(
    "--source",
    "source_dir",
    type=DIR,
    help="Also walk this source tree as `create` does and name every entry in which it "
    "and the snapshot differ.",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(0, DEFAULT_MAX_FILE),
    default=DEFAULT_MAX_FILE,
    show_default=True,
    help="With --source: larger files count as skipped (give the value create was given).",
)
@JSON
def verify(
    file: Path,
    trust: list[bytes],
    rebuild_index: bool,
    source_dir: Path | None,
    max_file_size: int,
    as_json: bool,
) -> None:
    """Check every byte of a snapshot against its vendor signature.

    Recomputes every content hash, every Merkle leaf and the root, the index
    digest and the totals, and checks the signature with a --trust key. Names
    the files whose content changed, and an entry added on its own; other
    added, removed, renamed or edited entries show as a root mismatch. With
    --source it also walks that tree as create does (links not followed, FIFOs
    and devices not read) and names every entry added, removed or changed: as
    tampering if the walk gives the signed root, else as differences that leave
    the status alone. Exit status: 0 intact, 1 tampered, damaged or untrusted,
    2 usage.
    """
    if not file.exists() and not file.is_symlink():
        raise UsageProblem(f"{clean(file)}: no such file")
    try:
        report = verify_snapshot(
            file, trust, rebuild_index, source=source_dir, max_file_size=max_file_size
        )
    except WalkError as exc:
        raise UsageProblem(f"--source: {clean(exc)}") from exc
    if as_json:
        doc = report.to_json()
        doc["trust"] = [key_id(k) for k in trust]
        click.echo(json.dumps(doc, indent=1))
    else:
        _print_report(report)
    sys.exit(EXIT_CODES[report.status])


def _print_report(r: Report) -> None:
    click.echo(f"{clean(r.path)}: {r.status.value}")
    m = r.manifest
    if m is not None:
        click.echo(f"  snapshot  {clean(m.name)} {clean(m.version)} (id {r.snapshot_id})")
        click.echo(f"  root      {m.root}")
        click.echo(f"  vendor    key {m.vendor}")
        click.echo(f"  entries   {m.entries} ({m.files} files, {m.bytes} bytes, "
                   f"{m.skipped} skipped), {m.blobs} blobs")  # fmt: skip
    c = r.checked
    if c:
        click.echo(f"  checked   {c['entries']} entries, {c['blobs']} blobs, "
                   f"{c['bytes_hashed']} bytes hashed in {c['seconds']} s")  # fmt: skip
    s = r.source
    if s is not None:
        what = "the signed tree" if s.signed_tree else "not the signed tree"
        counts = ", ".join(f"{n} {change}" for change, n in sorted(s.counts.items())) or "none"
        click.echo(f"  source    {clean(s.path)}: {s.entries} entries, root {s.root}, {what}")
        click.echo(
            f"  differ    {counts}" + (" (named below)" if s.signed_tree and s.counts else "")
        )
    for f in r.findings:
        where = f"{clean(f.to_json()['path'], shown=True)}: " if f.path is not None else ""
        click.echo(f"  {f.severity.value:<8} {f.code}  {where}{clean(f.message, shown=True)}")
    for code, n in sorted(r.omitted.items()):
        click.echo(f"  ... and {n} more {code} findings")
    if s is not None and not s.signed_tree:  # else each difference is a ROOT finding above
        for d in s.differences:
            detail = clean(d.detail, shown=True)  # built from display names already
            click.echo(f"  {d.change.value:<8} {display_path(d.path)}: {detail}")
        if sum(s.counts.values()) > len(s.differences):
            click.echo(f"  ... and {sum(s.counts.values()) - len(s.differences)} more differences")


@snapshot.command("info")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@trust_option(required=False)
@JSON
def info(file: Path, trust: list[bytes], as_json: bool) -> None:
    """Summarise a snapshot: manifest, counts and skipped entries.

    Does not verify the content (use `snapshot verify`); with --trust it checks
    the manifest signature. Exit status: 0, or 1 if FILE is not a readable
    snapshot.
    """
    try:
        s = summarize(file, trust or None)
    except SnapshotFileError as exc:
        click.echo(f"{clean(file)}: not a readable snapshot: {clean(exc)}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(s.to_json(), indent=1))
        return
    m = s.manifest
    click.echo(f"{clean(s.path)}: {clean(m.name)} {clean(m.version)}".rstrip())
    click.echo(f"  id        {s.snapshot_id}")
    click.echo(f"  created   {m.created} (unix seconds)")
    click.echo(f"  root      {m.root}")
    click.echo(f"  vendor    key {m.vendor}, signature {s.signature}")
    kinds = ", ".join(f"{n} {clean(k)}" for k, n in sorted(s.kinds.items()))
    click.echo(f"  entries   {m.entries}: {kinds}")
    click.echo(f"  content   {m.bytes} bytes in {m.files} files; {s.text_blobs} text and "
               f"{s.binary_blobs} binary blobs")  # fmt: skip
    click.echo(f"  index     {m.index.detail} {m.index.tokenizer}, digest {m.index.digest}")
    if m.symbols is None:
        click.echo("  symbols   none (symbols are unavailable in the terminal)")
    else:
        click.echo(f"  symbols   {m.symbols.rows} definitions by {clean(m.symbols.tool)},"
                   f" digest {m.symbols.digest}")  # fmt: skip
    click.echo(f"  file      {s.file_size} bytes")
    for path, reason in s.skipped:
        click.echo(f"  skipped   {path}: {clean(reason)}")
    if m.skipped > len(s.skipped):
        click.echo(f"  ... and {m.skipped - len(s.skipped)} more skipped")
