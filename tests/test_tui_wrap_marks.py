"""Wrapped rows keep what cut lines show (issue 15, ADR 0212): the syntax colours
of their line on every row, and the hit marks of the cells each row shows, the
current hit's distinct from the others, with `↪` still in the gutter of a
line's later rows. Marks change styles only: the text is the recorder's rows."""

from __future__ import annotations

from cleanroom.session.display import display_line
from cleanroom.session.wrap import CONTINUED, layout
from cleanroom.tui.codeview import CodeView
from tests.test_tui_find import find
from tests.wrapkit import WIDE, wide_app

SIZE = (81, 24)  # an odd row width: a wide character that does not fit pads a row's end


def cells(code: CodeView, y: int) -> tuple[str, list]:
    """Row `y` as drawn: its text, and each character's style."""
    strip = code.render_line(y)
    return "".join(s.text for s in strip), [s.style for s in strip for _ in s.text]


def rows_of_line(code: CodeView, line: int) -> list[int]:
    """The screen rows (y) that line `line` (1-based) has."""
    return [y for y, (index, _k, _c) in enumerate(code._rows) if index == line - 1]


async def settled(pilot, done) -> None:
    """Pause until `done()`: a file opens off the UI thread (ADR 0400)."""
    for _ in range(200):
        await pilot.pause(0.02)
        if done():
            break
    for _ in range(2):  # colours come a frame after the rows (painter.py)
        await pilot.pause()


async def wrapped_wide(pilot) -> CodeView:
    await pilot.press("enter", "ctrl+p", *"wide.c", "enter")
    code = pilot.app.query_one(CodeView)
    await settled(pilot, lambda: code.viewport() is not None and code._shown is not None)
    await pilot.press("w")
    await settled(pilot, lambda: code._shown is not None and code._shown.wrap > 0)
    assert code.viewport().wrap
    return code


async def test_every_row_of_a_wrapped_line_has_its_colours(kit, ledger_dir):
    app, _ = wide_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        code = await wrapped_wide(pilot)
        gutter = code.gutter_width
        comment = rows_of_line(code, 2)  # /* word000 ... word039 */, 319 cells
        assert len(comment) >= 4
        first_text, first_styles = cells(code, comment[0])
        colour = first_styles[gutter].color
        assert colour is not None  # a comment is coloured
        for y in comment[1:]:
            text, styles = cells(code, y)
            assert text[:gutter].strip() == CONTINUED  # the continuation marker kept
            body = [s for ch, s in zip(text[gutter:], styles[gutter:], strict=True) if ch != " "]
            assert body and all(s.color == colour for s in body), y
        # A line's first row is coloured as the same line cut: `int` a keyword.
        keyword = cells(code, rows_of_line(code, 1)[0])[1][gutter]
        string = rows_of_line(code, 4)  # char big[] = "AAAA...": its rows in the string
        assert len(string) >= 2
        text, styles = cells(code, string[1])
        assert set(text[gutter:].rstrip()) == {"A"}
        assert styles[gutter].color not in (None, keyword.color, colour)
        await pilot.press("w")  # cut again: the same colours as the cut line
        for _ in range(3):
            await pilot.pause()
        text, styles = cells(code, 0)
        assert text[gutter:].startswith("int ") and styles[gutter] == keyword


async def test_hits_on_wrapped_rows_are_marked_where_they_are(kit, ledger_dir):
    app, _ = wide_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        code = await wrapped_wide(pilot)
        gutter, cols = code.gutter_width, code.viewport().cols
        assert cols % 2 == 1  # so line 3's wide characters pad its rows' ends
        current = code.get_component_rich_style("codeview--current")
        hit = code.get_component_rich_style("codeview--hit")
        await find(pilot, "word03")  # ten hits on line 2, on its later rows
        for _ in range(2):
            await pilot.pause()
        assert code.viewport().first == 2 and code.viewport().wrap
        want = layout([display_line(x) for x in WIDE.split(b"\n")[1:]], code.viewport().wrap,
                      cols)  # fmt: skip
        marked = 0
        line = display_line(WIDE.split(b"\n")[1])
        hits = _all(line, "word03")  # the cells of each hit in the line (ASCII: one each)
        for k, y in enumerate(rows_of_line(code, 2)):
            text, styles = cells(code, y)
            assert text[gutter:].rstrip() == want[0][k].rstrip()  # the text is the rows'
            for x, ch in enumerate(text[gutter : gutter + cols]):
                inside = any(a <= k * cols + x < a + 6 for a in hits)
                assert (styles[gutter + x].bgcolor == current.bgcolor) == inside, (y, x, ch)
                marked += inside
            if k:
                assert text[:gutter].strip() == CONTINUED
        assert marked == 60  # word030..word039, wherever a row break put them
        # The current hit's line is lit in the gutter; other lines' hits are plain hits.
        await find(pilot, "line_0")  # lines 6..15, one row each
        for _ in range(2):
            await pilot.pause()
        assert code.viewport().first == 6
        top = cells(code, 0)
        at = top[0].index("line_0")
        assert top[1][at].bgcolor == current.bgcolor
        nxt = cells(code, 1)
        assert nxt[1][nxt[0].index("line_0")].bgcolor == hit.bgcolor != current.bgcolor
        assert nxt[1][nxt[0].index("line_0") - 1].bgcolor != hit.bgcolor


async def test_a_hit_after_wide_characters_is_marked_on_its_own_cell(kit, ledger_dir):
    """Line 3 is 100 wide characters and an `x`: at an odd width each full row ends
    in a padding cell, so the `x` is on the third row, not where the columns of
    full rows would put it."""
    app, _ = wide_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        code = await wrapped_wide(pilot)
        gutter = code.gutter_width
        current = code.get_component_rich_style("codeview--current")
        await find(pilot, "x")  # on line 3 only
        for _ in range(2):
            await pilot.pause()
        assert code.viewport().first == 3
        rows = rows_of_line(code, 3)
        text, styles = cells(code, rows[-1])
        body = text[gutter:]
        lit = [i for i, s in enumerate(styles[gutter:]) if s.bgcolor == current.bgcolor]
        assert lit == [body.index("x")]
        for y in rows[:-1]:
            assert all(s.bgcolor != current.bgcolor for s in cells(code, y)[1][gutter:])


def _all(text: str, needle: str) -> list[int]:
    out, at = [], text.find(needle)
    while at >= 0:
        out.append(at)
        at = text.find(needle, at + 1)
    return out
