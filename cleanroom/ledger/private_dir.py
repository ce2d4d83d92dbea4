"""The verifier's private directories, where it copies a ledger with its `-wal`.

Each is `cleanroom-verify-*` in the temporary directory, mode 0700, and holds a
`lock` file that its process keeps locked (`flock`) for as long as it exists. A
verifier killed with SIGKILL cannot remove its directory, and the copy inside
is a full copy of the evidence; so each process, the first time it makes a
private directory, first removes those whose lock no process holds. It removes
only real directories (never a symbolic link) owned by this user, with mode
0700 and an unlocked `lock` file; the removal itself never follows a link.

The temporary directory itself must be one in which no one else can rename our
directory: owned by this user or root, and sticky if others may write it (as
/tmp is). Otherwise no private directory is made (PermissionError): the copy
could be swapped under the verifier (atk14b).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "cleanroom-verify-"
LOCK = "lock"
_swept = False


@contextlib.contextmanager
def private_dir() -> Iterator[Path]:
    """A new private directory, removed with everything in it when the block ends."""
    sweep_once()
    parent = tempfile.gettempdir()
    _check_parent(parent)
    path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    # Locked under another name, then renamed: a sweeper never sees `lock` unlocked.
    locking = path / ".locking"
    fd = os.open(locking, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(locking, path / LOCK)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _check_parent(parent: str) -> None:
    """Raise OSError unless only this user (or root) can rename what `parent` holds:
    it belongs to one of them, and others may not write it unless it is sticky. In
    a shared scratch directory anyone could rename our directory away, between the
    copy and its reading, and put one holding other bytes in its place (atk14b)."""
    st = os.stat(parent)
    if st.st_uid not in (0, os.geteuid()):
        raise PermissionError(f"the temporary directory {parent} belongs to another user")
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        why = "others may write it and it is not sticky"
        raise PermissionError(f"the temporary directory {parent}: {why}")


def sweep_once() -> None:
    """`remove_stale`, the first time this process asks."""
    global _swept
    if not _swept:
        _swept = True
        remove_stale()


def remove_stale(parent: str | None = None) -> list[str]:
    """Remove the private directories in `parent` (the temporary directory) that
    no live process holds; return their names. Errors leave a directory alone."""
    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        names = [n for n in os.listdir(parent) if n.startswith(PREFIX)]
    except OSError:
        return []
    for name in names:
        path = os.path.join(parent, name)
        with contextlib.suppress(OSError):
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
                continue
            if stat.S_IMODE(st.st_mode) != 0o700:
                continue
            if _unlocked_then_removed(path):
                removed.append(name)
    return removed


def _unlocked_then_removed(path: str) -> bool:
    try:
        fd = os.open(os.path.join(path, LOCK), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False  # no lock file: not ours, or still being made
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # its verifier is alive
        if not shutil.rmtree.avoids_symlink_attacks:
            return False
        shutil.rmtree(path)
        return True
    finally:
        os.close(fd)
