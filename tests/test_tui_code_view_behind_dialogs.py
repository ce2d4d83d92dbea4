"""A history key or a signal with a dialog in front (atk15's key flood crashed in
`action_forward`'s lookup of the code view): the code view behind the dialog is
still found and moved, and a signal still covers everything, hides the source
behind the cover, seals and exits 128 + N."""

from __future__ import annotations

import signal

from cleanroom.tui.codeview import CodeView
from cleanroom.tui.signals import EndingScreen
from tests.tuikit import make_app

SIZE = (100, 30)


async def a_dialog_over_a_file(app, pilot) -> CodeView:
    await pilot.press("enter")
    await pilot.press("ctrl+p", *"long.py", "enter")
    await pilot.pause()
    await pilot.press("colon", *"300", "enter")
    await pilot.pause()
    assert app.opened is not None and app.opened.path == b"src/long.py"
    view = app.screen.query_one(CodeView)
    await pilot.press("h")  # help: a dialog in front
    await pilot.pause()
    assert app.screen is not app.screen_stack[0]
    return view


async def test_back_and_forward_with_a_dialog_in_front(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await a_dialog_over_a_file(app, pilot)
        app.action_back()  # as a key bound on the app does, whatever is in front
        await pilot.pause()
        app.action_forward()
        await pilot.pause()
        assert int(view.scroll_offset.y) + 1 == 300


async def test_a_signal_with_a_dialog_in_front_covers_hides_and_seals(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await a_dialog_over_a_file(app, pilot)
        app.end_on_signal(int(signal.SIGTERM))
        assert isinstance(app.screen, EndingScreen)
        assert view.refused is not None  # the source is hidden behind the cover too
        await pilot.pause()
    assert app.return_code == 128 + int(signal.SIGTERM)
    assert app.receipt is not None  # sealed
