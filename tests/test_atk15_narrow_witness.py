"""atk15 (issue 15, outside attack): "the witness code in the status bar is never
cut or covered" (issue 15; guide-reviewer.md says "even at 80x24"). Below about 45
columns it is: at 44 the bar still holds ` ● REC  0:XXXX-...` whole, at 36 it
shows ` ● REC` and nothing of the code, while the code view, with the tree
hidden (issue 15's tree toggle), draws source. A reviewer on a narrow pane (a
split tmux window) reads source with no witness code to write down.

The contract tested: whenever source is drawn, the whole witness code is drawn
too (a fix may put the code on a row of its own, or draw no source below the
width it needs and say why)."""

from __future__ import annotations

import pytest

from cleanroom.tui.codeview import CodeView
from cleanroom.tui.statusbar import StatusBar
from tests.tuikit import listed, make_app


async def until(pilot, check, tries: int = 200):
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError("never came")


def drawn(widget, rows: int) -> str:
    return "\n".join(widget.render_line(y).text for y in range(rows))


async def source_and_bar(kit, ledger_dir, size) -> tuple[str, str, str]:
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter")
        await listed(pilot)
        await pilot.press("ctrl+p", *"long.py", "enter")
        await until(pilot, lambda: app.opened is not None)
        await app.run_action("toggle_tree")  # the code view takes the width
        view = app.query_one(CodeView)
        await until(pilot, lambda: "value_" in drawn(view, 3))
        await pilot.pause()
        _, code = app.service.shown_witness
        return drawn(view, 3), app.query_one(StatusBar).render_line(0).text, code


async def test_at_80_columns_source_and_the_whole_witness_code(kit, ledger_dir):
    source, bar, code = await source_and_bar(kit, ledger_dir, (80, 24))
    assert "value_0" in source and code in bar  # held: the documented size


@pytest.mark.xfail(strict=True, reason="atk15 F2: below ~45 columns the status bar drops "
                   "the witness code while the code view still draws source")  # fmt: skip
async def test_on_a_narrow_terminal_no_source_is_drawn_without_the_whole_witness_code(
    kit, ledger_dir
):
    source, bar, code = await source_and_bar(kit, ledger_dir, (36, 12))
    assert "value_" not in source or code in bar, (source, bar)
