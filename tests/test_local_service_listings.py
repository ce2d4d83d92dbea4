"""Directory listings kept for their next pages are kept by how many names they
hold, not by how many directories: kept four at a time, a terminal asking for
five directories in turn made the recorder list a directory of 100,000 names
again at every request (attack on issue 12). Real snapshot, real ledger."""

from __future__ import annotations

from pathlib import Path

from cleanroom.session import local_service
from cleanroom.session.local_service import LocalService
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from tests.ledgerkit import Kit
from tests.snapshotkit import TRUST, make


class Counting:
    """The real source, counting the listings asked of it."""

    def __init__(self, source: SnapshotSource) -> None:
        self.source, self.listed = source, []

    def children(self, path: bytes, limit: int | None = None):
        self.listed.append(path)
        return self.source.children(path, limit)

    def __getattr__(self, name: str):
        return getattr(self.source, name)


def tree(root: Path) -> Path:
    for i in range(1200):
        (root / "big").mkdir(exist_ok=True)
        (root / "big" / f"f{i:04d}.c").write_bytes(b"x\n")
    for d in ("a", "b", "c", "d", "e", "f"):
        (root / d).mkdir()
        (root / d / "one.c").write_bytes(b"y\n")
    return root


def test_small_directories_in_turn_do_not_push_a_big_listing_out(tmp_path, monkeypatch):
    monkeypatch.setattr(local_service, "KEEP_LISTED", 2000)
    kit = Kit()
    (tmp_path / "ledgers").mkdir()
    source = Counting(SnapshotSource.from_file(make(tmp_path, tree), TRUST))
    ledger = kit.new_ledger(tmp_path / "ledgers")
    facts = Facts("Ada", "Agency", "ws-01", "t 1", str(ledger.path))
    service = LocalService(ReviewSession(Recorder(ledger), source, facts))
    assert service.tree(b"") is not None
    for _ in range(3):
        page = service.tree(b"big", start=0, limit=100)
        assert page is not None and page.total == 1200
        for d in (b"a", b"b", b"c", b"d", b"e", b"f"):
            assert service.tree(d) is not None
    assert source.listed.count(b"big") == 1
