"""The viewer's read API: directories, stat, and line ranges read without loading blobs."""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.snapshot.store import Snapshot, SnapshotError, index_gap
from cleanroom.snapshot.walk import Kind
from tests import hostile_tree as ht
from tests.ledgerkit import seeded_key
from tests.snapshotkit import TRUST, edited, make, resign

CONTENTS = {
    "empty": b"",
    "one-line-no-lf": b"only",
    "one-line-lf": b"only\n",
    "lf-only": b"\n",
    "two-lf": b"\n\n",
    "crlf": b"a\r\nb\r\n",
    "lone-cr": b"a\rb\rc\n",
    "trailing-blank": b"x\n\n\n",
}


def reference(data: bytes) -> list[bytes]:
    """Lines as docs/snapshot-format.md defines them, computed the obvious way."""
    parts = data.split(b"\n")
    return parts[:-1] if data.endswith(b"\n") or not data else parts


def corpus(root: Path) -> Path:
    rng = random.Random(7)
    for name, data in CONTENTS.items():
        (root / name).write_bytes(data)
    for i in range(30):
        lines = [bytes(rng.choice(b"ab \t\r\xff") for _ in range(rng.choice([0, 1, 5, 80, 3000])))
                 for _ in range(rng.randrange(0, 200))]  # fmt: skip
        (root / f"random-{i:02}").write_bytes(b"\n".join(lines) + rng.choice([b"", b"\n"]))
    (root / "dir" / "sub").mkdir(parents=True)
    (root / "dir" / "a").write_bytes(b"a\n")
    (root / "dir" / "sub" / "deeper").write_bytes(b"d\n")
    (root / "dir-b").mkdir()
    (root / "dir.c").write_bytes(b"c\n")
    return root


@pytest.fixture(scope="module")
def snap_and_src(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    path = make(d, corpus)
    with Snapshot.open(path, TRUST) as s:
        yield s, d / "src-tree"


@pytest.fixture(scope="module")
def snap(snap_and_src):
    return snap_and_src[0]


def blob_of(snap, name: str) -> bytes:
    return snap.stat(name.encode()).blob


def test_listdir_lists_direct_children_only_in_byte_order(snap):
    top = [i.path for i in snap.listdir(b"")]
    assert b"dir" in top and b"dir-b" in top and b"dir.c" in top
    assert not any(b"/" in p for p in top)
    assert top == sorted(top)
    assert [i.name for i in snap.listdir(b"dir")] == [b"a", b"sub"]
    assert [i.path for i in snap.listdir(b"dir/sub")] == [b"dir/sub/deeper"]
    assert snap.listdir(b"dir-b") == []


def test_listing_a_flat_directory_is_one_pass_not_a_query_per_name(tmp_path):
    """A flat directory of N names was N queries (one seek per child), seconds of
    the recorder's serving thread at 100,000 (attack on issue 12). Now one query,
    plus one seek past each child directory's subtree. Counted, not timed."""

    def tree(root: Path) -> Path:
        flat = root / "flat"
        flat.mkdir()
        for i in range(2000):
            (flat / f"f{i:05d}.c").write_bytes(b"x\n")
        for d in ("d1", "d2-x", "d3"):  # subtrees among the names, and names after them
            (flat / d / "deep").mkdir(parents=True)
            (flat / d / "deep" / "leaf.c").write_bytes(b"y\n")
            (flat / f"{d}.c").write_bytes(b"z\n")
        return root

    with Snapshot.open(make(tmp_path, tree), TRUST) as snap:
        statements: list[str] = []
        snap._conn.set_trace_callback(statements.append)
        names = [i.name for i in snap.listdir(b"flat")]
        snap._conn.set_trace_callback(None)
        assert len(names) == 2000 + 6 and names == sorted(names)
        assert b"d2-x" in names and b"d3.c" in names and b"leaf.c" not in names
        assert len([s for s in statements if "FROM files" in s]) <= 2 + 3  # stat, pass, 3 seeks
        assert [i.name for i in snap.listdir(b"flat", limit=3)] == names[:3]


def test_listdir_and_stat_errors(snap):
    with pytest.raises(FileNotFoundError):
        snap.stat(b"absent")
    with pytest.raises(FileNotFoundError):
        snap.listdir(b"dir/absent")
    with pytest.raises(NotADirectoryError):
        snap.listdir(b"dir/a")
    assert snap.stat(b"").kind is Kind.DIR


def test_stat_and_files_agree_with_the_tree(snap_and_src):
    snap, src = snap_and_src
    infos = list(snap.files())
    assert [i.path for i in infos] == sorted(i.path for i in infos)
    for info in infos:
        assert snap.stat(info.path) == info
        if info.kind is Kind.FILE:
            assert info.size == (src / info.path.decode()).stat().st_size


@pytest.mark.parametrize("name", sorted(CONTENTS))
def test_line_model_on_edge_cases(snap, name):
    blob, lines = blob_of(snap, name), reference(CONTENTS[name])
    assert snap.line_count(blob) == len(lines)
    assert snap.read_lines(blob, 0, 10**9) == lines
    starts = snap.line_index(blob)
    assert len(starts) == len(lines)
    for i, line in enumerate(lines):
        a, b = snap.line_span(blob, i)
        assert CONTENTS[name][a:b] == line and starts[i] == a


NAMES = [f"random-{i:02}" for i in range(30)] + sorted(CONTENTS)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), st.integers(-5, 260), st.integers(-5, 260))
def test_any_line_range_matches_the_reference(snap_and_src, name, start, stop):
    snap, src = snap_and_src
    lines = reference((src / name).read_bytes())
    assert snap.read_lines(blob_of(snap, name), start, stop) == lines[max(start, 0) : max(stop, 0)]


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=400).map(lambda b: b.replace(b"\x00", b"\x01")), st.data())
def test_line_ranges_of_arbitrary_content(data, draw):
    with tempfile.TemporaryDirectory() as tmp:
        path = make(Path(tmp), lambda root: (root / "f").write_bytes(data) and root)
        with Snapshot.open(path, TRUST) as s:
            blob = s.stat(b"f").blob
            lines = reference(data)
            start = draw.draw(st.integers(0, len(lines) + 1))
            stop = draw.draw(st.integers(start, len(lines) + 2))
            assert s.read_lines(blob, start, stop) == lines[start:stop]
            assert s.line_count(blob) == len(lines)


def test_raw_reads_of_any_span(snap_and_src):
    snap, src = snap_and_src
    data = (src / "random-03").read_bytes()
    blob = blob_of(snap, "random-03")
    for offset, size in [(0, 0), (0, 10), (5, 1000), (len(data) - 1, 10), (len(data) + 5, 3)]:
        assert snap.read(blob, offset, size) == data[offset : offset + size]
    with pytest.raises(KeyError):
        snap.read(b"\x00" * 32, 0, 1)


@pytest.mark.slow
def test_jumping_to_line_900000_of_a_100_mb_file_is_immediate(tmp_path):
    line = b"%07d " + b"y" * 92 + b"\n"  # 100 bytes a line
    data = b"\x00" + b"".join(line % i for i in range(1_000_000))  # binary: not indexed

    def build(root):
        (root / "big").write_bytes(data)
        return root

    path = make(tmp_path, build)
    with Snapshot.open(path, TRUST) as s:
        blob = s.stat(b"big").blob
        assert s.line_count(blob) == 1_000_000
        began = time.process_time()  # CPU: a busy machine's wait is not the reader's
        got = s.read_lines(blob, 900_000, 900_050)
        elapsed = time.process_time() - began
    assert got[0] == (line % 900_000)[:-1] and len(got) == 50
    assert elapsed < 0.1, f"{elapsed * 1000:.1f} ms of CPU"


def test_a_10_mb_single_line_reads_as_one_line(tmp_path):
    path = make(tmp_path, lambda root: (root / "long").write_bytes(b"z" * ht.LONG_LINE) and root)
    with Snapshot.open(path, TRUST) as s:
        blob = s.stat(b"long").blob
        assert s.line_count(blob) == 1 and s.line_span(blob, 0) == (0, ht.LONG_LINE)
        assert s.read_lines(blob, 0, 1) == [b"z" * ht.LONG_LINE]


# -- opening checks the signature ---------------------------------------------------


def test_open_refuses_untrusted_or_unsigned_or_not_a_snapshot(tmp_path):
    path = make(tmp_path)
    with pytest.raises(SnapshotError, match="not signed by a trusted vendor key"):
        Snapshot.open(path, [bytes(32)])
    forged = tmp_path / "forged.snapshot"
    forged.write_bytes(resign(path.read_bytes(), seeded_key("thief")))
    with pytest.raises(SnapshotError, match="trusted"):
        Snapshot.open(forged, TRUST)
    extra = tmp_path / "extra.snapshot"
    extra.write_bytes(edited(path.read_bytes(), "CREATE TABLE extra (x)"))
    with pytest.raises(SnapshotError, match="not a snapshot"):
        Snapshot.open(extra, TRUST)
    junk = tmp_path / "junk.snapshot"
    junk.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    with pytest.raises(SnapshotError):
        Snapshot.open(junk, TRUST)
    with pytest.raises(FileNotFoundError):
        Snapshot.open(tmp_path / "absent", TRUST)


def test_open_exposes_the_manifest_and_id(tmp_path):
    path = make(tmp_path)
    with Snapshot.open(path, TRUST) as s:
        assert s.manifest.name == "demo" and len(s.id) == 64 and s.signer == TRUST[0]


# -- opening checks that the search index covers the text -----------------------------

DROP_MAIN_C = (  # FTS5's own way to drop a document: its terms and its docsize row go
    "INSERT INTO search(search, rowid, content) SELECT 'delete', rowid, content FROM blobs"
    " WHERE substr(content, 1, 8) = CAST('#include' AS BLOB)"
)


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        ((DROP_MAIN_C,), "text blobs missing from the search index: 1"),
        (("DELETE FROM search_docsize WHERE id IN (SELECT rowid FROM blobs WHERE binary = 0)",),
         "text blobs missing from the search index: 6"),
        (("INSERT INTO search_docsize VALUES (99, x'00')",), "documents that are not stored"),
        (("UPDATE blobs SET rowid = rowid + 100",), "not numbered 1 to 7"),
    ],
)  # fmt: skip
def test_open_refuses_a_snapshot_whose_index_lacks_text(tmp_path, statements, message):
    """The signature still holds (open does not recompute the index digest), so only
    the coverage check stands between such a file and a search that hides a file."""
    path = make(tmp_path)
    bad = tmp_path / "bad.snapshot"
    bad.write_bytes(edited(path.read_bytes(), *statements))
    with pytest.raises(SnapshotError, match=message):
        Snapshot.open(bad, TRUST)
    with Snapshot.open(path, TRUST) as s:  # the original, with one binary blob unindexed
        assert s.blob(s.stat(b"data/blob.bin").blob).binary


def _coverage_db(binary: list[bool], docs: set[int]) -> sqlite3.Connection:
    """Just the two tables `index_gap` reads: blobs 1..n with their binary flag, documents."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE blobs (binary INTEGER NOT NULL)")
    conn.execute("CREATE TABLE search_docsize (id INTEGER PRIMARY KEY, sz BLOB)")
    conn.executemany("INSERT INTO blobs (rowid, binary) VALUES (?, ?)",
                     [(i + 1, int(b)) for i, b in enumerate(binary)])  # fmt: skip
    conn.executemany("INSERT INTO search_docsize (id) VALUES (?)", [(d,) for d in docs])
    return conn


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 9000),
    # A seed, not st.randoms(): every call of a hypothesis Random is a draw, and up
    # to 18,000 draws an example tripped hypothesis's too_slow health check on a
    # loaded machine (the draws count as data generation).
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 0.001, 0.05, 0.5, 1.0]),  # share of binary blobs
    st.sampled_from([0.0, 0.0005, 0.01, 0.5, 1.0]),  # share of text blobs left unindexed
)
def test_the_coverage_check_finds_exactly_the_unindexed_text_blobs(n, seed, binary, dropped):
    """Against the obvious set difference, on tables large enough to be halved. An
    indexed binary blob is not a gap (it hides nothing), so some are indexed too."""
    rng = random.Random(seed)
    flags = [rng.random() < binary for _ in range(n)]
    docs = {i + 1 for i, b in enumerate(flags) if rng.random() >= (0.9 if b else dropped)}
    missing = sum(1 for i, b in enumerate(flags) if not b and i + 1 not in docs)
    gap = index_gap(_coverage_db(flags, docs))
    assert gap == (f"text blobs missing from the search index: {missing}" if missing else None)
