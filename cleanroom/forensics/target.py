"""The question who-viewed is asked: `PATH[:START-END]`, normalised and resolved to files.

`Target.parse` reads the argument and normalises the path the way a person types
it: `./a`, `a//b` and `a/./b` all name `a/b`; `..` is resolved inside the path
and refused where it would leave the snapshot's top; an absolute path is
refused (snapshot paths are relative to its top).

`resolve` turns a target into the files to answer for. With a snapshot, the
path is checked against it (the first one given: its line numbers are the
reference): a file, a directory (every file below it) or a glob (`pathglob`
syntax, as for search include globs), and a range must lie inside the file.
Anything that does not exist there is a `TargetError` naming the closest paths
the snapshot holds, so a typo is never answered with "nobody". Without a
snapshot nothing can be checked: a directory or glob is matched against the
paths the ledgers recorded, and the answer says the path was not checked.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..snapshot.pathglob import PathFilter
from ..snapshot.store import Snapshot
from ..snapshot.walk import Kind
from .shownlines import shown_lines

_RANGE = re.compile(r"(.+):(\d+)(?:-(\d+))?", re.DOTALL)
GLOB_CHARS = frozenset(b"*?[")
MAX_SUGGESTIONS = 5
MAX_FUZZY_POOL = 100_000  # paths compared by difflib for suggestions, at most
MAX_FUZZY_LENGTH = 400  # longer paths are left out of the fuzzy comparison


class TargetError(ValueError):
    """A PATH[:START-END] that cannot be read, or that names nothing in the snapshot.
    For a path the snapshot does not hold, `suggestions` are the closest paths it
    does hold (raw bytes, perhaps none); otherwise it is None."""

    def __init__(self, message: str, suggestions: Sequence[bytes] | None = None) -> None:
        super().__init__(message)
        self.suggestions = None if suggestions is None else list(suggestions)


@dataclass(frozen=True)
class Target:
    """A path (normalised) and optionally lines first..last of it (1-based, inclusive).
    `directory` is True when the path was written with a trailing `/`."""

    path: bytes
    first: int | None = None
    last: int | None = None
    directory: bool = False

    @classmethod
    def parse(cls, text: str) -> Target:
        m = _RANGE.fullmatch(text)
        if m is None:
            if not text:
                raise TargetError("empty path")
            return cls.of(_raw(text))
        first = int(m.group(2))
        last = int(m.group(3)) if m.group(3) else first
        if first < 1 or last < first:
            raise TargetError(f"bad line range {first}-{last}: lines start at 1")
        return cls.of(_raw(m.group(1)), first, last)

    @classmethod
    def of(cls, raw: bytes, first: int | None = None, last: int | None = None) -> Target:
        return cls(normalise(raw), first, last, raw.endswith(b"/"))

    @property
    def is_glob(self) -> bool:
        return any(c in GLOB_CHARS for c in self.path)


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")  # what os.fsencode gives on Linux


def normalise(raw: bytes) -> bytes:
    """`raw` as the snapshot spells it: no empty or `.` components, `..` resolved.
    Raises TargetError for an absolute path or a `..` that leaves the top."""
    if raw.startswith(b"/"):
        raise TargetError(
            "an absolute path: give the path inside the snapshot, relative to its top "
            "(as `cleanroom review` shows it)"
        )
    parts: list[bytes] = []
    for part in raw.split(b"/"):
        if part in (b"", b"."):
            continue
        if part == b"..":
            if not parts:
                raise TargetError("`..` leads out of the snapshot: paths are inside it")
            parts.pop()
            continue
        parts.append(part)
    return b"/".join(parts)


@dataclass
class Resolved:
    """The files a target names. `checked` is True when they were checked against a
    snapshot; `lines` is the reference file's line count (one text file, checked)."""

    target: Target
    kind: str  # file, directory or glob
    files: list[bytes]
    checked: bool
    snapshot: str | None = None  # the id of the snapshot checked against
    lines: int | None = None
    skipped: list[bytes] = field(default_factory=list)  # matched but not viewable


def resolve(target: Target, snapshots: Sequence[Snapshot], seen: Iterable[bytes]) -> Resolved:
    """The files `target` names: in `snapshots[0]` when given (else among `seen`, the
    paths the ledgers recorded). Raises TargetError as described in the module."""
    if snapshots:
        return _in_snapshot(target, snapshots)
    seen = sorted(set(seen))
    path = target.path
    if target.is_glob and path not in seen:
        kind, files = "glob", _globbed(path, seen)
    elif (
        path == b""
        or target.directory
        or (path not in seen and any(p.startswith(path + b"/") for p in seen))
    ):
        kind, files = "directory", _below(path, seen)
    else:
        kind, files = "file", [path]
    if kind != "file" and target.first is not None:
        raise TargetError(f"a line range needs one file, not a {kind}")
    return Resolved(target, kind, files, checked=False)


def _in_snapshot(target: Target, snapshots: Sequence[Snapshot]) -> Resolved:
    snap, path = snapshots[0], target.path
    try:
        info = snap.stat(path)
    except FileNotFoundError:
        info = None
    if info is None and target.is_glob:
        texts = [(i.path, i.display) for i in snap.files() if i.kind is Kind.FILE]
        try:
            keep = PathFilter((path.decode("utf-8", "surrogateescape"),))
        except ValueError as exc:
            raise TargetError(f"not a usable glob: {exc}") from exc
        files = [p for p, display in texts if keep(display)]
        if not files:
            raise TargetError(f"no file in snapshot {snap.id[:16]} matches this glob")
        return _many(target, "glob", files, snap, snapshots)
    if info is None:
        elsewhere = [s.id[:16] for s in snapshots[1:] if _exists(s, path)]
        hint = (
            f"; snapshot {', '.join(elsewhere)} has it: give that one first with --snapshot"
            if elsewhere
            else ""
        )
        raise TargetError(
            f"not in snapshot {snap.id[:16]}{hint}", suggestions(path, _all_paths(snap))
        )
    if info.kind is Kind.DIR:
        files = [i.path for i in snap.files() if i.kind is Kind.FILE and _under(i.path, path)]
        if not files:
            raise TargetError(f"a directory with no files in snapshot {snap.id[:16]}")
        return _many(target, "directory", files, snap, snapshots)
    if target.directory:
        raise TargetError("written as a directory (trailing /), but it is a file")
    if info.kind is Kind.LINK:
        to = info.target or b""
        raise TargetError(
            f"a symbolic link (to {to.decode('utf-8', 'replace')}): the viewer does not "
            "open links; ask about the file it points to"
        )
    if info.kind is not Kind.FILE or info.blob is None:
        why = f" ({info.reason})" if info.reason else ""
        raise TargetError(f"not a file the viewer can open{why}")
    blob = snap.blob(info.blob)
    lines = shown_lines(blob.lines, blob.binary, blob.size)  # binary: its hex rows
    if target.last is not None and lines is not None and target.last > lines:
        asked = (
            f"line {target.first} is"
            if target.first == target.last
            else f"lines {target.first}-{target.last} go"
        )
        raise TargetError(
            f"{asked} beyond the end of the file: it has {lines} "
            f"line{'' if lines == 1 else 's'} in snapshot {snap.id[:16]}"
        )
    return Resolved(target, "file", [path], True, snap.id, lines)


def _many(
    target: Target, kind: str, files: list[bytes], snap: Snapshot, snapshots: Sequence[Snapshot]
) -> Resolved:
    if target.first is not None:
        raise TargetError(f"a line range needs one file, not a {kind}")
    return Resolved(target, kind, files, True, snap.id)


def _exists(snap: Snapshot, path: bytes) -> bool:
    try:
        snap.stat(path)
    except FileNotFoundError:
        return False
    return True


def _under(path: bytes, directory: bytes) -> bool:
    return directory == b"" or path.startswith(directory + b"/")


def _below(directory: bytes, paths: Sequence[bytes]) -> list[bytes]:
    return [p for p in paths if _under(p, directory)]


def _globbed(glob: bytes, paths: Sequence[bytes]) -> list[bytes]:
    try:
        keep = PathFilter((glob.decode("utf-8", "surrogateescape"),))
    except ValueError as exc:
        raise TargetError(f"not a usable glob: {exc}") from exc
    return [p for p in paths if keep(p.decode("utf-8", "surrogateescape"))]


def _all_paths(snap: Snapshot) -> list[bytes]:
    return [i.path for i in snap.files() if i.kind is not Kind.DIR]


def suggestions(path: bytes, names: Sequence[bytes], n: int = MAX_SUGGESTIONS) -> list[bytes]:
    """Up to `n` paths of `names` closest to `path`: first those where one is the other
    with directories added or removed in front (`pkg/app.py` and `app.py`), then the
    same file name elsewhere, then files of the same directory with a close name,
    then those whose file name is closest by difflib anywhere, over at most
    MAX_FUZZY_POOL names. Bounded work whatever `names` holds."""
    out: list[bytes] = []

    def add(candidates: Iterable[bytes]) -> None:
        for c in candidates:
            if len(out) >= n:
                return
            if c not in out and c != path:
                out.append(c)

    if not path:
        return out
    base = path.rsplit(b"/", 1)[-1]
    add(c for c in names if c.endswith(b"/" + path) or path.endswith(b"/" + c))
    add(c for c in names if c.rsplit(b"/", 1)[-1] == base)
    folder = path[: -len(base)]  # with its trailing "/", or b""
    here = {_text(c[len(folder) :]): c for c in names[:MAX_FUZZY_POOL]
            if c.startswith(folder) and b"/" not in c[len(folder) :]}  # fmt: skip
    add(here[c] for c in difflib.get_close_matches(_text(base), here, n, 0.6))
    if len(out) < n and len(path) <= MAX_FUZZY_LENGTH:
        add(_fuzzy(path, base, names[:MAX_FUZZY_POOL], n))
    return out


def _fuzzy(path: bytes, base: bytes, pool: Sequence[bytes], n: int) -> list[bytes]:
    """Paths whose file name is close to `base` (difflib, on the short names), closest
    name first, and among paths with one name the closest to the whole of `path`."""
    by_name: dict[str, list[bytes]] = {}
    for c in pool:
        if len(c) <= MAX_FUZZY_LENGTH:
            by_name.setdefault(_text(c.rsplit(b"/", 1)[-1]), []).append(c)
    out: list[bytes] = []
    whole = difflib.SequenceMatcher(b=_text(path), autojunk=False)
    for name in difflib.get_close_matches(_text(base), by_name, n, 0.6):
        paths = by_name[name][:300]
        out += sorted(paths, key=lambda c: -_ratio(whole, c))[:n]
    return out


def _ratio(matcher: difflib.SequenceMatcher, candidate: bytes) -> float:
    matcher.set_seq1(_text(candidate))
    return matcher.ratio()


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")
