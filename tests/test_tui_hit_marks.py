"""Search hits marked in the code view (issue 15): the current hit and every
visible hit of the last search, the `:N` line, "hit k of N" in the status bar;
marks come from the recorded rows and change styles only, never the text."""

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.dialogs import GotoScreen
from tests.ledgerkit import read_rows
from tests.test_tui_search import run_search
from tests.tuikit import make_app

SIZE = (110, 32)


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


def status(app):
    return str(app.query_one("#status").render())


def drawn(code, line):
    """Line `line` (1-based) as drawn: its text, and each cell's style."""
    y = line - code.viewport().first
    strip = code.render_line(y)
    text = "".join(s.text for s in strip)
    styles = [s.style for s in strip for _ in s.text]
    return text, styles


async def test_the_current_hit_and_visible_hits_are_marked_and_n_moves(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await run_search(pilot, "value_42")
        await pilot.press("enter")
        await pilot.pause()
        code = app.query_one(CodeView)
        gutter = code.gutter_width
        assert code.viewport().first == 43
        assert "hit 1 of 111" in status(app)
        current = code.get_component_rich_style("codeview--current")
        text, styles = drawn(code, 43)
        assert text[gutter:].startswith("value_42 = 42")
        assert all(s == styles[gutter] for s in styles[gutter : gutter + 8])
        assert styles[gutter + 8] != styles[gutter]  # only the match: " = 42" is not marked
        assert styles[gutter].bgcolor == current.bgcolor
        # The marks change styles only: the same text as the painter draws unmarked.
        plain = code._painter.strip(42, 0, code.viewport().cols, current, current)
        assert text == "".join(s.text for s in plain)
        await pilot.press("n")
        await pilot.pause()
        assert code.viewport().first == 421 and "hit 2 of 111" in status(app)
        # Line 43 is off screen now; 421's hit is current, 422's (listed) is a plain hit.
        hit = code.get_component_rich_style("codeview--hit")
        text, styles = drawn(code, 422)
        assert text[gutter:].startswith("value_421")
        assert styles[gutter].bgcolor == hit.bgcolor != current.bgcolor
    got = entries(app)
    kinds = [e.kind for e in got]
    # n in the same file is a `goto`, recorded before the view it brings
    at = kinds.index("goto")
    assert got[at].payload["line"] == 421
    assert [e.payload["first"] for e in got[at:] if e.kind == "view"][0] == 421
    assert kinds.count("file_open") == 1


async def test_the_goto_line_is_marked(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p", *"long.py", "enter")
        await pilot.pause()
        await pilot.press("colon")
        await pilot.pause()
        assert isinstance(app.screen, GotoScreen)
        await pilot.press(*"100", "enter")
        await pilot.pause()
        code = app.query_one(CodeView)
        line = code.get_component_rich_style("codeview--line")
        _, styles = drawn(code, 100)
        assert styles[0].bgcolor == line.bgcolor
        _, other = drawn(code, 101)
        assert other[0].bgcolor != line.bgcolor
        assert "line 100" in status(app)
    assert [e.payload["line"] for e in entries(app) if e.kind == "goto"] == [100]


async def test_n_fails_closed_when_the_goto_cannot_be_recorded(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await run_search(pilot, "value_42")
        await pilot.press("enter")
        await pilot.pause()
        code = app.query_one(CodeView)
        disk.full = True
        await pilot.press("n")
        await pilot.pause()
        assert code.refused is not None  # the source is hidden, and says why
        assert all(s.text.strip() == "" for s in code.render_line(0))
        assert "hit 2 of 111" not in status(app)


async def test_a_marked_line_is_drawn_once_per_window_and_again_when_the_marks_change(
    kit, ledger_dir
):
    """A frame draws every visible line again; a marked line was restyled each time
    (keystroke p95 with hits on every line). It is kept now, and never kept past a
    change of the marks, the window or the line's own strip."""
    from cleanroom.tui.hitmarks import Marks

    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await run_search(pilot, "value_42")
        await pilot.press("enter")
        await pilot.pause()
        code = app.query_one(CodeView)
        y = 43 - code.viewport().first
        first = code.render_line(y)
        assert code.render_line(y) is first  # the same marks, window and line
        hit = code.get_component_rich_style("codeview--hit")
        path = code.marks.path
        code.marks = Marks(path, {43: [(0, 5)]}, current=None)  # now a plain hit, 5 cells
        second = code.render_line(y)
        assert second is not first
        gutter = code.gutter_width
        styles = [s.style for s in second for _ in s.text]
        assert styles[gutter].bgcolor == hit.bgcolor and styles[gutter + 5].bgcolor != hit.bgcolor
        code.marks = None
        assert all(s.style is None or s.style.bgcolor != hit.bgcolor for s in code.render_line(y))


async def test_the_code_view_keeps_no_marked_line_of_a_screen_no_longer_shown(kit, ledger_dir):
    """shown.py's promise holds for marked lines too: once a new screen is recorded
    and drawn, the view holds no marked line of the screen before (it held up to
    512, and each lived long enough for every full garbage collection to walk it);
    and none at all once recording fails."""
    from cleanroom.tui.hitmarks import Marks

    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        code = app.query_one(CodeView)
        for _ in range(50):
            await pilot.pause()
            if code._shown is not None:
                break
        every = {line: [(0, 5)] for line in range(1, 5001)}
        code.marks = Marks(b"src/long.py", every, current=3)
        region = code.region.reset_offset
        for _ in range(3):  # three screens, each drawn with its marks
            code.render_lines(region)
            assert code._marked  # this screen's marked lines are kept, for its next frame
            code.scroll_to(y=code._shown.last, animate=False, immediate=True, force=True)
        code.render_lines(region)
        shown = code._shown
        assert shown is not None and shown.first == 3 * (shown.last - shown.first + 1) + 1
        assert code._marked
        assert {line for line, *_ in code._marked} <= set(range(shown.first - 1, shown.last))
        disk.full = True  # the next screen cannot be recorded: nothing of it, nor of this
        code.scroll_to(y=shown.last, animate=False, immediate=True, force=True)
        code.render_lines(region)
        assert code._shown is None and not code._marked
