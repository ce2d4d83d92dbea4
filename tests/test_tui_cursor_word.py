"""The name offered to go to definition and references is never a fragment cut
by the screen's edge (issue 15: `ReviewSessio›` was offered): it is the whole
name from the recorded search row of that line, or nothing and a message."""

from __future__ import annotations

from pathlib import Path

from cleanroom.session.display import CUT_LEFT, CUT_RIGHT
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.cursor_word import word_in_row, word_on_screen
from cleanroom.tui.noticebar import NoticeBar
from cleanroom.tui.screens.symbols import NameScreen
from tests.symbolnavkit import symbols_app
from tests.test_tui_search import run_search

SIZE = (110, 32)  # the code view shows 69 columns of a short file
NAME = "ReviewSession_wide"
# Line 2 puts NAME at columns 60..77: the right edge (column 68) cuts it.
WIDE = (
    b"int wide_caller(void) { return 0; }\n"
    + b"/*"
    + b" " * 56
    + b"*/"
    + NAME.encode()
    + b"(); /* tail */\n"
    + b"\n"
    + b"int "
    + NAME.encode()
    + b"(void) { return 1; }\n"
)


def wide_source(kit, workdir: Path) -> SnapshotSource:
    snapshot = workdir / "wide.snapshot"
    if not snapshot.exists():
        src = workdir / "wide-src"
        (src / "c").mkdir(parents=True)
        (src / "c" / "wide.c").write_bytes(WIDE)
        create_snapshot(src, snapshot, kit.vendor, name="wide", version="1.0", created=1,
                        symbols=True)  # fmt: skip
    return SnapshotSource.from_file(snapshot, kit.trust)


def notice(app) -> str:
    return str(app.query_one(NoticeBar).render())


async def test_a_search_hit_cut_by_the_edge_offers_the_whole_name_of_its_row(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir, wide_source(kit, ledger_dir.parent))
    async with app.run_test(size=SIZE) as pilot:
        await run_search(pilot, NAME)
        await pilot.press("enter")  # the first result: line 2, cut at the edge
        await pilot.pause()
        assert app.hits.current == (b"c/wide.c", 2)
        assert app.query_one(CodeView).viewport().col == 0
        shown = app.document.lines(1, 2)[0].decode()
        assert shown.endswith(CUT_RIGHT) and NAME not in shown  # the screen holds a fragment
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, NameScreen)
        assert app.screen.word == NAME
        await pilot.press("escape", "r")
        await pilot.pause()
        assert isinstance(app.screen, NameScreen) and app.screen.word == NAME


async def test_a_find_hit_cut_by_the_edge_offers_nothing_and_says_why(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir, wide_source(kit, ledger_dir.parent))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p", *"c/wide.c", "enter")
        await pilot.pause()
        await pilot.press("ctrl+f", *NAME, "enter")  # a find answers cells, not text
        await pilot.pause()
        assert app.hits.current == (b"c/wide.c", 2)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, NameScreen)
        assert app.screen.word == ""  # not "ReviewSe"
        await pilot.pause()
        assert "cut at the screen's edge" in notice(app)


def test_word_on_screen_boring_and_hostile():
    # a whole name; a name running into either marker; the first whole name instead
    assert word_on_screen("int foo(bar)", 4, False) == ("foo", False)
    assert word_on_screen("int ReviewSessio" + CUT_RIGHT, 4, False) == ("ReviewSessio", True)
    assert word_on_screen(CUT_LEFT + "iewSession x", 1, True) == ("iewSession", True)
    assert word_on_screen(CUT_LEFT + "iewSession x", None, True) == ("x", False)
    assert word_on_screen("int abc" + CUT_RIGHT, None, False) == ("", True)  # int: a keyword
    # a `‹` in the source at column 0 of an unscrolled window cuts nothing
    assert word_on_screen(CUT_LEFT + "name", 1, False) == ("name", False)
    # a name that ends where the line does, with no marker: whole
    assert word_on_screen("call(name)", 5, False) == ("name", False)
    # empty, one character, only a marker, no name at or after the cursor
    assert word_on_screen("", None, False) == ("", False)
    assert word_on_screen("x", 0, False) == ("x", False)
    assert word_on_screen(CUT_RIGHT, None, False) == ("", False)
    assert word_on_screen("a = 1;  ", 5, False) == ("", False)


def test_word_in_row_reads_the_raw_row_at_a_byte_offset():
    text = "/* é */ ReviewSession(x)".encode()
    at = text.index(b"ReviewSession")
    assert word_in_row(text, at) == "ReviewSession"
    assert word_in_row(b"", 0) == ""
    assert word_in_row(b"\xff\xfe name", 3) == "name"  # invalid UTF-8 is replaced, not fatal
