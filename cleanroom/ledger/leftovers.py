"""Files a killed writer leaves half-made in a directory, and their removal.

A writer makes a file under a temporary name and renames it into place (a
ledger's `.creating`, a receipt's `.tmp`, a snapshot's `.partial`). SIGKILL
leaves the temporary file behind. Each writer holds a shared lock on the
directory (`flock`) from before it creates its temporary file until after it
renames or removes it; `remove_leftovers` takes the lock exclusively, without
waiting, so it removes only files no live writer is making. It never follows a
symbolic link and removes only regular files owned by this user.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def making_files_in(directory: Path) -> Iterator[None]:
    """Hold the directory's shared lock while temporary files are made in it."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_leftovers(directory: Path, is_leftover: Callable[[str], bool]) -> list[str]:
    """Remove the regular files in `directory` whose names `is_leftover` accepts,
    if no writer holds the directory's lock; return the names removed. A directory
    that cannot be opened or locked is left alone (an empty list)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return []
    removed = []
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return []  # a writer is at work here: its files are not leftovers
        for name in os.listdir(fd):
            if not is_leftover(name):
                continue
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
                    os.unlink(name, dir_fd=fd)
                    removed.append(name)
            except OSError:
                continue
    finally:
        os.close(fd)
    return removed
