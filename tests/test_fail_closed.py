"""Failing closed on real storage faults: a real full disk (a small tmpfs), a real
read-only ledger directory, a ledger moved or deleted under the session, with
real SQLite and the guard's real alert queue. Source must never stay on screen
once recording fails, no alert may be lost, and no session may be left stuck."""

import os
import stat
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from textual.widgets import Static

from cleanroom.cli.review import finish_seals, report_missing, start_ledger
from cleanroom.guard.policy import Category
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.finish import gone_receipt_path, receipt_path, unfinished
from cleanroom.ledger.verify import verify_path
from cleanroom.ledger.witness import Receipt
from cleanroom.session.history import past_sessions, unfinished_seals
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.failed import FailedEndScreen
from cleanroom.tui.screens.lock import AlertLockScreen
from cleanroom.tui.screens.witness import SealedScreen
from tests.diskkit import SmallDisk, unprivileged
from tests.ledgerkit import read_rows
from tests.test_tui_guard import guarded_app, wait_for
from tests.tuikit import lock_drawn, make_app

SIZE = (100, 30)


def shown(app) -> str:
    view = app.query_one(CodeView)
    return "\n".join(
        "".join(s.text for s in st) for st in view.render_lines(view.region.reset_offset)
    )


def status(app) -> str:
    return str(app.query_one("#status").render())


def kinds_of(path):
    return [decode_body(b).kind for _, b, _ in read_rows(path)]


def payloads(path, kind):
    return [d.payload for d in (decode_body(b) for _, b, _ in read_rows(path)) if d.kind == kind]


def disk_at(tmp_path) -> tuple[SmallDisk, Path]:
    disk = SmallDisk(tmp_path / "disk")
    ledgers = disk.path / "ledgers"
    ledgers.mkdir()
    return disk, ledgers


async def test_alerts_survive_a_full_disk_and_their_lock_still_applies(kit, tmp_path):
    disk, ledgers = disk_at(tmp_path)
    try:
        app, _, ledger = guarded_app(kit, ledgers)
        guard = app.session.guard
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            await pilot.pause(0.5)  # the network alert of this machine is recorded
            assert "value_" in shown(app) and guard.pending() == []
            disk.fill()
            guard.queue.put(Category.SNAPSHOT_ACCESS, "snapshot /s", "opened", "/s", "a reader")
            guard.queue.put(Category.MEDIA, "mount /media/usb", "mounted", "/media/usb")
            assert await wait_for(pilot, lambda: lock_drawn(app))
            # The lock applied although nothing could be recorded; the alerts wait.
            assert app.session.failure is not None
            assert [a.category for a in guard.pending()] == ["snapshot_access", "media"]
            assert "NOT RECORDING" in status(app) and "● RECORDING" not in status(app)
            assert "value_" not in shown(app) and "Source hidden" in shown(app)
            await pilot.pause(1.2)  # retries while full lose nothing either
            assert len(guard.pending()) == 2
            disk.free()
            assert await wait_for(pilot, lambda: guard.pending() == [], 5)
            assert "● RECORDING" in status(app)
            await pilot.press("enter")  # acknowledge the lock
            await pilot.pause()
            assert not isinstance(app.screen, AlertLockScreen)
            await pilot.press("q", "y")
            assert await wait_for(pilot, lambda: isinstance(app.screen, SealedScreen))
            await pilot.press("enter")
        kinds = kinds_of(ledger.path)
        after = kinds[kinds.index("recording_failed") :]
        assert after[:3] == ["recording_failed", "alert", "alert"]
        assert [a["category"] for a in payloads(ledger.path, "alert")][-2:] == [
            "snapshot_access", "media",
        ]  # fmt: skip
        assert payloads(ledger.path, "unlock")[0]["lock"] == "guard"
        assert verify_path(ledger.path, kit.trust).status == "INTACT"
    finally:
        disk.unmount()


async def test_a_seal_on_a_full_disk_ends_the_session_and_retries(kit, tmp_path):
    disk, ledgers = disk_at(tmp_path)
    try:
        app, _ = make_app(kit, ledgers)
        path = app.session.recorder.ledger.path
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            await pilot.pause()
            assert "value_" in shown(app)
            disk.fill()
            await pilot.press("q", "y")
            assert await wait_for(pilot, lambda: isinstance(app.screen, FailedEndScreen))
            assert app.screen.witness is None  # nothing sealed yet
            assert "NOT RECORDING" in status(app) and "value_" not in shown(app)
            for key in ("q", "y", "s", "slash", "ctrl+p"):  # the end holds: no way back in
                await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, FailedEndScreen)
            disk.free()
            assert await wait_for(pilot, lambda: isinstance(app.screen, SealedScreen), 5)
            await pilot.press("enter")
        kinds = kinds_of(path)
        assert kinds[-1] == "session_end" and "recording_failed" in kinds
        assert not unfinished(path)
        assert verify_path(path, kit.trust).status == "INTACT"
    finally:
        disk.unmount()


SEAL_IN_A_READ_ONLY_DIR = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from cleanroom.ledger.writer import UnfinishedSeal
    from tests.ledgerkit import Kit
    d = Path(sys.argv[1])
    kit = Kit()
    ledger = kit.new_ledger(d, views=3)
    os.chmod(d, 0o555)
    try:
        ledger.seal("reviewer", kit.reviewer)
    except UnfinishedSeal as exc:
        print("UNFINISHED", exc)
    """
)


def test_a_seal_in_a_read_only_directory_is_finished_at_the_next_start(kit, ledger_dir):
    done = subprocess.run(unprivileged([sys.executable, "-c", SEAL_IN_A_READ_ONLY_DIR,
                          str(ledger_dir)]), capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parent.parent)  # fmt: skip
    assert done.stdout.startswith("UNFINISHED"), done.stdout + done.stderr
    os.chmod(ledger_dir, 0o755)
    (path,) = ledger_dir.glob("*.ledger")
    assert os.path.exists(f"{path}-wal") and not receipt_path(path).exists()
    # History sees it is sealed but not finished; verify says so, not INTACT.
    (past,) = past_sessions(ledger_dir, kit.workstation.cert, kit.trust)
    assert past.sealed and unfinished_seals([past]) == [past]
    verdict = verify_path(path, kit.trust)
    assert verdict.status == "INCOMPLETE" and verdict.exit_code == 3
    assert [f.code for f in verdict.findings] == ["SEAL_UNFINISHED"]
    # The next start finishes it: checkpoint, read-only, receipt.
    finish_seals(
        SimpleNamespace(ledger_dir=ledger_dir, workstation=kit.workstation, trust=kit.trust)
    )
    assert unfinished(path) == [] and not os.path.exists(f"{path}-wal")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    receipt = Receipt.load(receipt_path(path))
    verdict = verify_path(path, kit.trust, receipts=[receipt])
    assert verdict.status == "INTACT" and verdict.findings == []
    assert unfinished_seals(past_sessions(ledger_dir, kit.workstation.cert, kit.trust)) == []


async def _guard_ends_after(kit, ledger_dir, damage):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await pilot.pause()
        assert "value_" in shown(app)
        damage(ledger.path)
        # Current as soon as it is pushed, composed a moment later: what it says is
        # read once it is mounted (its lines exist); read at once under load, it said ''.
        assert await wait_for(pilot, lambda: ended(app), 5)
        screen = app.screen
        assert screen.witness is not None  # session_end is recorded: its code is shown
        assert "NOT RECORDING" in status(app) and "● RECORDING" not in status(app)
        assert "value_" not in shown(app)
        screen.text = " ".join(str(s.render()) for s in screen.query(Static))
        for key in ("q", "y", "escape"):
            await pilot.press(key)
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code is not None  # it exited
    return app, ledger, screen


def ended(app) -> bool:
    """The red end screen is in front, composed and mounted."""
    return isinstance(app.screen, FailedEndScreen) and app.screen.is_mounted


def _says_gone(screen, how: str) -> None:
    """The red screen says what happened, and nothing a finished seal would say."""
    text = " ".join(screen.text.split())
    assert screen.gone == how
    assert f"The ledger file was {how} during the session: it cannot be finished" in text
    assert f"its final witness code is {screen.witness}" in text and screen.witness in text
    assert "Receipt of the missing ledger" in text
    assert "the next start reports it missing" in text  # true: the receipt was written
    for false in ("is sealed, but", "the next start finishes the file", "readonly"):
        assert false not in text


# Premise changed (round-2 attack b05): a ledger moved or deleted mid-session is no
# "sealed, but unfinished" file: the screen says so, and its receipt is named
# `.gone.receipt.json`, never a receipt beside a ledger that is not there.
async def test_a_ledger_moved_mid_session_ends_it_in_red_with_a_receipt(kit, ledger_dir):
    moved = ledger_dir / "elsewhere.bin"
    app, ledger, screen = await _guard_ends_after(kit, ledger_dir, lambda p: p.rename(moved))
    _says_gone(screen, "moved")
    end = decode_body(read_rows(moved)[-1][1])
    assert end.kind == "session_end" and end.payload["reason"] == "guard: ledger_tamper"
    assert Path(screen.receipt) == gone_receipt_path(ledger.path)
    assert not receipt_path(ledger.path).exists() and not ledger.path.exists()
    receipt = Receipt.load(Path(screen.receipt))
    assert f"{receipt.seq}:{receipt.code}" == screen.witness
    assert verify_path(moved, kit.trust, receipts=[receipt]).status in ("INTACT", "INCOMPLETE")


async def test_a_ledger_deleted_mid_session_ends_it_in_red(kit, ledger_dir, capsys):
    app, ledger, screen = await _guard_ends_after(kit, ledger_dir, lambda p: p.unlink())
    assert not ledger.path.exists()
    _says_gone(screen, "deleted")
    assert not receipt_path(ledger.path).exists()
    receipt = Receipt.load(Path(screen.receipt))
    assert f"{receipt.seq}:{receipt.code}" == screen.witness and receipt.seq > 0
    # The next start says the previous session's ledger is missing, and records it.
    setup = SimpleNamespace(ledger_dir=ledger_dir, workstation=kit.workstation,
                            trust=kit.trust, reviewer=kit.reviewer_ref(), snapshot=None,
                            clock=kit.clock)  # fmt: skip
    capsys.readouterr()
    nxt = start_ledger(setup)
    (notice,) = report_missing(setup, nxt)
    said = " ".join(capsys.readouterr().err.split())
    assert f"the ledger {ledger.path.name} (id {receipt.ledger}) is missing" in said
    assert "deleted or moved during its session" in said and screen.witness in said
    nxt.seal("reviewer")
    alerts = payloads(nxt.path, "alert")
    assert [a["category"] for a in alerts] == ["ledger_tamper"]
    assert receipt.ledger in alerts[0]["detail"] and screen.witness in alerts[0]["detail"]


async def test_the_start_screen_names_a_missing_ledger(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    notice = "the ledger x.ledger (id 00) is missing: it was deleted or moved during its session"
    app.session.facts = replace(app.session.facts, missing=(notice,))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "MISSING" in text and "x.ledger (id 00) is missing" in " ".join(text.split())
        await pilot.press("enter")


async def test_a_gone_ledger_without_a_receipt_promises_nothing(kit, ledger_dir):
    # The ledger directory itself moved away: the receipt could not be written, so
    # the next start has nothing to find, and the screen must not say it will.
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = FailedEndScreen("guard: ledger_tamper", "why", "3:CODE", None, "moved")
        app.push_screen(screen)
        await pilot.pause()
        text = " ".join(" ".join(str(s.render()) for s in screen.query(Static)).split())
        assert "The ledger file was moved during the session: it cannot be finished" in text
        assert "Receipt of the missing ledger: could not be written" in text
        assert "the paper code is all that records this end" in text
        assert "next start" not in text and "sealed, but" not in text
