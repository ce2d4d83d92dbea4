"""Find in the open file (issue 15): `/` or ctrl+f forward, `?` backward (less and
vim), recorded as `find` before any hit is marked or moved to; n / N step through
its hits (after `?`, n goes up); a failure shows nothing. With no file open, `/`
and `?` open the snapshot-wide search (`s`); help is `h` or F1."""

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.find import FindScreen
from cleanroom.tui.screens.help import HelpScreen, help_table
from cleanroom.tui.screens.search import SearchScreen
from tests.ledgerkit import read_rows
from tests.test_tui_hit_marks import drawn, status
from tests.test_tui_search import run_search
from tests.tuikit import FILES, make_app

SIZE = (110, 32)
LONG = FILES[b"src/long.py"].split(b"\n")


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


def lines_with(needle: bytes) -> list[int]:
    return [i + 1 for i, line in enumerate(LONG) if needle in line.lower()]


async def open_long(pilot):
    await pilot.press("enter", "ctrl+p", *"long.py", "enter")
    await pilot.pause()


async def find(pilot, text, case=False, key="ctrl+f"):
    await pilot.press(key)
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, FindScreen)
    assert screen.backward is (key == "question_mark")
    if case:
        await pilot.press("tab", "space")  # Match case
        assert "Match case: ON" in str(screen.query_one("#case").render())
        await pilot.press("shift+tab")
    await pilot.press(*text, "enter")
    await pilot.pause()


async def test_find_is_recorded_before_its_first_hit_is_shown_and_n_steps(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    expected = lines_with(b"# line 77")  # 77, 770..779, 7700..7779 of 5000: 77, 770-779
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        await find(pilot, "# LINE 77")  # any case
        code = app.query_one(CodeView)
        assert code.viewport().first == expected[0] == 77
        assert f"find hit 1 of {len(expected)}" in status(app)
        text, styles = drawn(code, 77)
        at = text.index("# line 77")
        current = code.get_component_rich_style("codeview--current")
        assert styles[at].bgcolor == current.bgcolor and styles[at - 1].bgcolor != current.bgcolor
        await pilot.press("n")
        await pilot.pause()
        assert code.viewport().first == expected[1]
        await pilot.press("N", "N")
        await pilot.pause()
        assert code.viewport().first == expected[-1]  # wrapped
        assert f"find hit {len(expected)} of {len(expected)}" in status(app)
    got = entries(app)
    kinds = [e.kind for e in got]
    at = kinds.index("find")
    payload = got[at].payload
    assert payload["query"] == "# LINE 77" and payload["case"] is False
    assert payload["hits"] == len(expected) and payload["path"] == "src/long.py"
    assert payload["blob"] == got[kinds.index("file_open")].payload["blob"]
    after = got[at + 1 :]
    assert after[0].kind == "goto" and after[0].payload["line"] == 77
    assert [e.payload["first"] for e in after if e.kind == "view"][0] == 77


async def test_match_case_and_not_found(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        first = app.query_one(CodeView).viewport()
        await find(pilot, "VALUE_7 ", case=True)
        assert app.query_one(CodeView).viewport() == first  # nothing to move to
        assert "no find hits" in status(app)
    got = [e.payload for e in entries(app) if e.kind == "find"]
    assert got == [{"path": "src/long.py", "blob": got[0]["blob"], "query": "VALUE_7 ",
                    "case": True, "hits": 0}]  # fmt: skip
    assert not [e for e in entries(app) if e.kind == "goto"]


async def test_find_starts_at_the_first_hit_below_the_top_and_wraps(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        await pilot.press("colon", *"4000", "enter")
        await pilot.pause()
        await find(pilot, "# line 1000")  # lines 1000 and 10000+ (none): only 1000
        assert app.query_one(CodeView).viewport().first == 1000


async def test_a_find_that_cannot_be_recorded_shows_and_marks_nothing(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        code = app.query_one(CodeView)
        disk.full = True
        await find(pilot, "value_77")
        assert code.refused is not None
        assert all(s.text.strip() == "" for s in code.render_line(0))
        assert "find hit" not in status(app) and app.hits.finding is None
    assert "find" not in [e.kind for e in entries(app)]


async def test_a_hostile_query_is_recorded_exactly_and_shown_sanitized(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p", *"main.c", "enter")
        await pilot.pause()
        app.action_find_in_file()
        await pilot.pause()
        app.screen.dismiss(("\x1b]52;c;", True))
        await pilot.pause()
        code = app.query_one(CodeView)
        assert code.marks.current == 3 and "find hit 1 of 1" in status(app)  # a 4-line file
        text, styles = drawn(code, 3)
        assert "\x1b" not in text and "⟨x1B⟩]52;c;" in text
        at = text.index("⟨x1B⟩")
        current = code.get_component_rich_style("codeview--current")
        # The tag stands for the escape byte: the whole tag and "]52;c;" are the hit.
        assert {s.bgcolor for s in styles[at : at + len("⟨x1B⟩]52;c;")]} == {current.bgcolor}
        assert styles[at + len("⟨x1B⟩]52;c;")].bgcolor != current.bgcolor
    got = entries(app)
    assert [e.payload["query"] for e in got if e.kind == "find"] == ["\x1b]52;c;"]
    assert [e.payload["line"] for e in got if e.kind == "goto"] == [3]


async def test_n_follows_the_last_of_search_and_find(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        await find(pilot, "# line 2999")
        assert app.query_one(CodeView).viewport().first == 2999
        await run_search(pilot, "value_42")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.query_one(CodeView).viewport().first == 421  # the search's hit 2
        assert "hit 2 of 111" in status(app)


async def test_slash_finds_forward_and_question_mark_backward_n_going_its_way(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    expected = lines_with(b"# line 77")  # 77, 770..779, 7700..: 77 and 770-779 of 5000
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        code = app.query_one(CodeView)
        await find(pilot, "# line 77", key="slash")  # as ctrl+f: the first hit below the top
        assert code.viewport().first == 77
        await pilot.press("colon", *"4000", "enter")
        await pilot.pause()
        await find(pilot, "# line 77", key="question_mark")  # the last hit above line 4000
        assert code.viewport().first == 779 == expected[-1]
        assert f"find hit {len(expected)} of {len(expected)}" in status(app)
        await pilot.press("n")  # a backward find's n goes up
        await pilot.pause()
        assert code.viewport().first == 778
        await pilot.press("N", "N")  # and N down, wrapping past the last to the first
        await pilot.pause()
        assert code.viewport().first == 77
        assert "find hit 1 of" in status(app)
    got = entries(app)
    kinds = [e.kind for e in got]
    back = [i for i, k in enumerate(kinds) if k == "find"][1]
    assert got[back].payload["query"] == "# line 77" and got[back].payload["hits"] == len(expected)
    after = got[back + 1 :]
    assert after[0].kind == "goto" and after[0].payload["line"] == 779  # recorded before
    assert [e.payload["first"] for e in after if e.kind == "view"][0] == 779  # it is shown
    assert [e.payload["line"] for e in after if e.kind == "goto"] == [779, 778, 779, 77]


async def test_backward_from_above_the_first_hit_wraps_to_the_last(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        await find(pilot, "# line 4999", key="question_mark")  # one hit, below the top
        shown = app.query_one(CodeView).viewport()
        assert shown.first <= 4999 <= shown.last  # the end of the file: not at the top
        assert "find hit 1 of 1" in status(app)
    assert [e.payload["line"] for e in entries(app) if e.kind == "goto"] == [4999]


async def test_with_no_file_open_slash_and_question_mark_search_the_snapshot(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # the start screen
        await pilot.pause()
        assert app.opened is None
        for key in ("slash", "question_mark", "s"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, SearchScreen), key
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, SearchScreen)
    assert "find" not in [e.kind for e in entries(app)]


async def test_h_is_help_and_help_names_both_searches_as_typed(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("h")  # closes it, as escape does
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")  # no longer help: find backward
        await pilot.pause()
        assert isinstance(app.screen, FindScreen) and app.screen.backward
    keys = [str(c) for c in help_table().columns[0]._cells]
    assert "s" in keys and "/ / ctrl+f" in keys and "?" in keys and "h / F1" in keys
