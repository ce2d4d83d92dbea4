"""The guard inside the reviewer app: real watchdog observers, real processes
touching the watched files, and the app acting on the policy's response."""

import subprocess
import sys

from cleanroom.guard.guard import Guard
from cleanroom.guard.places import Places
from cleanroom.guard.policy import Policy
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.lock import AlertLockScreen
from tests.ledgerkit import read_rows
from tests.tuikit import lock_drawn, sample_source

SIZE = (100, 30)


def guarded_app(kit, ledger_dir, mode="review"):
    source = sample_source(kit, ledger_dir.parent)
    ledger = kit.new_ledger(ledger_dir)
    keys = ledger_dir.parent / "keys"
    keys.mkdir(exist_ok=True)
    (keys / "workstation.cert").write_text("{}")
    media = ledger_dir.parent / "media"
    media.mkdir(exist_ok=True)
    policy = Policy.from_dict(mode, {"media_roots": [str(media)]})
    guard = Guard(policy, Places.of(source.path, ledger.path, [keys], [media]))
    recorder = Recorder(guard.watch_ledger(ledger))
    guard.start()
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", str(ledger.path))
    session = ReviewSession(recorder, source, facts, guard)
    return ReviewApp(session, countersigner=kit.reviewer), source.path, ledger


def kinds_and_alerts(path):
    bodies = [decode_body(b) for _, b, _ in read_rows(path)]
    return [b.kind for b in bodies], [b.payload for b in bodies if b.kind == "alert"]


async def wait_for(pilot, condition, seconds=3.0):
    for _ in range(int(seconds / 0.05)):
        await pilot.pause(0.05)
        if condition():
            return True
    return False


async def test_another_process_reading_the_snapshot_locks_the_screen(kit, ledger_dir):
    app, snapshot, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/main.c")
        await pilot.pause()
        reader = f"open({str(snapshot)!r}, 'rb').read(4096)"
        subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)
        assert await wait_for(pilot, lambda: lock_drawn(app))
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, AlertLockScreen)
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")
    kinds, alerts = kinds_and_alerts(ledger.path)
    local = [a for a in alerts if a["category"] != "network"]  # this test machine has one
    assert [a["category"] for a in local][:1] == ["snapshot_access"]
    assert local[0]["response"] == "lock"
    assert kinds.index("file_open") < len(kinds) - 1 - kinds[::-1].index("alert")
    verdict = verify_path(ledger.path, kit.trust)
    assert verdict.status == "INTACT" and verdict.summary["alert_count"] == len(alerts)


async def test_a_foreign_write_to_the_ledger_ends_and_seals_the_session(kit, ledger_dir):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        with open(f"{ledger.path}-wal", "ab") as wal:  # another process would do the same
            wal.write(b"\x00" * 16)
        assert await wait_for(pilot, lambda: app.receipt is not None)
    kinds, alerts = kinds_and_alerts(ledger.path)
    assert kinds[-1] == "session_end"
    end = decode_body(read_rows(ledger.path)[-1][1]).payload
    assert end["reason"] == "guard: ledger_tamper"
    assert any(a["category"] == "ledger_tamper" and a["response"] == "end" for a in alerts)


async def test_demo_policy_only_records(kit, ledger_dir):
    app, snapshot, ledger = guarded_app(kit, ledger_dir, mode="demo")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        subprocess.run([sys.executable, "-c", f"open({str(snapshot)!r}, 'rb').read(1)"],
                       check=True, timeout=30)  # fmt: skip
        assert await wait_for(pilot, lambda: app.session.alerts > 0)
        assert not isinstance(app.screen, AlertLockScreen)
        assert "ALERTS" in str(app.query_one("#status").render())
        app.session.guard.stop()
