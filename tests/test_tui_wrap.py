"""The wrap toggle (issue 15, ADR 0212): `w` wraps long lines in rows of the
view's width, with `↪` in the gutter of a line's later rows. The new screen is
recorded first (`view` with `wrap`), naming exactly the lines with a row on
screen; the rows drawn are those the recorder laid out; nothing is drawn when
the view cannot be recorded; `w` again cuts the lines as before."""

from __future__ import annotations

from cleanroom.ledger.encoding import decode_body
from cleanroom.session.display import display_line
from cleanroom.session.wrap import CONTINUED, layout
from cleanroom.tui.codeview import CodeView
from tests.ledgerkit import read_rows
from tests.test_tui_guard import wait_for
from tests.wrapkit import PATH, WIDE, wide_app

SIZE = (80, 24)


def views(app):
    rows = [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]
    return [e.payload for e in rows if e.kind == "view"]


def drawn(code: CodeView) -> list[str]:
    return ["".join(s.text for s in code.render_line(y))
            for y in range(code.scrollable_content_region.height)]  # fmt: skip


def expected(first: int, rows: int, cols: int) -> list[list[str]]:
    lines = WIDE.split(b"\n")
    return layout([display_line(x) for x in lines[first - 1 :]], rows, cols)


async def open_wide(pilot):
    await pilot.press("enter", "ctrl+p", *"wide.c", "enter")
    # The file opens off the event loop: wait for it, not for a quiet moment (three
    # idle pauses passed before it had opened, with Pilot's idle check at 5 ms).
    opened = lambda: pilot.app.opened is not None and pilot.app.opened.path.endswith(b"wide.c")  # noqa: E731
    assert await wait_for(pilot, opened, seconds=60)
    await pilot.pause()


async def test_w_records_a_wrapped_view_then_draws_its_rows(kit, ledger_dir):
    app, _ = wide_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_wide(pilot)
        code = app.query_one(CodeView)
        cut = drawn(code)
        assert cut[1].rstrip().endswith("›")  # cut: the marker at the edge
        await pilot.press("w")
        for _ in range(2):
            await pilot.pause()
        vp = code.viewport()
        assert vp.wrap == code.scrollable_content_region.height and vp.col == 0
        want = expected(1, vp.wrap, vp.cols)
        # Log before display: the entry names exactly the lines with a row on screen.
        last = views(app)[-1]
        assert last["wrap"] == vp.wrap and last["cols"] == vp.cols and last["col"] == 0
        assert (last["first"], last["last"]) == (1, len(want))
        rows = drawn(code)
        gutter = code.gutter_width
        flat = [(i, k, cells) for i, shown in enumerate(want) for k, cells in enumerate(shown)]
        assert len(flat) == vp.wrap
        for y, (i, k, cells) in enumerate(flat):
            head, text = rows[y][:gutter], rows[y][gutter:]
            assert text.rstrip() == cells.rstrip(), y
            assert head.strip().rstrip("!") == (str(i + 1) if k == 0 else CONTINUED), y
        whole = "".join(r[gutter:] for r in rows)
        assert "word039" in whole and "›" not in whole  # all of line 2, no cut marker
        assert "\u6f22\u5b57" * 3 in whole  # wide characters, none halved at a row's end
        # A line longer than what is left of the screen shows its first rows only.
        assert rows[-1][:gutter].strip() == CONTINUED and "AAAA" in rows[-1]
        # Scrolling moves by line while wrapped: every screen recorded first.
        await pilot.press("down")
        await pilot.pause()
        assert views(app)[-1]["first"] == 2 and views(app)[-1]["wrap"] == vp.wrap
        await pilot.press("right")  # nothing to the right while wrapped
        await pilot.pause()
        assert code.viewport().col == 0
        await pilot.press("w")  # cut again: a view without wrap
        await pilot.pause()
        assert "wrap" not in views(app)[-1] and drawn(code)[0].rstrip().endswith("›")


async def test_nothing_is_drawn_when_the_wrapped_view_cannot_be_recorded(kit, ledger_dir):
    app, disk = wide_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_wide(pilot)
        before = len(views(app))
        disk.full = True
        await pilot.press("w")
        for _ in range(2):
            await pilot.pause()
        code = app.query_one(CodeView)
        text = "".join(drawn(code))
        assert "word0" not in text and "short_one" not in text
        assert code.refused  # the reason is shown instead (the refusal screen)
        disk.full = False
    assert all("wrap" not in v for v in views(app)[before:])


async def test_hostile_text_wraps_as_tags_never_as_escapes(kit, ledger_dir):
    app, _ = wide_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_wide(pilot)
        await pilot.press("w", "down", "down", "down", "down")  # line 5 at the top
        await pilot.pause()
        assert views(app)[-1]["first"] == 5
        text = "".join(drawn(app.query_one(CodeView)))
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "⟨RLO⟩" in text


async def test_every_scroll_while_wrapped_is_recorded_then_drawn(kit, ledger_dir):
    """Down, PageDown, End, G, g and `:N` while wrapped: each new screen is a
    wrapped view in the ledger, from the line then at the top, before its rows
    are drawn, and the rows drawn are that view's layout."""
    app, _ = wide_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_wide(pilot)
        code = app.query_one(CodeView)
        await pilot.press("w")
        for _ in range(2):
            await pilot.pause()
        rows = code.viewport().wrap
        count = len(WIDE.split(b"\n"))
        moves = [(("down",), 2), (("pagedown",), 2 + rows), (("end",), count - rows + 1),
                 (("g",), 1), (("G",), count - rows + 1), (("colon", *"30", "enter"), 30),
                 (("up",), 29)]  # fmt: skip
        for keys, top in moves:
            await pilot.press(*keys)
            for _ in range(2):
                await pilot.pause()
            vp = code.viewport()
            assert vp.first == top and vp.wrap == rows, keys
            last = views(app)[-1]
            assert (last["first"], last.get("wrap"), last["col"]) == (top, rows, 0), keys
            want = expected(top, rows, vp.cols)
            assert last["last"] == top + len(want) - 1, keys
            first_row = drawn(code)[0]
            assert first_row[: code.gutter_width].strip().rstrip("!") == str(top), keys
            assert first_row[code.gutter_width :].rstrip() == want[0][0].rstrip(), keys


def test_a_bare_path_is_used():  # the kit's path is the one the tests open
    assert PATH == b"w/wide.c"
