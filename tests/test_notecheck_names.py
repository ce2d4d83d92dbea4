"""The check's name table (ADR 0402): the fast check answers what the brute-force
reference (tests/notecheck_reference.py) answers, with the table counted now, read
back from the cache, or absent; and a cache file that is not the one this program
wrote for this snapshot is never believed."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from cleanroom.forensics.notes import WrittenNote
from cleanroom.ledger.verdict import Status
from cleanroom.notecheck import names as names_module
from cleanroom.notecheck.check import check_notes
from cleanroom.notecheck.corpus import SnapshotText
from cleanroom.notecheck.names import cache_path, open_cached
from cleanroom.snapshot.store import Snapshot
from tests import notecheck_reference as reference
from tests.forensicskit import make_snapshot
from tests.ledgerkit import Kit
from tests.noteskit import DESCRIBES, FILES, QUOTE, RING_C, note

MIXED = {
    **FILES,
    b"drivers/frob/copy.c": RING_C,  # the same content at a second path
    b"lib/crlf.c": RING_C[150:500].replace(b"\n", b"\r\n"),
    b"lib/latin1.c": b"\xff\xfeweird_name_xyz(\xe9t\xe9) { frob_only_once_here(); }\n",
    b"lib/digits.c": b"int 4abc_name = 0x1f_ab; abc_name_q;\n"
    b"int caf\xc3\xa9_ok\xe2\x80\xa8tail_name;",
    b"docs/readme.txt": (
        b"The ring is shared with the device, and the driver must never move the head\n"
        b"   beyond the frames the device owns; see frob_ring_reserve_slots.\n"
    ),
    b"lib/big.c": b"/* filler */\n" * 2000 + b"int lonely_big_name;\n",
    # a name whole once, inside longer names in 17 more files
    b"lib/once.c": b"int frob_rare_one;\n",
    **{b"lib/many%02d.c" % i: b"int frob_rare_one_more%d;\n" % i for i in range(17)},
    # invisible characters inside words, which normalising drops (ADR 0410)
    b"lib/hidden.c": (
        "/* hidden */\nstatic int hid\u200bden_func(void) { return frob\u00adring_value"
        " + 42; }\n/* the\u2060quick brown fox jumps over the lazy dog */\n"
    ).encode(),
    b"lib/ctrl.c": b"int x;\nint ctl\x01name_here = compute\x7fvalue(ring, frames, head);\n",
    b"lib/bom.c": "\ufeff#include <linux/bom.h>\nint bom_only_name;\n".encode(),
    b"lib/blank.c": "int\u3164spaced\u2800out = 1; /* wide */\n".encode(),
    # no name of four characters: only the index can name it, and it reads `a+<ZWSP>b+c`
    b"lib/short.c": "int abc = a+\u200bb+c + foo * bar - baz / qux - abc;\n".encode(),
}
BODIES = [
    f"Look at this:\n    {QUOTE}\nIt wraps.",
    DESCRIBES,
    "\tret = -ENOSPC;\n  goto   out;\n }\n\t\tring->head += count;",
    "ring_reserve_slots(struct frob_ring *ring, unsigned int count) { unsigned long",
    "weird_name_xyz, frob_only_once_here, abc_name, 4abc_name, tail_name and lonely_big_name",
    "frob_rare_one and frob_rare_one_more3 and xfrob_ring_reserve_slots",
    "As the readme says: the driver must never move the head beyond the frames the device",
    "if (ring->head - ring->tail + count > ring->size) {\r\n ret = -ENOSPC;",
    "",
    "x",
    "\x1b[2J\x1b]52;c;SGk=\x07" * 20,
    "\ufffd" * 40,
    "é" * 3000,
    'int main(void) { printf("hello\\n"); return 0; } and again int main(void) { printf(',
    "static int hidden_func(void) { return frobring_value + 42; }",
    "See: int ctlname_here = computevalue(ring, frames, head); there",
    QUOTE.replace("ring->head", "ri\u200bng->he\ufe0fad").replace("count", "co\u00adu\u2060nt"),
    "hid\u200bden_func and bom_only_name and ctl\x02name_here and frobring_value",
    "int spaced out = 1; /* wide */",
    "int abc = a+b+c + foo * bar - baz / qux - abc;",
]
TITLES = ["spin_unlock_irqrestore(&ring->lock, flags); return ret; }", "plain"]


def notes() -> list[WrittenNote]:
    out = []
    for i, body in enumerate(BODIES):
        n = note(i + 1, body, title=TITLES[i % 2])
        out.append(WrittenNote(n, "", "", "", i + 1, None, None, Status.INTACT, False, 1))
    return out


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[Kit, Path]:
    kit = Kit("ncref")
    return kit, make_snapshot(kit, tmp_path_factory.mktemp("mixed"), files=MIXED)


def as_plain(checks) -> list:
    return [
        (
            [(f.field, f.text, sorted((p.path, p.line) for p in f.places)) for f in c.fragments],
            {r.name: sorted((p.path, p.line) for p in r.places) for r in c.rare},
            any(f.partial for f in c.fragments),
        )
        for c in checks
    ]


def expected(snap: Snapshot, min_length: int) -> list:
    files = reference.text_files(snap)
    out = []
    for w in notes():
        n = w.note
        fragments = [
            (field, run, places)
            for field, text in (("title", n.title), ("body", n.body))
            for run, places in reference.runs(text, files, min_length)
        ]
        out.append((fragments, reference.rare(n.title + "\n" + n.body, files), False))
    return out


def fast(snap: Snapshot, min_length: int, **kw) -> tuple[list, SnapshotText]:
    corpus = SnapshotText(snap, **kw)
    try:
        return as_plain(check_notes(notes(), corpus, min_length)), corpus
    finally:
        corpus.close()


@pytest.mark.parametrize("min_length", [40, 12])
def test_the_fast_check_agrees_with_the_reference(mixed, tmp_path, min_length):
    kit, path = mixed
    with Snapshot.open(path, kit.trust) as snap:
        want = expected(snap, min_length)
        counted, corpus = fast(snap, min_length, cache_dir=tmp_path / "cache")
        assert not corpus.names_cached
        cached, corpus = fast(snap, min_length, cache_dir=tmp_path / "cache")
        assert corpus.names_cached
    assert counted == want
    assert cached == want


def test_the_mixed_corpus_exercises_what_it_should(mixed, tmp_path):
    """The agreement above is not vacuous: quotes are found, descriptions are not."""
    kit, path = mixed
    with Snapshot.open(path, kit.trust) as snap:
        got, _ = fast(snap, 40)
    quote, describes = got[0], got[1]
    body = [places for field, text, places in quote[0] if field == "body" and QUOTE in text]
    assert body == [
        [(b"drivers/frob/copy.c", 14), (b"drivers/frob/ring.c", 14), (b"lib/crlf.c", 7)]
    ]
    assert [f for f in describes[0] if f[0] == "body"] == [] and describes[1] == {}
    names = got[4][1]
    assert names["weird_name_xyz"] == [(b"lib/latin1.c", 1)]
    assert names["lonely_big_name"] == [(b"lib/big.c", 2001)]
    assert "abc_name" not in names and "4abc_name" not in names
    assert got[5][1]["frob_rare_one"] == [(b"lib/once.c", 1)]  # whole once, though in 18 files
    # ADR 0410: invisible characters dropped on both sides, blanks made spaces
    assert [(t, p) for f, t, p in got[14][0] if f == "body"] == [
        ("static int hidden_func(void) { return frobring_value + 42; }", [(b"lib/hidden.c", 2)])
    ]
    assert [p for f, _, p in got[15][0] if f == "body"] == [[(b"lib/ctrl.c", 2)]]
    assert [p for f, t, p in got[16][0] if f == "body" and t == QUOTE] == [
        [(b"drivers/frob/copy.c", 14), (b"drivers/frob/ring.c", 14), (b"lib/crlf.c", 7)]
    ]
    assert [p for f, _, p in got[19][0] if f == "body"] == [[(b"lib/short.c", 1)]]
    assert got[17][1] == {
        "hidden_func": [(b"lib/hidden.c", 2)],
        "bom_only_name": [(b"lib/bom.c", 2)],
        "ctlname_here": [(b"lib/ctrl.c", 2)],
        "frobring_value": [(b"lib/hidden.c", 2)],
    }


def test_the_table_answers_without_asking_the_index_for_names(mixed):
    kit, path = mixed
    with Snapshot.open(path, kit.trust) as snap:
        _, with_table = fast(snap, 40)
        _, index_only = fast(snap, 40, names=False)
    assert index_only.queries > 0
    assert with_table.queries < index_only.queries / 2


def _table(snap: Snapshot) -> tuple[list, list]:
    corpus = SnapshotText(snap)  # no cache: counted into a temporary database
    try:
        assert corpus.names is not None
        conn = corpus.names._conn
        return (
            conn.execute("SELECT * FROM names ORDER BY name").fetchall(),
            conn.execute("SELECT * FROM tails ORDER BY rname").fetchall(),
        )
    finally:
        corpus.close()


@pytest.mark.parametrize("common", [3, 1000])
def test_a_count_in_parts_is_the_count_at_once(mixed, monkeypatch, common):
    """The count holds at most FLUSH_NAMES names in memory and adds each part to the
    table on disk (ADR 0408): parts of one blob each give the table one part gives,
    names growing common across parts (rowids dropped), rowids packed with zero
    bytes concatenated in order, and the reversed names."""
    monkeypatch.setattr(names_module, "COMMON_BLOBS", common)
    kit, path = mixed
    with Snapshot.open(path, kit.trust) as snap:
        whole = _table(snap)
        monkeypatch.setattr(names_module, "FLUSH_NAMES", 1)
        parts = _table(snap)
    assert parts == whole
    rows = whole[0]
    assert any(r[3] is None for r in rows) == (common == 3)
    assert any(r[3] is not None and len(r[3]) > 4 for r in rows)  # rowids from parts
    assert len(whole[1]) == len(rows) > 50


def test_the_count_holds_at_most_flush_names_and_one_files(mixed, monkeypatch):
    """The memory bound of ADR 0408: fewer than FLUSH_NAMES names are held before a
    file is counted, so at most FLUSH_NAMES - 1 plus that file's names at any time."""
    flush = 4
    monkeypatch.setattr(names_module, "FLUSH_NAMES", flush)
    held = [0]

    class Watched(names_module.Counted):
        def add(self, name, rowid, weight):
            super().add(name, rowid, weight)
            held[0] = max(held[0], len(self.ids))

    monkeypatch.setattr(names_module, "Counted", Watched)
    kit, path = mixed
    with Snapshot.open(path, kit.trust) as snap:
        table, _ = _table(snap)
    most = max(len(set(names_module._NAME.findall(content))) for content in MIXED.values())
    assert held[0] <= flush - 1 + most < len(table)  # the bound holds, and it bounds


@pytest.mark.parametrize("chunk", [3, 500])
def test_names_looked_up_together_are_what_one_by_one_says(mixed, tmp_path, monkeypatch, chunk):
    """`prefetch` (a note's names in a few statements) answers exactly what `facts`
    asks one name at a time: names the table holds (rare, in many blobs, common),
    names it lacks, a name twice, and statements cut anywhere."""
    monkeypatch.setattr(names_module, "_PREFETCH", chunk)
    kit, path = mixed
    with Snapshot.open(path, kit.trust) as snap:
        root = bytes.fromhex(snap.manifest.root)
        fast(snap, 40, cache_dir=tmp_path)
    conn = sqlite3.connect(cache_path(tmp_path, root))
    held = [r[0].decode() for r in conn.execute("SELECT name FROM names")]
    conn.close()
    asked = [*held, "no_such_name_here", "ring", held[0], "ring->head", "caf\u00e9_ok"]
    one, _ = open_cached(tmp_path, root)
    together, _ = open_cached(tmp_path, root)
    try:
        together.prefetch(asked)
        together._conn.close()  # every answer is in memory now: a statement would fail
        for name in asked:
            assert together.facts(name) == one.facts(name), name
    finally:
        one.close()
    assert len(held) > 2 * 3 and {one.facts(n) is None for n in asked} == {True, False}


def _build(mixed, directory: Path) -> tuple[Snapshot, Path]:
    kit, path = mixed
    snap = Snapshot.open(path, kit.trust)
    fast(snap, 40, cache_dir=directory)
    return snap, cache_path(directory, bytes.fromhex(snap.manifest.root))


def _row_edit(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE names SET blobs = 3, weight = 3 WHERE name = ?", (b"weird_name_xyz",))
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "damage",
    [
        "edit a row",
        "truncate",
        "garbage",
        "empty",
        "drop the mac",
        "other root",
        "symlink",
        "open to others",
    ],
)
def test_a_cache_not_written_here_for_this_snapshot_is_never_believed(mixed, tmp_path, damage):
    directory = tmp_path / "cache"
    snap, db = _build(mixed, directory)
    with snap:
        want, _ = fast(snap, 40)
        if damage == "edit a row":
            _row_edit(db)  # hides a rare name; the MAC no longer matches
        elif damage == "truncate":
            db.write_bytes(db.read_bytes()[:5000])
        elif damage == "garbage":
            db.write_bytes(os.urandom(100_000))
        elif damage == "empty":
            db.write_bytes(b"")
        elif damage == "drop the mac":
            db.with_suffix(".mac").unlink()
        elif damage == "other root":  # a valid table of another snapshot, renamed
            other = cache_path(directory, b"\x01" * 32)
            db.rename(other)
            _, other_db = _build(mixed, tmp_path / "elsewhere")
            db.write_bytes(other_db.read_bytes())
            db.with_suffix(".mac").write_bytes(other_db.with_suffix(".mac").read_bytes())
            _row_edit(db)
        elif damage == "symlink":
            real = tmp_path / "real.sqlite"
            db.rename(real)
            db.symlink_to(real)
        elif damage == "open to others":
            db.chmod(0o666)
        got, corpus = fast(snap, 40, cache_dir=directory)
        assert not corpus.names_cached
        assert got == want


def test_the_cli_keeps_the_table_private_and_no_cache_keeps_nothing(tmp_path):
    from click.testing import CliRunner

    from cleanroom.cli import main
    from tests.noteskit import setup

    kit = Kit("nccli")
    files = setup(kit, tmp_path, [note(1, f"It reads {QUOTE}")])
    args = ["notes", "check", str(files["ledger"]), "--snapshot", str(files["snapshot"])]
    args += ["--trust", str(files["trust"]), "--json"]
    outputs = []
    cached = ["--cache-dir", str(tmp_path / "c")]
    for extra in (["--no-cache", "--cache-dir", str(tmp_path / "none")], cached, cached):
        out = CliRunner().invoke(main, [*args, *extra])
        assert out.exit_code == 0, out.output
        outputs.append(json.loads(out.stdout[out.stdout.index("{") :])["notes"])
    assert outputs[0] == outputs[1] == outputs[2] and outputs[0][0]["fragments"]
    assert not (tmp_path / "none").exists()
    (table,) = (tmp_path / "c").glob("notecheck-names-*.sqlite")
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o700
    assert table.stat().st_mode & 0o777 == 0o600
    assert table.with_suffix(".mac").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("damage", ["fifo table", "fifo mac", "sparse mac", "sparse table"])
def test_a_hostile_cache_file_never_hangs_or_exhausts_the_check(mixed, tmp_path, damage):
    """Outside attack on issue 10 (third round): a FIFO in the table's or the MAC's
    place hung `notes check` forever; a 1 TB sparse MAC file was read whole
    (MemoryError, a traceback) and a sparse table hashed hole by hole for hours."""
    directory = tmp_path / "cache"
    snap, db = _build(mixed, directory)
    mac = db.with_suffix(".mac")
    with snap:
        root = bytes.fromhex(snap.manifest.root)
        target = db if "table" in damage else mac
        if "fifo" in damage:
            target.unlink()
            os.mkfifo(target, 0o600)
        else:
            with open(target, "ab") as f:
                f.truncate(1 << 40)
        outcome: list = []

        def attempt() -> None:
            try:
                outcome.append(open_cached(directory, root))
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                outcome.append(exc)

        worker = threading.Thread(target=attempt, daemon=True)  # a hang leaves it blocked
        worker.start()
        worker.join(60)
        assert outcome == [None], outcome or "open_cached hung"
