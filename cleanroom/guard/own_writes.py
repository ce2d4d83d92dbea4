"""Tell Cleanroom's own writes to the live ledger from anyone else's.

inotify reports that the ledger or its `-wal` was written, never by whom, and
Cleanroom writes them on every entry (the WAL each time, the main file at each
checkpoint). So the guard keeps a *stat chain*: after each of Cleanroom's own
commits it notes the files' (inode, size, mtime, ctime, links). `WatchedLedger`
wraps the ledger writer so that every append and the seal run inside
`OwnWrites.writing()`, which

1. before the write, compares the files with the state the last own commit
   left, so a change made between two commits is caught even if the next
   commit would otherwise hide it, and
2. after the write, notes the new state.

At any other moment (`OwnWrites.check`, run on every drain), a difference
means someone else changed, replaced, linked or deleted the file.

Limits: a foreign write made *while* Cleanroom commits an entry (between the
check before and the stat after, a few ms with the fsync) is taken for part of
that commit; and file times have the kernel's coarse clock resolution, so a
foreign write of the same size in the same tick as a commit looks like it.
The verifier still catches any change to signed content; the guard's job is to
notice promptly, not to prove.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..ledger.events import Event, Head
from ..ledger.witness import Receipt
from ..ledger.writer import Appended


@dataclass(frozen=True)
class FileState:
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int
    links: int

    @classmethod
    def of(cls, path: str) -> FileState | None:
        try:
            st = os.stat(path, follow_symlinks=False)  # stat, never open: no IN_OPEN of our own
        except FileNotFoundError:
            return None
        return cls(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink)


def difference(name: str, before: FileState | None, after: FileState | None) -> str | None:
    """How `name` changed between two states, in words, or None if it did not."""
    if before == after:
        return None
    if after is None:
        return f"{name} is gone"
    if before is None:
        return f"{name} appeared"
    if after.ino != before.ino:
        return f"{name} was replaced by another file"
    if after.links != before.links:
        return f"{name} now has {after.links} hard links (was {before.links})"
    if after.size != before.size:
        return f"{name} changed size {before.size} → {after.size} bytes"
    if after.mtime_ns != before.mtime_ns:
        return f"{name} was written"
    return f"{name} had its attributes changed"


class OwnWrites:
    """The state Cleanroom's own last commit left the live ledger files in."""

    def __init__(self, paths: tuple[str, ...], on_change: Callable[[list[str]], None]) -> None:
        self.paths = paths
        self._on_change = on_change
        self._lock = threading.Lock()
        self._expected: dict[str, FileState | None] | None = None  # None: not started

    def baseline(self) -> None:
        with self._lock:
            self._expected = self._now()

    def stop(self) -> None:
        with self._lock:
            self._expected = None

    def check(self) -> list[str]:
        """Compare the files with the last own commit; report and return differences.
        Waits for an append in progress to finish (never called on an observer thread)."""
        with self._lock:
            return self._check_locked()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Bracket one of Cleanroom's own writes (see the module docstring)."""
        with self._lock:
            self._check_locked()
            try:
                yield
            finally:
                if self._expected is not None:
                    self._expected = self._now()

    def _check_locked(self) -> list[str]:
        if self._expected is None:
            return []
        now = self._now()
        changes = [
            d
            for p in self.paths
            if (d := difference(os.path.basename(p), self._expected[p], now[p])) is not None
        ]
        self._expected = now  # each change is reported once
        if changes:
            self._on_change(changes)
        return changes

    def _now(self) -> dict[str, FileState | None]:
        return {p: FileState.of(p) for p in self.paths}


class WatchedLedger:
    """A ledger writer whose appends and seal the guard knows to be Cleanroom's own.
    Give this, not the bare `Ledger`, to the `Recorder` (same interface)."""

    def __init__(self, ledger: Any, own: OwnWrites) -> None:
        self._ledger = ledger
        self._own = own

    def append(self, event: Event) -> Appended:
        with self._own.writing():
            return self._ledger.append(event)

    def seal(self, reason: str = "reviewer", countersigner: Any = None) -> Receipt:
        with self._own.writing():
            return self._ledger.seal(reason, countersigner)

    @property
    def head(self) -> Head:
        return self._ledger.head

    @property
    def last(self) -> Appended:
        return self._ledger.last

    def __getattr__(self, name: str) -> Any:  # path, sealed, close, id: unchanged
        return getattr(self._ledger, name)
