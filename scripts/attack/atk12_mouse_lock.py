"""atk12: mouse clicks, hovers, presses and wheel events over the whole idle lock
(Pilot, a real ledger): nothing behind the lock may move or be recorded. Not part
of the suite: run it by path, as ATTACK.md says."""

from textual import events

from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.idle import IdleScreen
from tests.test_tui_locks import SIZE, new_kinds, open_long_file, rows
from tests.tuikit import make_app


async def test_mouse_under_idle_lock(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        offset, _opened = await open_long_file(pilot)
        app._lock_idle()
        await pilot.pause()
        lock = app.screen
        assert isinstance(lock, IdleScreen)
        before = rows(app)
        for y in range(0, SIZE[1], 2):
            for x in range(0, SIZE[0], 7):
                await pilot.click(offset=(x, y))
                await pilot.hover(offset=(x + 1, y))
                await pilot.mouse_down(offset=(x, y))
                await pilot.mouse_up(offset=(x, y))
        for y in range(0, SIZE[1], 5):
            down = events.MouseScrollDown(lock, 10, y, 0, 0, 0, False, False, False,
                                          screen_x=10, screen_y=y)  # fmt: skip
            up = events.MouseScrollUp(lock, 50, y, 0, 0, 0, False, False, False,
                                      screen_x=50, screen_y=y)  # fmt: skip
            app.post_message(down)
            app.post_message(up)
        await pilot.pause()
        assert app.screen is lock
        assert app.query_one(CodeView).scroll_offset == offset
        assert new_kinds(app, before) <= {"blocked"}, new_kinds(app, before)
