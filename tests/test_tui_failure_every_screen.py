"""Issue 12, outside attack atk12e finding 3: with the notes pane open, a stopped
recorder turned the bar red and blanked the code, but the notes list and the
note's title, place and body stayed on screen. Every screen of the terminal is
walked here under a real recording failure (a real recorder process, a real
SIGSTOP): nothing recorded or untrusted stays drawn, only the failure. A
screen class of the terminal that this walk does not open, and that does not
declare it shows nothing recorded (`SHOWS_RECORDED = False`,
tui/failure_blank.py), fails the census test: a new screen cannot forget."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import shutil
import signal

import pytest
from textual.screen import Screen

import cleanroom.tui
from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.notes_pane import ConfirmWithdrawScreen, NotesScreen
from cleanroom.tui.screens.behind import BehindScreen
from cleanroom.tui.screens.marks import MarksScreen
from cleanroom.tui.screens.quickopen import QuickOpenScreen
from cleanroom.tui.screens.search import SearchScreen
from cleanroom.tui.screens.symbols import NameScreen, SymbolListScreen, SymbolQuickOpenScreen
from tests.recorderproc import build_room, until
from tests.test_tui_remote_stall import bar

SIZE = (120, 40)
CANARY = b"zqcanary"  # in the code only: never in a file's name
CODE = b"zqcanary_one = 1\n\n\ndef zqcanary_fn():\n    return zqcanary_one\n"
NOTE = "zqnote"


def painted(app: ReviewApp) -> str:
    """Every character on the terminal, as it would be sent to it."""
    update = app.screen._compositor.render_update(full=True)
    return "\n".join("".join(seg.text for seg in strip) for strip in update.strips)


@pytest.fixture
def zq_room():
    built = build_room(extra={b"src/zq.py": CODE}, symbols=True)
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


async def _failing_shows_nothing(pilot, room, kind: type[Screen], also: str = "") -> None:
    """With `kind` in front: stop the recorder; only the failure is drawn; go on."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, kind))
    screen = app.screen
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        await until(pilot, lambda: "NOT RECORDING" in bar(app), tries=400)
        await pilot.pause(0.3)
        text = painted(app)
        assert app.screen is screen
        assert CANARY.decode() not in text, (kind.__name__, text)
        assert NOTE not in text, (kind.__name__, text)
        if also:
            assert also not in text, (kind.__name__, text)
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    await until(pilot, lambda: "NOT RECORDING" not in bar(app), tries=400)
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, kind))


WALKED = {BehindScreen, QuickOpenScreen, SearchScreen, SymbolListScreen, SymbolQuickOpenScreen,
          NameScreen, MarksScreen, NotesScreen, ConfirmWithdrawScreen}  # fmt: skip


async def test_a_stopped_recorder_leaves_nothing_recorded_on_any_screen(zq_room):
    room = zq_room
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # past the start screen
        app.open_path(b"src/zq.py")
        await until(pilot, lambda: CANARY.decode() in painted(app))
        app.query_one(CodeView).focus()
        # The reading screen itself: the code goes.
        assert type(app.screen) is BehindScreen
        os.kill(room.process.pid, signal.SIGSTOP)
        try:
            await until(pilot, lambda: "NOT RECORDING" in bar(app), tries=400)
            await pilot.pause(0.3)
            assert CANARY.decode() not in painted(app)
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        await until(pilot, lambda: CANARY.decode() in painted(app), tries=400)

        await pilot.press("ctrl+p", *"zq")  # names (the file's own name is not the canary)
        await until(pilot, lambda: "src/zq.py" in painted(app))
        await _failing_shows_nothing(pilot, room, QuickOpenScreen)

        await pilot.press("s", *"one", "space", "equals_sign", "enter")  # not the canary
        await until(pilot, lambda: "zqcanary_one = 1" in painted(app))
        await _failing_shows_nothing(pilot, room, SearchScreen, also="zqcanary_one = 1")

        app.query_one(CodeView).focus()
        await pilot.press("o")  # the outline: symbol names of the code
        await until(pilot, lambda: isinstance(app.screen, SymbolListScreen))
        await _failing_shows_nothing(pilot, room, SymbolListScreen)

        await pilot.press("ctrl+t", *"zqcan")
        await until(pilot, lambda: "zqcanary_fn" in painted(app))
        await _failing_shows_nothing(pilot, room, SymbolQuickOpenScreen)

        await pilot.press("d")  # pre-filled with the word at the cursor: code
        await until(pilot, lambda: isinstance(app.screen, NameScreen))
        assert CANARY.decode() in painted(app)
        await _failing_shows_nothing(pilot, room, NameScreen)

        await pilot.press("m", "z", "apostrophe")
        await until(pilot, lambda: isinstance(app.screen, MarksScreen))
        assert "src/zq.py" in painted(app)
        await _failing_shows_nothing(pilot, room, MarksScreen, also="line       1  src/zq.py")

        await pilot.press("a", *NOTE, "tab", *"body", "ctrl+s")
        await until(pilot, lambda: not app.screen.is_modal)
        await until(pilot, lambda: NOTE not in painted(app), tries=400)  # "Note saved: …" goes
        await pilot.press("ctrl+n")  # the attack's steps: the pane, then SIGSTOP
        await until(pilot, lambda: isinstance(app.screen, NotesScreen) and NOTE in painted(app))
        await _failing_shows_nothing(pilot, room, NotesScreen)

        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, NotesScreen) and NOTE in painted(app))
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, ConfirmWithdrawScreen))
        assert NOTE in painted(app)
        await _failing_shows_nothing(pilot, room, ConfirmWithdrawScreen)
    service.seal()
    service.close()


def _screen_classes() -> set[type[Screen]]:
    """Every Screen class of the reviewer terminal (not the replay viewer, which
    records nothing and reads only a sealed ledger)."""
    found: set[type[Screen]] = set()
    for info in pkgutil.walk_packages(cleanroom.tui.__path__, "cleanroom.tui."):
        if ".replay" in info.name:
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == info.name:
                found.add(cls)
    return found


def test_every_screen_is_walked_or_declares_it_shows_nothing_recorded():
    classes = _screen_classes()
    assert NotesScreen in classes and len(classes) > 10
    bases = {b for c in classes for b in c.__mro__[1:]}  # InputDialog: never shown itself
    forgotten = {c.__name__ for c in classes - bases
                 if c not in WALKED and getattr(c, "SHOWS_RECORDED", True)}  # fmt: skip
    assert not forgotten, f"walk these under a recording failure, or declare them: {forgotten}"
    assert all(getattr(c, "SHOWS_RECORDED", True) for c in WALKED)
