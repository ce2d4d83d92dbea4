"""`paragraph` (`{` / `}`) over the recorder's socket (docs/protocol.md §4),
against a real `cleanroom recorder` process: the recorder finds the line in the
signed text and records it as a `goto` before it answers; out of order or out of
bounds it is refused (and the refusal recorded); and the terminal moving by
paragraphs over that socket (`review --connect`)."""

from __future__ import annotations

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.recorderkit import RawClient
from tests.recorderproc import room  # noqa: F401 (a fixture)
from tests.test_tui_hit_marks import status
from tests.test_tui_remote import until

BLOB = "0" * 64


def test_paragraph_is_found_and_recorded_before_answered_and_refused_out_of_order(room):  # noqa: F811
    client = RawClient(room.socket)
    client.hello()
    early = client.ask(m.Paragraph(path=b"README.md", blob=BLOB, line=1, forward=True))
    assert isinstance(early, m.Refused) and early.reason == "order"
    o = client.ask(m.Open(path=b"README.md"))  # "# Sample\n\nA small tree for tests.\n"
    down = client.ask(m.Paragraph(path=o.path, blob=o.blob, line=1, forward=True))
    assert isinstance(down, m.Location) and down.line == 2 and down.path == b"README.md"
    assert room.entries()[-1].kind == "goto" and room.entries()[-1].payload["line"] == 2
    end = client.ask(m.Paragraph(path=o.path, blob=o.blob, line=2, forward=True))
    assert isinstance(end, m.Location) and end.line == 3  # no empty line below: the last
    up = client.ask(m.Paragraph(path=o.path, blob=o.blob, line=3, forward=False))
    assert isinstance(up, m.Location) and up.line == 2
    beyond = client.ask(m.Paragraph(path=o.path, blob=o.blob, line=4, forward=True))
    assert isinstance(beyond, m.Refused) and beyond.reason == "bounds"
    other = client.ask(m.Paragraph(path=o.path, blob=BLOB, line=1, forward=True))
    assert isinstance(other, m.Refused) and other.reason == "order"
    got = [(e.kind, e.payload) for e in room.entries()]
    assert [p["line"] for k, p in got if k == "goto"] == [2, 3, 2]
    assert [p["reason"] for k, p in got if k == "refused"] == ["order", "bounds", "order"]
    client.ask(m.Seal())


async def test_the_terminal_moves_by_paragraphs_over_the_socket(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")  # no empty line: `}` is the last line, `{` the first
        await until(pilot, lambda: app.opened is not None)
        await pilot.pause()
        code = app.query_one(CodeView)
        await pilot.press("right_curly_bracket")
        await until(pilot, lambda: code.viewport() is not None and code.viewport().last == 5000)
        assert "line 5000" in status(app)
        await pilot.press("left_curly_bracket")
        await until(pilot, lambda: code.viewport().first == 1)
        await pilot.press("q", "y")
        await pilot.pause()
    gotos = [e.payload["line"] for e in room.entries() if e.kind == "goto"]
    assert gotos == [5000, 1]
