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


async def test_no_collection_runs_between_a_key_and_its_frame(kit, ledger_dir, monkeypatch):
    """A collection inside a key's frame was that key's outlier: the collector is
    off from the key until its frame is out, and on again after it."""
    from cleanroom.tui.codeview import CodeView

    seen: list[tuple[int, bool]] = []
    real = CodeView.render_lines

    def render_lines(self, crop):
        out = real(self, crop)
        if self._shown is not None:
            seen.append((self._shown.first, gc.isenabled()))
        return out

    monkeypatch.setattr(CodeView, "render_lines", render_lines)
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        code = app.query_one(CodeView)
        for _ in range(50):
            await pilot.pause()
            if code._shown is not None:
                break
        await pilot.pause(0.1)
        assert gc.isenabled()
        seen.clear()
        await pilot.press("pagedown")
        first = [on for line, on in seen if line > 1][:1]
        assert first == [False]  # the key's own frame, drawn with the collector off
        await pilot.pause()
        await pilot.pause(0.1)
        assert gc.isenabled()  # on again once the frame is out
    assert gc.isenabled()
