"""Every lock screen locks: under the guard's lock, the idle lock, the start and
seal screens and the red screen of a failed end, every key any part of the app
binds is pressed, and nothing behind the lock may change or be shown. Keys are
enumerated from the classes' BINDINGS, so a binding added later is tried too."""

import importlib
import inspect
import itertools
import pkgutil

from textual.dom import DOMNode
from textual.widgets import Input, Tree

import cleanroom.tui
from cleanroom.guard.policy import Category
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.failed import FailedEndScreen
from cleanroom.tui.screens.idle import IdleScreen
from cleanroom.tui.screens.lock import AlertLockScreen
from cleanroom.tui.screens.witness import SealedScreen, StartScreen
from tests.ledgerkit import read_rows
from tests.test_tui_guard import guarded_app, kinds_and_alerts, wait_for
from tests.tuikit import lock_drawn, make_app

SIZE = (100, 30)
SHOWING = {"file_open", "view", "search", "search_results_view", "quick_open", "goto"}


def every_bound_key() -> list[str]:
    """Each key bound by the app, its screens and widgets (and the textual widgets
    they are built on), inherited bindings included."""
    classes: set[type] = {ReviewApp, Tree, Input}
    for info in pkgutil.walk_packages(cleanroom.tui.__path__, "cleanroom.tui."):
        module = importlib.import_module(info.name)
        for _, c in inspect.getmembers(module, inspect.isclass):
            if issubclass(c, DOMNode) and c.__module__.startswith("cleanroom.tui"):
                classes.add(c)
    keys = {k for cls in classes for k in cls._merge_bindings().key_to_bindings}
    assert {"s", "slash", "ctrl+p", "colon", "h", "question_mark", "q", "pagedown"} <= keys
    assert {"escape", "left_curly_bracket", "right_curly_bracket"} <= keys
    return sorted(keys)


def rows(app) -> int:
    return len(read_rows(app.session.recorder.ledger.path))


def kinds_since(app, since: int) -> list[str]:
    from cleanroom.ledger.encoding import decode_body

    return [decode_body(b).kind for _, b, _ in read_rows(app.session.recorder.ledger.path)[since:]]


def new_kinds(app, since: int) -> set[str]:
    return set(kinds_since(app, since))


async def press_all_but(pilot, lock, unlock_keys) -> None:
    app = pilot.app
    stack = list(app.screen_stack)
    for key in every_bound_key():
        if key in unlock_keys:
            continue
        await pilot.press(key)
        assert app.screen is lock, f"{key} got past the lock: {app.screen!r}"
    await pilot.pause()
    assert list(app.screen_stack) == stack


async def open_long_file(pilot) -> tuple:
    app = pilot.app
    app.open_path(b"src/long.py")
    await pilot.pause()
    await pilot.press("pagedown")
    await pilot.pause()
    view = app.query_one(CodeView)
    return view.scroll_offset, app.opened


async def test_the_start_screen_swallows_every_bound_key(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lock = app.screen
        assert isinstance(lock, StartScreen)
        before = rows(app)
        await press_all_but(pilot, lock, {"enter"})
        assert new_kinds(app, before) <= {"blocked"}
        assert app.opened is None


async def test_the_guard_lock_swallows_every_bound_key_and_its_unlock_is_recorded(kit, ledger_dir):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        offset, opened = await open_long_file(pilot)
        app.session.guard.queue.put(Category.SNAPSHOT_ACCESS, "snapshot /s", "opened", "/s")
        assert await wait_for(pilot, lambda: lock_drawn(app))
        lock, before = app.screen, rows(app)
        await press_all_but(pilot, lock, {"enter"})
        assert new_kinds(app, before) <= {"blocked", "alert"}
        assert app.query_one(CodeView).scroll_offset == offset and app.opened is opened
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, AlertLockScreen)
        app.session.guard.stop()
    kinds, _ = kinds_and_alerts(ledger.path)
    assert "unlock" in kinds
    again = [k for k in kinds[kinds.index("unlock") + 1 :] if k != "tree_list"]
    assert again[0] == "view"  # the tree's names, then the code, are recorded again


async def test_the_idle_lock_is_lifted_by_any_key_which_does_nothing_else(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        offset, opened = await open_long_file(pilot)
        start, keys = rows(app), every_bound_key()
        for key in keys:
            app._lock_idle()
            await pilot.pause()
            assert isinstance(app.screen, IdleScreen)
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.screen_stack[0], f"{key} did more than unlock"
            assert app.query_one(CodeView).scroll_offset == offset and app.opened is opened
    # What each key recorded: the entries from its lock's `idle` to the next one. One
    # read of the ledger at the end (a read a key, twice, was a third of the test).
    kinds = kinds_since(app, start)
    assert kinds.count("idle") == len(keys) and kinds[0] == "idle", kinds[:3]
    cuts = [i for i, k in enumerate(kinds) if k == "idle"] + [len(kinds)]
    for key, (a, b) in zip(keys, itertools.pairwise(cuts), strict=True):
        assert set(kinds[a + 1 : b]) <= {"active", "tree_list", "view", "blocked"}, key


async def test_the_seal_screen_swallows_every_bound_key(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_long_file(pilot)
        await pilot.press("q", "y")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SealedScreen))
        await press_all_but(pilot, app.screen, {"enter"})
        assert app.return_code is None  # still showing the final code
        await pilot.press("enter")
        await pilot.pause()
        assert app.return_code is not None


async def test_the_failed_end_screen_swallows_every_bound_key(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await open_long_file(pilot)
        disk.full = True
        await pilot.press("q", "y")
        assert await wait_for(pilot, lambda: isinstance(app.screen, FailedEndScreen))
        await press_all_but(pilot, app.screen, {"enter"})
        assert "value_" not in "".join(
            s.text for st in app.query_one(CodeView).render_lines(app.query_one(CodeView).region)
            for s in st
        )  # fmt: skip


def test_the_failed_end_screen_takes_a_new_reason_before_it_is_drawn():
    """The app updates the reason right after pushing the screen; before compose
    has run that raised NoMatches('#why') and stopped the terminal (seen in the
    soak under load)."""
    screen = FailedEndScreen("reviewer", "first", None, None)
    screen.update_why("second")
    assert screen.why == "second"
