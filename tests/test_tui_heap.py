"""The terminal takes what it holds once it is up out of the garbage collector's
full walks (tui/heap.py), and hands it back when it ends."""

import gc

from tests.tuikit import make_app


async def test_the_terminal_freezes_its_heap_once_up_and_releases_it_at_the_end(kit, ledger_dir):
    gc.unfreeze()  # whatever an earlier test left
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):  # the warm-up runs on a timer while the start screen is up
            await pilot.pause(0.02)
            if gc.get_freeze_count():
                break
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # textual, rich, Pygments and the session
        assert frozen >= len(gc.get_objects()) // 2  # most of what the process holds
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await pilot.pause()
        await pilot.press("pagedown", "pagedown")
        assert gc.get_freeze_count() <= frozen  # frozen once (frozen objects may still go)
    assert gc.get_freeze_count() == 0
