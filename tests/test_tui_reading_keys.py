"""less/vim movement in the code view (issue 15): each key moves the viewport,
and each new viewport is in the ledger before it is drawn."""

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.help import help_table
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (100, 30)


def last_view(app):
    rows = [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]
    views = [e.payload for e in rows if e.kind in ("view", "file_open")]
    return views[-1]


async def test_less_and_vim_keys_move_and_each_screen_is_recorded(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")  # 5000 lines
        await pilot.pause()
        code = app.query_one(CodeView)
        code.focus()
        await pilot.pause()
        height = code.viewport().last - code.viewport().first + 1

        async def press(key):
            await pilot.press(key)
            await pilot.pause()
            vp = code.viewport()
            recorded = last_view(app)
            assert (recorded["first"], recorded["last"], recorded["col"]) == (
                vp.first, vp.last, vp.col,
            ), key  # fmt: skip
            return vp

        assert (await press("j")).first == 2
        assert (await press("j")).first == 3
        assert (await press("k")).first == 2
        assert (await press("G")).last == 5000
        assert (await press("g")).first == 1
        assert (await press("space")).first == 1 + height
        assert (await press("b")).first == 1
        assert (await press("ctrl+d")).first == 1 + height // 2
        assert (await press("ctrl+u")).first == 1
        # No line is wider than the view here, so there is nothing to the right.
        assert (await press("right")).col == 0
    assert app.service.failure is None


def wide_app(kit, ledger_dir):
    from cleanroom.session.recorder import Recorder
    from cleanroom.session.review import Facts, ReviewSession
    from cleanroom.session.snapshot_source import SnapshotSource
    from cleanroom.snapshot.create import create_snapshot
    from cleanroom.tui.app import ReviewApp

    src = ledger_dir.parent / "wide-src"
    src.mkdir()
    (src / "wide.c").write_bytes(b"".join(b"%04d " % i + b"x" * 600 + b"\n" for i in range(50)))
    snap = ledger_dir.parent / "wide.snapshot"
    create_snapshot(src, snap, kit.vendor, name="wide", version="1", created=1)
    ledger = kit.new_ledger(ledger_dir)
    facts = Facts("Ada", "Agency", "ws-01", "wide 1", str(ledger.path))
    source = SnapshotSource.from_file(snap, kit.trust)
    return ReviewApp(ReviewSession(Recorder(ledger), source, facts), countersigner=kit.reviewer)


async def test_horizontal_steps_are_half_a_screen_and_recorded(kit, ledger_dir):
    app = wide_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"wide.c")
        await pilot.pause()
        code = app.query_one(CodeView)
        code.focus()
        await pilot.pause()
        cols = code.viewport().cols
        assert cols > 40
        for step in (1, 2):
            vp = await _press(pilot, code, "right")
            assert vp.col == step * (cols // 2)
            assert last_view(app)["col"] == vp.col
        assert (await _press(pilot, code, "left")).col == cols // 2


async def test_a_line_cut_by_the_window_shows_where_it_goes_on(kit, ledger_dir):
    app = wide_app(kit, ledger_dir)  # lines of 605 cells
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"wide.c")
        await pilot.pause()
        code = app.query_one(CodeView)
        code.focus()
        await pilot.pause()
        gutter = code.gutter_width

        def row() -> str:
            return code.render_line(0).text[gutter:]

        vp = code.viewport()
        assert row() == ("0000 " + "x" * 600)[: vp.cols - 1] + "›", row()  # more to the right
        await _press(pilot, code, "right")
        assert row().startswith("‹") and row().endswith("›"), row()  # cut on both sides
        await _press(pilot, code, "end")  # the last line: the same
        await _press(pilot, code, "home")
        while code.viewport().col + code.viewport().cols < 605:
            await _press(pilot, code, "right")
        assert row().startswith("‹") and "›" not in row(), row()  # the end of the line
    assert app.service.failure is None


async def _press(pilot, code, key):
    await pilot.press(key)
    await pilot.pause()
    return code.viewport()


def test_help_names_the_reading_keys_as_typed():
    table = help_table()
    keys = [str(cell) for cell in table.columns[0]._cells]
    assert "j / k" in keys and "g / G" in keys and "ctrl+d / ctrl+u" in keys


async def test_help_fits_80x24_by_scrolling_to_its_last_line(kit, ledger_dir):
    from textual.containers import VerticalScroll

    from cleanroom.tui.screens.help import NO_WAY_OUT, HelpScreen

    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        box = screen.query_one(VerticalScroll)
        box.focus()
        await pilot.press("end")
        await pilot.pause()
        note = [w for w in screen.query("Static") if NO_WAY_OUT in str(w.render())]
        assert note and box.region.contains_region(note[0].region), (box.region, note[0].region)
