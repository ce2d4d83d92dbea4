"""Issue 12: every file of the demo sample, the empty one included, opened and paged
by the real reviewer app (Pilot: real ledger, real signed snapshot of the sample,
real Textual app), each page drawn before the next key, and the ledger verifies
INTACT. tests/test_e2e_tmux_crashes.py opens one file of each kind in a real
terminal (tmux), where an empty file once crashed although Pilot passed.

Paging is proved by the ledger, not assumed: a view is recorded before it is drawn,
so every file longer than the screen must have a view ending on its last line (End
drawn) and one starting at line 1 after it (Home drawn). Keys sent to tmux in one
call reach the app in one read and coalesce into one frame: the tmux walk this
replaces recorded only each file's first screen.

Files are opened with the app's own `open_path` (what quick open and the tree call
once a name is chosen), not by typing each name: quick open costs ~0.4 CPU-s a
file in drawing alone, and tests/test_tui_quick_open.py tests it."""

from __future__ import annotations

import time

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.witness import SealedScreen
from tests.ledgerkit import Kit, read_rows
from tests.test_e2e_tmux import workstation  # noqa: F401 (a fixture)
from tests.test_e2e_tmux_crashes import EMPTY, ROWS, sample_files
from tests.tuikit import listed

SIZE = (120, 36)  # as the tmux tests'
SHARDS = 2  # ~0.3 CPU-s a file, ~320 files: two tests the xdist workers share
KEYS = ("pagedown", "end", "pageup", "home")  # as the tmux test: to the end and back


def opened_at(app: ReviewApp, path: bytes) -> bool:
    return app.opened is not None and app.opened.path == path


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
async def test_every_file_of_the_demo_sample_opens_and_pages(workstation, shard):  # noqa: F811
    tmp = workstation
    every = sample_files(tmp / "src")
    assert EMPTY in every and (tmp / "src" / EMPTY).stat().st_size == 0
    files = every[shard::SHARDS]
    kit = Kit("e2e")  # its vendor key signed the snapshot (tests/test_e2e_tmux.py)
    (tmp / "ledgers").mkdir()
    ledger = kit.new_ledger(tmp / "ledgers")
    source = SnapshotSource.from_file(tmp / "s.snapshot", kit.trust)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "e2e 1", str(ledger.path))
    app = ReviewApp(ReviewSession(Recorder(ledger), source, facts), countersigner=kit.reviewer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # the start screen
        await listed(pilot)
        for name in files:
            path = name.encode()
            app.open_path(path)
            deadline = time.monotonic() + 60  # one over ON_UI_THREAD opens in a thread
            while not opened_at(app, path) and time.monotonic() < deadline:
                await pilot.pause(0.02)
            assert opened_at(app, path), name
            await pilot.pause()
            for key in KEYS:
                await pilot.press(key)
                await pilot.pause()  # drawn before the next key: no coalescing
                assert app.is_running and opened_at(app, path), (name, key)
        await pilot.press("q", "y")
        await pilot.pause()
        assert isinstance(app.screen, SealedScreen)
        await pilot.press("enter")
        await pilot.pause()
    got = [decode_body(b) for _, b, _ in read_rows(ledger.path)]
    opened = {e.payload["path"]: e.payload["lines"] for e in got if e.kind == "file_open"}
    assert sorted(opened) == files
    for name in files:
        views = [(e.payload["first"], e.payload["last"]) for e in got
                 if e.kind == "view" and e.payload["path"] == name]  # fmt: skip
        lines = opened[name]
        assert views, name
        if lines > ROWS:  # End drew the last page, and Home the first one after it
            ends = [i for i, (_, last) in enumerate(views) if last == lines]
            assert ends and any(first == 1 for first, _ in views[ends[0] :]), (name, views)
    assert verify_path(ledger.path, kit.trust).status == "INTACT"
