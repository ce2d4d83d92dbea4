"""Real sessions for forensics tests: a vendor-signed snapshot, a real ledger and the
real reviewer app driven with Pilot, plus hand-made timelines for coverage math.

The snapshot and the workstation certificate are signed by the same Kit vendor
key, so one `--trust` key checks both, as at a real site.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from cleanroom.forensics.timeline import TimelineEntry, typed_event
from cleanroom.ledger.events import Head, SnapshotRef
from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.ledger.writer import Ledger
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.store import Snapshot
from cleanroom.tui.app import ReviewApp
from tests import snapshotkit
from tests.ledgerkit import Kit
from tests.tuikit import FILES as TUI_FILES

# A file name and a query built to break a report: markup that closes a script,
# quotes for attributes, a right-to-left override and an OSC 52 clipboard write.
HOSTILE_NAME = b'evil</script><b x="1">\xe2\x80\xaecod.exe\x1b]52;c;SGk=\x07.c'
HOSTILE_QUERY = '</script><script>alert("x")</script>\u202e\x1b[2J'
FILES = {**TUI_FILES, HOSTILE_NAME: b"int hostile;\n" * 40}
SIZE = (100, 30)


def write_tree(files: dict[bytes, bytes]):
    def build(root: Path) -> Path:
        base = os.fsencode(root)
        for rel, data in files.items():
            full = os.path.join(base, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
        return root

    return build


def make_snapshot(kit: Kit, directory: Path, files=FILES, version: str = "1.0") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return snapshotkit.make(directory, write_tree(files), key=kit.vendor, name=f"sample-{version}")


def trust_file(kit: Kit, directory: Path) -> Path:
    path = directory / "vendor.pub"
    if not path.exists():
        write_public_key(path, kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    return path


def review_app(
    kit: Kit,
    ledger_dir: Path,
    snapshot: Path,
    *,
    name: str = "s1",
    prev: Head | None = None,
    reviewer: str = "Ada Reviewer",
    **kw: Any,
) -> ReviewApp:
    """The real reviewer app on a real snapshot, recording into a new ledger whose
    start names `prev` (the workstation's previous session) and `reviewer`."""
    snap = Snapshot.open(snapshot, kit.trust)
    source = SnapshotSource(snap)
    ledger = Ledger.create(
        ledger_dir,
        kit.workstation,
        replace(kit.reviewer_ref(), name=reviewer),
        SnapshotRef(snap.id, snap.manifest.root),
        prev,
        clock=kit.clock,
        keygen=kit.keys,
        ledger_id=hashlib.sha256(f"forensics/{name}".encode()).digest()[:16],
    )
    facts = Facts(reviewer, "Agency", "ws-01", source.name, str(ledger.path))
    session = ReviewSession(Recorder(ledger), source, facts)
    kw.setdefault("countersigner", kit.reviewer)
    return ReviewApp(session, **kw)


async def begin(pilot) -> None:
    """Dismiss the start screen."""
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def seal(pilot) -> None:
    await pilot.press("q", "y")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


# -- hand-made timelines for the coverage math --------------------------------------

BOOT = b"\x42" * 16
BLOB = "ab" * 32


def entry(seq: int, kind: str, ms: int, boot: bytes = BOOT, **payload: Any) -> TimelineEntry:
    """An entry at `ms` milliseconds (wall and monotonic clock alike)."""
    event, problem = typed_event(kind, payload)
    assert problem is None, problem
    us = ms * 1000
    return TimelineEntry(seq, kind, 1_790_000_000_000_000 + us, us, boot, payload, event)


def view(seq: int, ms: int, first: int, last: int, path: str = "a.c", blob: str = BLOB):
    return entry(seq, "view", ms, path=path, blob=blob, first=first, last=last, col=0, cols=80)


def opened(seq: int, ms: int, lines: int, path: str = "a.c", blob: str = BLOB):
    return entry(seq, "file_open", ms, path=path, blob=blob, size=lines * 10, lines=lines, flags={})
