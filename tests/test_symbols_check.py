"""The symbol index is proved to be the signed one when review opens the snapshot,
once per snapshot file (session/symbols_check.py, ADR 0126): the first symbol
answer of a session no longer reads every row, and a table changed after the
vendor signed it is refused on the reviewer's path, with or without a record of
an earlier check."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cleanroom.cli.review import open_snapshot
from cleanroom.session.index_check import CHECKS_DIR
from cleanroom.session.symbols import SessionSymbols, SymbolsUnavailable
from cleanroom.session.symbols_check import ensure_symbols_checked
from cleanroom.snapshot.store import SnapshotTampered
from tests.snapshotkit import TRUST, edited, make, small_tree
from tests.symbolskit import polyglot_tree

# A signed row changed (a definition's kind), as someone who can write the file would.
TAMPER = "UPDATE symbols SET kind = 'variable' WHERE kind = 'function'"


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> bytes:
    return make(tmp_path_factory.mktemp("symcheck"), polyglot_tree, name="poly",
                symbols=True).read_bytes()  # fmt: skip


def _placed(tmp_path: Path, data: bytes) -> Path:
    place = tmp_path / "review.snapshot"
    place.write_bytes(data)
    return place


def _records(ledger_dir: Path) -> list[str]:
    return sorted(p.name for p in (ledger_dir / CHECKS_DIR).iterdir())


def _answers(place: Path, ledger_dir: Path) -> tuple[int, bool]:
    """(whole-table checks the session made, whether `main` has definitions),
    through review's own opening of the snapshot."""
    source, _, _ = open_snapshot(place, TRUST, ledger_dir)
    try:
        symbols = SessionSymbols(source)
        found = symbols.definitions("main")
        return symbols.checks, found.count > 0
    finally:
        source.snapshot.close()


def test_review_checks_the_symbols_once_per_file_and_the_session_does_not_again(genuine, tmp_path):
    place, ledgers = _placed(tmp_path, genuine), tmp_path / "ledgers"
    assert _answers(place, ledgers) == (0, True)  # checked at open, not at the first answer
    assert [n for n in _records(ledgers) if n.endswith(".symbols.json")]
    source, _, _ = open_snapshot(place, TRUST, ledgers)
    try:  # the record is trusted: nothing read, and the snapshot is marked proved
        assert source.snapshot.symbols_verified
    finally:
        source.snapshot.close()


def test_a_changed_row_is_refused_at_open(genuine, tmp_path):
    ledgers = tmp_path / "ledgers"
    place = _placed(tmp_path, edited(genuine, TAMPER))
    with pytest.raises(SnapshotTampered, match="symbol index"):
        open_snapshot(place, TRUST, ledgers)
    assert not [n for n in _records(ledgers) if n.endswith(".symbols.json")]


def test_a_row_changed_after_a_checked_verdict_is_refused(genuine, tmp_path):
    """The file is checked and remembered, then edited in place (the same inode,
    its size and mtime restored): its ctime moved, so the record no longer
    applies, and the next start refuses it."""
    ledgers = tmp_path / "ledgers"
    place = _placed(tmp_path, genuine)
    assert _answers(place, ledgers) == (0, True)
    st = place.stat()
    bad = edited(genuine, TAMPER)
    assert len(bad) == st.st_size
    time.sleep(0.05)  # file times tick coarsely
    with open(place, "r+b") as f:
        f.write(bad)
    os.utime(place, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(SnapshotTampered, match="symbol index"):
        open_snapshot(place, TRUST, ledgers)


def test_a_record_others_could_write_is_not_trusted(genuine, tmp_path):
    """A record in a directory another user may write is ignored: the changed
    table is found, whatever the record says."""
    ledgers = tmp_path / "ledgers"
    place = _placed(tmp_path, genuine)
    _answers(place, ledgers)
    st = place.stat()
    time.sleep(0.05)
    with open(place, "r+b") as f:
        f.write(edited(genuine, TAMPER))
    # forge the record for the edited file: its new identity, in a world-writable directory
    record = next(p for p in (ledgers / CHECKS_DIR).iterdir() if p.name.endswith(".symbols.json"))
    text = record.read_text()
    now = place.stat()
    text = text.replace(str(st.st_ctime_ns), str(now.st_ctime_ns))
    text = text.replace(str(st.st_mtime_ns), str(now.st_mtime_ns))
    record.write_text(text)
    (ledgers / CHECKS_DIR).chmod(0o777)
    with pytest.raises(SnapshotTampered, match="symbol index"):
        open_snapshot(place, TRUST, ledgers)


def test_a_session_not_opened_by_review_still_checks_before_answering(genuine, tmp_path):
    """Replay and tests open snapshots themselves: no verdict, so the first answer
    reads every row, and a changed one answers nothing."""
    from cleanroom.session.snapshot_source import SnapshotSource

    source = SnapshotSource.from_file(_placed(tmp_path, edited(genuine, TAMPER)), TRUST)
    try:
        symbols = SessionSymbols(source)
        with pytest.raises(SymbolsUnavailable, match="not the one the vendor signed"):
            symbols.definitions("main")
        assert symbols.checks == 1 and not source.snapshot.symbols_verified
    finally:
        source.snapshot.close()


def test_a_snapshot_without_symbols_writes_no_record(tmp_path):
    place = make(tmp_path, small_tree, name="plain")
    ledgers = tmp_path / "ledgers"
    source, _, _ = open_snapshot(place, TRUST, ledgers)
    try:
        assert ensure_symbols_checked(source.snapshot, {}, ledgers) is False
    finally:
        source.snapshot.close()
    assert not [n for n in _records(ledgers) if n.endswith(".symbols.json")]
