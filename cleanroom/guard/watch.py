"""Real watchdog observers (inotify) on the places a session uses.

One `InotifyObserver` holds a watch on the snapshot's directory, the ledger
directory and the directory of each key file (not recursive: the guard cares
about the files in them), on each keys directory and on each removable-media
root that exists (recursive). Every
event goes through `classify`; what it means goes to `on_sighting`. Nothing in
the observer thread waits: the callbacks only queue.

How Cleanroom's own accesses are told apart (details in `classify` and
`own_writes`): Cleanroom opens the snapshot and the ledger once before the
guard starts and never reopens them, so any open seen afterwards is another
process's; its own ledger writes are matched against the stat chain.

What inotify cannot show (docs/guard.md has the full list):

- *who*: inotify names the file, not the process or user;
- reads through a descriptor opened before the guard started, and reads of a
  mapping (mmap) after the open: only opens, writes and name changes are seen;
- a hard link or bind mount of a watched file elsewhere (watches are on
  directories; the poll notices a new hard link by the link count);
- `ls` of a watched directory (watchdog reports no directory opens);
- root, who can stop the guard, kill the process or read memory and devices
  directly. A lost watch or an inotify queue overflow becomes a `guard_failure`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from .classify import Sighting, classify
from .places import Places, under
from .policy import Category

Failure = Callable[[str, str], None]  # (subject, reason)
_WATCHDOG_LOGGER = "watchdog"
_BENIGN_LOG = "thread is inactive"  # a stopped emitter; `health` reports lost watches itself


def load_inotify() -> Any:
    """watchdog's inotify observer class, imported now: its import loads libc and
    resolves inotify's calls through ctypes, which the reviewer terminal's audit
    policy refuses once it is in (cleanroom/tui/audit.py). Raises ImportError or
    OSError where there is no inotify."""
    from watchdog.observers.inotify import InotifyObserver

    return InotifyObserver


class Watcher:
    def __init__(
        self, places: Places, on_sighting: Callable[[Sighting], None], on_failure: Failure
    ) -> None:
        self.places = places
        self._on_sighting = on_sighting
        self._on_failure = on_failure
        self._observer: Any = None
        self._lock = threading.Lock()
        self._watches: dict[str, tuple[Any, tuple[int, int]]] = {}  # path -> (watch, (dev, ino))
        self._reported: set[str] = set()
        self._log = _WatchdogLog(on_failure)
        with contextlib.suppress(ImportError, OSError):  # `start` reports it
            load_inotify()  # before the audit policy: see `load_inotify`

    def plan(self) -> list[tuple[str, bool]]:
        """(directory, recursive) for each watch, without overlaps."""
        p = self.places
        wanted = [(p.snapshot_dir, False), (p.ledger_dir, False)]
        wanted += [(k, True) for k in p.keys]
        wanted += [(d, False) for d in p.key_file_dirs]
        wanted += [(m, True) for m in p.media if os.path.isdir(m)]
        recursive = [d for d, r in wanted if r]
        plan: dict[str, bool] = {}
        for d, r in wanted:
            covered = any(under(d, root) for root in recursive if root != d)
            if not covered:
                plan[d] = plan.get(d, False) or r
        return list(plan.items())

    def start(self) -> None:
        """Start observing. A place that cannot be watched is a failure, not an exception."""
        try:
            InotifyObserver = load_inotify()  # noqa: N806 - a class
        except (ImportError, OSError) as exc:  # not Linux, or no inotify
            self._on_failure("watcher", f"inotify is not available: {exc}")
            return
        logging.getLogger(_WATCHDOG_LOGGER).addHandler(self._log)
        self._observer = InotifyObserver()
        self._observer.start()
        for path, recursive in self.plan():
            self.add(path, recursive)

    def add(self, path: str, recursive: bool) -> bool:
        """Watch one more directory (also used for a newly mounted medium)."""
        if self._observer is None:
            return False
        try:
            st = os.stat(path)
            watch = self._observer.schedule(
                _Handler(self), path, recursive=recursive, event_filter=_event_filter()
            )
        except OSError as exc:
            self._on_failure(f"watch {path}", f"cannot watch: {exc.strerror or exc}")
            return False
        with self._lock:
            self._watches[path] = (watch, (st.st_dev, st.st_ino))
            self._reported.discard(path)
        return True

    def remove(self, path: str) -> None:
        with self._lock:
            entry = self._watches.pop(path, None)
        if entry is not None and self._observer is not None:
            try:
                self._observer.unschedule(entry[0])
            except (KeyError, OSError):
                pass

    def health(self) -> list[tuple[str, str]]:
        """Watches lost since the last call (emitter stopped, directory moved or
        replaced, observer dead), each reported once, also to `on_failure`."""
        if self._observer is None:
            return []
        problems = []
        if not self._observer.is_alive() and self._first_report("observer"):
            problems.append(("watcher", "the watchdog observer thread has stopped"))
        alive = {e.watch for e in list(self._observer.emitters) if e.is_alive()}
        with self._lock:
            watches = [(p, w) for p, w in self._watches.items() if p not in self._reported]
        for path, (watch, ident) in watches:
            reason = None
            try:
                st = os.stat(path)
                if (st.st_dev, st.st_ino) != ident:
                    reason = "the directory was moved or replaced; it is no longer watched"
            except OSError:
                reason = "the directory is gone; it is no longer watched"
            if reason is None and watch not in alive:
                reason = "its watch stopped"
            if reason is not None and self._first_report(path):
                problems.append((f"watch {path}", reason))
        for subject, reason in problems:
            self._on_failure(subject, reason)
        return problems

    def lost(self, path: str) -> None:
        """A watched root was deleted: already reported, so `health` stays quiet about it."""
        self._first_report(path)

    def _first_report(self, key: str) -> bool:
        """Mark `key` reported (observer and poller threads both report); True the first time."""
        with self._lock:
            first = key not in self._reported
            self._reported.add(key)
        return first

    def stop(self) -> None:
        logging.getLogger(_WATCHDOG_LOGGER).removeHandler(self._log)
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def dispatch(self, event: Any) -> None:
        """Called on the observer thread for each event. Never raises: an exception
        here would kill the observer, so it becomes a guard failure instead."""
        try:
            paths = [event.src_path, getattr(event, "dest_path", "")]
            for raw in paths:
                if not raw:
                    continue
                sighting = classify(event.event_type, os.fsdecode(raw), event.is_directory,
                                    self.places)  # fmt: skip
                if sighting is not None:
                    if sighting.category is Category.GUARD_FAILURE:
                        self.lost(sighting.path)
                    self._on_sighting(sighting)
                    return
        except Exception as exc:  # the observer thread must survive
            self._on_failure("watcher", f"an event could not be handled: {exc!r}")


def _event_filter() -> list[type]:
    """Everything but directory mtime changes. Closes are kept though they mean
    nothing alone: between two opens they stop watchdog's queue (and the kernel's)
    from merging the two into one, so every open is counted."""
    from watchdog import events as e

    return [
        e.FileOpenedEvent, e.FileModifiedEvent, e.FileAttribEvent, e.DirAttribEvent,
        e.FileCreatedEvent, e.DirCreatedEvent, e.FileDeletedEvent, e.DirDeletedEvent,
        e.FileMovedEvent, e.DirMovedEvent, e.FileClosedEvent, e.FileClosedNoWriteEvent,
    ]  # fmt: skip


class _Handler:
    """The watchdog handler: hands every event to the watcher."""

    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def dispatch(self, event: Any) -> None:
        self._watcher.dispatch(event)


class _WatchdogLog(logging.Handler):
    """watchdog logs, rather than raises, when it loses events (inotify queue
    overflow) or a watch; each such warning becomes a guard failure."""

    def __init__(self, on_failure: Failure) -> None:
        super().__init__(logging.WARNING)
        self._on_failure = on_failure

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if _BENIGN_LOG not in message:
            self._on_failure("watchdog", message)
