"""A large file is shown chunk by chunk, each chunk checked before any of it is shown
(docs/snapshot-format.md §2.1, ADR 0109).

Real vendor-signed snapshots with small chunks, a real ledger and session, and the
real Textual app via Pilot. A chunk's content is changed after signing (keeping
its size, so only its hash gives it away) as someone who can write the file would.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cleanroom.session.review import TAMPERED
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.session.source import ContentRefused
from cleanroom.snapshot.blobs import SNIFF, facts
from cleanroom.snapshot.create import create_snapshot
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.ledgerkit import Kit
from tests.snapshotkit import edited
from tests.test_review_signed_content import _painted, entries, session_for

CS = 64
BIG = b"src/big.c"
LINES = 2000  # 48,000 bytes: far more than the 8 KiB sniffed for a NUL
GENUINE = b"".join(b"int genuine_%04d = %d;\n" % (i, i) for i in range(LINES))  # 24 bytes a line


def build(kit: Kit, directory: Path, files: dict[bytes, bytes], chunk_size: int | None = CS):
    src = directory / "src-tree"
    for path, data in files.items():
        target = Path(os.fsdecode(os.path.join(os.fsencode(src), path)))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    out = directory / ("chunked.snapshot" if chunk_size else "old.snapshot")
    create_snapshot(src, out, kit.vendor, "sample", "1.0", created=1, chunk_size=chunk_size)
    return out


def with_content(snapshot: Path, out: Path, old: bytes, new: bytes) -> Path:
    assert len(new) == len(old)
    edit = ("UPDATE blobs SET content = ? WHERE hash = ?", (new, facts(old).hash))
    out.write_bytes(edited(snapshot.read_bytes(), edit))
    return out


MIDDLE = LINES // 2
EVIL = GENUINE.replace(b"int genuine_%04d" % MIDDLE, b"int EVIL_MK_%04d" % MIDDLE)


def test_the_first_screen_opens_without_reading_the_rest(kit, tmp_path, ledger_dir):
    source = SnapshotSource.from_file(build(kit, tmp_path, {BIG: GENUINE}), kit.trust)
    session = session_for(kit, source, ledger_dir)
    opened = session.open_file(BIG)
    assert opened.lines == LINES and opened.flags == {}
    assert session.record_view(opened, 1, 20, 0, 80)
    assert opened.document.lines(0, 20) == GENUINE.split(b"\n")[:20]
    # the first 8 KiB (binary or not), the last chunk and the first screen's: not the file
    assert opened.document.content.checked <= SNIFF + 2 * CS + 20 * 24 < len(GENUINE) // 5
    assert [e.kind for e in entries(session)] == ["session_start", "file_open", "view"]
    source.snapshot.close()


def test_a_changed_chunk_in_the_middle_is_refused_when_it_would_be_shown(kit, tmp_path, ledger_dir):
    genuine = build(kit, tmp_path, {BIG: GENUINE, b"other.c": b"int other;\n"})
    bad = with_content(genuine, tmp_path / "bad.snapshot", GENUINE, EVIL)
    source = SnapshotSource.from_file(bad, kit.trust)
    session = session_for(kit, source, ledger_dir)
    opened = session.open_file(BIG)  # its first and last chunks are genuine
    assert session.record_view(opened, 1, 20, 0, 80)
    with pytest.raises(ContentRefused, match="chunk .* changed after signing"):
        session.record_view(opened, MIDDLE - 5, MIDDLE + 15, 0, 80)
    got = entries(session)
    assert [e.kind for e in got] == ["session_start", "file_open", "view", "blocked"]
    assert got[-1].payload["action"] == TAMPERED
    for first, last in ((1, 20), (MIDDLE, MIDDLE + 1)):  # the file stays refused
        with pytest.raises(ContentRefused):
            opened.document.lines(first - 1, last)
    with pytest.raises(ContentRefused):
        session.open_file(BIG)
    assert session.open_file(b"other.c").lines == 1  # the rest stays reviewable
    source.snapshot.close()


def test_a_changed_first_or_last_chunk_is_refused_at_open(kit, tmp_path, ledger_dir):
    genuine = build(kit, tmp_path, {BIG: GENUINE})
    for n, new in enumerate((b"X" + GENUINE[1:], GENUINE[:-2] + b"X\n")):
        bad = with_content(genuine, tmp_path / f"bad{n}.snapshot", GENUINE, new)
        source = SnapshotSource.from_file(bad, kit.trust)
        (ledger_dir / str(n)).mkdir(parents=True)
        session = session_for(kit, source, ledger_dir / str(n))
        with pytest.raises(ContentRefused, match="chunk"):
            session.open_file(BIG)
        assert [e.kind for e in entries(session)] == ["session_start", "blocked"]
        source.snapshot.close()


def test_a_changed_chunk_holding_a_byte_to_tag_is_refused_at_open(kit, tmp_path, ledger_dir):
    """file_open's flags count the whole file: a chunk that may hold a tag is read
    (and so checked) before file_open is recorded."""
    data = GENUINE.replace(b"genuine_0200", b"genuin\xc3\xa9_200")
    evil = data.replace(b"genuin\xc3\xa9_200", b"EVIL\xe2\x80\xae_0200")[: len(data)]
    evil = evil + b"\n" * (len(data) - len(evil))
    bad = with_content(build(kit, tmp_path, {BIG: data}), tmp_path / "bad.snapshot", data, evil)
    source = SnapshotSource.from_file(bad, kit.trust)
    session = session_for(kit, source, ledger_dir)
    with pytest.raises(ContentRefused, match="chunk"):
        session.open_file(BIG)
    assert [e.kind for e in entries(session)] == ["session_start", "blocked"]
    source.snapshot.close()


E = "é".encode()
BORING = {
    b"empty": b"",
    b"one": b"a",
    b"no-final-lf": b"a" * 100 + b"\nb" * 30,
    b"exactly-one-chunk": b"y" * (CS - 1) + b"\n",
    b"exactly-two-chunks": b"y" * (CS - 1) + b"\n" + b"z" * CS,
    b"line-across-chunks": b"short\n" + b"L" * (3 * CS) + b"\nend\n",
    b"utf8-across-a-boundary": b"a" * (CS - 1) + E + b"\n" + (E + b"\t\x1b[31m\n") * 40,
    b"only-line-feeds": b"\n" * (3 * CS),
    b"invalid-utf8": (b"ok\n\xff\xfe\xc3(\n" * 40),
    b"bidi-late": b"plain\n" * 60 + b"x\xe2\x80\xaey\n" + b"plain\n" * 10,
    b"cr-lf": b"a\r\nb\r\n" * 50,
}


@pytest.mark.parametrize("path", BORING)
def test_a_chunked_file_shows_what_the_whole_file_check_would(kit, tmp_path, path):
    """Lines, line count, width and flags as a snapshot without chunk lists gives them."""
    data = BORING[path]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source = SnapshotSource.from_file(build(kit, tmp_path / "a", {path: data}), kit.trust)
    old = build(kit, tmp_path / "b", {path: data}, chunk_size=None)
    reference = SnapshotSource.from_file(old, kit.trust)
    chunked, whole = source.open(path), reference.open(path)
    assert type(whole.document).__name__ == "SnapshotDocument"
    assert (type(chunked.document).__name__ == "ChunkedDocument") == (len(data) > CS)
    assert chunked.lines == whole.lines and chunked.size == whole.size == len(data)
    lines = chunked.document.lines(0, chunked.lines)
    assert lines == whole.document.lines(0, whole.lines)
    if len(data) > CS:
        assert chunked.document.max_line_bytes == max(map(len, lines), default=0)
    assert chunked.flags == whole.flags
    assert list(chunked.flagged_lines) == list(whole.flagged_lines)
    for first in range(0, chunked.lines, 7):
        assert chunked.document.lines(first, first + 3) == whole.document.lines(first, first + 3)
    source.snapshot.close()
    reference.snapshot.close()


def test_a_file_of_a_snapshot_without_chunk_lists_is_checked_whole(kit, tmp_path, ledger_dir):
    old = build(kit, tmp_path, {BIG: GENUINE}, chunk_size=None)
    source = SnapshotSource.from_file(old, kit.trust)
    opened = session_for(kit, source, ledger_dir).open_file(BIG)
    assert type(opened.document).__name__ == "SnapshotDocument"
    assert opened.document.lines(0, LINES) == GENUINE.split(b"\n")[:LINES]
    bad = with_content(old, tmp_path / "bad.snapshot", GENUINE, EVIL)
    source2 = SnapshotSource.from_file(bad, kit.trust)
    (ledger_dir / "2").mkdir(parents=True)
    with pytest.raises(ContentRefused):  # refused at open, as before chunk lists
        session_for(kit, source2, ledger_dir / "2").open_file(BIG)
    source.snapshot.close()
    source2.snapshot.close()


async def test_the_reviewer_sees_the_first_screen_and_never_a_changed_chunk(
    kit, tmp_path, ledger_dir
):
    genuine = build(kit, tmp_path, {BIG: GENUINE})
    bad = with_content(genuine, tmp_path / "bad.snapshot", GENUINE, EVIL)
    session = session_for(kit, SnapshotSource.from_file(bad, kit.trust), ledger_dir)
    app = ReviewApp(session, countersigner=kit.reviewer)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # past the start screen
        app.open_path(BIG)
        await pilot.pause()
        assert "int genuine_0003 = 3;" in _painted(app)
        app.query_one(CodeView).goto(MIDDLE)
        await pilot.pause()
        await pilot.pause()
        screen = _painted(app)
        assert "EVIL" not in screen and "genuine_0003" not in screen
        assert "is not what the vendor signed" in screen
        assert app.opened is None and app.query_one(CodeView).document is None
    kinds = [e.kind for e in entries(session)]
    assert "blocked" in kinds
    views = [e for e in entries(session) if e.kind == "view"]
    assert all(v.payload["last"] < MIDDLE for v in views)
    session.source.snapshot.close()


def test_the_recorder_answers_a_view_of_a_changed_chunk_with_a_refusal(kit, tmp_path, ledger_dir):
    """Through the real recorder socket: the first screen is sent, a view of the
    changed chunk is answered `refused_file` with no line, and nothing more."""
    from cleanroom.recorder import messages as m
    from tests.recorderkit import RawClient, cleanup, start

    genuine = build(kit, tmp_path, {BIG: GENUINE})
    bad = with_content(genuine, tmp_path / "bad.snapshot", GENUINE, EVIL)
    source = SnapshotSource.from_file(bad, kit.trust)
    running = start(kit, ledger_dir, source=source)
    try:
        client = RawClient(running.socket)
        client.hello()
        o = client.ask(m.Open(path=BIG))
        assert isinstance(o, m.Opened) and o.lines == LINES
        first = client.ask(m.View(path=BIG, blob=o.blob, first=1, last=20, col=0, cols=80))
        assert isinstance(first, m.Lines) and b"genuine_0003" in first.lines[3]
        view = m.View(path=BIG, blob=o.blob, first=MIDDLE - 5, last=MIDDLE + 5, col=0, cols=80)
        answer = client.ask(view)
        assert isinstance(answer, m.RefusedFile) and answer.action == TAMPERED
        assert "EVIL" not in repr(answer)
        again = client.ask(m.View(path=BIG, blob=o.blob, first=1, last=20, col=0, cols=80))
        assert not isinstance(again, m.Lines)
        client.close()
    finally:
        cleanup(running)
    kinds = running.kinds()
    assert kinds.count("view") == 1 and "blocked" in kinds
    source.snapshot.close()


@pytest.mark.parametrize(
    "edit",
    ["UPDATE blobs SET lines = lines - 1 WHERE hash = ?",
     "UPDATE blobs SET binary = 1 WHERE hash = ?"],
    ids=["line count", "binary flag"],
)  # fmt: skip
def test_stored_facts_that_differ_from_the_signed_list_refuse_the_file(
    kit, tmp_path, ledger_dir, edit
):
    genuine = build(kit, tmp_path, {BIG: GENUINE})
    bad = tmp_path / "bad.snapshot"
    bad.write_bytes(edited(genuine.read_bytes(), (edit, (facts(GENUINE).hash,))))
    source = SnapshotSource.from_file(bad, kit.trust)
    session = session_for(kit, source, ledger_dir)
    with pytest.raises(ContentRefused, match="does not match|not the signed"):
        session.open_file(BIG)
    assert [e.kind for e in entries(session)] == ["session_start", "blocked"]
    source.snapshot.close()


def test_a_large_binary_file_is_checked_whole_and_shown_as_hex(kit, tmp_path, ledger_dir):
    data = bytes(range(256)) * 40  # a NUL in the first 8 KiB; 160 chunks
    source = SnapshotSource.from_file(build(kit, tmp_path, {b"bin": data}), kit.trust)
    assert facts(data).hash in source.snapshot.chunk_rows
    opened = session_for(kit, source, ledger_dir).open_file(b"bin")
    assert type(opened.document).__name__ == "HexDocument" and opened.size == len(data)
    source.snapshot.close()


def test_replay_draws_nothing_of_a_chunked_file_with_a_changed_chunk(kit, tmp_path):
    """Replay shows a whole recorded file: a chunked one is checked whole first."""
    from cleanroom.forensics.replay import Replay
    from cleanroom.forensics.timeline import Timeline
    from cleanroom.ledger.verdict import Verdict

    genuine = build(kit, tmp_path, {BIG: GENUINE})
    bad = with_content(genuine, tmp_path / "bad.snapshot", GENUINE, EVIL)
    blob = facts(GENUINE).hash.hex()
    for snapshot, shown in ((genuine, True), (bad, False)):
        source = SnapshotSource.from_file(snapshot, kit.trust)
        replay = Replay(Timeline("x", Verdict.__new__(Verdict), []), source)
        opened = replay.content(BIG, blob)
        assert (opened is not None) == shown
        if shown:
            assert opened is not None and opened.document.lines(MIDDLE, MIDDLE + 1) == [
                b"int genuine_%04d = %d;" % (MIDDLE, MIDDLE)
            ]
        source.snapshot.close()
