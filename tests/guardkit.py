"""A clean room in a temporary directory, with a real guard watching it.

`Room` holds a real vendor-signed snapshot (opened by this process, as the
viewer would), a real session ledger written by the `Ledger` writer, a keys
directory with real key files and a stand-in media root. Only the network
reader is replaced (with an air-gapped state), so these tests do not depend
on the network of the machine that runs them; the watchers are real.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from cleanroom.guard import Guard, Places, Policy
from cleanroom.guard.network import Interface, NetworkState
from cleanroom.ledger.keys import Role, save_certificate, write_private_key, write_public_key
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import Alert
from cleanroom.session.recorder import Recorder
from cleanroom.snapshot.store import Snapshot
from tests import snapshotkit
from tests.ledgerkit import Kit, View

AIR_GAPPED = NetworkState((Interface("lo", "unknown", 0x9),), ())


@dataclass
class Room:
    root: Path
    snapshot_path: Path
    keys: Path
    ledgers: Path
    media: Path
    snapshot: Snapshot
    ledger: Ledger
    guard: Guard
    recorder: Recorder
    seen: list[Alert] = field(default_factory=list)

    def view(self, n: int = 1) -> None:
        """Record `n` entries through the guarded writer, as the UI does."""
        for i in range(n):
            self.recorder.record(View("ab" * 32, i, i + 40))

    def read_snapshot(self) -> None:
        """Read content the way the viewer does (through the descriptor opened at start)."""
        for f in self.snapshot.files():
            if f.blob is not None:
                self.snapshot.read_lines(f.blob, 0, 100)

    def wait(
        self, until: Callable[[list[Alert]], bool], timeout: float = 15.0, every: float = 0.02
    ) -> float:
        """Drain as the UI would until `until(all alerts so far)` holds. Returns the
        seconds it took; raises AssertionError on timeout. The default timeout only
        bounds a test that would otherwise hang: on a loaded machine inotify events,
        and the watchdog thread that reads them, can take seconds. A test of how
        fast an alert comes asserts on the seconds returned, or passes its own."""
        start = time.monotonic()
        while True:
            self.seen += self.guard.drain()
            if until(self.seen):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"no such alert within {timeout} s; got {self.seen}")
            time.sleep(every)

    def quiet(self, seconds: float = 0.5) -> list[Alert]:
        """Drain for `seconds` and return everything that came."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.seen += self.guard.drain()
            time.sleep(0.02)
        self.seen += self.guard.drain()
        return self.seen

    def close(self) -> None:
        if self.guard.running:
            self.guard.stop(settle=0)
        self.ledger.close()
        self.snapshot.close()


def of(category: str, alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.category == category]


def build(
    tmp: Path, mode: str = "review", tree: Callable[[Path], Path] = snapshotkit.small_tree,
    **policy: object,
) -> Room:  # fmt: skip
    """Create the files (`tree` writes the snapshot's source tree), open the snapshot
    and the ledger, then start the guard."""
    kit = Kit()
    keys, ledgers, media, snaps = (tmp / n for n in ("keys", "ledgers", "media", "snapshots"))
    for d in (keys, ledgers, media, snaps):
        d.mkdir()
    write_private_key(keys / "workstation.key", kit.workstation.key, role=Role.WORKSTATION)
    write_public_key(keys / "vendor.pub", kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    save_certificate(keys / "workstation.cert", kit.workstation.cert)
    snapshot_path = snapshotkit.make(snaps, tree)
    snapshot = Snapshot.open(snapshot_path, snapshotkit.TRUST)
    ledger = kit.new_ledger(ledgers)
    # Checkpoint the WAL into the main file every few entries (instead of ~1000), so
    # tests see Cleanroom's own writes to both files quickly.
    ledger._conn.execute("PRAGMA wal_autocheckpoint = 4")
    settings = replace(Policy.for_mode(mode), media_roots=(media,), poll_seconds=0.2)
    settings = replace(settings, **policy)
    places = Places.of(snapshot_path, ledger.path, [keys], settings.media_roots)
    guard = Guard(settings, places, network=lambda: AIR_GAPPED, netlink=False)
    recorder = Recorder(guard.watch_ledger(ledger))
    guard.start()
    return Room(tmp, snapshot_path, keys, ledgers, media, snapshot, ledger, guard, recorder)
