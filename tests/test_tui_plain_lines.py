"""The code view finishes its lines itself (tui/plainlines.py), not through Textual's
styles cache: what reaches the screen must be the very strips that cache would give,
for plain, coloured, marked, hostile and cut lines and for a crop of the view; and
a style that cache would draw (padding, a tint, ...) must send the lines back to it."""

import pytest
from textual.geometry import Region
from textual.widget import Widget

from cleanroom.tui.codeview import CodeView
from cleanroom.tui.hitmarks import Marks
from cleanroom.tui.plainlines import finished, plain_styles
from tests.tuikit import make_app

SIZE = (100, 30)


def textuals(code: CodeView, crop: Region) -> list:
    """The lines as Textual's own pipeline finishes them (its cache emptied first)."""
    code._styles_cache.clear()
    return Widget.render_lines(code, crop)


def cells(strips) -> list:
    return [[(s.text, s.style) for s in strip] for strip in strips]


async def settled(pilot, code: CodeView) -> None:
    for _ in range(50):
        await pilot.pause(0.02)
        if code._shown is not None and code.viewport() == code._shown:
            break
    await pilot.pause(0.1)  # the colours come a frame after the plain lines


@pytest.mark.parametrize("path", [b"src/long.py", b"src/main.c", b"bin/blob.bin", b"README.md"])
async def test_the_lines_are_the_strips_textual_would_draw(kit, ledger_dir, path):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(path)
        code = app.query_one(CodeView)
        await settled(pilot, code)
        whole = code.region.reset_offset
        crops = [whole, Region(0, 3, whole.width, 5), Region(7, 0, 20, whole.height)]
        views = [code.viewport()]
        for marked in (False, True):
            if marked:  # two hits on each line, the current hit, and a `:N` line
                cells_ = {n: [(0, 3), (6, 9)] for n in range(1, 200)}
                code.marks = Marks(code.document.raw_path, cells_, current=2, target=3)
                await pilot.pause()
            for crop in crops:
                ours = finished(code, crop, code.render_line)
                assert ours is not None
                assert cells(ours) == cells(textuals(code, crop)), (path, marked, crop)
                assert [s.cell_length for s in ours] == [crop.width] * crop.height
        await pilot.press("right")  # cut lines: markers at both edges
        await settled(pilot, code)
        views.append(code.viewport())
        assert cells(finished(code, whole, code.render_line)) == cells(textuals(code, whole))
        assert len(views) == 2


async def test_a_style_textuals_pipeline_draws_sends_the_lines_back_to_it(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        code = app.query_one(CodeView)
        await settled(pilot, code)
        assert plain_styles(code)
        drawn_by_textual = (
            ("padding", (0, 1)),
            ("tint", "red 20%"),
            ("text_opacity", 0.5),
            ("border", ("solid", "red")),
            ("outline", ("solid", "red")),
        )
        for style, value in drawn_by_textual:
            before = getattr(code.styles, style)
            setattr(code.styles, style, value)
            assert not plain_styles(code), style
            assert finished(code, code.region.reset_offset, code.render_line) is None
            setattr(code.styles, style, before)
            assert plain_styles(code), style
