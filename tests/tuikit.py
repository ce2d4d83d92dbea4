"""A real review session (real ledger, real recorder) around a small source tree,
for driving the reviewer UI with Pilot."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from cleanroom.tui.app import ReviewApp
from tests.ledgerkit import FlakyDisk, Kit

HOSTILE = (
    b"int main(void) {\n"
    b"    /* \xe2\x80\xae } \xe2\x81\xa6 if (admin) \xe2\x81\xa9 \xe2\x81\xa6 */\n"
    b'    puts("\x1b]52;c;SGVsbG8=\x07 \x1b[2J");\n'
    b"}\n"
)

FILES = {
    b"README.md": b"# Sample\n\nA small tree for tests.\n",
    b"src/main.c": HOSTILE,
    b"src/long.py": b"".join(b"value_%d = %d  # line %d\n" % (i, i, i + 1) for i in range(5000)),
    b"src/bad\xffname.txt": b"invalid utf-8 in the name\n",
    b"bin/blob.bin": bytes(range(256)) * 4,
}


# Built once per process, vendor key and FILES, then copied: creating it (fsync'd
# twice) took ~0.2 s wall and 0.03 CPU-s, and ~250 Pilot tests each built the same
# one. FILES is part of the key: tests monkeypatch it to add their own files.
_BUILT: dict[tuple[bytes, bytes], Path] = {}


def _files_key() -> bytes:
    h = hashlib.sha256()
    for path, data in sorted(FILES.items()):
        h.update(b"%d:%s%d:" % (len(path), path, len(data)) + data)
    return h.digest()


def _build(kit: Kit, workdir: Path) -> None:
    src = workdir / "sample-src"
    for path, data in FILES.items():
        target = Path(os.fsdecode(os.path.join(os.fsencode(src), path)))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    create_snapshot(src, workdir / "sample.snapshot", kit.vendor, name="sample", version="1.0",
                    created=1)  # fmt: skip


def sample_source(kit: Kit, workdir: Path) -> SnapshotSource:
    """A real, vendor-signed snapshot of FILES (built once per directory: a copy of
    the one this process built for the kit's vendor key), with its source tree."""
    snapshot = workdir / "sample.snapshot"
    if not snapshot.exists():
        key = (kit.trust[0], _files_key())
        if key not in _BUILT:
            built = Path(tempfile.mkdtemp(prefix="cleanroom-tests-sample-"))
            atexit.register(shutil.rmtree, built, ignore_errors=True)
            _build(kit, built)
            _BUILT[key] = built
        shutil.copytree(_BUILT[key] / "sample-src", workdir / "sample-src", dirs_exist_ok=True)
        shutil.copy2(_BUILT[key] / "sample.snapshot", snapshot)
    return SnapshotSource.from_file(snapshot, kit.trust)


def make_app(
    kit: Kit, ledger_dir: Path, ledger_id: bytes | None = None, app_class=ReviewApp, **kw
) -> tuple[ReviewApp, FlakyDisk]:
    ledger = kit.new_ledger(ledger_dir, **({"ledger_id": ledger_id} if ledger_id else {}))
    disk = FlakyDisk(ledger._conn)
    ledger._conn = disk
    shown_path = "ledgers/session.ledger" if ledger_id else str(ledger.path)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", shown_path)
    session = ReviewSession(Recorder(ledger), sample_source(kit, ledger_dir.parent), facts)
    kw.setdefault("countersigner", kit.reviewer)
    return app_class(session, **kw), disk


async def listed(pilot, timeout: float = 30.0) -> None:
    """Wait until the file tree has no page being asked for (a listing is asked
    from a worker thread: cleanroom/tui/filetree.py)."""
    import time

    from cleanroom.tui.filetree import FileTree

    tree = pilot.app.query_one(FileTree)
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while tree.listing:
        assert time.monotonic() < deadline, "the tree's listing never came"
        await pilot.pause(0.02)
    await pilot.pause()


def lock_drawn(app: ReviewApp) -> bool:
    """The guard's lock screen is in front and every alert it lists was drawn: an
    Enter before that is refused (ADR 0220), so a test waits for this, not for the
    screen merely being pushed."""
    from cleanroom.tui.screens.lock import AlertLockScreen

    screen = app.screen
    return isinstance(screen, AlertLockScreen) and screen.drawn
