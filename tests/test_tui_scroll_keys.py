"""A scrolling key is acted on by itself (issue 15): in tmux, PageDown right after
`w` was once not acted on within 2 s. Textual's own scroll actions move the view
through its animator, whose timer applies the move at its next tick even with
animations off; the code view's keys now move it in their own handler. Here the
animator's timer is stopped, and each key, sent as a terminal sends it right
after `w` (no waiting between them), must still bring its screen, recorded
before it is drawn."""

from __future__ import annotations

import asyncio

from textual import events

from cleanroom.tui.codeview import CodeView
from tests.test_tui_wrap import views
from tests.wrapkit import WIDE, wide_app

SIZE = (80, 24)


def send(app, key: str) -> None:
    """A key as the terminal driver posts it (Pilot.press would wait on the animator)."""
    event = events.Key(key, None)
    event.set_sender(app)
    app._driver.send_message(event)


async def until(done, seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        await asyncio.sleep(0.02)
        if done():
            return True
    return False


async def test_keys_right_after_w_move_the_view_without_the_animator(kit, ledger_dir):
    app, _ = wide_app(kit, ledger_dir)
    count = len(WIDE.split(b"\n"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p", *"wide.c", "enter")
        code = app.query_one(CodeView)
        assert await until(lambda: code._shown is not None)
        timer = app.animator._timer
        timer.pause()  # no tick from here on, even when an animation starts: nothing
        timer.resume = lambda: None  # may wait for one
        send(app, "w")
        send(app, "pagedown")  # at once, as tmux sends two keys typed quickly
        assert await until(lambda: code._shown is not None and code._shown.first > 1)
        rows = code._shown.wrap
        assert rows and code._shown.first == 1 + rows
        last = views(app)[-1]
        assert (last["first"], last.get("wrap")) == (1 + rows, rows)  # recorded first
        moves = [("down", 2 + rows), ("pageup", 2), ("up", 1), ("end", count - rows + 1),
                 ("home", 1)]  # fmt: skip
        for key, top in moves:
            send(app, key)
            assert await until(lambda top=top: code._shown and code._shown.first == top), key
            assert views(app)[-1]["first"] == top, key
        send(app, "w")  # cut again; a page down moves a screen of lines
        send(app, "pagedown")
        height = code.scrollable_content_region.height
        assert await until(lambda: code._shown and code._shown.first == 1 + height)
        assert "wrap" not in views(app)[-1]
