"""A lock that came up over the search dialog: when it comes off, the ledger
records what is really in front (the result rows), not the code behind the
dialog, and the timeline gives the time after the unlock to the rows."""

from cleanroom.forensics.screen import screens
from cleanroom.forensics.timeline import read_timeline
from cleanroom.session.events import Alert
from cleanroom.tui.screens.idle import IdleScreen
from cleanroom.tui.screens.lock import AlertLockScreen
from cleanroom.tui.screens.search import SearchScreen
from tests.test_tui_review import start
from tests.tuikit import lock_drawn, make_app

SIZE = (100, 30)


class LockingGuard:
    """Stands in for the guard (its pending/recorded protocol): one `lock` alert,
    held until it is recorded."""

    running = False

    def __init__(self) -> None:
        self._held = [Alert("snapshot_access", "another process read it", "lock", 1)]

    def pending(self):
        return list(self._held)

    def recorded(self, alert):
        self._held = [a for a in self._held if a is not alert]

    def feed_view(self, *_a, **_k):
        pass

    def feed_lines(self, *_a, **_k):
        pass


async def search_over_code(pilot):
    app = pilot.app
    await start(pilot)
    app.open_path(b"src/long.py")
    await pilot.pause()
    await pilot.press("s", *"value_1", "enter")
    for _ in range(100):
        await pilot.pause(0.05)
        if isinstance(app.screen, SearchScreen) and app.screen.found is not None:
            break
    await pilot.pause()
    assert isinstance(app.screen, SearchScreen)


def after(kinds_rows, kind):
    """The entries after the last `kind`, but the tree's listings recorded again
    (the tree is in sight again after any lock; tests/test_tui_names_shown.py)."""
    i = max(i for i, e in enumerate(kinds_rows) if e.kind == kind)
    return [e for e in kinds_rows[i + 1 :] if e.kind != "tree_list"]


async def check_unlock_records_rows(app, pilot, unlock_kind):
    await pilot.pause()
    assert isinstance(app.screen, SearchScreen)
    await pilot.press("escape")  # close the search: the code comes back, recorded
    await pilot.pause()
    await pilot.press("q", "y")
    await pilot.pause()
    await pilot.press("enter")
    t = read_timeline(app.session.recorder.ledger.path, app._kit.trust)
    rest = after(t.entries, unlock_kind)
    assert [e.kind for e in rest][:1] == ["search_results_view"], [e.kind for e in rest]
    shown = dict((e.seq, s) for e, s in screens(t.entries))
    first = rest[0]
    assert shown[first.seq].rows_visible is not None and shown[first.seq].visible is None
    # the code view is recorded again only once the dialog closed (escape)
    code_again = next(e for e in rest if e.kind == "view")
    assert shown[code_again.seq].visible is not None


async def test_an_idle_lock_over_the_search_dialog_unlocks_to_the_results(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    app._kit = kit
    async with app.run_test(size=SIZE) as pilot:
        await search_over_code(pilot)
        app._lock_idle()
        await pilot.pause()
        assert isinstance(app.screen, IdleScreen)
        await pilot.press("x")
        await check_unlock_records_rows(app, pilot, "active")


async def test_a_guard_lock_over_the_search_dialog_unlocks_to_the_results(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    app._kit = kit
    async with app.run_test(size=SIZE) as pilot:
        await search_over_code(pilot)
        app.session.guard = LockingGuard()
        app._check_guard()
        for _ in range(100):  # an Enter before the alert is drawn is refused (ADR 0220)
            await pilot.pause(0.05)
            if lock_drawn(app):
                break
        assert isinstance(app.screen, AlertLockScreen)
        await pilot.press("enter")
        await check_unlock_records_rows(app, pilot, "unlock")  # after the recorded unlock


async def test_a_lock_over_the_code_still_records_the_code_again(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.open_path(b"src/long.py")
        await pilot.pause()
        app._lock_idle()
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")
    t = read_timeline(app.session.recorder.ledger.path, kit.trust)
    assert [e.kind for e in after(t.entries, "active")][:1] == ["view"]


async def test_a_lock_over_quick_open_lists_its_names_again(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("ctrl+p", *"src")
        await pilot.pause()
        app._lock_idle()
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")
    t = read_timeline(app.session.recorder.ledger.path, kit.trust)
    rest = after(t.entries, "active")
    assert rest[0].kind == "quick_open_list" and rest[0].payload["query"] == "src"
