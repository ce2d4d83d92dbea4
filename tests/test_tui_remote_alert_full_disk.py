"""Issue 12's second attack, finding 1 (HIGH): over the socket, a guard alert the
recorder could not record (a full ledger disk) was not reported to the terminal:
the source stayed on screen under a green RECORDING bar, and the lock would have
said "This has been recorded." Now, with a real recorder process, a real guard
and a real full tmpfs, the failure reaches the terminal at its next `status`: the
source is hidden, the bar is red, the lock says "NOT recorded yet", and the
recorder applies the lock all the same."""

from __future__ import annotations

import shutil
import subprocess
import sys

from textual.widgets import Static

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from tests.diskkit import SmallDisk
from tests.recorderproc import build_room, until
from tests.test_tui_remote_stall import SIZE, bar, shown
from tests.tuikit import lock_drawn


def said(screen) -> str:
    return " ".join(" ".join(str(s.render()) for s in screen.query(Static)).split())


async def test_an_alert_the_recorder_could_not_record_hides_and_says_so():
    room = build_room()
    disk = SmallDisk(room.base / "disk", size_kb=2048)
    ledgers = disk.path / "ledgers"
    room.config.write_text(
        room.config.read_text().replace(f'"{room.base / "ledgers"}"', f'"{ledgers}"')
        + "ledger_reserve_mb = 0.05\n"
    )
    room.start()
    try:
        service = RemoteService(room.socket)
        app = ReviewApp(service)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            await until(pilot, lambda: "value_0 = 0" in shown(app))
            assert "NOT RECORDING" not in bar(app)
            disk.fill()
            snapshot = room.base / "s.snapshot"
            reader = f"open({str(snapshot)!r}, 'rb').read(4096)"
            subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)
            # No key is pressed: the terminal's own status poll must carry the failure
            # (a wall-clock bound here failed under load; the lock coming at all without
            # a key is the claim).
            await until(pilot, lambda: lock_drawn(app), tries=200)
            await until(pilot, lambda: "value_" not in shown(app), tries=20)
            assert "value_" not in shown(app)
            await until(pilot, lambda: "NOT RECORDING" in bar(app), tries=20)  # the bar's refresh
            text = said(app.screen)
            assert "This has been recorded" not in text, text
            assert "NOT recorded yet" in text, text
            assert service.state == "guard_lock"  # the recorder applied the lock
        service.close()
    finally:
        if room.process is not None and room.process.poll() is None:
            room.stop()
        disk.unmount()
        shutil.rmtree(room.base, ignore_errors=True)
