"""Attacks on the symbols table (docs/snapshot-format.md §9): each edited copy is
refused by verify with its documented code and crashes nothing that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.snapshot.store import Snapshot, SnapshotError, SnapshotTampered
from cleanroom.snapshot.symbols.query import SymbolIndex
from cleanroom.snapshot.symbols.table import DDL
from cleanroom.snapshot.verify import PER_CODE, verify_bytes
from tests.snapshotkit import TRUST, edited, make, resign, small_tree
from tests.symbolskit import flat_edited, number, polyglot_tree

# the blobs rowid of py/app.py's content
APP = (
    "(SELECT b.rowid FROM blobs b JOIN files f ON f.blob = b.hash"
    " WHERE f.path = CAST('py/app.py' AS BLOB))"
)


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> bytes:
    d = tmp_path_factory.mktemp("symattack")
    return make(d, polyglot_tree, name="poly", symbols=True).read_bytes()


@pytest.fixture(scope="module")
def old(tmp_path_factory) -> bytes:
    return make(tmp_path_factory.mktemp("symold"), small_tree, name="old").read_bytes()


def codes(data: bytes) -> set[str]:
    report = verify_bytes(data, TRUST)
    return {f.code for f in report.findings}


def opened(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "x.snapshot"
    path.write_bytes(data)
    return path


EDITS = {
    "row moved": f"UPDATE symbols SET line = line + 1 WHERE name = {number('main')}",
    "name renamed": "UPDATE symbol_names SET name = 'evil' WHERE name = 'greet'",
    "row renamed": f"UPDATE symbols SET name = {number('main')} WHERE name = {number('greet')}",
    "row added": f"INSERT INTO symbols VALUES ({APP}, 0, {number('Reader')}, 'function')",
    "row removed": f"DELETE FROM symbols WHERE name = {number('Reader')}",
    "all removed": "DELETE FROM symbols",
    "kind changed": f"UPDATE symbols SET kind = 'variable' WHERE name = {number('main')}",
    "name added": "INSERT INTO symbol_names (name) VALUES ('zzz_evil')",
    "names removed": "DELETE FROM symbol_names",
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_row_is_refused_by_verify_and_by_the_index_check(
    signed: bytes, edit: str, tmp_path: Path
) -> None:
    data = edited(signed, EDITS[edit])
    assert "SYMBOLS" in codes(data)
    with Snapshot.open(opened(tmp_path, data), TRUST) as snap:
        index = SymbolIndex(snap)
        assert index.check() is not None
        index.outline(b"py/app.py")  # answers, never crashes
        index.definitions("main")


def test_a_dropped_table_is_refused(signed: bytes, tmp_path: Path) -> None:
    data = edited(signed, "DROP TABLE symbols", "DROP TABLE symbol_names")
    assert "SYMBOLS" in codes(data)
    with pytest.raises(SnapshotTampered, match="gone"):
        Snapshot.open(opened(tmp_path, data), TRUST)


def test_a_table_added_to_an_old_snapshot_is_refused(old: bytes, tmp_path: Path) -> None:
    data = edited(old, *DDL)
    assert "SYMBOLS" in codes(data)
    with pytest.raises(SnapshotTampered, match="did not sign"):
        Snapshot.open(opened(tmp_path, data), TRUST)


@pytest.mark.parametrize(
    "swap",
    [
        ("DROP TABLE symbols", "CREATE VIEW symbols AS SELECT path, 0 AS line, path AS name,"
         " 'function' AS kind FROM files"),
        ("DROP INDEX symbols_name",),
        ("DROP TABLE symbols",),
        ("DROP TABLE symbol_names",),
        ("DROP TABLE symbol_names", "CREATE VIEW symbol_names AS SELECT 1 AS id, 'x' AS name"),
        ("CREATE INDEX symbol_names_text ON symbol_names (name)",),
        ("DROP INDEX symbols_name", "CREATE INDEX symbols_name ON symbols (kind)"),
        ("CREATE TRIGGER t AFTER INSERT ON symbols BEGIN SELECT 1; END",),
    ],
)  # fmt: skip
def test_a_view_or_an_altered_index_is_a_schema_finding(
    signed: bytes, swap: tuple[str, ...], tmp_path: Path
) -> None:
    data = edited(signed, *swap)
    assert "SCHEMA" in codes(data)
    with pytest.raises(SnapshotError):
        Snapshot.open(opened(tmp_path, data), TRUST)


HOSTILE_ROWS = [
    ("1000000", 0, "ghost", "function", "not text content"),  # no such blob
    ("0 + 1000", 0, "ghost", "function", "not text content"),
    (APP, 10_000, "main", "function", "not a line"),  # past the end
    (APP, 0, "main", "function", "does not occur"),  # not on that line
    (APP, 6, "x" * 150, "function", "does not occur"),
    (APP, 6, "a b", "function", "space"),
    (APP, 6, "main", "Function!", "kind"),
]


@pytest.mark.parametrize("row", HOSTILE_ROWS, ids=[r[4] + str(r[1]) for r in HOSTILE_ROWS])
def test_vendor_signed_rows_outside_their_file_are_named(
    signed: bytes, row: tuple, tmp_path: Path
) -> None:
    blob, line, name, kind, why = row
    insert = (f"INSERT INTO flat VALUES ({blob}, ?, ?, ?)", (line, name, kind))
    data = resign(flat_edited(signed, insert))
    report = verify_bytes(data, TRUST)
    found = [f for f in report.findings if f.code == "SYMBOL_ROW"]
    assert len(found) == 1 and why in found[0].message, found
    assert found[0].path == (b"py/app.py" if blob == APP else None)
    assert {f.code for f in report.findings} == {"SYMBOL_ROW"}
    with Snapshot.open(opened(tmp_path, data), TRUST) as snap:
        index = SymbolIndex(snap)
        assert index.check() is None  # signed: only verify's row checks name it
        shown = [s.line for s in index.definitions(name).candidates]
        if why == "not a line":
            assert line not in shown  # never offered to the reviewer
        if why == "not text content":
            assert shown == []


def test_a_huge_signed_table_is_checked_to_the_end_without_crashing(
    signed: bytes, tmp_path: Path
) -> None:
    many = (
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199999)"
        f" INSERT INTO flat SELECT {APP}, i, 'ghost' || i, 'function' FROM n"
    )
    data = resign(flat_edited(signed, many))
    report = verify_bytes(data, TRUST)
    assert report.status.value == "TAMPERED"
    assert report.omitted["SYMBOL_ROW"] == 200_000 - PER_CODE
    with Snapshot.open(opened(tmp_path, data), TRUST) as snap:
        index = SymbolIndex(snap)
        assert index.check() is None
        outline = index.outline(b"py/app.py")
        assert all(s.line < 8 for s in outline)  # the 8-line file: rows past it skipped
        assert len(index.quick_open("ghost")) == 50


def test_rows_that_are_not_utf8_or_of_odd_types_are_skipped_not_raised(
    signed: bytes, tmp_path: Path
) -> None:
    bad_name = f"INSERT INTO flat VALUES ({APP}, 6, CAST(x'6d61ff' AS TEXT), 'function')"
    bad_kind = f"INSERT INTO flat VALUES ({APP}, 6, 'main', CAST(x'ff' AS TEXT))"
    data = resign(flat_edited(signed, bad_name, bad_kind))
    report = verify_bytes(data, TRUST)
    assert [f.code for f in report.findings] == ["SYMBOL_ROW", "SYMBOL_ROW"]
    with Snapshot.open(opened(tmp_path, data), TRUST) as snap:
        index = SymbolIndex(snap)
        outline = index.outline(b"py/app.py")
        assert all("\ufffd" not in s.name and s.kind.isascii() for s in outline)
        assert "ma\ufffd" not in index.quick_open("ma")
        assert index.definitions("main").count >= 1
        assert index.definitions("\ud800").count == 0 and index.quick_open("\ud800") == []
