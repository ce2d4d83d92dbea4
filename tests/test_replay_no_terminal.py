"""`replay` without `--cast` needs a terminal: without one it refuses at once
(exit 2), before verifying, instead of spinning (outside attack atk14c, LOW 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay-no-tty")
    kit = Kit("replay-no-tty")
    snap_path = make_snapshot(kit, root / "snap", files={b"a.c": b"int a;\n" * 3})
    with Snapshot.open(snap_path, kit.trust) as snap:
        blob = snap.stat(b"a.c").blob.hex()
        ref = SnapshotRef(snap.id, snap.manifest.root)
    ledger = kit.new_ledger(root, snapshot=ref)
    ledger.append(FileOpen(b"a.c", blob, 21, 3, {}))
    ledger.append(View(b"a.c", blob, 1, 3, 0, 80))
    ledger.seal(countersigner=kit.reviewer)
    path = ledger.path
    ledger.close()
    return {"ledger": path, "snap": snap_path, "trust": trust_file(kit, root)}


@pytest.mark.parametrize("stdout", ["pipe", "devnull"])
def test_replay_without_a_terminal_refuses_at_once(site, stdout):
    argv = [f"{BIN}/cleanroom", "replay", str(site["ledger"]), "--snapshot", str(site["snap"]),
            "--trust", str(site["trust"])]  # fmt: skip
    out = subprocess.PIPE if stdout == "pipe" else subprocess.DEVNULL
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "not a terminal" in done.stderr and "--cast" in done.stderr
    assert "verifying" not in done.stderr  # refused before any work
    assert "Traceback" not in done.stderr
