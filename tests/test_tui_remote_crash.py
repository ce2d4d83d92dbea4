"""A crash of the terminal of `review --connect` (issue 12, outside attack): the
terminal can write nothing, so it hands the recorder a report (`crash`,
docs/protocol.md), which a real recorder process (tests/recorderproc.py) writes
where only its owner can read, names in a `crash` entry and seals, as the
in-process terminal does. The screen says exactly where the report went, or
that it could not be written and why, and gives one piece of advice."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.session.crash import CRASH_DIR
from cleanroom.session.recorder import RecordingError
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.crash import FIXED
from tests.recorderkit import RawClient
from tests.recorderproc import room  # noqa: F401 (room: a fixture)

SIZE = (100, 30)


class Boom(Exception):
    pass


def crash_in_render(monkeypatch) -> None:
    """A render that reads source into a local and into its message, then raises:
    neither may reach the screen or the report."""
    real = CodeView.render_line

    def failing(self, y):
        strip = real(self, y)
        source_line = "".join(s.text for s in strip)
        if "value_" in source_line:
            raise Boom(f"render failed on {source_line}")
        return strip

    monkeypatch.setattr(CodeView, "render_line", failing)


async def run_until_crash(
    service: RemoteService, then: Callable[[ReviewApp], None] | None = None
) -> ReviewApp:
    """Run a terminal of `service`, open src/long.py and let the crash end it.
    With `then`: once the file is open, call `then(app)` (which arms the crash)."""
    app = ReviewApp(service)
    with pytest.raises(Boom):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            if then is not None:
                for _ in range(200):
                    await pilot.pause(0.05)
                    if app.opened is not None:
                        break
                await pilot.pause(0.5)
                then(app)
            for _ in range(100):
                await pilot.pause(0.05)
    service.close()
    return app


async def crash(room) -> tuple[ReviewApp, RemoteService]:  # noqa: F811
    service = RemoteService(room.socket)
    return await run_until_crash(service), service


def said(capfd) -> str:
    out, err = capfd.readouterr()
    return out + err


async def test_the_recorder_writes_the_crash_report_records_it_and_seals(
    room,  # noqa: F811
    monkeypatch,
    capfd,
):
    crash_in_render(monkeypatch)
    app, _ = await crash(room)
    shown = said(capfd)
    assert FIXED in shown
    assert "value_" not in shown and "Traceback" not in shown and "render failed" not in shown
    crashes = room.base / "ledgers" / CRASH_DIR
    (report,) = crashes.iterdir()
    assert f"Details for the administrator: {report}" in shown, shown
    assert stat.S_IMODE(os.stat(crashes).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600
    details = report.read_bytes()
    assert b"Boom" in details and b"in render_line" in details  # the frames, by name
    assert b"value_" not in details and b"render failed" not in details  # no source, no message
    assert b"source_line" not in details  # no locals
    assert f"uid {os.getuid()} pid {os.getpid()}".encode() in details  # whose word it is
    rows = room.entries()
    recorded = [e.payload for e in rows if e.kind == "crash"]
    digest = hashlib.sha256(details).hexdigest()
    assert recorded == [{"error": "Boom", "file": report.name, "sha256": digest}]
    assert rows[-1].kind == "session_end" and rows[-1].payload["reason"] == "crash"
    assert app.receipt is not None
    assert f"{app.receipt.seq}:{app.receipt.witness.code}" in shown
    assert "not sealed" not in shown  # one account of the session, not two


async def test_a_crash_report_that_cannot_be_written_says_why_and_once_what_follows(
    room,  # noqa: F811
    monkeypatch,
    capfd,
):
    ledgers = room.base / "ledgers"
    ledgers.mkdir(mode=0o700, exist_ok=True)
    (ledgers / CRASH_DIR).write_bytes(b"")  # not a directory: no report can go there
    crash_in_render(monkeypatch)
    app, _ = await crash(room)
    shown = said(capfd)
    flat = " ".join(shown.split())
    assert f"No crash report was written: {ledgers / CRASH_DIR} is not a directory" in flat
    assert "Details for the administrator" not in shown and "FINAL" not in shown
    advice = [line for line in shown.splitlines() if "not sealed" in line]
    assert advice == ["The session is not sealed; the recorder resumes it, or closes it as "
                      "abandoned, when a terminal next connects."], shown  # fmt: skip
    assert "crash" not in room.kinds() and "session_end" not in room.kinds()
    assert app.receipt is None


def test_a_session_the_recorder_ended_unsealed_gives_no_final_code(room):  # noqa: F811
    """After the crash the terminal's guard check still runs (under load) and asks
    for the seal: the recorder refuses (`ended`), and its status then named the
    last code shown (the start's, seq 0) as the FINAL one, so a session left
    unsealed was shown as sealed and `review --connect` exited as sealed."""
    ledgers = room.base / "ledgers"
    ledgers.mkdir(mode=0o700, exist_ok=True)
    (ledgers / CRASH_DIR).write_bytes(b"")  # no report, so no crash entry, so no seal
    service = RemoteService(room.socket)
    outcome = service.after_crash(Boom("x"), None)
    assert outcome.receipt is None and not outcome.recorded
    with pytest.raises(RecordingError, match="ended the session"):
        service.seal(None, "guard: session")
    assert "session_end" not in room.kinds()
    service.close()


def test_a_hostile_crash_report_is_sanitized_bounded_and_taken_once(room):  # noqa: F811
    client = RawClient(room.socket)
    client.hello()
    too_long = m.CrashReport(error="X", report="y" * (m.MAX_CRASH_REPORT + 1))
    assert isinstance(client.ask(too_long), m.Refused)  # malformed: over its bound
    hostile = m.CrashReport(
        error="Evil\x1b]52;c;aGk=\x07", report="\x1b[2J\x9b31m\u202eline\n" * 50
    )
    answer = client.ask(hostile)
    assert isinstance(answer, m.Crashed) and answer.file is not None and answer.seq >= 0, answer
    details = Path(answer.file).read_text()
    assert "\x1b" not in details and "\x9b" not in details and "\u202e" not in details
    assert "\x07" not in details and details.count("line") == 50
    again = client.ask(m.CrashReport(error="X", report="again"))
    assert isinstance(again, m.Refused) and again.reason == "ended", again  # one per session
    assert len(list((room.base / "ledgers" / CRASH_DIR).iterdir())) == 1
    crash = [e.payload for e in room.entries() if e.kind == "crash"]
    assert len(crash) == 1 and "\x1b" not in crash[0]["error"]
    client.close()


async def test_a_crash_with_the_recorder_gone_says_it_was_not_told(room, monkeypatch, capfd):  # noqa: F811
    armed = False
    real = CodeView.render_line

    def failing(self, y):
        strip = real(self, y)
        if armed and "value_" in "".join(s.text for s in strip):
            raise Boom("render failed")
        return strip

    monkeypatch.setattr(CodeView, "render_line", failing)

    def gone_then_crash(app: ReviewApp) -> None:
        nonlocal armed
        room.kill9()  # the recorder is gone: nobody can be told
        armed = True
        app.query_one(CodeView).refresh()

    await run_until_crash(RemoteService(room.socket), gone_then_crash)
    shown = said(capfd)
    flat = " ".join(shown.split())
    assert "No crash report was written: the recorder was not told" in flat, shown
    advice = [line for line in shown.splitlines() if "not sealed" in line]
    assert len(advice) == 1 and "as it is configured for a lost terminal" in advice[0], shown
    assert "value_" not in shown and "Traceback" not in shown
