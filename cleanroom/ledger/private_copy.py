"""A private copy of a ledger and its `-wal`, taken as one consistent pair.

The loader reads a ledger that has a `-wal` from a copy (ADR 0004), and the
ledger may belong to a session still running. Copying keeps the holes of a
sparse file and never reads past the size a file had when opened.
"""

from __future__ import annotations

import errno
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

from .regular_file import open_regular
from .wal import WAL_HEADER, pages_missing, wal_is_torn

COPY_CHUNK = 1 << 20


def copy_pair(path: Path, wal: Path, copy: Path) -> tuple[int, Seen | None]:
    """Copy a ledger and its `-wal` to `copy` and `copy-wal` as one consistent pair;
    return their total size and what the pair looked like around the copy kept
    (None: it never held still; see `moved`). A session still running changes both files at
    different moments: a checkpoint rewrites pages of the main file, then the
    `-wal` starts again under new salts. A pair copied across such a restart is
    a main file half-checkpointed beside a log that no longer holds those pages:
    damage the writer never left. So the pair is copied again, a bounded number
    of times, until the `-wal`'s inode and 32-byte header (whose salts and
    checkpoint sequence change at every restart, and which is empty after a
    truncation) and the main file's inode are the same after the copy as before
    it, and the copied `-wal` ends in a whole frame or the live one has not grown
    since. Without a restart in between, every page a checkpoint wrote into the
    main file during its copy is also in a frame of the copied `-wal`, which SQLite
    reads instead; frames appended meanwhile are harmless, since SQLite ignores
    frames after the last commit. The last pair copied is kept if the `-wal`
    never holds still. Raises OSError."""
    size = 0
    copy_wal = Path(f"{copy}-wal")
    for attempt in range(PAIR_TRIES):
        main_before = _main_stat(path)
        before = _pair_state(path, wal)
        for stale in (copy, copy_wal):
            if os.path.lexists(stale):
                os.unlink(stale)
        # OSError: gone or unreadable; the caller looks again at what is there.
        size = copy_regular(path, copy) + copy_regular(wal, copy_wal)
        after = _pair_state(path, wal)
        settled = before is not None and before == after and _wal_header(copy_wal) == before[2]
        # A checkpoint may extend the main file after its copy was sized, and the
        # -wal then restart within one attempt: caught here, when the main file moved.
        if settled and _main_stat(path) != main_before and pages_missing(copy, copy_wal):
            settled = False
        if settled and not (_wal_size(wal) != _wal_size(copy_wal) and wal_is_torn(copy_wal)):
            return size, (after, main_before)
        # Jittered, so the copy does not keep step with a writer's own rhythm.
        time.sleep(random.uniform(0, min(0.002 * (attempt + 1), 0.05)))
    return size, None


def moved(path: Path, wal: Path, seen: Seen | None) -> bool:
    """True when the live pair is no longer as `copy_pair` saw it around the copy it
    kept (or it never held still): its -wal's state, or the main file's size and
    mtime from before the copy began, which a checkpoint during the copy changes.
    A copy that reads as damaged may then have caught the writer between two
    moments, and is worth taking again. A pair that has not moved is read the
    same way every time, so its damage is real."""
    return seen is None or _pair_state(path, wal) != seen[0] or _main_stat(path) != seen[1]


def _main_stat(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


PAIR_TRIES = 100  # a writer that restarts its -wal every 3 commits settles within a few
# An empty -wal has no salts to compare: the main file must then have held still
# for this long before the copy, longer than the file system's clock tick, so
# that any write during the copy changes its mtime.
QUIET_NS = 50_000_000

# The main file's inode; the -wal's inode and header; with an empty -wal, the
# main file's size and mtime.
PairState = tuple[int, int, bytes, tuple[int, int] | None]
# A kept copy's pair state after it, and the main file's size and mtime before it.
Seen = tuple[PairState, tuple[int, int] | None]


def _pair_state(path: Path, wal: Path) -> PairState | None:
    try:
        m, w = os.stat(path), os.lstat(wal)
    except OSError:
        return None
    header = _wal_header(wal)
    if len(header) == WAL_HEADER:
        return m.st_ino, w.st_ino, header, None
    if m.st_mtime_ns > time.time_ns() - QUIET_NS:
        return None  # written a moment ago: it may be written again during the copy
    return m.st_ino, w.st_ino, header, (m.st_size, m.st_mtime_ns)


def _wal_size(wal: Path) -> int:
    try:
        return os.lstat(wal).st_size
    except OSError:
        return -1


def _wal_header(wal: Path) -> bytes:
    try:
        opened = open_regular(wal)
    except OSError:
        return b""
    if opened is None:
        return b""
    fd, _ = opened
    try:
        return os.pread(fd, 32, 0)
    finally:
        os.close(fd)


def copy_regular(src: Path, dst: Path) -> int:
    """Copy a regular file into the private directory, read-only there; return its
    size. Only the data is copied and holes stay holes, so a sparse file costs the
    disk it occupies, not the size it claims; nothing past the size the file had
    when opened is copied, however it grows meanwhile."""
    opened = open_regular(src)
    if opened is None:
        raise OSError(f"{src.name} is not a regular file")
    fd, st = opened
    with os.fdopen(fd, "rb") as f, open(dst, "xb") as out:
        size = st.st_size
        for start, end in _data_extents(f.fileno(), size):
            f.seek(start)
            out.seek(start)
            left = end - start
            while left > 0 and (chunk := f.read(min(COPY_CHUNK, left))):
                out.write(chunk)
                left -= len(chunk)
        out.truncate(size)
    os.chmod(dst, 0o400)
    return size


def copy_tail(src: Path, dst: Path, keep: int) -> int:
    """Copy only the last `keep` bytes of a regular file into the private directory,
    at their offsets in a file of the same size (the rest a hole), read-only there;
    return its size. For a file of which only the size and the end are ever read
    (a `-journal`: `journal.READS_AT_END`), so a big one costs `keep` bytes."""
    opened = open_regular(src)
    if opened is None:
        raise OSError(f"{src.name} is not a regular file")
    fd, st = opened
    with os.fdopen(fd, "rb") as f, open(dst, "xb") as out:
        size = st.st_size
        start = max(0, size - keep)
        f.seek(start)
        out.seek(start)
        out.write(f.read(size - start))
        out.truncate(size)
    os.chmod(dst, 0o400)
    return size


def _data_extents(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of data in the first `size` bytes of `fd`: the whole
    file where the file system cannot tell holes from data."""
    at = 0
    while at < size:
        try:
            start = os.lseek(fd, at, os.SEEK_DATA)
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # no data past `at`: the rest is a hole
                return
            yield at, size  # SEEK_DATA unsupported here
            return
        if start >= size:
            return
        yield start, end
        at = end
