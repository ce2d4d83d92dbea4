"""Outside attack review (issue 10 §2): SQLite parses the whole sqlite_schema
before any statement, with a cost that grows faster than its size: 50k crafted
entries (3.5 MB) take seconds, 100k (7 MB) 30 s, 300k (29 MB) minutes. The
ledger reader gave that parse its whole 600 s budget, and a snapshot's open none
at all (`snapshot info`, review) or 6 h (`snapshot verify`). The parse now gets
a few seconds of its own (HEADER_SECONDS, SCHEMA_SECONDS; lowered here so
that the test is quick)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.ledger import load
from cleanroom.snapshot import readonly
from cleanroom.snapshot.readonly import SnapshotFileError
from tests.attack import huge_schema


@pytest.fixture(scope="module")
def big_schema(tmp_path_factory) -> Path:
    return huge_schema.build(tmp_path_factory.mktemp("schema") / "x.ledger", 50_000)


def test_the_ledger_reader_gives_the_schema_parse_seconds_not_minutes(
    big_schema: Path, monkeypatch
) -> None:
    monkeypatch.setattr(load, "HEADER_SECONDS", 0.3, raising=False)
    image = load.load_path(big_schema)
    assert not image.rows_read
    assert any(f.code == "CORRUPT" and "too long" in f.message for f in image.problems), (
        image.problems
    )


def test_opening_a_snapshot_gives_the_schema_parse_seconds_not_minutes(
    big_schema: Path, monkeypatch
) -> None:
    monkeypatch.setattr(readonly, "SCHEMA_SECONDS", 0.3, raising=False)
    with pytest.raises(SnapshotFileError, match="too long") as caught:
        readonly.connect(big_schema).close()
    assert caught.value.code == "CORRUPT"


def test_a_genuine_schema_parses_within_the_limit(tmp_path: Path) -> None:
    small = huge_schema.build(tmp_path / "y.ledger", 10)
    image = load.load_path(small)
    assert not any("too long" in f.message for f in image.problems)
    readonly.connect(small).close()
