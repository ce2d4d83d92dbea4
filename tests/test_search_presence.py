"""The byte presence table (docs/snapshot-format.md §3.1, ADR 0112): exact for every
content, sealed by the index digest, recomputed by verify, and what lets a search for
a literal the trigram index cannot look up read only the files holding its bytes.
Snapshots made before it (or with a table that is not of the format) are searched
by reading every text file, with the same hits and digest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.snapshot import presence
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.readonly import connect
from cleanroom.snapshot.search import search
from cleanroom.snapshot.store import Snapshot
from cleanroom.snapshot.verify import verify_snapshot
from tests.searchkit import build, digest_of, reference
from tests.snapshotkit import TRUST, VENDOR, edited, resign
from tests.test_search import displays, results

# `~` in a few files, among them at every kind of place: the first and last byte, a
# file of one byte, after a NUL past the first 8 KiB (which stops the trigram index
# but not the table), after bytes that are not UTF-8
HOLDERS = {
    b"a/first.c": b"~x = 1;\n",
    b"a/last.c": b"x = ~1;\ny~",
    b"b/one.txt": b"~",
    b"b/after-nul.c": b"x" * 9000 + b"\x00 ~y\n",
    b"c/latin1.txt": b"\xe9t\xe9 ~ \xff\xfe\n",
    b"c/upper.txt": b"Q only, and q\n",
    "d/é.txt".encode(): "é and ~é\n".encode(),
}
# The filler holds `q` (so the index's vocabulary names it for `Q`: too many to narrow)
FILLER = {b"fill/%03d.c" % i: b"int f%d(void) { return q%d; }\n" % (i, i) for i in range(80)}
FILES = {**HOLDERS, **FILLER, b"bin/x.bin": b"\x00~\x01" * 10, b"empty.txt": b""}
QUERIES = [Query("~"), Query("Q"), Query("q", case=False), Query("é"), Query("~y"),
           Query("\xe9"), Query("}"), Query("\x01")]  # fmt: skip


@pytest.fixture(scope="module", params=[True, False], ids=["presence", "before"])
def snap(tmp_path_factory, request) -> tuple[dict[bytes, bytes], Path, bool]:
    path = build(tmp_path_factory.mktemp("presence"), FILES, presence=request.param)
    return FILES, path, request.param


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q.text))
def test_the_hits_and_digest_are_the_reference_with_or_without_the_table(snap, query):
    files, path, _ = snap
    with Snapshot.open(path, TRUST) as snapshot, search(snapshot, query) as s:
        want = reference(files, query, displays(snapshot))
        assert results(s) == want
        assert s.total() == len(want) and s.digest() == digest_of(query, want)


@pytest.mark.parametrize(("text", "hits", "holders"), [("~", 7, 6), ("Q", 1, 1), ("é", 1, 1)])
def test_a_literal_the_index_cannot_look_up_reads_only_the_files_holding_it(
    snap, text, hits, holders
):
    _, path, has_table = snap
    with Snapshot.open(path, TRUST) as snapshot, search(snapshot, Query(text)) as s:
        assert s.total() == hits
        if has_table:
            assert s.progress.files == holders
        elif text != "~":  # `~`: the vocabulary narrows it here (no filler holds it)
            # `é` is not ASCII, and the vocabulary names every filler for `Q` (`q`)
            assert s.progress.files > len(FILLER)


def test_the_table_is_exact_and_verifies(snap):
    files, path, has_table = snap
    assert verify_snapshot(path, TRUST).findings == []
    conn = connect(path)
    try:
        assert presence.has_table(conn) is has_table
        if not has_table:
            assert presence.holding(conn, (b"~",)) is None
            return
        hashes = dict(conn.execute("SELECT hash, rowid FROM blobs WHERE binary = 0"))
        for byte in (0x7E, 0x00, 0x51, 0x71, 0xE9, 0xFF, 0x0A, 0x80):
            want = sorted(hashes[_sha(data)] for data in files.values()
                          if bytes([byte]) in data and b"\x00" not in data[:8192])  # fmt: skip
            assert presence.holding(conn, (bytes([byte]),)) == want
    finally:
        conn.close()


def _sha(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


# -- what a changed table does ---------------------------------------------------------


def test_a_table_dropped_added_or_changed_changes_the_index_digest(tmp_path):
    new = build(tmp_path, FILES, "new").read_bytes()
    old = build(tmp_path, FILES, "old", presence=False).read_bytes()
    cleared = "UPDATE presence SET blobs = zeroblob(length(blobs)) WHERE byte = 126"
    added = edited(old, presence.PRESENCE_DDL, "INSERT INTO presence VALUES (0, x'00')")
    for name, data in [("dropped", edited(new, "DROP TABLE presence")), ("added", added),
                       ("cleared", edited(new, cleared))]:  # fmt: skip
        bad = tmp_path / f"{name}.snapshot"
        bad.write_bytes(data)
        found = {f.code for f in verify_snapshot(bad, TRUST).findings}
        assert "INDEX" in found, name
        with Snapshot.open(bad, TRUST) as snapshot:
            assert snapshot.index_problem() is not None  # the session's check refuses it


def test_a_vendor_signed_table_that_hides_files_is_named_by_verify(tmp_path):
    new = build(tmp_path, FILES, "new").read_bytes()
    cleared = "UPDATE presence SET blobs = zeroblob(length(blobs)) WHERE byte = 126"
    bad = tmp_path / "signed.snapshot"
    bad.write_bytes(resign(edited(new, cleared), VENDOR))  # the index digest now agrees
    assert [f.code for f in verify_snapshot(bad, TRUST).findings] == ["PRESENCE"]
    short = "UPDATE presence SET blobs = substr(blobs, 1, 1) WHERE byte = 126"
    bad.unlink()
    bad.write_bytes(resign(edited(new, short, "DELETE FROM presence WHERE byte = 0"), VENDOR))
    found = [f.message for f in verify_snapshot(bad, TRUST).findings]
    assert any("255 rows" in m for m in found) and len(found) == 2


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE presence SET blobs = substr(blobs, 1, 1) WHERE byte = 0xc3",  # too short
        "UPDATE presence SET blobs = CAST(blobs || x'00' AS BLOB) WHERE byte = 0xa9",  # too long
        "DELETE FROM presence WHERE byte = 0xc3",
        "DELETE FROM presence",
        "UPDATE presence SET blobs = x''",
    ],
)
def test_a_table_not_of_the_format_makes_a_search_read_everything(tmp_path, statement):
    bad = tmp_path / "bad.snapshot"
    bad.write_bytes(edited(build(tmp_path, FILES).read_bytes(), statement))
    query = Query("é")  # nothing else narrows it
    with Snapshot.open(bad, TRUST) as snapshot, search(snapshot, query) as s:
        want = reference(FILES, query, displays(snapshot))
        assert results(s) == want and s.digest() == digest_of(query, want)
        assert s.progress.files > len(FILLER)  # read everything: the table said nothing


# -- the parts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"a", b"\x00", b"\xff", bytes(range(256)), bytes(range(256))[::-1] * 3,
     b"a" * 5000 + b"b", b"".join(bytes([b]) * 600 for b in range(256)),  # one new byte a window
     b"ab" * 100_000 + b"\n", bytes(range(255)) * 2 + b"\xff"],
)  # fmt: skip
def test_bytes_of_is_the_set_of_bytes(data):
    assert presence.bytes_of(data) == bytes(sorted(set(data)))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.binary(max_size=20))
def test_bytes_of_any_content(data, tail):
    whole = data * 3 + tail
    assert presence.bytes_of(whole) == bytes(sorted(set(whole)))


def test_needs_fold_ascii_letters_only_without_case():
    assert presence.needs_of(b"~", True) == (b"~",)
    assert presence.needs_of(b"aA", True) == (b"A", b"a")
    assert presence.needs_of(b"aA", False) == (b"Aa",)
    assert presence.needs_of(b"Z[", False) == (b"[", b"Zz")  # `[` is not `{`'s other case
    assert presence.needs_of("é".encode(), False) == (b"\xa9", b"\xc3")


def test_rows_and_set_bits_agree():
    held = [(0, b"a"), (7, b"ab"), (8, b"b"), (17, b"\x00\xff")]
    bitmaps = presence.rows(held, 17)
    assert len(bitmaps) == 256 and {len(b) for b in bitmaps} == {presence.width(17)} == {3}
    assert presence.set_bits(bitmaps[ord("a")]) == [0, 7]
    assert presence.set_bits(bitmaps[ord("b")]) == [7, 8]
    assert presence.set_bits(bitmaps[0]) == presence.set_bits(bitmaps[255]) == [17]
    assert presence.set_bits(bitmaps[1]) == []


def test_holding_intersects_and_unions(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE blobs (hash BLOB, binary INTEGER)")
    conn.executemany("INSERT INTO blobs (rowid, hash, binary) VALUES (?, ?, 0)",
                     [(r, bytes([r])) for r in (1, 2, 3, 9)])  # fmt: skip
    conn.execute(presence.PRESENCE_DDL)
    held = {bytes([1]): b"ab", bytes([2]): b"b", bytes([3]): b"Bc", bytes([9]): b"ac"}
    presence.build(conn, held)
    assert presence.holding(conn, (b"a",)) == [1, 9]
    assert presence.holding(conn, (b"a", b"c")) == [9]
    assert presence.holding(conn, (b"Bb",)) == [1, 2, 3]
    assert presence.holding(conn, (b"z",)) == []
    assert presence.holding(conn, ()) is None
    conn.close()


def test_the_specification_gives_the_table_as_created():
    spec = (Path(__file__).resolve().parents[1] / "docs" / "snapshot-format.md").read_text()
    assert presence.PRESENCE_DDL in spec
