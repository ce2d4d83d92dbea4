"""Screens of the reviewer terminal at a fixed size, compared with stored SVGs
(pytest-textual-snapshot). Update after an intended change with
`.venv/bin/python -m pytest tests/test_tui_snapshots.py --snapshot-update`."""

from textual.app import App

from cleanroom.tui.app import ReviewApp
from tests.tuikit import make_app

SIZE = (100, 30)
LEDGER_ID = bytes(range(16))  # fixed, so session ids and witness codes are stable


class ScreenshotableReviewApp(ReviewApp):
    """Tests only: the real app refuses screenshots; the snapshot plugin needs one."""

    export_screenshot = App.export_screenshot


def app_for(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir, ledger_id=LEDGER_ID, app_class=ScreenshotableReviewApp)
    return app


def test_start_screen(snap_compare, kit, ledger_dir):
    assert snap_compare(app_for(kit, ledger_dir), terminal_size=SIZE)


def test_hostile_file_with_tags_and_flags(snap_compare, kit, ledger_dir):
    async def open_it(pilot):
        await pilot.press("enter")
        pilot.app.open_path(b"src/main.c")
        await pilot.pause()

    assert snap_compare(app_for(kit, ledger_dir), terminal_size=SIZE, run_before=open_it)


def test_help_screen(snap_compare, kit, ledger_dir):
    assert snap_compare(app_for(kit, ledger_dir), terminal_size=SIZE, press=["enter", "h"])


def test_quick_open(snap_compare, kit, ledger_dir):
    press = ["enter", "ctrl+p", "_", *"src"]
    assert snap_compare(app_for(kit, ledger_dir), terminal_size=SIZE, press=press)


def test_binary_file_as_hex(snap_compare, kit, ledger_dir):
    async def open_it(pilot):
        await pilot.press("enter")
        pilot.app.open_path(b"bin/blob.bin")
        await pilot.pause()

    assert snap_compare(app_for(kit, ledger_dir), terminal_size=SIZE, run_before=open_it)


def test_sealed_screen(snap_compare, kit, ledger_dir):
    assert snap_compare(
        app_for(kit, ledger_dir), terminal_size=SIZE, press=["enter", "q", "y", "_"]
    )
