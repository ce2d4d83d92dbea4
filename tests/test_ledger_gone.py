"""A ledger whose path no longer names its open file at the seal (round-2 attack
b05), and receipts whose ledger is missing at the next start. Real SQLite files,
real keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cleanroom.ledger.finish import gone_receipt_path, receipt_path, whereabouts
from cleanroom.ledger.witness import Receipt
from cleanroom.ledger.writer import UnfinishedSeal
from cleanroom.session.missing import missing_ledgers


def seal_after(kit, ledger_dir: Path, damage) -> tuple[Path, UnfinishedSeal | None]:
    ledger = kit.new_ledger(ledger_dir, views=2)
    damage(ledger.path)
    try:
        ledger.seal("reviewer")
    except UnfinishedSeal as exc:
        return ledger.path, exc
    return ledger.path, None


def test_a_ledger_replaced_by_another_file_is_not_touched(kit, ledger_dir):
    def replace(p: Path) -> None:
        os.rename(p, ledger_dir / "kept.bin")
        p.write_bytes(b"someone else's file")

    path, exc = seal_after(kit, ledger_dir, replace)
    assert exc is not None and exc.finished.gone == "replaced by another file"
    assert path.read_bytes() == b"someone else's file"  # not checkpointed into, not chmodded
    assert os.stat(path).st_mode & 0o200
    assert not receipt_path(path).exists() and gone_receipt_path(path).is_file()
    assert "cannot be finished; its final witness code is" in str(exc)


def test_a_ledger_still_in_place_is_not_gone(kit, ledger_dir):
    path, exc = seal_after(kit, ledger_dir, lambda p: None)
    assert exc is None and receipt_path(path).is_file()
    assert not gone_receipt_path(path).exists()
    st = os.stat(path)
    assert whereabouts(path, (st.st_dev, st.st_ino)) is None
    assert whereabouts(path, None) is None
    ident = (st.st_dev, st.st_ino)
    assert whereabouts(ledger_dir / "nothing", ident) == "deleted or moved"  # no fd to ask
    fd = os.open(path, os.O_RDONLY)
    try:
        assert whereabouts(ledger_dir / "nothing", ident) == "moved"  # open, and linked
    finally:
        os.close(fd)


@pytest.mark.parametrize("damage", ["unlink", "rename"])
def test_the_next_start_finds_the_receipt_of_a_ledger_gone(kit, ledger_dir, damage):
    moved = ledger_dir / "x.bin"
    path, exc = seal_after(
        kit, ledger_dir, lambda p: p.unlink() if damage == "unlink" else p.rename(moved)
    )
    assert exc is not None and exc.finished.gone == {"unlink": "deleted", "rename": "moved"}[damage]
    (gone,) = missing_ledgers(ledger_dir, [])
    assert gone.gone_during_session and gone.ledger_name == path.name
    assert gone.receipt == exc.finished.receipt
    assert "during its session" in gone.describe()
    assert missing_ledgers(ledger_dir, [gone.receipt.ledger]) == []  # found by its id


def test_only_receipts_without_their_ledger_are_missing(kit, ledger_dir):
    path, exc = seal_after(kit, ledger_dir, lambda p: None)
    assert exc is None
    assert missing_ledgers(ledger_dir, []) == []  # its ledger lies beside it
    os.chmod(path, 0o644)
    path.unlink()  # deleted after its seal: an orphan receipt
    (gone,) = missing_ledgers(ledger_dir, [])
    assert not gone.gone_during_session and "after its seal" in gone.describe()
    # Hostile or boring neighbours: skipped, never a crash.
    (ledger_dir / "a.ledger.receipt.json").write_bytes(b"")
    (ledger_dir / "b.ledger.gone.receipt.json").write_bytes(b"\xff\xfe{")
    (ledger_dir / "c.ledger.gone.receipt.json").mkdir()
    os.mkfifo(ledger_dir / "d.ledger.receipt.json")
    (ledger_dir / "e.ledger.receipt.json").symlink_to(ledger_dir / "nowhere")
    assert missing_ledgers(ledger_dir, []) == [gone]
    assert missing_ledgers(ledger_dir / "absent", []) == []


def test_a_receipt_loads_as_written(kit, ledger_dir):
    path, exc = seal_after(kit, ledger_dir, lambda p: p.unlink())
    assert exc is not None
    assert Receipt.load(gone_receipt_path(path)) == exc.finished.receipt
