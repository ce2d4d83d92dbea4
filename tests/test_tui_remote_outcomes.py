"""What the in-process terminal shows when a session ends badly or starts with a
warning, the terminal of `review --connect` shows too, from a real recorder in
its own process (tests/recorderproc.py): the red screen of a ledger deleted
mid-session (ADR 0105), not "could not be sealed"; the MISSING notice of an
earlier session's ledger on the start screen, not only in the recorder's log."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from cleanroom.ledger.finish import gone_receipt_path
from cleanroom.ledger.witness import Receipt
from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.failed import FailedEndScreen
from cleanroom.tui.screens.witness import StartScreen
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)

SIZE = (120, 40)


def shown(app) -> str:
    view = app.query_one(CodeView)
    return "\n".join(
        "".join(s.text for s in st) for st in view.render_lines(view.region.reset_offset)
    )


def screen_text(screen) -> str:
    return " ".join(" ".join(str(s.render()) for s in screen.query(Static)).split())


async def test_a_ledger_deleted_mid_session_shows_the_gone_screen(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        ledger = room.ledgers()[-1]
        ledger.unlink()  # deleted under the session
        await until(pilot, lambda: isinstance(app.screen, FailedEndScreen))
        screen = app.screen
        await until(pilot, lambda: "was deleted" in screen_text(screen))  # drawn, not only pushed
        text = screen_text(screen)
        assert screen.gone == "deleted"
        assert "The ledger file was deleted during the session: it cannot be finished" in text
        assert "could not be sealed" not in text and "is sealed, but" not in text
        assert screen.witness is not None and screen.witness in text
        assert "value_" not in shown(app)
        assert Path(screen.receipt) == gone_receipt_path(ledger)
        receipt = Receipt.load(Path(screen.receipt))
        assert f"{receipt.seq}:{receipt.code}" == screen.witness
        await pilot.press("enter")
        await pilot.pause()
    assert service.unfinished is not None and service.unfinished.gone == "deleted"
    service.close()


async def test_the_start_screen_names_a_missing_ledger_through_the_recorder(room):  # noqa: F811
    first = RemoteService(room.socket)
    first.seal()  # an earlier session, sealed: its receipt beside its ledger
    first.close()
    ledger = room.ledgers()[-1]
    for _ in range(200):  # the recorder finishes the session once the terminal left
        if Path(f"{ledger}.receipt.json").exists() or list(ledger.parent.glob("*.receipt.json")):
            break
        await _sleep(0.05)
    ledger.unlink()  # then its ledger goes: only the receipt is left
    service = RemoteService(room.socket)
    assert len(service.facts.missing) == 1
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        text = screen_text(app.screen)
        assert "MISSING" in text and f"the ledger {ledger.name}" in text and "is missing" in text
        await pilot.press("enter")
        await pilot.press("q", "y")
        await pilot.pause()
    service.close()


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_a_file_too_large_to_open_says_so_through_the_recorder(kit, tmp_path, monkeypatch):
    """The refusal of a file over the size limit (ADR 0400) keeps its own headline
    over the socket, not "not what the vendor signed". A real recorder on a real
    socket, in this process: the limit is lowered here (a 512 MiB file is not made)."""
    from cleanroom.session import snapshot_source
    from tests import recorderkit

    monkeypatch.setattr(snapshot_source, "MAX_OPEN_BYTES", 100)
    ledger_dir = tmp_path / "ledgers"
    ledger_dir.mkdir()
    running = recorderkit.start(kit, ledger_dir)
    service = RemoteService(running.socket)
    try:
        app = ReviewApp(service)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            await until(pilot, lambda: "too large to open" in shown(app))
            text = shown(app)
            assert "not what the vendor signed" not in text and "value_" not in text
            assert app.opened is None
        blocked = [e.payload for e in running.entries() if e.kind == "blocked"]
        assert [b["action"] for b in blocked] == ["too_large"]
        assert [e for e in running.entries() if e.kind == "file_open"] == []
    finally:
        service.close()
        recorderkit.cleanup(running)
