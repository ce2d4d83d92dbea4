"""Following code in the reviewer terminal (issue 15): outline, go to definition,
references and symbol quick open, each recorded before it is shown, driven with
Pilot over a real snapshot with a signed symbol index and a real ledger."""

from __future__ import annotations

from cleanroom.ledger.encoding import decode_body
from cleanroom.session.symbol_digest import symbols_digest
from cleanroom.session.symbols import OUTLINE_LIMIT
from cleanroom.snapshot.store import Snapshot
from cleanroom.snapshot.symbols.query import SymbolIndex
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.noticebar import NoticeBar
from cleanroom.tui.screens.search import SearchScreen
from cleanroom.tui.screens.symbols import NameScreen, SymbolListScreen, SymbolQuickOpenScreen
from tests.ledgerkit import read_rows
from tests.symbolnavkit import many_defines_source, symbols_app
from tests.symbolskit import line_of
from tests.tuikit import make_app

SIZE = (110, 32)


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


def kinds(app):
    return [e.kind for e in entries(app)]


def top(app):
    return app.query_one(CodeView).viewport().first


def notice(app) -> str:
    return str(app.query_one(NoticeBar).render())


def index_of(app) -> SymbolIndex:
    snap: Snapshot = app.session.source.snapshot
    return SymbolIndex(snap)


async def open_file(pilot, name):
    await pilot.press("ctrl+p", *name, "enter")
    await pilot.pause()
    await pilot.pause()


async def until(pilot, check, tries: int = 200):
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError("never came")


async def test_outline_is_recorded_then_listed_and_enter_goes_there(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "c/list.c")
        assert app.opened.path == b"c/list.c"
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, SymbolListScreen)
        expected = index_of(app).outline(b"c/list.c")
        assert [(s.name, s.line) for s in app.screen.rows] == [(s.name, s.line) for s in expected]
        # Log before display: the entry naming these rows is in the ledger already.
        outline = [e.payload for e in entries(app) if e.kind == "symbol_outline"]
        assert outline == [{"path": "c/list.c", "blob": app.opened.blob,
                            "symbols": len(expected), "listed": len(expected),
                            "digest": symbols_digest(expected)}]  # fmt: skip
        push = [s.name for s in app.screen.rows].index("list_push")
        for _ in range(push):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
    want = line_of("c/list.c", b"int list_push(") + 1
    got = entries(app)
    assert [e.payload["line"] for e in got if e.kind == "goto"] == [want]
    assert app.hits.current == (b"c/list.c", want) and "list_push" in app.hits.label


async def test_definition_of_the_word_at_the_hit_with_one_place_goes_straight_there(
    kit, ledger_dir
):
    app, _ = symbols_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "py/app.py")
        await pilot.press("ctrl+f", *"Reader().read", "enter")  # the cursor: a find hit
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, NameScreen)
        assert app.screen.word == "Reader"  # the word at the current hit
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, SymbolListScreen)  # one place: no chooser
        assert app.opened.path == b"py/app.py"
    got = entries(app)
    defs = [e.payload for e in got if e.kind == "symbol_definitions"]
    assert defs[0]["name"] == "Reader" and defs[0]["places"] == 1 == defs[0]["listed"]
    at = [e.kind for e in got].index("symbol_definitions")
    assert got[at + 1].kind == "goto"
    assert got[at + 1].payload["line"] == line_of("py/app.py", b"class Reader") + 1


async def test_several_definitions_offer_a_chooser_across_files(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "c/tail.c")  # no trailing newline
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.word == "last_one"  # the first name of the top line
        await pilot.press(*["backspace"] * 8, *"twice", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SymbolListScreen)
        assert sorted(s.path for s in app.screen.rows) == [b"c/one.c", b"c/two.c"]
        listed = str(app.screen.query_one("#count").render())
        assert "2 definitions" in listed
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.opened.path == b"c/two.c"
    got = entries(app)
    defs = [e.payload for e in got if e.kind == "symbol_definitions"]
    assert (defs[0]["places"], defs[0]["listed"]) == (2, 2)
    assert [e.payload["path"] for e in got if e.kind == "file_open"][-1] == "c/two.c"


async def test_references_run_as_a_recorded_search(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "c/one.c")
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, NameScreen) and app.screen.word == "twice"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await until(pilot, lambda: app.screen.found is not None and app.screen.found.done)
        assert app.screen.found.total == 3  # one.c, two.c, tail.c
    searches = [e.payload for e in entries(app) if e.kind == "search"]
    assert searches[-1]["query"] == r"\btwice\b"
    assert searches[-1]["regex"] is True and searches[-1]["case"] is True
    assert searches[-1]["hits"] == 3


async def test_symbol_quick_open_lists_recorded_names_and_goes_to_the_definition(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, SymbolQuickOpenScreen)
        await pilot.press(*"NewServ")
        await until(pilot, lambda: app.screen.shown_for == "NewServ")
        assert app.screen.shown == ["NewServer"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.opened.path == b"go/srv.go"
    got = entries(app)
    lists = [e.payload for e in got if e.kind == "symbol_quick_open"]
    assert {"query": "NewServ", "names": ["NewServer"]} in lists
    assert [e.payload["name"] for e in got if e.kind == "symbol_definitions"] == ["NewServer"]


async def test_a_snapshot_without_an_index_says_so_and_shows_nothing(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)  # the sample snapshot: created without symbols
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "main.c")
        await pilot.press("o")
        # the answer comes from a worker thread: one pause is not enough under load
        await until(pilot, lambda: "this snapshot has no symbol index" in notice(app))
        assert not isinstance(app.screen, SymbolListScreen)
        app.notify("cleared", markup=False)  # the next answer must bring the words again
        await until(pilot, lambda: "this snapshot has no symbol index" not in notice(app))
        await pilot.press("d", "enter")
        await until(pilot, lambda: "this snapshot has no symbol index" in notice(app))
        assert not isinstance(app.screen, SymbolListScreen)
    assert not {"symbol_outline", "symbol_definitions"} & set(kinds(app))


async def test_boring_files_empty_and_without_definitions(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        for name in ("c/empty.c", "c/nosyms.c"):
            await open_file(pilot, name)
            assert app.opened.path == name.encode()
            await pilot.press("o")
            await pilot.pause()
            assert not isinstance(app.screen, SymbolListScreen)
            assert "No definitions" in notice(app)
            await pilot.press("d")  # no word on an empty line: an empty box
            await pilot.pause()
            assert isinstance(app.screen, NameScreen)
            await pilot.press("escape")
            await pilot.pause()
    outlines = [e.payload for e in entries(app) if e.kind == "symbol_outline"]
    assert [(o["path"], o["symbols"], o["listed"]) for o in outlines] == [
        ("c/empty.c", 0, 0), ("c/nosyms.c", 0, 0)]  # fmt: skip


async def test_hostile_names_are_sanitized_and_refused_not_crashed_on(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir)
    bidi = "ad\u202emin\x1b[2J"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#name").value = bidi
        await pilot.press("enter")
        await pilot.pause()
        said = notice(app)
        assert "No definition of" in said and "\u202e" not in said and "\x1b" not in said
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one("#name").value = bidi
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, SearchScreen)  # not a name: no search
        assert "not a symbol name" in notice(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        app.screen.query_one("#query").value = "\u0430dmin"  # Cyrillic а
        await until(pilot, lambda: app.screen.shown_for == "\u0430dmin")
        assert app.screen.shown == ["\u0430dmin_ok"]
        drawn = str(app.screen.query_one("#matches").get_option_at_index(0).prompt)
        assert drawn != "\u0430dmin_ok"  # the look-alike is tagged, not drawn as "admin_ok"
    defs = [e.payload for e in entries(app) if e.kind == "symbol_definitions"]
    assert defs == [{"name": bidi, "places": 0, "listed": 0, "digest": symbols_digest([])}]


async def test_nothing_is_listed_when_it_cannot_be_recorded(kit, ledger_dir):
    app, disk = symbols_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "c/list.c")
        disk.full = True
        await pilot.press("o")
        await pilot.pause()
        assert not isinstance(app.screen, SymbolListScreen)
        await pilot.press("d", *"list_push", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, SymbolListScreen)
        assert app.opened is None or top(app) == 1  # not moved to the definition
        disk.full = False
    assert "symbol_outline" not in kinds(app) and "symbol_definitions" not in kinds(app)


async def test_the_index_is_checked_once_per_session(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "c/list.c")
        for _ in range(3):
            await pilot.press("o")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("d", "enter")
        await pilot.pause()
    assert app.service.symbols.checks == 1


async def test_an_outline_longer_than_a_page_shows_the_rest_page_by_page(kit, ledger_dir, tmp_path):
    """`]` lists the next page of an outline, `[` the previous, each recorded (with
    its offset) before it is drawn; Enter on a later page goes to its row."""
    defines = OUTLINE_LIMIT * 2 + 7
    app, _ = symbols_app(kit, ledger_dir, many_defines_source(kit, tmp_path, defines))

    def outlines():
        return [e.payload for e in entries(app) if e.kind == "symbol_outline"]

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_file(pilot, "many.h")
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, SymbolListScreen))
        first = app.screen
        assert [s.line for s in first.rows] == list(range(OUTLINE_LIMIT))
        assert "] next page" in first.count and "[ previous" not in first.count
        await pilot.press("left_square_bracket")  # no page before the first: it stays
        await pilot.pause()
        assert app.screen is first and len(outlines()) == 1
        for page in (1, 2):
            shown = app.screen
            await pilot.press("right_square_bracket")
            await until(pilot, lambda s=shown: isinstance(app.screen, SymbolListScreen)
                        and app.screen is not s)  # fmt: skip
            start = page * OUTLINE_LIMIT
            rows = app.screen.rows
            assert [s.line for s in rows] == list(range(start, min(start + OUTLINE_LIMIT, defines)))
            # Log before display: the page's entry, with its offset, names these rows.
            assert outlines()[-1] == {"path": "many.h", "blob": app.opened.blob,
                                      "symbols": defines, "listed": len(rows),
                                      "digest": symbols_digest(rows), "offset": start}  # fmt: skip
        last = app.screen
        assert (
            f"{defines:,} definitions ({OUTLINE_LIMIT * 2 + 1:,}-{defines:,} listed)" in last.count
        )
        assert "] next page" not in last.count
        await pilot.press("right_square_bracket")  # past the last page: nothing asked
        await pilot.pause()
        assert app.screen is last and len(outlines()) == 3
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: isinstance(app.screen, SymbolListScreen)
                    and app.screen is not last)  # fmt: skip
        assert (
            app.screen.rows[0].line == OUTLINE_LIMIT and outlines()[-1]["offset"] == OUTLINE_LIMIT
        )
        await pilot.press("down", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, SymbolListScreen)
    gotos = [e.payload["line"] for e in entries(app) if e.kind == "goto"]
    assert gotos == [OUTLINE_LIMIT + 2]  # the second row of the second page, 1-based
