"""Quick open when the recorder cannot record (issue 12, outside attack): with the
ledger's disk really full (a tmpfs, tests/diskkit.py) under a real recorder
process, the box said "No matches". Names that cannot be recorded are not
listed, and the box says recording failed, as the code view and the search do."""

from __future__ import annotations

import shutil

from textual.widgets import OptionList, Static

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.quickopen import QuickOpenScreen
from tests.diskkit import SmallDisk
from tests.recorderproc import build_room, until

SIZE = (100, 30)


def count(app) -> str:
    return str(app.screen.query_one("#count", Static).render())


async def test_quick_open_on_a_full_disk_says_recording_failed_and_lists_nothing():
    room = build_room()
    disk = SmallDisk(room.base / "disk")  # the filler beside the ledgers: not an alert
    ledgers = disk.path / "ledgers"
    room.config.write_text(room.config.read_text().replace(
        f'"{room.base / "ledgers"}"', f'"{ledgers}"'))  # fmt: skip
    try:
        room.start()
        service = RemoteService(room.socket)
        app = ReviewApp(service)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, QuickOpenScreen))
            await pilot.press(*"long")
            await until(pilot, lambda: count(app).startswith("1 match"))
            assert app.screen.query_one(OptionList).option_count == 1
            disk.fill()
            await pilot.press(".")
            await until(pilot, lambda: "Recording failed" in count(app))
            assert "match" not in count(app)
            assert app.screen.query_one(OptionList).option_count == 0
            await pilot.press("enter")  # nothing listed: nothing to open
            await pilot.pause(0.3)
            assert isinstance(app.screen, QuickOpenScreen)
            assert app.opened is None
            await pilot.press("escape")
            disk.free()
            await pilot.pause(0.5)
        service.close()
        room.stop()
        kinds = room.kinds(next(ledgers.glob("*.ledger")))
        assert "file_open" not in kinds
    finally:
        if room.process is not None and room.process.poll() is None:
            room.stop()
        disk.unmount()
        shutil.rmtree(room.base, ignore_errors=True)
