"""atk15 (issue 15, outside attack): a flood of the new reading keys against a real
recorder process (`cleanroom recorder`, over its socket): marks on every letter
and on keys that are not letters, back and forward past both ends, jumps to
marks set and not set, the outline and go to definition opened and closed,
wrap toggled, all posted at once as a raw paste would deliver them (no pause
between keys, requests answered off the event loop while more keys come).

What must hold once the keys are handled: the code view shows exactly the last
`view` the recorder recorded (path, lines, columns, wrap); every `mark` entry
names a letter a-z and a line of the file; the recorder refused nothing (every
request the terminal sent was in order and in bounds); the session is alive.
"""

from __future__ import annotations

import random
import shutil

import pytest
from textual import events

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.recorderproc import build_room, until

LINES = 5000  # src/long.py (tests/tuikit.py FILES)
# Keys whose meaning issue 15's other work does not change (and `o`, `d`, `m`, `'`
# as the task names them), in the strokes a reviewer makes, flattened and posted
# at once: the flood. Letters that are not a-z go to the mark dialogs too.
STROKES = [["j"], ["k"], ["g"], ["G"], ["space"], ["pagedown"], ["ctrl+o"], ["alt+right"],
           ["m", "a"], ["m", "q"], ["m", "z"], ["m", "A", "1", "\u00e9", "ctrl+a", "b"],
           ["'", "a"], ["'", "q"], ["'", "z"], ["'", "k"], ["'", "b"],
           ["o", "escape"], ["o", "down", "enter"], ["d", "escape"]]  # fmt: skip
ACTIONS = ["back", "forward", "toggle_wrap"]


@pytest.fixture
def room():
    built = build_room(symbols=True)
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


def send(app: ReviewApp, key: str) -> None:
    """`key` as the terminal's driver hands it over (Pilot's way, without its
    wait for idle after each key)."""
    named = {"'": "apostrophe", " ": "space"}.get(key, key)
    character = key if len(key) == 1 else (" " if key == "space" else None)
    event = events.Key(named, character)
    event.set_sender(app)
    app._driver.send_message(event)


def settled(app: ReviewApp, room) -> bool:
    """The screen in front is the main one and the code view shows the last view
    the recorder recorded."""
    if len(app.screen_stack) > 1:  # a dialog is still in front
        return False
    viewport = app.query_one(CodeView).viewport()
    views = [e.payload for e in room.entries() if e.kind == "view"]
    if viewport is None or not views:
        return False
    last = views[-1]
    return (last.get("path"), last["first"], last["last"], last["col"], last["cols"],
            last.get("wrap", 0)) == (app.opened.path.decode(), viewport.first, viewport.last,
                                     viewport.col, viewport.cols, viewport.wrap)  # fmt: skip


@pytest.mark.xfail(strict=False, reason="atk15 F3: the flood crashes the terminal in about "
                   "2 of 3 runs: NoMatches (the lists' on_mount, fixed) and, still, "
                   "ScreenStackError / NoMatches from key handling with an EMPTY screen "
                   "stack; a race, no deterministic trigger found: not strict")  # fmt: skip
async def test_a_flood_of_reading_keys_leaves_the_screen_as_last_recorded(room):
    rng = random.Random(15)
    app = ReviewApp(RemoteService(room.socket))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: app.opened is not None)
        for round_ in range(4):
            for _ in range(80):  # posted at once: no pause between them
                if rng.random() < 0.1:
                    app.call_later(app.run_action, rng.choice(ACTIONS))
                    continue
                for key in rng.choice(STROKES):
                    send(app, key)
            await pilot.pause()
            for _ in range(60):  # close whatever the flood left open, stacked
                if len(app.screen_stack) == 1:
                    break
                await pilot.press("escape")
            assert "crash" not in room.kinds(), "the flood crashed the terminal"
            await until(pilot, lambda: settled(app, room))
            assert app.opened is not None and app.opened.path == b"src/long.py", round_
    entries = room.entries()
    kinds = [e.kind for e in entries]
    marks = [e.payload for e in entries if e.kind == "mark"]
    assert marks, kinds
    assert all(m["mark"] in "abcdefghijklmnopqrstuvwxyz" and len(m["mark"]) == 1 for m in marks)
    assert all(1 <= m["line"] <= LINES for m in marks)
    assert "refused" not in kinds and "recording_failed" not in kinds
