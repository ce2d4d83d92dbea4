"""A directory of tens of thousands of entries expands without blocking the event
loop (attack review of issue 12: 100,000 files froze the terminal for 14 s, and
the guard's drain and the idle lock with it). It is listed in a worker and shown
`PAGE` names at a time; each `tree_list` entry counts exactly the names shown."""

import time

import pytest

from cleanroom.tui.filetree import MORE, PAGE, FileTree
from cleanroom.tui.screens.locking import LockScreen
from tests import tuikit
from tests.test_tui_names_shown import payloads
from tests.test_tui_review import start
from tests.tuikit import make_app

SIZE = (100, 30)
MANY = 25_000


@pytest.fixture
def many(monkeypatch):
    files = {b"many/f%05d.c" % i: b"" for i in range(MANY)}
    files[b"many/sub/x.c"] = b"x\n"  # a directory, listed first
    monkeypatch.setattr(tuikit, "FILES", {**tuikit.FILES, **files})


async def expand_many(app, pilot):
    tree = app.query_one(FileTree)
    node = next(n for n in tree.root.children if n.data.path == b"many")
    tree.focus()
    tree.move_cursor(node)
    await pilot.press("space")
    return tree, node


async def shown(pilot, node, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not node.is_expanded:
        assert time.monotonic() < deadline, "the big directory never expanded"
        await pilot.pause(0.02)


async def test_expanding_a_huge_directory_keeps_the_event_loop_running(kit, ledger_dir, many):
    app, _ = make_app(kit, ledger_dir)
    ticks: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.set_interval(0.02, lambda: ticks.append(time.monotonic()))
        await pilot.pause(0.1)
        t0 = time.monotonic()
        tree, node = await expand_many(app, pilot)
        await shown(pilot, node)
        t1 = time.monotonic()
        await pilot.pause(0.1)  # painted
        during = [t for t in ticks if t0 <= t <= t1] + [t1]
        gaps = [b - a for a, b in zip([t0, *during], during, strict=False)]
        assert max(gaps) < 0.5, f"the event loop stalled for {max(gaps):.2f} s"
        names = [c for c in node.children if c.data.kind != MORE]
        assert len(names) == PAGE and names[0].data.path == b"many/sub"
        more = node.children[-1]
        assert more.data.kind == MORE and f"{MANY + 1 - PAGE} more" in str(more.label)
        assert "listing" not in str(node.label)
        tree.move_cursor(more)
        await pilot.press("enter")  # the next page
        await pilot.pause()
        assert tree.shown(node) == 2 * PAGE and node.children[-1].data.kind == MORE
        assert f"{MANY + 1 - 2 * PAGE} more" in str(node.children[-1].label)
        await pilot.press("q", "y")
        await pilot.pause()
    listed = [p for p in payloads(app, "tree_list") if p["path"] == "many"]
    assert listed == [{"path": "many", "entries": PAGE}, {"path": "many", "entries": PAGE}]
    assert payloads(app, "file_open") == []  # the "more" row is no file


async def test_the_idle_lock_comes_up_while_a_huge_directory_is_listed(
    kit, ledger_dir, many, monkeypatch
):
    app, _ = make_app(kit, ledger_dir)
    real = app.session.source.children

    def children(path, limit=None):
        out = real(path, limit)
        if limit is None:
            time.sleep(1.0)  # a slower disk: the listing outlasts the lock below
        return out

    monkeypatch.setattr(app.session.source, "children", children)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        tree, node = await expand_many(app, pilot)
        await pilot.pause(0.05)
        assert "listing" in str(node.label) and not node.children  # nothing shown yet
        app._lock_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)  # the lock acted meanwhile
        await shown(pilot, node)
    assert [p for p in payloads(app, "tree_list") if p["path"] == "many"] == [
        {"path": "many", "entries": PAGE}
    ]


async def test_a_small_directory_is_still_listed_at_once_and_whole(kit, ledger_dir, many):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        tree = app.query_one(FileTree)
        src = next(n for n in tree.root.children if n.data.path == b"src")
        tree.focus()
        tree.move_cursor(src)
        await pilot.press("space")
        await pilot.pause()
        assert src.is_expanded and tree.shown(src) == len(src.children) == 3
