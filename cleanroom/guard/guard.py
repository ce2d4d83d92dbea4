"""`Guard`: one session's watch over the workstation, from start to just before the seal.

Call order (the UI owns the timer and the ledger; the guard only reports):

    places = Places.of(snapshot, ledger.path, key_dirs, policy.media_roots, key_files)
    guard = Guard(policy, places)    # before the audit policy: it loads inotify (ctypes)
    recorder = Recorder(guard.watch_ledger(ledger))  # own writes known to the guard
    guard.start()                    # after the snapshot and the ledger are open; starts
                                     # the watches, the netlink listener and the poller
    every 0.25 s:  for alert in guard.pending(): record it, then guard.recorded(alert);
                   act on each new alert's response even if recording failed
    after each recorded view:  guard.feed_view(name, first, last, col=, cols=, lengths=)
    after each recorded row view:  guard.feed_lines([(name, line, line, col, cols), ...])
    final = guard.stop()             # record `final`, *then* seal

Cleanroom must not open the snapshot, the keys or the ledger again once the
guard runs; code that has to (a search pass with its own connection) does so
inside `with guard.own_opens(path, n):` naming exactly how many opens it makes
(see `own_opens`), or every such open is reported as another process's.

`stop()` comes before the seal because sealing checkpoints and deletes the
`-wal`, makes the ledger read-only and writes the receipt, which a running guard
would rightly report as tampering.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..session.events import Alert
from .alert_queue import AlertQueue
from .bulk import Pace
from .classify import Action, Sighting
from .mounts import Mount, media_changes, read_mounts
from .netlink import Change, Listener, apply
from .network import NetworkState, changes, read_network, start_check
from .own_opens import OwnOpens
from .own_writes import FileState, OwnWrites, WatchedLedger, difference
from .places import Places
from .policy import Category, Policy
from .watch import Watcher

MAX_HELD = 256  # unrecorded alerts kept one by one while the ledger fails
HELD_OVERFLOW = "{} more alerts of this category while recording failed"


class Guard:
    def __init__(
        self,
        policy: Policy,
        places: Places,
        *,
        clock: Callable[[], float] = time.monotonic,
        network: Callable[[], NetworkState] = read_network,
        mounts: Callable[[], list[Mount]] = read_mounts,
        netlink: bool = True,
        pace: Pace | None = None,
    ) -> None:
        """`network` and `mounts` read the current state (tests pass stand-ins);
        `netlink` listens for the kernel's link and route changes between polls."""
        self.policy = policy
        self.places = places
        self._clock = clock
        self._read_network = network
        self._read_mounts = mounts
        self._queue = AlertQueue()
        self._own = OwnWrites(places.live_ledger_files, self._ledger_changed)
        self._watcher = Watcher(places, self._sighted, self._failed)
        self._opens = OwnOpens(clock)
        # The reading pace: given by a caller that outlives this session (the
        # recorder keeps one for its life), else this session's own.
        self._pace = pace if pace is not None else Pace(policy.bulk)
        self._seen = self._pace.seen
        self._bulk = self._pace.detector
        self._bulk_lock = self._pace.lock
        self._stopping = threading.Event()
        self._poller: threading.Thread | None = None
        self._network: NetworkState | None = None
        self._network_lock = threading.Lock()  # the poller and the netlink thread
        self._netlink = Listener(self._link_changed, self._failed) if netlink else None
        self._mounts: list[Mount] = []
        self._snapshot: FileState | None = None
        self._held: list[Alert] = []  # taken from the queue, not yet recorded
        self.running = False

    @property
    def queue(self) -> AlertQueue:
        return self._queue

    def watch_ledger(self, ledger: Any) -> WatchedLedger:
        """The ledger writer to give the Recorder, so the guard knows its writes."""
        return WatchedLedger(ledger, self._own)

    @contextlib.contextmanager
    def own_opens(self, path: Path | str, count: int = 2) -> Iterator[None]:
        """Announce that the code inside opens `path` exactly `count` times (a snapshot
        `connect` opens it twice: the header check and SQLite). If the code raises, the
        credits lapse shortly after (`OwnOpens.withdraw`): an open it announced but did not
        make hides a foreign one only in that moment."""
        grant = self._opens.grant(os.path.realpath(path), count)
        try:
            yield
        except BaseException:
            self._opens.withdraw(grant)
            raise

    def start(self) -> None:
        """Start watching. Problems become queued `guard_failure` alerts, never exceptions;
        a workstation that is not air-gapped becomes a queued `network` alert."""
        self._own.baseline()
        self._snapshot = FileState.of(self.places.snapshot)
        self._watcher.start()
        if self._netlink is not None:  # before the first read: no change falls between
            self._netlink.start()
        try:
            with self._network_lock:
                self._network = self._read_network()
            if not self._network.isolated:
                explanation = start_check(self.policy, self._network).explanation
                self._queue.put(Category.NETWORK, "network at start", detail=explanation)
        except OSError as exc:
            self._failed("network check", str(exc))
        try:
            self._mounts = self._read_mounts()
        except OSError as exc:
            self._failed("mount check", str(exc))
        self._stopping.clear()
        self._poller = threading.Thread(target=self._poll_loop, name="guard-poll", daemon=True)
        self._poller.start()
        self.running = True

    def pending(self) -> list[Alert]:
        """Every alert not yet recorded, oldest first, each with its policy response:
        those an earlier call returned that were never `recorded`, then everything
        queued since. An alert stays here until `recorded(alert)` is called, so a
        failing ledger loses none. Fast (a few stat calls and a dictionary swap)."""
        if self.running:
            self._own.check()
        for p in self._queue.drain():
            self._hold(Alert(p.category.value, p.describe(),
                             self.policy.response(p.category).value, p.count))  # fmt: skip
        return list(self._held)

    def recorded(self, alert: Alert) -> None:
        """`alert` (as returned by `pending`) is in the ledger: it leaves the queue."""
        self._held = [a for a in self._held if a is not alert]

    def drain(self) -> list[Alert]:
        """`pending()`, all taken as recorded (for tools and tests that record nothing)."""
        alerts = self.pending()
        self._held = []
        return alerts

    def _hold(self, alert: Alert) -> None:
        """Keep `alert` until recorded. While recording fails for long the list stays
        bounded: past MAX_HELD, each category's further alerts merge into one whose
        count stays exact (a new object each time, so its response is applied again)."""
        if len(self._held) < MAX_HELD:
            self._held.append(alert)
            return
        for i, held in enumerate(self._held[MAX_HELD:], MAX_HELD):
            if held.category == alert.category:
                count = held.count + alert.count
                self._held[i] = replace(held, detail=HELD_OVERFLOW.format(count), count=count)
                return
        self._held.append(replace(alert, detail=HELD_OVERFLOW.format(alert.count)))

    def feed_view(
        self,
        name: str,
        first: int,
        last: int,
        now: float | None = None,
        *,
        col: int = 0,
        cols: int = 0,
        lengths: list[int] | None = None,
    ) -> None:
        """A viewport of columns col..col+cols-1 of lines first..last of file `name`
        was recorded and shown (`lengths`: the bytes of each of those lines, if known;
        see `SeenLines.add`). `name` is any stable key for the file, the same one
        `feed_lines` gets."""
        with self._bulk_lock:
            new = self._seen.add(name, first, last, col, cols, lengths)
        self._feed(new, now)

    def feed_lines(self, spans: list[tuple[Any, ...]], now: float | None = None) -> None:
        """Lines first..last of each (name, first, last) or (name, first, last, col,
        cols) were recorded and shown at once (a page of search result rows shows one
        line of some file per row, or the window col..col+cols-1 of it)."""
        with self._bulk_lock:
            new = sum(self._seen.add(*span) for span in spans)
        self._feed(new, now)

    def _feed(self, new: int, now: float | None) -> None:
        with self._bulk_lock:
            episodes = self._bulk.feed(self._clock() if now is None else now, new)
        for episode in episodes:
            self._queue.put(Category.BULK_READ, "reading pace", detail=episode.describe())

    def poll(self) -> None:
        """One round of the periodic checks (network, mounts, the snapshot's inode,
        the watches' health). The poller thread calls this every `poll_seconds`."""
        self._poll_network()
        self._poll_mounts()
        now = FileState.of(self.places.snapshot)
        change = difference("the snapshot", self._snapshot, now)
        if change is not None:
            self._snapshot = now
            subject = f"snapshot {self.places.snapshot}"
            self._queue.put(Category.SNAPSHOT_ACCESS, subject, detail=change)
        self._watcher.health()

    def stop(self, settle: float = 0.1) -> list[Alert]:
        """Stop watching and return the last alerts (record them before sealing).
        Waits `settle` seconds first so events already under way are not lost."""
        if not self.running:
            return self.pending()
        time.sleep(settle)
        self._stopping.set()
        if self._poller is not None:
            self._poller.join(timeout=10)
        self._watcher.stop()
        if self._netlink is not None:
            self._netlink.stop()
        final = self.pending()
        self._own.stop()
        self.running = False
        return final

    # -- callbacks from the observer and poller threads: queue only ---------------

    def _sighted(self, s: Sighting) -> None:
        if s.action is Action.OPENED and self._opens.consume(s.path):
            return  # announced by Cleanroom itself
        self._queue.put(s.category, s.subject, s.action or "", s.path)

    def _failed(self, subject: str, reason: str) -> None:
        self._queue.put(Category.GUARD_FAILURE, subject, detail=reason)

    def _ledger_changed(self, changes: list[str]) -> None:
        subject = f"ledger {self.places.ledger}"
        detail = "changed outside Cleanroom: " + "; ".join(changes)
        self._queue.put(Category.LEDGER_TAMPER, subject, Action.MODIFIED, detail=detail)

    def _poll_loop(self) -> None:
        while not self._stopping.wait(self.policy.poll_seconds):
            try:
                self.poll()
            except Exception as exc:  # keep polling: a failed round is itself an alert
                self._failed("periodic check", repr(exc))

    def _poll_network(self) -> None:
        with self._network_lock:
            self._network_now(self._read_network())

    def _link_changed(self, change: Change) -> None:
        """A link or default route changed (netlink thread): a change that is over
        before the next poll is still reported, as it happened."""
        with self._network_lock:
            if self._network is not None:
                self._network_now(apply(self._network, change), "seen by netlink")

    def _network_now(self, state: NetworkState, source: str = "") -> None:
        """Record `state` as current and queue what changed (the lock is held)."""
        if self._network is not None and state != self._network:
            # one occurrence per change, so an interface that came up and went down
            # again before the next drain is tallied as both
            for what in changes(self._network, state):
                self._queue.put(Category.NETWORK, "network", what, detail=source)
        self._network = state

    def _poll_mounts(self) -> None:
        mounts = self._read_mounts()
        added, gone = media_changes(self._mounts, mounts, self.places.media)
        self._mounts = mounts
        for m in gone:
            self._watcher.remove(m.point)
            self._queue.put(Category.MEDIA, f"mount {m.point}", Action.UNMOUNTED, m.point,
                            m.describe())  # fmt: skip
        for m in added:
            self._queue.put(Category.MEDIA, f"mount {m.point}", Action.MOUNTED, m.point,
                            m.describe())  # fmt: skip
            self._watcher.add(m.point, recursive=True)  # to see files written to it
