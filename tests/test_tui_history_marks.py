"""Back / forward and marks (issue 15): every move is a recorded navigation
(`goto` or `file_open`, then `view`); setting a mark records `mark` first."""

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.marks import MarksScreen
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (110, 32)


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


def top(app):
    return app.query_one(CodeView).viewport().first


async def open_file(pilot, name):
    await pilot.press("ctrl+p", *name, "enter")
    await pilot.pause()


async def test_back_and_forward_across_positions_and_files(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "long.py")
        await pilot.press("colon", *"300", "enter")
        await pilot.pause()
        await pilot.press("colon", *"900", "enter")
        await pilot.pause()
        await open_file(pilot, "README")
        assert app.opened.path == b"README.md"
        await pilot.press("alt+left")
        await pilot.pause()
        assert app.opened.path == b"src/long.py" and top(app) == 900
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert top(app) == 300
        await pilot.press("alt+right")
        await pilot.pause()
        assert top(app) == 900
        await pilot.press("alt+right")
        await pilot.pause()
        assert app.opened.path == b"README.md"
        await pilot.press("alt+right")  # nothing further: stays
        await pilot.pause()
        assert app.opened.path == b"README.md"
    got = entries(app)
    moves = [(e.kind, e.payload.get("path"), e.payload.get("line")) for e in got
             if e.kind in ("goto", "file_open")]  # fmt: skip
    assert moves == [
        ("file_open", "src/long.py", None), ("goto", "src/long.py", 300),
        ("goto", "src/long.py", 900), ("file_open", "README.md", None),
        ("file_open", "src/long.py", None),  # back: the file again, at 900
        ("goto", "src/long.py", 300), ("goto", "src/long.py", 900),
        ("file_open", "README.md", None),
    ]  # fmt: skip
    views = [e.payload for e in got if e.kind == "view" and e.payload["path"] == "src/long.py"]
    assert [v["first"] for v in views][-2:] == [300, 900]


async def test_marks_are_recorded_listed_and_jumped_to(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "long.py")
        await pilot.press("colon", *"1234", "enter")
        await pilot.pause()
        await pilot.press("m", "a")
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("apostrophe")
        await pilot.pause()
        assert isinstance(app.screen, MarksScreen)
        listed = str(app.screen.query_one("#marks").render())
        assert "a" in listed and "1234" in listed and "src/long.py" in listed
        await pilot.press("a")
        await pilot.pause()
        assert top(app) == 1234
        disk.full = True  # a mark that cannot be recorded is not set
        await pilot.press("m", "b")
        await pilot.pause()
        assert "b" not in app.marks_set
        assert app.query_one(CodeView).refused is not None
    got = entries(app)
    marks = [e.payload for e in got if e.kind == "mark"]
    assert marks == [{"path": "src/long.py", "blob": marks[0]["blob"], "mark": "a", "line": 1234}]
    gotos = [e.payload["line"] for e in got if e.kind == "goto"]
    assert gotos == [1234, 1234]  # :1234, then the jump to mark a


async def test_replay_lists_find_and_mark_in_words(kit, ledger_dir):
    """The replay and the report read `find` and `mark` as entries of their kind
    (typed, described), not as entries that do not fit."""
    from cleanroom.forensics.describe import describe
    from cleanroom.forensics.replay import Replay
    from cleanroom.forensics.timeline import read_timeline
    from tests.test_tui_find import find

    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "long.py")
        await find(pilot, "# line 4321")
        await pilot.press("m", "z")
        await pilot.pause()
    timeline = read_timeline(app.session.recorder.ledger.path, kit.trust)
    replay = Replay(timeline, app.session.source)
    words = [describe(s.entry) for s in replay.steps if s.entry.kind in ("find", "mark")]
    assert words == ["found “# line 4321” in src/long.py (any case): 1 line",
                     "set mark z at line 4321 of src/long.py"]  # fmt: skip
    assert all(s.entry.problem is None for s in replay.steps)
