"""atk12: the note editor (Pilot, a real recorder process) saved with ctrl+s at the
moment the recorder stops; "try again" after SIGCONT records a second note. Run by
path: .venv/bin/python -m pytest -s -p no:cacheprovider scripts/attack/atk12_note_tui.py"""

import os
import signal

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.notes_editor import NoteEditorScreen
from tests.recorderproc import room, until  # noqa: F401
from tests.test_tui_remote_stall import SIZE, shown


async def test_note_tui(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, NoteEditorScreen))
        editor = app.screen
        editor.query_one("#title").focus()
        await pilot.press(*"hello")
        os.kill(room.process.pid, signal.SIGSTOP)
        await pilot.press("ctrl+s")
        why = lambda: str(editor.query_one("#why").render())  # noqa: E731
        await until(pilot, lambda: "failed" in why() or app.screen is not editor, tries=400)
        print("after stop:", app.screen, why())
        os.kill(room.process.pid, signal.SIGCONT)
        await until(pilot, lambda: not service.waiting and service.retry(), tries=400)
        if app.screen is editor:
            await pilot.press("ctrl+s")
            await pilot.pause(1)
        print("screen", app.screen)
    service.seal()
    service.close()
    kinds = [e.kind for e in room.entries()]
    print("notes recorded:", kinds.count("note"), kinds)
