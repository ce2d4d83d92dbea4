"""Views whose path and content contradict the session's own snapshot.

A ledger names the snapshot its session reviewed, and each `file_open` and
`view` names a path and the content (blob) shown at it. A signer can lie: a
verified ledger may say path `p` showed content `B` where its snapshot holds
`A` at `p`, or name content `A` under a path `q` that holds something else.
Coverage is kept per (path, content), so such a view would be credited to the
wrong file and `--with-source` would print one file's lines under another's
name. The report checks every coverage row against the snapshot each of its
sessions names, when that snapshot was given, and flags a contradiction as
`PATH_BLOB_MISMATCH` instead of crediting it (docs/report-format.md). A row
whose sessions name no given snapshot cannot be checked and is not flagged
(it is marked "in no snapshot given" as before).

The same rule holds for every entry that names a path and a content: `file_open`,
`view`, `find`, `mark`, `symbol_outline` and `note` (`event_mismatches`, ADR
0305). Each such entry that its session's snapshot contradicts is flagged where
the entry is shown (timeline, events, notes, stderr). None of them is credited:
only views and search result rows count as seen, and a flagged view's row is
flagged above. Search result rows and quick-open lists name no content: their
lines come from running the search again on the snapshot, so they cannot
contradict it.

The cost is one lookup per coverage row and session, plus one pass over the
files of a snapshot that has any mismatch (to say where the content is), so a
hostile ledger of many forged rows costs what the snapshot's file list costs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..session.events import FileOpen, Find, Mark, Note, SymbolOutline, View, path_fields
from ..snapshot.store import Snapshot
from ..snapshot.walk import Kind
from .coverage import FileCoverage, FileKey
from .describe import path_text

CODE = "PATH_BLOB_MISMATCH"
# The entries that name a path and the content (blob) shown at it (docs/events.md)
NAMES_CONTENT = (FileOpen, View, Find, Mark, SymbolOutline, Note)
MAX_PATHS = 5  # paths named where the snapshot holds the content viewed; the rest counted


@dataclass(slots=True)
class Mismatch:
    """What the session's snapshot holds instead of the (path, blob) viewed."""

    path: bytes
    blob: str  # the content the ledger says was shown at `path`
    snapshot: str  # the id of the session's snapshot that contradicts it
    path_blob: str | None  # what that snapshot holds at `path`; None: no file there
    blob_paths: list[bytes] = field(default_factory=list)  # where it holds `blob` (≤ MAX_PATHS)
    more_paths: int = 0

    def message(self) -> str:
        """A sentence for people; paths are raw text here, the caller sanitizes."""
        at = (
            f"snapshot {self.snapshot[:16]} holds content {self.path_blob[:16]} at "
            f"{path_text(self.path)}, not {self.blob[:16]}"
            if self.path_blob is not None
            else f"snapshot {self.snapshot[:16]} has no file {path_text(self.path)}"
        )
        if self.blob_paths:
            names = ", ".join(path_text(p) for p in self.blob_paths)
            more = f" and {self.more_paths} more" if self.more_paths else ""
            where = f"; that content is at {names}{more}"
        else:
            where = "; that content is nowhere in it"
        return f"{CODE}: {at}{where}. Not counted as seen."

    def as_json(self) -> dict[str, object]:
        return {
            "code": CODE,
            "snapshot": self.snapshot,
            "snapshot_blob": self.path_blob,
            "content_paths": [path_fields(p) for p in self.blob_paths],
            "more_content_paths": self.more_paths,
        }


def content_at(snap: Snapshot, path: bytes) -> str | None:
    """The hex content `snap` holds at `path` as a file, or None."""
    try:
        info = snap.stat(path)
    except (FileNotFoundError, ValueError):
        return None
    return info.blob.hex() if info.kind is Kind.FILE and info.blob is not None else None


def find_mismatches(
    files: Iterable[FileCoverage],
    session_snapshot: Mapping[str, str | None],
    snapshots: Sequence[Snapshot],
) -> dict[FileKey, Mismatch]:
    """The rows of `files` that a session's own snapshot (`session_snapshot`: session
    key -> snapshot id), when given in `snapshots`, contradicts."""
    by_id = {s.id: s for s in snapshots}
    found: dict[FileKey, Mismatch] = {}
    wanted: dict[str, list[Mismatch]] = {}  # snapshot id -> its mismatches, to place
    for f in files:
        for key in f.sessions:
            snap = by_id.get(session_snapshot.get(key) or "")
            if snap is None:
                continue
            held = content_at(snap, f.path)
            if held == f.blob:
                continue
            m = found[(f.path, f.blob)] = Mismatch(f.path, f.blob, snap.id, held)
            wanted.setdefault(snap.id, []).append(m)
            break
    for sid, ms in wanted.items():
        place(by_id[sid], ms)
    return found


EntryClaim = tuple[str, str | None, Iterable[tuple[int, object]]]  # key, snapshot id, (seq, event)


def event_mismatches(
    sessions: Iterable[EntryClaim], snapshots: Sequence[Snapshot]
) -> dict[str, dict[int, Mismatch]]:
    """Per session key, the seqs of its entries that name a path and a content
    (`NAMES_CONTENT`) which the session's own snapshot, when given, contradicts.
    One lookup per distinct (snapshot, path, content); one `Mismatch` each, shared."""
    by_id = {s.id: s for s in snapshots}
    made: dict[tuple[str, bytes, str], Mismatch | None] = {}
    out: dict[str, dict[int, Mismatch]] = {}
    for key, snapshot_id, entries in sessions:
        snap = by_id.get(snapshot_id or "")
        if snap is None:
            continue
        for seq, ev in entries:
            if not isinstance(ev, NAMES_CONTENT):
                continue
            path, blob = ev.raw_path, ev.blob
            k = (snap.id, path, blob)
            if k not in made:
                held = content_at(snap, path)
                made[k] = None if held == blob else Mismatch(path, blob, snap.id, held)
            if (m := made[k]) is not None:
                out.setdefault(key, {})[seq] = m
    wanted: dict[str, list[Mismatch]] = {}
    for m in made.values():
        if m is not None:
            wanted.setdefault(m.snapshot, []).append(m)
    for sid, ms in wanted.items():
        place(by_id[sid], ms)
    return out


def place(snap: Snapshot, ms: list[Mismatch]) -> None:
    """Fill each mismatch's `blob_paths`: one pass over the snapshot's files."""
    by_blob: dict[str, list[Mismatch]] = {}
    for m in ms:
        by_blob.setdefault(m.blob, []).append(m)
    for path, blob, *_ in snap.file_lines():
        for m in by_blob.get(blob.hex(), ()):
            if len(m.blob_paths) < MAX_PATHS:
                m.blob_paths.append(path)
            else:
                m.more_paths += 1
