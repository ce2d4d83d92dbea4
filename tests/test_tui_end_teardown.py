"""The failed-end screen's one-second retry of the seal, firing while the app is
taken down: Textual removes the main screen's widgets first, with the failed-end
screen still on top and its timer still running. The retry hid the code view by
`query_one`, which raised NoMatches and ended the app with that exception (seen
once in tests/test_tui_locks.py, in two runs at load ~18). The code view that is gone
shows nothing; the retry goes on."""

from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.failed import FailedEndScreen
from tests.test_tui_guard import wait_for
from tests.test_tui_locks import SIZE, open_long_file
from tests.tuikit import make_app


async def test_a_seal_retry_after_the_code_view_is_taken_down_does_not_crash(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_long_file(pilot)
        disk.full = True
        await pilot.press("q", "y")
        assert await wait_for(pilot, lambda: isinstance(app.screen, FailedEndScreen))
        await app.query_one(CodeView).remove()  # as the app's shutdown does
        app._tick()  # the retry's timer, firing then
        await pilot.pause()
        assert isinstance(app.screen, FailedEndScreen) and app.receipt is None
        assert app._exception is None
    assert app._exception is None
