"""A snapshot whose `blobs` b-tree shares its pages (attack review of issue 10):
`snapshot verify` and `snapshot info` died of MemoryError with a traceback, and
without an address-space limit would have used all memory. A damaged b-tree now
ends verification at the integrity check, and memory exhaustion is a finding."""

from __future__ import annotations

from pathlib import Path

from cleanroom.ledger.keys import Role, write_public_key
from tests import snapshotkit
from tests.attack.snapshot_shared_subtree import build
from tests.test_hostile_shapes import CLI, run_bounded


def test_a_snapshot_sharing_its_pages_is_corrupt_within_bounds(tmp_path: Path) -> None:
    good = snapshotkit.make(tmp_path)
    bad = build(good, tmp_path / "shared.snapshot")
    trust = tmp_path / "vendor.pub"
    write_public_key(trust, snapshotkit.VENDOR.public_key(), role=Role.VENDOR_ROOT)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for args in (
        [CLI, "snapshot", "verify", bad, "--trust", trust],
        [CLI, "snapshot", "verify", bad, "--trust", trust, "--rebuild-index"],
        [CLI, "snapshot", "info", bad],
    ):
        status, out, seconds, rss = run_bounded(args, scratch)
        print(f"{args[1:3]}: {seconds:.1f} s, {rss // 1024} MiB")
        assert "Traceback" not in out, out[-3000:]
        assert status != 0
        if args[2] == "verify":
            assert "CORRUPT" in out and status == 1, out[-3000:]
