"""File names shown are recorded before they are shown: the quick-open list (at
each query, even when cancelled with Escape) and each directory the tree expands.
The forensic readers take the new entries in their stride."""

from textual.widgets import OptionList

from cleanroom.forensics.replay import Replay
from cleanroom.forensics.report import build_report
from cleanroom.forensics.timeline import Evidence, read_timeline
from cleanroom.session.events import path_from_fields
from cleanroom.tui.filetree import FileTree
from cleanroom.tui.screens.quickopen import QuickOpenScreen
from tests.test_tui_review import entries, start
from tests.tuikit import listed, make_app

SIZE = (100, 30)


def payloads(app, kind):
    return [e.payload for e in entries(app) if e.kind == kind]


async def test_a_cancelled_quick_open_leaves_the_names_it_listed(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("ctrl+p", *"src")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        drawn = [options.get_option_at_index(i).id for i in range(options.option_count)]
        await pilot.press("escape")
        await pilot.pause()
    listed = payloads(app, "quick_open_list")
    assert listed[-1]["query"] == "src"
    assert [bytes.fromhex(i) for i in drawn] == [path_from_fields(n) for n in listed[-1]["names"]]
    assert listed[-1]["matches"] == 3  # src/main.c, src/long.py, src/bad\xffname.txt
    names = listed[-1]["names"]
    assert {"path_b64": "c3JjL2JhZP9uYW1lLnR4dA=="} in names  # the raw, non-UTF-8 name
    assert listed[0]["query"] == "" and len(listed[0]["names"]) == 5  # all, when it opened
    assert payloads(app, "quick_open") == []  # nothing picked


async def test_quick_open_lists_nothing_it_could_not_record(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        disk.full = True
        await pilot.press("ctrl+p", *"s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QuickOpenScreen)
        assert screen.query_one(OptionList).option_count == 0
        await pilot.press("enter")  # nothing to pick
        await pilot.pause()
        assert app.opened is None


async def test_expanding_a_directory_records_its_listing_first(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        tree = app.query_one(FileTree)
        src = next(n for n in tree.root.children if n.data.path == b"src")
        assert not src.children  # not listed: not loaded
        tree.focus()
        tree.move_cursor(src)
        await pilot.press("space")
        await listed(pilot)
        assert src.is_expanded and len(src.children) == 3
        await pilot.press("space", "space")  # collapse, and expand again: shown again
        await listed(pilot)
    got = payloads(app, "tree_list")
    assert got == [
        {"path": "", "entries": 3, "start": 0, "total": 3},  # bin/, src/, README.md
        {"path": "src", "entries": 3, "start": 0, "total": 3},
        {"path": "src", "entries": 3, "start": 0, "total": 3},
    ]


async def test_a_directory_whose_listing_cannot_be_recorded_stays_shut(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        tree = app.query_one(FileTree)
        src = next(n for n in tree.root.children if n.data.path == b"src")
        tree.focus()
        tree.move_cursor(src)
        disk.full = True
        await pilot.press("space")
        await listed(pilot)
        assert not src.is_expanded and not src.children


async def test_forensic_readers_take_the_new_entries(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("ctrl+p", *"lon", "enter")
        await pilot.pause()
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")
    path = app.session.recorder.ledger.path
    timeline = read_timeline(path, kit.trust)
    assert timeline.status == "INTACT" and timeline.undecodable == 0
    kinds = {e.kind for e in timeline.entries}
    assert {"quick_open_list", "tree_list"} <= kinds
    assert all(e.event is not None for e in timeline.entries if e.kind in kinds - {
        "session_start", "session_end"})  # fmt: skip
    report = build_report(Evidence([timeline], []), kit.trust)
    assert report.sessions[0].stats["views"] >= 1
    Replay(timeline, None)  # walks every entry


async def expand_src(app, pilot):
    tree = app.query_one(FileTree)
    src = next(n for n in tree.root.children if n.data.path == b"src")
    tree.focus()
    tree.move_cursor(src)
    await pilot.press("space")
    await listed(pilot)
    assert src.is_expanded
    return tree, src


async def test_the_tree_shown_again_after_a_lock_is_listed_again(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await expand_src(app, pilot)
        app._lock_idle()
        await pilot.pause()
        await pilot.press("x")  # any key lifts the idle lock
        await pilot.pause()
    kinds = [(e.kind, e.payload) for e in entries(app)]
    after = kinds[[k for k, _ in kinds].index("active") + 1 :]
    relisted = [p for k, p in after if k == "tree_list"]
    assert relisted == [{"path": "", "entries": 3, "start": 0, "total": 3},
                        {"path": "src", "entries": 3, "start": 0, "total": 3}]  # fmt: skip


async def test_a_tree_that_cannot_be_listed_again_is_shut_after_a_lock(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        tree, src = await expand_src(app, pilot)
        returned = app._record_return

        def return_then_fill() -> str | None:  # the return is recorded, then the disk fills
            why = returned()
            disk.full = True
            return why

        app._record_return = return_then_fill  # (only a recorded return lifts the lock)
        app._lock_idle()
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert not tree.root.is_expanded  # no name of the tree is drawn unrecorded
        drawn = "".join(s.text for st in tree.render_lines(tree.region.reset_offset) for s in st)
        assert "sample" in drawn and "README" not in drawn and "main.c" not in drawn
