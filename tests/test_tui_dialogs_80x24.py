"""80x24 (issue 15): a dialog never covers the status bar, whose witness code must
always be in view. The status bar is the base screen's; a dialog is a modal screen
drawn over it, so its box must end above the status bar's row."""

import html
import re

import pytest

from cleanroom.tui.statusbar import StatusBar
from tests.test_tui_snapshots import ScreenshotableReviewApp
from tests.tuikit import make_app

SMALL = (80, 24)

# The key that opens each dialog of the code view, with the file open.
DIALOGS = {
    "help": ["h"],
    "help (F1)": ["f1"],
    "search": ["s"],
    "quick open": ["ctrl+p"],
    "find in file": ["slash"],
    "find in file (ctrl+f)": ["ctrl+f"],
    "find backward": ["question_mark"],
    "go to line": ["colon"],
    "marks": ["m", "a", "apostrophe"],
}


@pytest.mark.parametrize("name", DIALOGS)
async def test_no_dialog_covers_the_status_bar_at_80x24(kit, ledger_dir, name):
    app, _ = make_app(kit, ledger_dir, app_class=ScreenshotableReviewApp)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await pilot.pause()
        base = app.screen
        bar = base.query_one(StatusBar).region
        await pilot.press(*DIALOGS[name])
        await pilot.pause()
        dialog = app.screen
        assert dialog is not base, f"{name} opened no dialog"
        boxes = [w for w in dialog.children if w.display]
        assert boxes
        for box in boxes:
            assert not box.region.overlaps(bar), (name, box.region, bar)
        # And it is drawn: the witness code is on the screen as composited, dialog and all.
        seq, code = app.service.shown_witness
        svg = app.export_screenshot()
        shown = html.unescape(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)))
        assert f"{seq}:{code}" in shown.replace("\xa0", " "), name
