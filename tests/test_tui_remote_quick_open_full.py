"""Quick open when the recorder cannot record (issue 12, outside attack): with the
ledger's disk really full (a tmpfs, tests/diskkit.py) under a real recorder
process, the box said "No matches". Names that cannot be recorded are not
listed, and the box says recording failed, as the code view and the search do.

Below its reserve the recorder also ends the session (the ledger quota,
protocol.md §8a), and its seal cannot be recorded on a full disk either: the
terminal then said "The session is sealed" with the start's witness code as the
FINAL one. It says the session could not be sealed."""

from __future__ import annotations

import shutil

from textual.widgets import OptionList, Static

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.failed import FailedEndScreen
from cleanroom.tui.screens.quickopen import QuickOpenScreen
from cleanroom.tui.screens.witness import SealedScreen
from tests.diskkit import SmallDisk
from tests.recorderproc import build_room, until

SIZE = (100, 30)


def ended(app) -> bool:
    return isinstance(app.screen, FailedEndScreen)


def said(app) -> str:
    return " ".join(str(w.render()) for w in app.screen.query(Static))


def count(app) -> str:
    return str(app.screen.query_one("#count", Static).render())


async def test_quick_open_on_a_full_disk_says_recording_failed_and_lists_nothing():
    room = build_room()
    disk = SmallDisk(room.base / "disk")  # the filler beside the ledgers: not an alert
    ledgers = disk.path / "ledgers"
    room.config.write_text(
        room.config.read_text().replace(f'"{room.base / "ledgers"}"', f'"{ledgers}"')  # fmt: skip
        + "ledger_reserve_mb = 1\n"
    )  # below the 16 MiB disk: a session starts, until full
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
            # Either the names request meets the full disk ("Recording failed"), or
            # under load another request met the quota first and the session ended:
            # then the red screen comes straight away. Never "No matches", never names.
            await until(pilot, lambda: ended(app) or "Recording failed" in count(app))
            if not ended(app):
                assert "match" not in count(app)
                assert app.screen.query_one(OptionList).option_count == 0  # nothing to open
                # (No Enter here: the quota's red screen may come first, and Enter on it
                # leaves the session: the key meant for the box would end the test.)
                await until(pilot, lambda: ended(app))
            assert app.opened is None and app.receipt is None
            await until(pilot, lambda: "could not be sealed" in said(app))  # once drawn
            assert "quota" in said(app), said(app)
            assert not any(isinstance(s, SealedScreen) for s in app.screen_stack)
            disk.free()
            await pilot.press("enter")  # leaves it to the next start
        service.close()
        room.stop()
        kinds = room.kinds(next(ledgers.glob("*.ledger")))
        assert "file_open" not in kinds
    finally:
        if room.process is not None and room.process.poll() is None:
            room.stop()
        disk.unmount()
        shutil.rmtree(room.base, ignore_errors=True)
