"""Boring inputs in the viewer (issue 12): an empty file, a file of one newline,
one byte, no final newline, only invalid bytes, one NUL. Each opens as what it
is, pages down and up, jumps to its end and top, and is searched, without a
crash; the ledger records the open and a view of it and verifies INTACT."""

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.search import SearchScreen
from cleanroom.tui.screens.witness import SealedScreen
from tests import tuikit
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (100, 30)

# name -> (content, lines the viewer shows, a string a search inside finds or None)
BORING = {
    b"empty.py": (b"", 0, None),
    b"newline.txt": (b"\n", 1, None),
    b"newlines.txt": (b"\n\n\n", 3, None),
    b"one.txt": (b"x", 1, "x"),
    b"no_final_newline.py": (b"a = 1\nb = 2", 2, "b = 2"),
    b"crlf.txt": (b"\r\n", 1, None),
    b"invalid.txt": (b"\xff\xfe\xfd", 1, None),
    b"nul.bin": (b"\x00", 1, None),
}


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


def shown(view: CodeView) -> str:
    return "\n".join(
        "".join(s.text for s in st) for st in view.render_lines(view.region.reset_offset)
    )


@pytest.mark.parametrize("name", list(BORING), ids=[n.decode() for n in BORING])
async def test_a_boring_file_opens_pages_and_is_searched(kit, ledger_dir, monkeypatch, name):
    data, lines, needle = BORING[name]
    monkeypatch.setattr(tuikit, "FILES", {**tuikit.FILES, name: data})
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # the start screen
        await pilot.press("ctrl+p", *name.decode(), "enter")
        await pilot.pause()
        assert app.opened is not None and app.opened.path == name
        view = app.query_one(CodeView)
        for key in ("pagedown", "pagedown", "pageup", "end", "home", "down", "right", "left"):
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running
        text = shown(view)
        assert "Source hidden" not in text
        if data.startswith(b"a = 1"):
            assert "a = 1" in text and "b = 2" in text
        if data == b"\x00":
            assert "00000000  00" in text  # binary: one hex row
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        screen.query_one("#include").value = name.decode()
        await pilot.press(*(needle or "zzz"), "enter")
        for _ in range(100):  # the search runs in a worker thread
            await pilot.pause(0.05)
            if screen.found is not None:
                break
        assert screen.found is not None and screen.found.total == (1 if needle else 0)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("q", "y")
        await pilot.pause()
        assert isinstance(app.screen, SealedScreen)
        await pilot.press("enter")
        await pilot.pause()
    got = entries(app)
    opened = [e.payload for e in got if e.kind == "file_open"]
    assert [o["lines"] for o in opened] == [lines]
    assert any(e.kind == "view" for e in got)
    assert verify_path(app.session.recorder.ledger.path, kit.trust).status == "INTACT"


@pytest.mark.parametrize("name", [b"no_final_newline.py", b"empty.py", b"one.txt"])
async def test_a_file_opens_under_no_color(kit, ledger_dir, monkeypatch, name):
    """NO_COLOR (any value) turns on textual's monochrome filter, which crashed on
    the blank cells that pad a short line (attack review, round 2): the first
    file opened stopped the terminal."""
    monkeypatch.setenv("NO_COLOR", "1")
    data = BORING[name][0]
    monkeypatch.setattr(tuikit, "FILES", {**tuikit.FILES, name: data})
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # the start screen
        await pilot.press("ctrl+p", *name.decode(), "enter")
        await pilot.pause()
        assert app.opened is not None and app.opened.path == name
        for key in ("pagedown", "right", "left", "end"):
            await pilot.press(key)
            await pilot.pause()
        assert app.is_running
        if data:
            assert data.split(b"\n")[0].decode() in shown(app.query_one(CodeView))
        await pilot.press("q", "y")
        await pilot.pause()
        assert isinstance(app.screen, SealedScreen)
