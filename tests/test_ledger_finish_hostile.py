"""Finishing a past ledger never replays a rollback journal it did not write.

`finish` opens a sealed ledger that sealing left in WAL mode read-write (it must
checkpoint). A hot `-journal` planted beside it would be rolled back by SQLite,
which then deletes the super-journal the journal names: any file the recorder
may delete. Ledgers are written in WAL mode and never have a `-journal`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cleanroom.ledger.finish import finish
from tests.journalkit import canary, plant_journal
from tests.ledgerkit import Kit


def sealed(tmp_path: Path) -> Path:
    (tmp_path / "ledgers").mkdir()
    ledger = Kit("finish-hostile").new_ledger(tmp_path / "ledgers", views=2)
    ledger.seal()
    os.chmod(ledger.path, 0o644)  # as writable as a ledger sealing left unfinished
    return ledger.path


def test_a_planted_journal_is_left_alone_and_named(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    victim = canary(tmp_path / "keys" / "vendor.key")
    journal = plant_journal(path, victim)
    with pytest.raises(ValueError, match="-journal no seal leaves"):
        finish(path)
    assert victim.exists(), "SQLite replayed the planted journal and deleted its super-journal"
    assert journal.exists()


def test_a_symlink_in_the_ledgers_place_is_not_followed(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    link = path.with_name("other.ledger")
    link.symlink_to(path)
    with pytest.raises(ValueError, match="not a regular file"):
        finish(link)


def test_a_clean_sealed_ledger_still_finishes(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    assert finish(path).failed == ()


@pytest.mark.parametrize("content", [b"", b"\0" * 512], ids=["empty", "zeroed"])
def test_a_journal_a_killed_seal_leaves_does_not_stop_the_finish(
    tmp_path: Path, content: bytes
) -> None:
    """A seal killed while leaving WAL mode (exclusive locking) leaves an empty or
    zeroed -journal: SQLite never replays it, so finishing goes ahead."""
    path = sealed(tmp_path)
    Path(f"{path}-journal").write_bytes(content)
    assert finish(path).failed == ()


def test_a_journal_that_is_a_link_is_refused(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    (tmp_path / "elsewhere").write_bytes(b"")
    Path(f"{path}-journal").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="-journal no seal leaves"):
        finish(path)


def test_a_journal_a_seal_may_leave_is_told_from_one_that_names_a_file(tmp_path: Path) -> None:
    """A seal killed while leaving WAL mode can leave a hot journal of its own
    (page 1 as it was; found by a random kill in tests/test_crash.py), which is
    replayed as SQLite would. Only a journal ending in a super-journal record,
    which no single-database transaction writes, names a file to delete."""
    from cleanroom.ledger.finish import _foreign_journal
    from tests.journalkit import journal_bytes

    own = tmp_path / "own-journal"
    own.write_bytes(journal_bytes(b"x")[:512] + bytes(range(256)) * 17)  # header, page data
    planted = tmp_path / "planted-journal"
    planted.write_bytes(journal_bytes(str(tmp_path / "victim").encode()))
    assert not _foreign_journal(own)
    assert _foreign_journal(planted)
    assert not _foreign_journal(tmp_path / "absent-journal")
