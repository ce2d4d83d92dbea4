"""A flood of keys into every text box of the reviewer terminal (issue 12, second
outside attack, atk12d finding 1).

100 KB typed into find (ctrl+f) or "go to line" (`:`) froze the terminal for
16-30 s, and a guard alert waited as long: each key past the box's limit (or,
in "go to line", each letter its digits-only pattern refuses) was a refused
insert with a bell written to the terminal and a redraw. Quick open was fixed
first (test_tui_quick_open_flood.py); every other box now drops such keys
before they reach it, at no cost: no bell, the box holds at most its limit,
and Escape closes the dialog.
"""

from __future__ import annotations

import pytest
from textual import events

from cleanroom.tui.bounded_input import BoundedInput
from cleanroom.tui.screens.dialogs import GotoScreen
from cleanroom.tui.screens.find import FindScreen
from cleanroom.tui.screens.search import SearchScreen
from tests.test_tui_find import open_long
from tests.tuikit import make_app

SIZE = (100, 30)
FLOOD = 20_000
CHUNK = 8192

# (key that opens the box, its screen, the box's id, the character typed)
BOXES = [
    ("ctrl+f", FindScreen, "#find", "e"),
    ("slash", FindScreen, "#find", "e"),
    ("question_mark", FindScreen, "#find", "e"),
    ("colon", GotoScreen, "#line", "e"),  # letters: the box takes digits only
    ("colon", GotoScreen, "#line", "7"),  # digits: past the box's 12
    ("s", SearchScreen, "#query", "e"),
]


@pytest.mark.parametrize(("key", "kind", "box_id", "char"), BOXES)
async def test_a_flood_costs_no_bell_and_escape_closes(kit, ledger_dir, key, kind, box_id, char):
    app, _ = make_app(kit, ledger_dir)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # headless rings none: count them
    async with app.run_test(size=SIZE) as pilot:
        await open_long(pilot)
        await pilot.press(key)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, kind)
        box = screen.query_one(box_id)
        assert isinstance(box, BoundedInput)
        for start in range(0, FLOOD, CHUNK):  # as the driver reads them: 8 KB at a time
            for _ in range(start, min(start + CHUNK, FLOOD)):
                app.post_message(events.Key(char, char))
            await pilot.pause(0)
        app.post_message(events.Key("escape", None))
        for _ in range(6000):
            if app.screen is not screen:
                break
            await pilot.pause(0.01)
        assert app.screen is not screen  # Escape acted
        held = box.value
    assert not bells, len(bells)
    assert len(held) <= (box.max_length or 0)
    assert set(held) <= {char}
    if char.isdigit() or kind is not GotoScreen:
        assert len(held) == box.max_length  # it took what it could, then dropped the rest
