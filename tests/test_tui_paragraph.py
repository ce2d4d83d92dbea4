"""`{` / `}` (issue 15): to the previous / next empty line, as in vim. The
terminal does not hold the lines it was not sent, so the service finds the line
in the signed text and records the move as a `goto` before the code view moves
(log before display); the line is marked and named in the status bar as `:N`'s."""

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.help import help_table
from tests import tuikit
from tests.ledgerkit import read_rows
from tests.test_tui_hit_marks import status
from tests.tuikit import make_app

SIZE = (110, 32)
EMPTY = {40, 41, 150}  # the empty lines of src/para.py, of 300
PARA = b"".join(b"\n" if n in EMPTY else b"x_%d = %d\n" % (n, n) for n in range(1, 301))


@pytest.fixture(autouse=True)
def para_file(monkeypatch):
    monkeypatch.setitem(tuikit.FILES, b"src/para.py", PARA)


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


async def open_para(pilot):
    await pilot.press("enter", "ctrl+p", *"para.py", "enter")
    await pilot.pause()
    assert pilot.app.opened is not None and pilot.app.opened.path == b"src/para.py"


async def press(pilot, key):
    await pilot.press(key)
    await pilot.pause()
    await pilot.pause()


async def test_braces_go_to_empty_lines_each_recorded_before_it_is_shown(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_para(pilot)
        code = app.query_one(CodeView)
        await press(pilot, "right_curly_bracket")
        assert code.viewport().first == 40 and "line 40" in status(app)
        assert code.marks.target == 40
        await press(pilot, "right_curly_bracket")  # from an empty line, past the run
        assert code.viewport().first == 150
        await press(pilot, "right_curly_bracket")  # none below: the last line, marked
        shown = code.viewport()
        assert shown.last == 300 and shown.first > 150 and "line 300" in status(app)
        assert code.marks.target == 300
        await press(pilot, "right_curly_bracket")  # from the marked line: stays there
        await press(pilot, "left_curly_bracket")  # not back from the top line: from 300
        assert code.viewport().first == 150
        await press(pilot, "left_curly_bracket")
        assert code.viewport().first == 41  # vim: the empty line next to the paragraph
        await press(pilot, "left_curly_bracket")
        assert code.viewport().first == 1
        await press(pilot, "alt+left")  # a jump: back returns to where it left
        assert code.viewport().first == 41
    got = entries(app)
    gotos = [i for i, e in enumerate(got) if e.kind == "goto"]
    assert [got[i].payload["line"] for i in gotos] == [40, 150, 300, 300, 150, 41, 1, 41]
    assert all(got[i].payload["path"] == "src/para.py" for i in gotos)
    for i, line in zip(gotos, [40, 150], strict=False):  # the goto, then the view it brings
        views = [e for e in got[i + 1 :] if e.kind == "view"]
        assert views[0].payload["first"] == line
        assert not [e for e in got[i + 1 : got.index(views[0])] if e.kind == "goto"]


async def test_a_move_that_cannot_be_recorded_moves_and_shows_nothing(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_para(pilot)
        code = app.query_one(CodeView)
        disk.full = True
        await press(pilot, "right_curly_bracket")
        assert code.refused is not None
        assert all(s.text.strip() == "" for s in code.render_line(0))
        assert "line 40" not in status(app) and app.hits.target is None
        assert int(code.scroll_offset.y) == 0
    assert "goto" not in [e.kind for e in entries(app)]


async def test_with_no_file_open_braces_record_nothing(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        before = len(entries(app))
        await press(pilot, "right_curly_bracket")
        await press(pilot, "left_curly_bracket")
        assert app.opened is None
    assert "goto" not in [e.kind for e in entries(app)][before:]


async def test_a_one_line_file_and_a_binary_file(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p", *"bad", "enter")  # "invalid utf-8 in the name\n"
        await pilot.pause()
        await press(pilot, "right_curly_bracket")
        await press(pilot, "left_curly_bracket")
        await pilot.press("ctrl+p", *"blob.bin", "enter")  # hex rows: no empty line
        await pilot.pause()
        await press(pilot, "right_curly_bracket")
        assert "line 64" in status(app)  # 1,024 bytes: 64 rows of 16
    assert [e.payload["line"] for e in entries(app) if e.kind == "goto"] == [1, 1, 64]


def test_help_names_the_braces_as_typed():
    keys = [str(c) for c in help_table().columns[0]._cells]
    assert "{" in keys and "}" in keys
