"""Outside attack review (issue 10 §1, §3): a `-journal` that is a directory
beside a ledger or a snapshot stopped verify, report, who-viewed and replay with
"Error: [Errno 21] Is a directory: 3" and exit 2 (in a directory run, every
other ledger's verdict was lost with it). It is reported, like any sidecar."""

from __future__ import annotations

import os
from pathlib import Path

from cleanroom.ledger.journal import describe_journal
from cleanroom.ledger.verify import verify_path
from cleanroom.snapshot.verify import verify_snapshot
from tests import forensicskit
from tests.ledgerkit import Kit

KIT = Kit("attack-sidecars")


def test_a_journal_directory_beside_a_ledger_is_reported(tmp_path: Path) -> None:
    ledger = KIT.new_ledger(tmp_path, views=2)
    ledger.seal()
    os.mkdir(f"{ledger.path}-journal")
    verdict = verify_path(ledger.path, KIT.trust, workers=1)
    notes = [f.message for f in verdict.findings if f.code == "SIDECAR"]
    assert any("not a regular file" in m for m in notes), verdict.findings
    assert verdict.status.value == "INTACT"


def test_a_journal_directory_beside_a_snapshot_is_reported(tmp_path: Path) -> None:
    snapshot = forensicskit.make_snapshot(KIT, tmp_path)
    os.mkdir(f"{snapshot}-journal")
    report = verify_snapshot(snapshot, KIT.trust)
    assert any(f.code == "SIDECAR" for f in report.findings)


def test_describe_journal_never_raises_on_odd_kinds(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    os.mkdir(tmp_path / "dir")
    (tmp_path / "link").symlink_to(tmp_path / "dir")
    for name in ("fifo", "dir", "link", "absent"):
        assert "-journal" in describe_journal(str(tmp_path / name))
