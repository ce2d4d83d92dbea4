"""Walk a source tree safely and completely, in raw path byte order.

Promises:
- Every directory entry under the root comes out exactly once, as a `dir`,
  `file`, `link` or `skipped` entry. Nothing is dropped silently: whatever
  cannot be read is `skipped`, with the reason.
- Symbolic links are never followed: they are recorded with their raw target.
- Nothing but a regular file is ever opened for reading, and files are opened
  with O_NOFOLLOW|O_NONBLOCK and re-checked with fstat, so a FIFO, device or
  socket (or a file swapped for one mid-walk) can neither block nor be read.
- Names are raw bytes (any byte but NUL and `/`), never decoded.
- The walk is iterative and uses directory file descriptors (`openat`), so
  neither Python's recursion limit nor PATH_MAX limits the depth. It holds one
  descriptor per level of the current path.
- Entries come out sorted by their full path bytes (memcmp order), which is the
  order of the snapshot's Merkle leaves.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..sanitize import clean, decode, lookalikes, sanitize, unnormalized

DEFAULT_MAX_FILE = 512 * 1024 * 1024  # SQLite's own limit on one value is 10^9 bytes
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY


class Kind(StrEnum):
    DIR = "dir"
    FILE = "file"
    LINK = "link"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of the tree. `path` is relative to the root, joined with b"/"."""

    path: bytes
    kind: Kind
    mode: int  # st_mode as lstat (or, for files, fstat) saw it
    size: int
    data: bytes | None = None  # content, for a file
    target: bytes | None = None  # raw link target, for a link
    reason: str | None = None  # why it was not read, for a skipped entry

    @property
    def display(self) -> str:
        return display_path(self.path)


def display_path(path: bytes) -> str:
    """The path as it may be shown: undecodable bytes and controls made visible."""
    return clean(decode(path))


def display_before_0307(path: bytes) -> str:
    """The display a snapshot made before the session-8 addendum to ADR 0005
    stored: tag brackets and C1 controls (`⟨x80⟩`) as they were, and no name
    look-alike tags (`∕`, `ﬁ`, a lone Cyrillic word). Still a sanitized form of the
    signed path, accepted in the unsigned `display` column that no reader uses."""
    text = decode(path)
    marks = unnormalized(text) | lookalikes(text)
    out, start = [], 0
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp in (0x27E8, 0x27E9) or (0x80 <= cp <= 0x9F and cp != 0x85):
            out.append(sanitize(text[start:i], marks=marks, at=start).text)
            out.append(ch if cp > 0x9F else f"⟨x{cp:02X}⟩")
            start = i + 1
    out.append(sanitize(text[start:], marks=marks, at=start).text)
    return "".join(out)


def display_before_0306(path: bytes) -> str:
    """The display a snapshot made before ADR 0306 stored: without the tags that tell
    a name from its NFC twin. Still a sanitized form of the signed path, so
    `snapshot verify` accepts it in the unsigned `display` column that no reader uses."""
    text = decode(path)
    return sanitize(text, marks=lookalikes(text)).text


class WalkError(OSError):
    """The root itself cannot be walked (the only error `walk` raises)."""


@dataclass
class _Dir:
    fd: int
    prefix: bytes  # this directory's path plus b"/", or b"" for the root
    items: list[tuple[bytes, bytes, os.stat_result | OSError]]  # (sort key, name, lstat)
    pos: int = 0
    opened: dict[bytes, _Dir] = field(default_factory=dict)  # scanned, not yet descended


def walk(root: str | bytes | Path, max_file_size: int = DEFAULT_MAX_FILE) -> Iterator[Entry]:
    """Yield every entry under `root` (not `root` itself), sorted by path bytes.

    Raises WalkError only when `root` cannot be opened and listed as a directory
    (a symlink given as the root is followed: naming it is the caller's choice).
    """
    try:
        fd = os.open(os.fsencode(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise WalkError(exc.errno, f"{clean(root)}: {exc.strerror}") from exc
    try:
        items = _scan(fd)
    except OSError as exc:
        os.close(fd)
        raise WalkError(exc.errno, f"{clean(root)}: {exc.strerror}") from exc
    stack = [_Dir(fd, b"", items)]
    try:
        while stack:
            top = stack[-1]
            if top.pos == len(top.items):
                stack.pop()
                for child in top.opened.values():  # none, unless the listing changed
                    os.close(child.fd)
                os.close(top.fd)
                continue
            key, name, st = top.items[top.pos]
            top.pos += 1
            if key[-1:] == b"/":  # the subtree of a directory announced earlier
                child = top.opened.pop(name, None)
                if child is not None:
                    stack.append(child)
                continue
            yield _entry(top, name, st, max_file_size)
    finally:
        for d in stack:
            for child in d.opened.values():
                os.close(child.fd)
            os.close(d.fd)


def _scan(fd: int) -> list[tuple[bytes, bytes, os.stat_result | OSError]]:
    """The sorted work list for one directory. A directory sorts as two items: its
    own entry under its name, and its subtree under name + b"/" (where its
    descendants' full paths sort), so the output is in full-path byte order."""
    items: list[tuple[bytes, bytes, os.stat_result | OSError]] = []
    with os.scandir(fd) as it:
        for de in it:
            name = os.fsencode(de.name)
            try:
                st: os.stat_result | OSError = de.stat(follow_symlinks=False)
            except OSError as exc:
                st = exc
            items.append((name, name, st))
            if isinstance(st, os.stat_result) and stat.S_ISDIR(st.st_mode):
                items.append((name + b"/", name, st))
    items.sort(key=lambda item: item[0])
    return items


def _entry(parent: _Dir, name: bytes, st: os.stat_result | OSError, limit: int) -> Entry:
    path = parent.prefix + name
    if isinstance(st, OSError):
        return _skipped(path, 0, 0, f"cannot stat: {_why(st)}")
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        fd = -1
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent.fd)
            parent.opened[name] = _Dir(fd, path + b"/", _scan(fd))
        except OSError as exc:
            if fd >= 0:
                os.close(fd)
            return _skipped(path, mode, st.st_size, f"cannot read directory: {_why(exc)}")
        return Entry(path, Kind.DIR, mode, 0)
    if stat.S_ISLNK(mode):
        try:
            target = os.readlink(name, dir_fd=parent.fd)
        except OSError as exc:
            return _skipped(path, mode, st.st_size, f"cannot read link: {_why(exc)}")
        return Entry(path, Kind.LINK, mode, len(target), target=target)
    if stat.S_ISREG(mode):
        return _read_file(parent.fd, name, path, st, limit)
    return _skipped(path, mode, st.st_size, f"not a regular file: {special_kind(mode)}")


def _read_file(dir_fd: int, name: bytes, path: bytes, st: os.stat_result, limit: int) -> Entry:
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        return _skipped(path, st.st_mode, st.st_size, f"cannot open: {_why(exc)}")
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode):  # swapped for something else since lstat
            return _skipped(
                path, fst.st_mode, 0, f"not a regular file: {special_kind(fst.st_mode)}"
            )
        if fst.st_size > limit:
            return _skipped(path, fst.st_mode, fst.st_size, _too_large(limit))
        data = _read_at_most(fd, fst.st_size, limit)
    except OSError as exc:
        return _skipped(path, st.st_mode, st.st_size, f"cannot read: {_why(exc)}")
    finally:
        os.close(fd)
    if data is None:
        return _skipped(path, fst.st_mode, fst.st_size, _too_large(limit))
    return Entry(path, Kind.FILE, fst.st_mode, len(data), data=data)


def _read_at_most(fd: int, expected: int, limit: int) -> bytes | None:
    """Read to EOF; None if the file holds more than `limit` bytes (it grew)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        want = min(max(expected - total + 1, 1 << 16), limit + 1 - total)
        chunk = os.read(fd, want)
        if not chunk:
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return None


def _skipped(path: bytes, mode: int, size: int, reason: str) -> Entry:
    return Entry(path, Kind.SKIPPED, mode, size, reason=reason)


def _too_large(limit: int) -> str:
    return f"larger than the limit of {limit} bytes"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    return f"unknown file type {stat.S_IFMT(mode):#o}"


def survey(root: str | bytes | Path) -> tuple[int, int]:
    """(entries, bytes in regular files) under `root`, from lstat alone: an estimate
    for progress bars. Never reads a file; ignores whatever it cannot list."""
    entries = size = 0
    stack = [os.fsencode(root)]
    while stack:
        try:
            it = os.scandir(stack.pop())
        except OSError:
            continue
        with it:
            for de in it:
                entries += 1
                try:
                    st = de.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    stack.append(de.path)
                elif stat.S_ISREG(st.st_mode):
                    size += st.st_size
    return entries, size
