"""Issue 12, atk12f's third finding: find in file (ctrl+f) on a 40 MB file froze the
whole terminal 6.5-9.2 s: requests whose work grows with the snapshot (find,
outline, definitions, the notes, the seal) were asked on the event loop with
their own 30 s bound, so no key, no status poll and no idle timer ran until the
answer, or until a stopped recorder was declared not answering. They are now
asked from a worker thread (ADR 0219): the loop goes on ticking meanwhile, and
the answer is acted on once it comes, recorded first.

Asserted on the thread each request ran on, and on timer ticks counted while it
awaited its answer (none could fire while it held the loop): no wall time."""

from __future__ import annotations

import os
import shutil
import signal
import threading

import pytest

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.notes_pane import NotesScreen
from cleanroom.tui.screens.witness import SealedScreen
from tests.recorderproc import build_room, until
from tests.test_tui_remote_stall import SIZE, bar, shown

BIG = b"".join(b"filler line %d of a big file\n" % i for i in range(400_000))
NEEDLE_AT = 300_000  # the line (1-based) the one hit is on
BIG = BIG.replace(b"filler line %d of" % (NEEDLE_AT - 1), b"zqneedle line of", 1)


@pytest.fixture
def big_room():
    built = build_room(extra={b"src/big.txt": BIG})
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


class Watched:
    """The service's `name` requests: the thread each was asked on, and whether one
    is awaiting its answer now (a spy on the real method; the real request is sent).
    `before` runs first, holding the connection (the status poll is kept out)."""

    def __init__(self, service: RemoteService, name: str, before=None) -> None:
        self.threads: list[int] = []
        self.pending = False
        self.before = before
        real = getattr(service, name)

        def watched(*args, **kwargs):
            self.threads.append(threading.get_ident())
            self.pending = True
            try:
                with service._lock:  # reentrant: the real request takes it again
                    if self.before is not None:
                        self.before()
                    return real(*args, **kwargs)
            finally:
                self.pending = False

        setattr(service, name, watched)


async def test_find_notes_and_seal_run_off_the_event_loop(big_room):
    room = big_room
    service = RemoteService(room.socket)
    find, seal = Watched(service, "find"), Watched(service, "seal")
    stop = lambda: os.kill(room.process.pid, signal.SIGSTOP)  # noqa: E731
    notes = Watched(service, "notes", before=stop)  # asked of a recorder that stops
    app = ReviewApp(service)
    ticks: list[bool] = []  # one per timer tick: whether a find or notes request was pending
    async with app.run_test(size=SIZE) as pilot:
        loop = threading.get_ident()
        await pilot.press("enter")
        app.open_path(b"src/big.txt")
        await until(pilot, lambda: "filler line 0 of" in shown(app), tries=600)
        app.set_interval(0.02, lambda: ticks.append(find.pending or notes.pending))
        await pilot.press("ctrl+f", *"zqneedle", "enter")
        await until(pilot, lambda: find.threads)
        # The loop ticks while the find goes through the big file.
        await until(pilot, lambda: any(ticks), tries=600)
        await until(pilot, lambda: "zqneedle line of" in shown(app), tries=600)
        assert "hit 1 of 1" in bar(app) or "1 of 1" in bar(app), bar(app)
        ticks.clear()
        try:
            await pilot.press("ctrl+n")
            await until(pilot, lambda: notes.threads)
            # The loop ticks while the notes await the stopped recorder's answer.
            await until(pilot, lambda: any(ticks), tries=600)
            await until(pilot, lambda: not notes.pending, tries=600)
            assert not isinstance(app.screen, NotesScreen)  # not recorded: not listed
            assert "zqneedle" not in shown(app)  # not answering: hidden
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        await until(pilot, lambda: "NOT RECORDING" not in bar(app), tries=600)
        await pilot.press("q", "y")
        await until(pilot, lambda: isinstance(app.screen, SealedScreen), tries=600)
        assert not app.crashed
    assert find.threads and loop not in find.threads, (loop, find.threads)
    assert notes.threads and loop not in notes.threads
    assert seal.threads and loop not in seal.threads
    service.close()
    finds = [e.payload for e in room.entries() if e.kind == "find"]
    assert finds and finds[-1]["query"] == "zqneedle" and finds[-1]["hits"] == 1, finds
