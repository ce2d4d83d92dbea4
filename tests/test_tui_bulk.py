"""Bulk reading in the reviewer app, on a scripted clock: paging at a paced cadence
(slower than any short window) is caught, and search result rows count as lines."""

from cleanroom.guard.guard import Guard
from cleanroom.guard.places import Places
from cleanroom.guard.policy import Policy
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.snapshot.search import Query
from cleanroom.tui.app import ReviewApp
from tests.test_tui_guard import kinds_and_alerts
from tests.tuikit import sample_source

TALL = (100, 120)  # a tall terminal: over 100 lines a page


def clocked_app(kit, ledger_dir, clock):
    source = sample_source(kit, ledger_dir.parent)
    ledger = kit.new_ledger(ledger_dir)
    keys = ledger_dir.parent / "keys"
    keys.mkdir(exist_ok=True)
    media = ledger_dir.parent / "media"
    media.mkdir(exist_ok=True)
    policy = Policy.from_dict("demo", {"media_roots": [str(media)]})
    guard = Guard(policy, Places.of(source.path, ledger.path, [keys], [media]),
                  clock=lambda: clock[0])  # fmt: skip
    recorder = Recorder(guard.watch_ledger(ledger))
    guard.start()
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", str(ledger.path))
    return ReviewApp(ReviewSession(recorder, source, facts, guard)), ledger


def bulk_alerts(ledger):
    return [a for a in kinds_and_alerts(ledger.path)[1] if a["category"] == "bulk_read"]


async def test_paging_a_tall_terminal_every_3_2_seconds_is_bulk_reading(kit, ledger_dir):
    clock = [1000.0]
    app, ledger = clocked_app(kit, ledger_dir, clock)
    async with app.run_test(size=TALL) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await pilot.pause()
        for _ in range(16):  # 16 pages, one every 3.2 s: about 35 lines a second
            clock[0] += 3.2
            await pilot.press("pagedown")
            await pilot.pause()
        app._check_guard()
        await pilot.pause()
        alerts = bulk_alerts(ledger)
        app.session.guard.stop()
    assert alerts, "a paced pager went unnoticed"
    assert "per second over" in alerts[0]["detail"]


async def test_a_slow_reader_of_the_same_file_is_not_bulk(kit, ledger_dir):
    clock = [1000.0]
    app, ledger = clocked_app(kit, ledger_dir, clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await pilot.pause()
        for _ in range(12):  # 35 lines every 10 s
            clock[0] += 10
            await pilot.press("pagedown")
            await pilot.pause()
        app._check_guard()
        await pilot.pause()
        alerts = bulk_alerts(ledger)
        app.session.guard.stop()
    assert alerts == []


def test_result_rows_are_fed_to_the_guard_as_lines(kit, ledger_dir):
    clock = [1000.0]
    app, ledger = clocked_app(kit, ledger_dir, clock)
    session = app.session
    try:
        found = session.search(Query("value_"))
        assert len(found.hits) >= 2000
        for page in range(20):  # 100 result rows every 3.2 s
            clock[0] += 3.2
            assert session.record_results_view(found, page * 100, page * 100 + 99)
        categories = [a.category for a in session.check_alerts().fresh]
    finally:
        session.guard.stop()
    assert "bulk_read" in categories
