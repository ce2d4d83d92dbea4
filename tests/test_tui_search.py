"""Search in the reviewer app: recorded (with its digest) before any result is shown."""

from textual.widgets import Checkbox

from cleanroom.ledger.encoding import decode_body
from cleanroom.session.first_page import first_digest
from cleanroom.snapshot.search import Query, search
from cleanroom.tui.results import ResultList
from cleanroom.tui.screens.search import SearchScreen
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (110, 32)


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


async def run_search(pilot, text, regex=False):
    await pilot.press("enter", "s")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    if regex:
        screen.query_one("#regex", Checkbox).value = True
    await pilot.press(*text, "enter")
    for _ in range(100):  # the search runs in a worker thread
        await pilot.pause(0.05)
        if screen.found is not None or "Not" in str(screen.query_one("#state").render()):
            break
    return screen


def rendered_rows(screen):
    results = screen.query_one(ResultList)
    return ["".join(s.text for s in st) for st in results.render_lines(results.region.reset_offset)]


async def test_search_is_recorded_with_its_digest_before_results_show(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await run_search(pilot, "value_42")
        for _ in range(200):  # a first page may come before the count: wait for the count
            if screen.found is not None and screen.found.done:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        rows = rendered_rows(screen)
        assert any("src/long.py:43: value_42 = 42" in r for r in rows)
        snapshot = app.session.source.snapshot
    got = entries(app)
    kinds = [e.kind for e in got]
    recorded = got[kinds.index("search")].payload
    expected = search(snapshot, Query("value_42"))
    assert recorded["hits"] == expected.total() == 111  # value_42, value_420..429, 4200..4299
    assert recorded["digest"] == expected.digest()
    assert recorded["query"] == "value_42" and recorded["regex"] is False
    # the search (or its first page, when that came before the count) before any row
    named = min(kinds.index(k) for k in ("search", "search_start") if k in kinds)
    assert named < kinds.index("search_results_view")
    views = [(i, e.payload) for i, e in enumerate(got) if e.kind == "search_results_view"]
    for i, view in views:  # each names a search (or its first page) recorded before it
        assert got[view["search_seq"]].kind in ("search", "search_start") and view["search_seq"] < i
    assert views[-1][1]["search_seq"] == kinds.index("search") and views[-1][1]["first"] == 0
    if "search_start" in kinds:  # the first page was listed before the count was known
        start = got[kinds.index("search_start")].payload
        # its rows: those found within its time (ADR 0116), the first of the whole list
        assert 1 <= start["rows"] <= 100 and kinds.index("search_start") < views[0][0]
        first = expected.page(0)[: start["rows"]]
        assert start["digest"] == first_digest(Query("value_42").to_json(), first)


async def test_enter_opens_the_hit_and_n_steps_to_the_next(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await run_search(pilot, "value_42")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("N", "N")
        await pilot.pause()
    views = [e.payload for e in entries(app) if e.kind == "view"]
    assert [v["first"] for v in views][:2] == [43, 421]
    assert views[-1]["first"] == 4300  # wrapped around to the last of 111 hits


async def test_a_bad_regex_is_explained_and_not_recorded(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await run_search(pilot, "(unclosed", regex=True)
        assert "Not a valid search" in str(screen.query_one("#state").render())
    assert "search" not in [e.kind for e in entries(app)]


async def test_hostile_result_lines_are_sanitized(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await run_search(pilot, "puts")
        await pilot.pause()
        rows = "\n".join(rendered_rows(screen))
        assert "⟨x1B⟩]52;c;" in rows and "\x1b" not in rows and "\x07" not in rows


async def test_a_failed_recording_shows_no_results(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        disk.full = True
        screen = await run_search(pilot, "value_42")
        assert screen.found is None
        assert "Not recorded, not shown" in str(screen.query_one("#state").render())
        assert screen.query_one(ResultList).option_count == 0


async def test_closing_search_records_the_code_again_before_it_shows(kit, ledger_dir):
    """The search screen covers the code; Escape uncovers it, which is a new view."""
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p", *"long.py", "enter")
        await pilot.pause()
        await run_search(pilot, "value_42")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
    kinds = [e.kind for e in entries(app)]
    last_search = len(kinds) - 1 - kinds[::-1].index("search_results_view")
    assert "view" in kinds[:last_search]  # the file was shown before the search
    assert kinds[last_search + 1 :].count("view") == 1, kinds


async def test_the_dialog_opens_clean_and_says_its_switches_and_globs(kit, ledger_dir):
    from cleanroom.tui.screens.search import globs

    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await run_search(pilot, "value_42")
        assert screen.found is not None and screen.found.total == 111
        await pilot.pause()
        await pilot.press("enter")  # open the first hit: n / N now step through these
        await pilot.pause()
        assert app.found is screen.found
        await pilot.press("s")
        await pilot.pause()
        again = app.screen
        assert isinstance(again, SearchScreen) and again is not screen
        assert rendered_rows(again) == [] or not any("value_42" in r for r in rendered_rows(again))
        assert "last search's 111 results" in str(again.query_one("#state").render())
        regex = again.query_one("#regex", Checkbox)
        case = again.query_one("#case", Checkbox)
        assert str(regex.label) == "Regex: off" and str(case.label) == "Match case: ON"
        regex.value = True
        case.value = False
        await pilot.pause()
        assert str(regex.label) == "Regex: ON" and str(case.label) == "Match case: off"
    assert globs("*.c, *.h  src/,,") == ["*.c", "*.h", "src/"]
    assert globs(" , ") == []
    assert globs(r"a\,b c") == [r"a\,b", "c"]


async def test_a_bad_glob_is_an_error_and_comma_globs_narrow(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "s")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#include").value = "src/[abc"
        screen.query_one("#query").focus()
        await pilot.press(*"value_42", "enter")
        await pilot.pause()
        assert "Not a valid search" in str(screen.query_one("#state").render())
        assert "unclosed [" in str(screen.query_one("#state").render())
        assert screen.found is None
        screen.query_one("#include").value = "README.md,*.c"  # neither holds value_42
        screen.query_one("#query").focus()
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if screen.found is not None:
                break
        assert screen.found is not None and screen.found.total == 0


async def test_the_glob_boxes_say_all_of_their_example_at_80x24(kit, ledger_dir):
    """At 80x24 the boxes' hints were cut to "Only paths" and "Not paths": the
    example, and that globs are separated by spaces, were lost."""
    from textual.widgets import Input

    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        for box in ("#include", "#exclude"):
            field = screen.query_one(box, Input)
            rows = [field.render_line(y).text for y in range(field.size.height)]
            assert any(field.placeholder in row for row in rows), (field.placeholder, rows)
            assert "/" in field.placeholder and " " in field.placeholder  # globs, by spaces
