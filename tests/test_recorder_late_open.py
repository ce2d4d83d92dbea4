"""An `open` answered too late (ADR 0218). Opening runs off the event loop with its
own bound (ADR 0219), and a recorder stopped for 2 s fails it; the recorder
opened that file all the same once it ran again, so every view of the file still
on screen was refused (`order`: not the file last opened) and the code view
stayed hidden for good, with no failure to say why, until the reviewer opened
another file. The late open is now recorded as not acted on, and a view refused
so opens the file on screen again (recorded), then is asked again. A real
recorder process, really stopped (SIGSTOP) while the open is asked."""

from __future__ import annotations

import os
import signal
import threading

from cleanroom.recorder.client import RemoteService
from tests.recorderproc import room  # noqa: F401 (a fixture)
from tests.test_recorder_stopped_long import BOUND, answered_again, stopped


def test_a_file_opened_too_late_does_not_hide_the_one_on_screen_for_good(room):  # noqa: F811
    service = RemoteService(room.socket)
    service.serve_loop()  # this thread is the terminal's event loop
    shown = service.open_file(b"src/long.py")
    assert service.view(shown, 1, 3, 0, 80) is not None
    failed: list[BaseException] = []

    def open_other() -> None:  # as the terminal's worker opens a file
        try:
            service.open_file(b"src/main.c")
        except BaseException as exc:  # noqa: BLE001 (kept for the assertion below)
            failed.append(exc)

    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        stopped(room.process.pid)
        worker = threading.Thread(target=open_other, daemon=True)
        worker.start()
        worker.join(BOUND)
        assert not worker.is_alive() and failed, "an open the recorder did not answer was done"
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    answered_again(service)  # the late answer is read (and dropped) meanwhile
    for _ in range(20):  # the code view's repaints: each view (and open) may come late
        screen = service.view(shown, 1, 3, 0, 80)
        if screen is not None:
            break
        answered_again(service)
    else:
        raise AssertionError(f"the file on screen is never shown again ({service.failure})")
    assert screen.first == 1
    service.seal()
    service.close()
    entries = room.entries()
    kinds = [e.kind for e in entries]
    opens = [e.payload["path"] for e in entries if e.kind == "file_open"]
    assert opens == ["src/long.py", "src/main.c", "src/long.py"], opens
    late = [i for i, k in enumerate(kinds) if k == "file_open"][1]
    said = [str(e.payload) for e in entries[late:] if e.kind == "blocked"]
    assert any("not_acted_on" in p and "open" in p for p in said), kinds
    again = len(kinds) - 1 - kinds[::-1].index("file_open")
    assert kinds.index("view", again) > again, kinds  # the view, recorded after it
