"""`find` and `mark` over the recorder's socket (docs/protocol.md §4), against a
real `cleanroom recorder` process: recorded before they are answered, refused
(and the refusal recorded) when out of order or out of bounds; and the terminal
finding and stepping through hits over that socket (`review --connect`)."""

from __future__ import annotations

import shutil

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.recorderkit import RawClient
from tests.recorderproc import build_room
from tests.test_tui_find import find, lines_with
from tests.test_tui_hit_marks import status
from tests.test_tui_remote import until

BLOB = "0" * 64


@pytest.fixture
def room():
    built = build_room()
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


def test_find_and_mark_are_recorded_before_answered_and_refused_out_of_order(room):
    client = RawClient(room.socket)
    client.hello()
    early = client.ask(m.Find(path=b"src/long.py", blob=BLOB, query="x", case=True))
    assert isinstance(early, m.Refused) and early.reason == "order"
    o = client.ask(m.Open(path=b"src/long.py"))
    hits = client.ask(m.Find(path=o.path, blob=o.blob, query="# line 4999", case=True))
    assert isinstance(hits, m.FileHits)
    assert hits.lines == lines_with(b"# line 4999") == [4999] and hits.total == 1
    text = "value_4998 = 4998  # line 4999"
    start = text.index("# line 4999")
    assert [tuple(c) for c in hits.cells[0]] == [(start, start + len("# line 4999"))]
    entries = room.entries()
    assert entries[-1].kind == "find" and entries[-1].payload["hits"] == 1
    empty = client.ask(m.Find(path=o.path, blob=o.blob, query="", case=True))
    assert isinstance(empty, m.Refused) and empty.reason == "bounds"
    other = client.ask(m.Find(path=o.path, blob=BLOB, query="x", case=True))
    assert isinstance(other, m.Refused) and other.reason == "order"
    assert isinstance(client.ask(m.Mark(path=o.path, blob=o.blob, mark="q", line=7)), m.Ok)
    beyond = client.ask(m.Mark(path=o.path, blob=o.blob, mark="q", line=5001))
    assert isinstance(beyond, m.Refused) and beyond.reason == "bounds"
    client.send_raw(m.encoder.encode(m.Mark(path=o.path, blob=o.blob, mark="Q!", line=7)))
    assert isinstance(client.receive(), m.Refused)  # not a letter: malformed
    got = [(e.kind, e.payload) for e in room.entries()]
    assert ("mark", {"path": "src/long.py", "blob": o.blob, "mark": "q", "line": 7}) in got
    assert [p["reason"] for k, p in got if k == "refused"] == ["order", "bounds", "order",
                                                              "bounds", "malformed"]  # fmt: skip
    client.ask(m.Seal())


async def test_the_terminal_finds_over_the_socket(room):
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: app.opened is not None)
        await pilot.pause()
        await find(pilot, "# line 77")
        code = app.query_one(CodeView)
        await until(pilot, lambda: code.viewport() is not None and code.viewport().first == 77)
        assert "find hit 1 of 11" in status(app)
        await pilot.press("n")
        await until(pilot, lambda: code.viewport().first == 770)
        await pilot.press("q", "y")
        await pilot.pause()
    kinds = room.kinds()
    assert kinds.index("find") < kinds.index("goto")
