"""The symbol index's format v2 (ADR 0126, docs/snapshot-format.md §9): each name
stored once, numbered in byte order and found by halving; a file's outline read
a page at a time; snapshots of the format before refused in words that say so."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cleanroom.snapshot.search import prepare
from cleanroom.snapshot.store import Snapshot, SnapshotError
from cleanroom.snapshot.symbols.names import Names
from cleanroom.snapshot.symbols.query import SymbolIndex
from cleanroom.snapshot.symbols.table import V1_SCHEMA_ROWS
from cleanroom.snapshot.verify import verify_bytes, verify_snapshot
from tests.snapshotkit import TRUST, edited, make, resign
from tests.symbolskit import flat_edited, number, polyglot_tree

LONG = "a_distinctive_symbol_name_stored_once_xyzzy"


def tree_with(files: dict[str, bytes]):
    def build(root: Path) -> Path:
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        return root

    return build


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> bytes:
    return make(tmp_path_factory.mktemp("symfmt"), polyglot_tree, name="poly",
                symbols=True).read_bytes()  # fmt: skip


def opened(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "x.snapshot"
    path.write_bytes(data)
    return path


def test_a_name_is_stored_once_however_many_rows_use_it(tmp_path):
    """The index adds the name's bytes once: in v1 every row held it, and the
    index on names held it again."""
    source = b"".join(b"#define %s_%d 1\n" % (LONG.encode(), i % 2) for i in range(4))
    source += b"int %s(void);\nint %s(void) { return 0; }\n" % (LONG.encode(), LONG.encode())
    build = tree_with({"a.h": source})
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    with_ = make(tmp_path / "with", build, name="s", symbols=True).read_bytes()
    without = make(tmp_path / "without", build, name="s").read_bytes()
    # what the index adds: every copy of LONG's bytes in it, as a name or a prefix
    found = with_.count(LONG.encode()) - without.count(LONG.encode())
    with Snapshot.open(opened(tmp_path, with_), TRUST) as snap:
        rows = snap.connection.execute(
            f"SELECT count(*) FROM symbols WHERE name IN ({number(LONG)},"
            f" (SELECT id FROM symbol_names WHERE name = '{LONG}_0'))"
        ).fetchone()[0]
    assert rows >= 2
    assert found == 3  # the names LONG, LONG_0, LONG_1: once each


def test_names_are_found_by_halving_at_the_edges(tmp_path):
    build = tree_with({"one.c": b"int only(void) { return 0; }\n", "empty.c": b"", "n.txt": b"x"})
    data = make(tmp_path, build, name="one", symbols=True).read_bytes()
    with Snapshot.open(opened(tmp_path, data), TRUST) as snap:
        names = Names(snap.connection)
        assert names.count == 1 and names.find(b"only") == 1
        assert names.find(b"") is None and names.find(b"onl") is None
        assert names.find(b"only_") is None and names.find(b"\xff") is None
        assert (names.lower_bound(b"a"), names.lower_bound(b"z")) == (1, 2)
        index = SymbolIndex(snap)
        assert index.check() is None
        assert index.definitions("only").count == 1
        assert index.quick_open("o") == ["only"] and index.quick_open("p") == []
        assert index.quick_open("nl") == ["only"]  # by substring


def test_an_index_of_no_rows_answers_nothing(tmp_path):
    data = make(tmp_path, tree_with({"n.txt": b"no code\n"}), name="none", symbols=True)
    with Snapshot.open(data, TRUST) as snap:
        assert Names(snap.connection).count == 0
        index = SymbolIndex(snap)
        assert index.check() is None
        assert index.definitions("x").count == 0 and index.quick_open("x") == []
        assert index.outline_page(b"n.txt", 10) == ([], 0)
    assert verify_snapshot(data, TRUST).status.value == "INTACT"


def test_an_outline_page_is_the_first_rows_and_counts_the_rest(signed, tmp_path):
    with Snapshot.open(opened(tmp_path, signed), TRUST) as snap:
        index = SymbolIndex(snap)
        whole = index.outline(b"py/app.py")
        assert len(whole) >= 3
        for limit in (0, 1, 2, len(whole), len(whole) + 5):
            assert index.outline_page(b"py/app.py", limit) == (whole[:limit], len(whole))
        assert index.outline_page(b"py", 5) == ([], 0)  # a directory
        assert index.outline_page(b"no/such", 5) == ([], 0)


def test_signed_rows_past_the_file_are_neither_listed_nor_counted(signed, tmp_path):
    app = ("(SELECT b.rowid FROM blobs b JOIN files f ON f.blob = b.hash"
           " WHERE f.path = CAST('py/app.py' AS BLOB))")  # fmt: skip
    data = resign(flat_edited(signed, f"INSERT INTO flat VALUES ({app}, 500, 'ghost', 'function')"))
    with Snapshot.open(opened(tmp_path, data), TRUST) as snap:
        index = SymbolIndex(snap)
        whole = index.outline(b"py/app.py")
        assert "ghost" not in [s.name for s in whole]
        assert index.outline_page(b"py/app.py", 1) == (whole[:1], len(whole))


def _signed_names(signed: bytes, *statements: str) -> bytes:
    return resign(edited(signed, *statements))


NAME_EDITS = {
    "out of order": (
        "UPDATE symbol_names SET name = 'zzzz' WHERE id = 1",
        "not after the name before it",
    ),
    "a gap": (
        "UPDATE symbol_names SET id = id + 100 WHERE id = (SELECT max(id) FROM symbol_names)",
        "must run 1, 2, 3",
    ),
    "unused": ("INSERT INTO symbol_names (name) VALUES ('zzzz_unused')", "name no row"),
    "a row's name gone": (
        f"DELETE FROM symbol_names WHERE id = {number('main')}",
        "which no name has",
    ),
    "a name that is not UTF-8": (
        f"UPDATE symbol_names SET name = CAST(x'ff6d' AS TEXT) WHERE id = {number('main')}",
        "not UTF-8",
    ),
}


@pytest.mark.parametrize("edit", sorted(NAME_EDITS))
def test_vendor_signed_names_that_break_the_rules_are_named_and_crash_nothing(
    signed, edit, tmp_path
):
    sql, why = NAME_EDITS[edit]
    try:
        data = _signed_names(signed, sql)
    except sqlite3.Error:  # STRICT refuses the value outright: nothing to sign
        pytest.skip("SQLite refuses this edit")
    report = verify_bytes(data, TRUST)
    assert any(f.code == "SYMBOL_ROW" and why in f.message for f in report.findings), report
    with Snapshot.open(opened(tmp_path, data), TRUST) as snap:
        index = SymbolIndex(snap)
        assert index.check() is None  # signed: only verify's checks name it
        for name in ("main", "zzzz", "Reader", ""):
            index.definitions(name)
            index.quick_open(name)
        index.outline(b"py/app.py")


def test_a_snapshot_of_the_format_before_is_refused_in_words(signed, tmp_path):
    """Rows back in v1's layout (names in every row): the schema is v1's exactly."""
    v1_ddl = [sql for _, _, _, sql in V1_SCHEMA_ROWS]
    data = edited(
        signed,
        "CREATE TEMP TABLE flat AS SELECT s.blob, s.line, n.name, s.kind"
        " FROM symbols s JOIN symbol_names n ON n.id = s.name",
        "DROP TABLE symbols",
        "DROP TABLE symbol_names",
        *v1_ddl,
        "INSERT INTO symbols SELECT * FROM flat",
    )
    with pytest.raises(SnapshotError, match="before ADR 0126") as raised:
        Snapshot.open(opened(tmp_path, data), TRUST)
    assert "not a snapshot" not in str(raised.value)
    report = verify_bytes(data, TRUST)
    assert any(f.code == "SCHEMA" and "ADR 0126" in f.message for f in report.findings)


def test_definitions_name_every_copy_in_path_order_reading_only_their_blobs(tmp_path):
    """A content named by several files is defined in each, in path order; the
    answer reads the line count of the blobs it meets, not of every file (the first
    answer on Linux walked the blobs table: 7.8 s)."""
    code = b"int shared_fn(void) { return 0; }\n"
    build = tree_with(
        {
            "b/copy.c": code,
            "a/orig.c": code,
            "z.bin": b"\x00int shared_fn;\n",
            "other.c": b"int other_fn(void);\nint other_fn(void) { return 1; }\n",
        }
    )
    data = make(tmp_path, build, name="copies", symbols=True)
    with Snapshot.open(data, TRUST) as snap:
        prepare(snap)  # as review does before the session: the file list
        index = SymbolIndex(snap)
        asked: list[str] = []
        snap.connection.set_trace_callback(asked.append)
        found = index.definitions("shared_fn")
        snap.connection.set_trace_callback(None)
    assert [(s.path, s.line) for s in found.candidates] == [(b"a/orig.c", 0), (b"b/copy.c", 0)]
    assert found.count == 2
    reads = [sql for sql in asked if "blobs" in sql and "files" not in sql]
    assert len(reads) == 1 and "rowid = " in reads[0], asked
    assert not [sql for sql in asked if "JOIN blobs" in sql], asked
