"""What the reviewer is shown is what the vendor signed (docs/adr/0104).

Each test tampers a real, vendor-signed snapshot file after signing, as someone
who can write the file would, and checks that review refuses the snapshot (a
files row), refuses the file and records `blocked` (a content), or refuses the
snapshot at start (the search index), and paints nothing of what was changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleanroom.cli.review import open_snapshot
from cleanroom.ledger.encoding import decode_body
from cleanroom.session.index_check import CHECKS_DIR, ensure_index_checked, identity
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import TAMPERED, Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.session.source import ContentRefused
from cleanroom.snapshot import hit_check
from cleanroom.snapshot.blobs import facts
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.hit_check import hit_problems
from cleanroom.snapshot.results import Hit
from cleanroom.snapshot.search import Query
from cleanroom.snapshot.store import Snapshot, SnapshotError, SnapshotTampered
from cleanroom.snapshot.verify import verify_snapshot
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.results import hit_prompt
from tests.ledgerkit import Kit, read_rows
from tests.snapshotkit import edited
from tests.test_cli_review import write_keys

SIZE = (100, 30)
EVIL = b"EVIL_MARKER"
INVALID = b"\xff\xfe bad \xc3(\n"
FILES = {
    b"src/app.py": b"".join(b"def f%d(): return %d  # genuine\n" % (i, i) for i in range(50)),
    b"src/other.py": b"print('other file')  # genuine\n",
    b"empty": b"",
    b"one": b"a",
    b"invalid.txt": INVALID,
    b"bin/blob.bin": bytes(range(256)) * 4,
}


def build(kit: Kit, directory: Path, files: dict[bytes, bytes] = FILES) -> Path:
    src = directory / "src-tree"
    for path, data in files.items():
        target = Path(os.fsdecode(os.path.join(os.fsencode(src), path)))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    out = directory / "genuine.snapshot"
    create_snapshot(src, out, kit.vendor, name="sample", version="1.0", created=1)
    return out


def tamper(snapshot: Path, out: Path, *statements) -> Path:
    """A copy of `snapshot` with `statements` run on it after signing."""
    out.write_bytes(edited(snapshot.read_bytes(), *statements))
    out.chmod(0o444)
    return out


def with_content(snapshot: Path, out: Path, path: bytes, new: bytes, facts_too: bool) -> Path:
    """The file `path` given content `new`, keeping its signed row (and so its signed
    hash). With `facts_too` the blob's size, lines and line index fit the new content,
    so that only its hash gives it away."""
    blob = FILES[path] and _hash(FILES[path]) or _hash(b"")
    f = facts(new)
    sets = "content = ?, size = ?, lines = ?, line_index = ?" if facts_too else "content = ?"
    params = (new, f.size, f.lines, f.line_index) if facts_too else (new,)
    return tamper(snapshot, out, (f"UPDATE blobs SET {sets} WHERE hash = ?", (*params, blob)))


def _hash(data: bytes) -> bytes:
    return facts(data).hash


def session_for(kit: Kit, source: SnapshotSource, ledger_dir: Path) -> ReviewSession:
    ledger = kit.new_ledger(ledger_dir)
    facts_ = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", str(ledger.path))
    return ReviewSession(Recorder(ledger), source, facts_)


def entries(session: ReviewSession) -> list:
    return [decode_body(b) for _, b, _ in read_rows(session.recorder.ledger.path)]


# -- the files table ------------------------------------------------------------

ROW_EDITS = {
    "mode": "UPDATE files SET mode = 33261 WHERE path = CAST('src/other.py' AS BLOB)",
    "size": "UPDATE files SET size = 1 WHERE path = CAST('src/other.py' AS BLOB)",
    "renamed": "UPDATE files SET path = CAST('src/0ther.py' AS BLOB), display = 'src/0ther.py'"
    " WHERE path = CAST('src/other.py' AS BLOB)",
    "removed": "DELETE FROM files WHERE path = CAST('src/other.py' AS BLOB)",
    "added": "INSERT INTO files SELECT CAST('src/added.py' AS BLOB), 'src/added.py', kind, mode,"
    " size, blob, target, reason FROM files WHERE path = CAST('src/other.py' AS BLOB)",
    "other blob": "UPDATE files SET blob = (SELECT blob FROM files WHERE path ="
    " CAST('src/app.py' AS BLOB)) WHERE path = CAST('src/other.py' AS BLOB)",
}


@pytest.mark.parametrize("edit", ROW_EDITS)
def test_a_files_row_changed_after_signing_refuses_the_snapshot(kit, tmp_path, edit):
    genuine = build(kit, tmp_path)
    Snapshot.open(genuine, kit.trust).close()
    bad = tamper(genuine, tmp_path / "bad.snapshot", ROW_EDITS[edit])
    with pytest.raises(SnapshotTampered, match="changed after the vendor signed it"):
        Snapshot.open(bad, kit.trust)


def test_review_refuses_a_changed_files_table_with_exit_1_and_records_nothing(kit, tmp_path):
    keys = write_keys(kit, tmp_path / "keys")
    bad = tamper(build(kit, tmp_path), tmp_path / "bad.snapshot", ROW_EDITS["mode"])
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    out = subprocess.run(
        [str(Path(sys.executable).parent / "cleanroom"), "review", "--in-process",
         "--snapshot", bad, "--ledger-dir", ledgers, "--workstation-key", keys["key"],
         "--cert", keys["cert"],
         "--trust", keys["trust"], "--reviewer", "Ada", "--org", "Agency"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert "changed after the vendor signed it" in out.stderr and "Merkle root" in out.stderr
    assert "Traceback" not in out.stderr
    assert not [p for p in ledgers.iterdir() if p.name != CHECKS_DIR]


# -- the content of a file --------------------------------------------------------

CONTENT_EDITS = [
    (b"src/app.py", FILES[b"src/app.py"].replace(b"return 7 ", b"return 7; " + EVIL), True),
    (b"src/app.py", FILES[b"src/app.py"][:-40] + EVIL + b"\n", False),
    (b"empty", EVIL, True),
    (b"one", b"E", True),  # one byte for one byte: size, lines, index unchanged
    (b"invalid.txt", INVALID.replace(b"\xfe", b"\xfd") + EVIL, True),
    (b"bin/blob.bin", EVIL + bytes(1024 - len(EVIL)), True),
]
IDS = ["same-facts", "facts-stale", "empty", "one-byte", "invalid-utf8", "binary"]


@pytest.mark.parametrize(("path", "new", "facts_too"), CONTENT_EDITS, ids=IDS)
def test_a_changed_content_is_refused_and_recorded_as_blocked(
    kit, tmp_path, ledger_dir, path, new, facts_too
):
    genuine = build(kit, tmp_path)
    bad = with_content(genuine, tmp_path / "bad.snapshot", path, new, facts_too)
    source = SnapshotSource.from_file(bad, kit.trust)
    session = session_for(kit, source, ledger_dir)
    with pytest.raises(ContentRefused) as refused:
        session.open_file(path)
    assert "changed after signing" in str(refused.value) or "do not match" in str(refused.value)
    got = entries(session)
    assert [e.kind for e in got] == ["session_start", "blocked"]
    assert got[1].payload["action"] == TAMPERED and path.decode() in got[1].payload["detail"]
    assert session.open_file(b"src/other.py").lines == 1  # the rest stays reviewable
    source.snapshot.close()


@pytest.mark.parametrize("path", [b"empty", b"one", b"invalid.txt", b"bin/blob.bin"])
def test_genuine_boring_contents_open(kit, tmp_path, ledger_dir, path):
    source = SnapshotSource.from_file(build(kit, tmp_path), kit.trust)
    session = session_for(kit, source, ledger_dir)
    opened = session.open_file(path)
    assert opened.size == len(FILES[path])
    assert [e.kind for e in entries(session)] == ["session_start", "file_open"]
    source.snapshot.close()


def test_only_the_line_index_changed_is_refused(kit, tmp_path, ledger_dir):
    blob = _hash(FILES[b"src/app.py"])
    index = bytearray(facts(FILES[b"src/app.py"]).line_index)
    index[4:8] = (5).to_bytes(4, "little")  # line 1 now starts mid-line 0
    edit = ("UPDATE blobs SET line_index = ? WHERE hash = ?", (bytes(index), blob))
    bad = tamper(build(kit, tmp_path), tmp_path / "bad.snapshot", edit)
    source = SnapshotSource.from_file(bad, kit.trust)
    with pytest.raises(ContentRefused, match="line index"):
        source.open(b"src/app.py")
    source.snapshot.close()


def test_each_content_is_hashed_once_per_session(kit, tmp_path, monkeypatch):
    import cleanroom.session.snapshot_source as module

    calls = []
    real = module.checked_content
    monkeypatch.setattr(module, "checked_content", lambda *a: calls.append(a[1]) or real(*a))
    source = SnapshotSource.from_file(build(kit, tmp_path), kit.trust)
    for _ in range(3):
        source.open(b"src/app.py")
        source.open(b"src/other.py")
    assert sorted(calls) == sorted([_hash(FILES[b"src/app.py"]), _hash(FILES[b"src/other.py"])])
    source.snapshot.close()


def _painted(app: ReviewApp) -> str:
    """Every character on the screen, as the terminal would get it."""
    update = app.screen._compositor.render_update(full=True)
    return "\n".join("".join(seg.text for seg in strip) for strip in update.strips)


@pytest.mark.parametrize(
    ("path", "new", "facts_too"), CONTENT_EDITS[:1] + CONTENT_EDITS[4:5], ids=[IDS[0], IDS[4]]
)
async def test_the_reviewer_is_told_and_sees_nothing_of_a_changed_file(
    kit, tmp_path, ledger_dir, path, new, facts_too
):
    bad = with_content(build(kit, tmp_path), tmp_path / "bad.snapshot", path, new, facts_too)
    session = session_for(kit, SnapshotSource.from_file(bad, kit.trust), ledger_dir)
    app = ReviewApp(session, countersigner=kit.reviewer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # past the start screen
        app.open_path(b"src/other.py")  # a genuine file first: it must go away
        await pilot.pause()
        assert "print('other file')" in _painted(app)
        app.open_path(path)
        await pilot.pause()
        screen = _painted(app)
        view = app.query_one(CodeView)
        assert view.document is None and app.opened is None
        assert "is not what the vendor signed" in screen
        assert "EVIL" not in screen and "genuine" not in screen and "other file" not in screen
    kinds = [e.kind for e in entries(session)]
    assert kinds[-2:] == ["blocked", "session_end"] or kinds[-1] == "blocked"
    assert "file_open" in kinds and kinds.count("file_open") == 1
    session.source.snapshot.close()


# -- search ------------------------------------------------------------------------


def test_search_hits_in_a_changed_file_are_refused_and_recorded(kit, tmp_path, ledger_dir):
    new = FILES[b"src/app.py"].replace(b"# genuine\n", b"# genuine " + EVIL + b"\n", 1)
    bad = with_content(build(kit, tmp_path), tmp_path / "bad.snapshot", b"src/app.py", new, True)
    source = SnapshotSource.from_file(bad, kit.trust)
    session = session_for(kit, source, ledger_dir)
    found = session.search(Query("genuine", regex=False, case=True, include=[], exclude=[]))
    by_path = {h.path: h for h in found.hits}
    assert set(by_path) == {b"src/app.py", b"src/other.py"}
    refused = [h for h in found.hits if h.path == b"src/app.py"]
    assert refused and all(getattr(h, "refused", False) and h.text == b"" for h in refused)
    assert not getattr(by_path[b"src/other.py"], "refused", False)
    shown = " ".join(hit_prompt(h).plain for h in found.hits)
    assert "EVIL" not in shown and "refused" in shown and "other file" in shown
    got = entries(session)
    assert [e.kind for e in got] == ["session_start", "search", "blocked"]
    assert got[2].payload["action"] == TAMPERED and "src/app.py" in got[2].payload["detail"]
    source.snapshot.close()


def test_search_through_a_file_swapped_after_open_shows_no_line_of_it(kit, tmp_path, ledger_dir):
    """Search opens the file by path again; a copy swapped in with the same signed
    manifest and rows but other content must not reach the screen."""
    genuine = build(kit, tmp_path)
    place = tmp_path / "review.snapshot"
    place.write_bytes(genuine.read_bytes())
    source = SnapshotSource.from_file(place, kit.trust)
    session = session_for(kit, source, ledger_dir)
    new = FILES[b"src/app.py"].replace(b"# genuine\n", b"# genuinE " + EVIL + b"\n", 1)
    swapped = with_content(genuine, tmp_path / "swap.snapshot", b"src/app.py", new, True)
    os.replace(swapped, place)
    found = session.search(Query("genuinE", regex=False, case=True, include=[], exclude=[]))
    assert found.hits and all(getattr(h, "refused", False) for h in found.hits)
    assert "EVIL" not in " ".join(hit_prompt(h).plain for h in found.hits)
    assert [e.kind for e in entries(session)][-1] == "blocked"
    source.snapshot.close()


# -- the search index ----------------------------------------------------------------


def _hide_from_index(snapshot: Path, out: Path) -> Path:
    """Replace one document's terms, keeping a document for every text blob (so
    the cheap coverage check at open passes): the file is hidden from search."""
    text = FILES[b"src/other.py"]
    rowid = "(SELECT rowid FROM blobs WHERE hash = ?)"
    return tamper(snapshot, out,
                  (f"INSERT INTO search(search, rowid, content) VALUES('delete', {rowid}, ?)",
                   (_hash(text), text)),
                  (f"INSERT INTO search(rowid, content) VALUES({rowid}, 'nothing to see')",
                   (_hash(text),)))  # fmt: skip


def test_a_changed_index_refuses_the_snapshot_at_start(kit, tmp_path, ledger_dir):
    bad = _hide_from_index(build(kit, tmp_path), tmp_path / "bad.snapshot")
    assert "INDEX" in [f.code for f in verify_snapshot(bad, kit.trust).findings]
    Snapshot.open(bad, kit.trust).close()  # the cheap checks cannot see it
    with pytest.raises(SnapshotTampered, match="search index"):
        open_snapshot(bad, kit.trust, ledger_dir)
    assert not (ledger_dir / CHECKS_DIR).exists()


def test_review_refuses_a_changed_index_with_exit_1(kit, tmp_path):
    keys = write_keys(kit, tmp_path / "keys")
    bad = _hide_from_index(build(kit, tmp_path), tmp_path / "bad.snapshot")
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    out = subprocess.run(
        [str(Path(sys.executable).parent / "cleanroom"), "review", "--in-process",
         "--snapshot", bad, "--ledger-dir", ledgers, "--workstation-key", keys["key"],
         "--cert", keys["cert"],
         "--trust", keys["trust"], "--reviewer", "Ada", "--org", "Agency"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode == 1 and "search index" in out.stderr and "Traceback" not in out.stderr
    assert not list(ledgers.iterdir())


def _check(snapshot_path: Path, kit: Kit, ledger_dir: Path) -> bool:
    before = identity(snapshot_path)
    with Snapshot.open(snapshot_path, kit.trust) as snapshot:
        return ensure_index_checked(snapshot, before, ledger_dir)


def test_the_index_is_checked_once_per_snapshot_file(kit, tmp_path, ledger_dir):
    genuine = build(kit, tmp_path)
    assert _check(genuine, kit, ledger_dir) is True
    assert _check(genuine, kit, ledger_dir) is False
    record = next((ledger_dir / CHECKS_DIR).iterdir())
    assert (
        record.stat().st_mode & 0o077 == 0 and (ledger_dir / CHECKS_DIR).stat().st_mode & 0o077 == 0
    )
    copy = tmp_path / "copy.snapshot"  # another file (inode): checked again
    copy.write_bytes(genuine.read_bytes())
    assert _check(copy, kit, ledger_dir) is True


def test_a_record_others_could_write_is_not_trusted(kit, tmp_path, ledger_dir):
    genuine = build(kit, tmp_path)
    _check(genuine, kit, ledger_dir)
    record = next((ledger_dir / CHECKS_DIR).iterdir())
    record.chmod(0o666)
    assert _check(genuine, kit, ledger_dir) is True
    link = record.with_name("elsewhere.json")
    os.replace(record, link)
    record.symlink_to(link)
    assert _check(genuine, kit, ledger_dir) is True


def test_a_file_edited_in_place_with_its_mtime_restored_is_checked_again(kit, tmp_path, ledger_dir):
    genuine = build(kit, tmp_path)
    place = tmp_path / "review.snapshot"
    place.write_bytes(genuine.read_bytes())
    assert _check(place, kit, ledger_dir) is True
    st = place.stat()
    bad = _hide_from_index(genuine, tmp_path / "bad.snapshot").read_bytes()
    time.sleep(0.05)  # file times tick coarsely
    with open(place, "r+b") as f:  # the same inode
        f.write(bad)
        f.truncate()
    os.utime(place, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(SnapshotTampered, match="search index"):
        _check(place, kit, ledger_dir)


def test_who_viewed_refuses_a_changed_files_table_with_exit_1(kit, tmp_path, ledger_dir):
    keys = write_keys(kit, tmp_path / "keys")
    bad = tamper(build(kit, tmp_path), tmp_path / "bad.snapshot", ROW_EDITS["renamed"])
    kit.new_ledger(ledger_dir).seal(countersigner=kit.reviewer)
    out = subprocess.run(
        [str(Path(sys.executable).parent / "cleanroom"), "who-viewed", "src/other.py", ledger_dir,
         "--snapshot", bad, "--trust", keys["trust"], "--no-cache"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert "changed after the vendor signed it" in out.stderr and "Traceback" not in out.stderr
    assert "nobody" not in out.stdout


def test_a_record_left_half_written_by_a_killed_start_is_cleaned_up(kit, tmp_path, ledger_dir):
    genuine = build(kit, tmp_path)
    checks = ledger_dir / CHECKS_DIR
    checks.mkdir(mode=0o700)
    with Snapshot.open(genuine, kit.trust) as snapshot:
        leftover = checks / f".{snapshot.id}.json.99999.tmp"
    leftover.write_text('{"half')
    assert _check(genuine, kit, ledger_dir) is True
    assert [p.name for p in checks.iterdir()] == [leftover.name[1:].split(".99999")[0]]


# -- a hit is that line of the signed content --------------------------------------


def _hit(path: bytes, line: int, text: bytes, start: int = 0, size: int | None = None) -> Hit:
    size = len(text) if size is None else size
    return Hit(path, path.decode(), line, ((start, start + 1),), False, text, start, size)


HIT_DATA = b"first\n\n\xff\xfe bad\r\nlast line without a newline"
HIT_STARTS = [0, 6, 7, 15]


@pytest.mark.parametrize(
    ("hit", "ok"),
    [
        (_hit(b"f", 0, b"first"), True),
        (_hit(b"f", 1, b""), True),  # an empty line
        (_hit(b"f", 2, b"\xff\xfe bad\r"), True),  # invalid UTF-8, a carriage return kept
        (_hit(b"f", 3, b"without", 10, 27), True),  # a window of a long line
        (_hit(b"f", 3, b"without", 9, 27), False),  # the window misplaced
        (_hit(b"f", 0, b"firsT"), False),
        (_hit(b"f", 0, b"first", 0, 6), False),  # the line's length
        (_hit(b"f", 1, b"first"), False),  # another line's text
        (_hit(b"f", 4, b""), False),  # past the end
        (_hit(b"f", -1, b""), False),
    ],
)
def test_a_hit_is_shown_only_as_that_line_of_the_content(hit, ok):
    assert (hit_problems(HIT_DATA, HIT_STARTS, [hit]) == [None]) is ok


def test_a_wrong_stored_index_cannot_move_a_hit(kit):
    # The index says line 1 starts where line 2 does: the text is genuine, the number not.
    starts = [0, 7, 7, 15]
    assert hit_problems(HIT_DATA, starts, [_hit(b"f", 1, b"\xff\xfe bad\r")]) != [None]
    assert hit_problems(HIT_DATA, [0, 3, 7, 15], [_hit(b"f", 1, b"st")]) != [None]


def test_hits_out_of_line_order_are_still_checked_against_their_own_line():
    hits = [_hit(b"f", 3, b"last line without a newline"), _hit(b"f", 0, b"first")]
    assert hit_problems(HIT_DATA, HIT_STARTS, hits) == [None, None]
    hits = [_hit(b"f", 2, b"\xff\xfe bad\r"), _hit(b"f", 0, b"fir")]
    assert hit_problems(HIT_DATA, HIT_STARTS, hits) == [None, hit_check.NOT_THE_LINE]


def test_search_with_a_changed_line_index_shows_only_genuine_lines(kit, tmp_path, ledger_dir):
    genuine = FILES[b"src/app.py"]
    index = bytearray(facts(genuine).line_index)
    index[4:] = index[8:] + index[-4:]  # every line from 1 on numbered one too low
    edit = ("UPDATE blobs SET line_index = ? WHERE hash = ?", (bytes(index), _hash(genuine)))
    bad = tamper(build(kit, tmp_path), tmp_path / "bad.snapshot", edit)
    source = SnapshotSource.from_file(bad, kit.trust)
    session = session_for(kit, source, ledger_dir)
    found = session.search(Query("return 2", regex=False, case=True, include=[], exclude=[]))
    lines = genuine.split(b"\n")
    assert found.hits
    for hit in found.hits:
        assert getattr(hit, "refused", False) or lines[hit.line] == hit.text
    assert any(getattr(h, "refused", False) for h in found.hits)
    assert [e.kind for e in entries(session)][-1] == "blocked"
    source.snapshot.close()


def test_a_record_in_a_directory_others_could_write_is_not_trusted(kit, tmp_path, ledger_dir):
    genuine = build(kit, tmp_path)
    _check(genuine, kit, ledger_dir)
    (ledger_dir / CHECKS_DIR).chmod(0o777)
    try:
        assert _check(genuine, kit, ledger_dir) is True
    finally:
        (ledger_dir / CHECKS_DIR).chmod(0o700)


def test_a_file_replaced_during_the_index_check_is_refused(kit, tmp_path, ledger_dir, monkeypatch):
    genuine = build(kit, tmp_path)
    place = tmp_path / "review.snapshot"
    place.write_bytes(genuine.read_bytes())
    real = Snapshot.index_problem

    def swap_then_check(self):
        other = tmp_path / "other.snapshot"
        other.write_bytes(genuine.read_bytes())
        os.replace(other, place)
        return real(self)

    monkeypatch.setattr(Snapshot, "index_problem", swap_then_check)
    with pytest.raises(SnapshotError, match="changed while it was being checked"):
        _check(place, kit, ledger_dir)
    assert not (ledger_dir / CHECKS_DIR).exists()


def test_search_through_a_swapped_file_naming_other_files_refuses_them(kit, tmp_path, ledger_dir):
    genuine = build(kit, tmp_path)
    place = tmp_path / "review.snapshot"
    place.write_bytes(genuine.read_bytes())
    source = SnapshotSource.from_file(place, kit.trust)
    session = session_for(kit, source, ledger_dir)
    renamed = ROW_EDITS["renamed"].replace("src/0ther.py", "src/new.py")
    os.replace(tamper(genuine, tmp_path / "swap.snapshot", renamed), place)
    found = session.search(Query("other file", regex=False, case=True, include=[], exclude=[]))
    assert [(h.path, getattr(h, "refused", False)) for h in found.hits] == [(b"src/new.py", True)]
    assert "not a file of the checked snapshot" in entries(session)[-1].payload["detail"]
    source.snapshot.close()


async def test_the_search_screen_shows_refused_rows_without_their_text(kit, tmp_path, ledger_dir):
    from tests.test_tui_search import run_search

    new = FILES[b"src/app.py"].replace(b"# genuine\n", b"# genuine " + EVIL + b"\n", 1)
    bad = with_content(build(kit, tmp_path), tmp_path / "bad.snapshot", b"src/app.py", new, True)
    session = session_for(kit, SnapshotSource.from_file(bad, kit.trust), ledger_dir)
    app = ReviewApp(session, countersigner=kit.reviewer)
    async with app.run_test(size=(110, 32)) as pilot:
        await run_search(pilot, "genuine")
        await pilot.pause()
        screen = _painted(app)
        assert "src/app.py:1: ⟨refused" in screen and "src/app.py:16: ⟨refused" in screen
        assert "EVIL" not in screen and "def f" not in screen
        await pilot.press("end")  # the last row: the genuine file's hit
        await pilot.pause()
        screen = _painted(app)
        assert "src/other.py:1: print('other file')" in screen
        assert "EVIL" not in screen and "def f" not in screen
        await pilot.press("home")
        await pilot.press("enter")  # the first row, a refused hit: opening it is refused too
        await pilot.pause()
        screen = _painted(app)
        assert "is not what the vendor signed" in screen and "def f0" not in screen
    kinds = [e.kind for e in entries(session) if e.kind != "tree_list"]
    assert kinds[:3] == ["session_start", "search", "blocked"]
    assert "file_open" not in kinds and kinds.count("blocked") == 2
    session.source.snapshot.close()
