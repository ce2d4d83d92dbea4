"""A key typed into quick open redraws the rows that changed, not the whole screen
(screens/behind.py, ADR 0221): each key's list of names is recorded, the status
bar's entry count under the box changes, and Textual 8.2.8 redrew the dialog's
whole screen for it (~15 times a quick open). The dimmed bar under the box still
shows each new count."""

from __future__ import annotations

import time

from textual._compositor import Compositor
from textual.widgets import Input

from cleanroom.tui.screens.behind import BehindScreen
from cleanroom.tui.screens.quickopen import QuickOpenScreen
from tests.tuikit import listed, make_app

TYPED = "src/long.py"


def bottom_text(screen) -> str:
    """The text of what `screen` draws (a dialog: with the screen below it), row by row."""
    return "\n".join("".join(s.text for s in line) for line in screen._compositor.render_strips())


async def shown(pilot, box: QuickOpenScreen) -> None:
    """Until the box lists the names for what is typed (matched in a worker thread)."""
    deadline = time.monotonic() + 30
    while box.shown_for != box.query_one(Input).value:
        assert time.monotonic() < deadline, "the names for the query were never listed"
        await pilot.pause(0.01)
    await pilot.pause()


async def test_keys_typed_into_quick_open_redraw_no_whole_screen(kit, ledger_dir, monkeypatch):
    app, _ = make_app(kit, ledger_dir)
    full: list[Compositor] = []
    real = Compositor.render_full_update

    def counted(self, *args, **kwargs):
        full.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Compositor, "render_full_update", counted)  # counts, draws as ever
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("enter")
        await listed(pilot)
        assert type(app.screen_stack[0]) is BehindScreen
        await pilot.press("ctrl+p")
        while not isinstance(app.screen, QuickOpenScreen):
            await pilot.pause(0.01)
        box = app.screen
        await shown(pilot, box)
        entries = app.service.entries
        full.clear()
        for key in TYPED:
            await pilot.press(key)
            await shown(pilot, box)
            # Each key's names were recorded, and the bar under the box says so.
            assert app.service.entries > entries
            entries = app.service.entries
            assert f"entries {entries} " in bottom_text(box), key
        assert box.query_one(Input).value == TYPED and box.shown
        assert full == []  # before: one whole-screen redraw of the box a key
        await pilot.press("escape")
        while isinstance(app.screen, QuickOpenScreen):
            await pilot.pause(0.01)
        await pilot.pause()
        assert f"entries {app.service.entries} " in bottom_text(app.screen)
