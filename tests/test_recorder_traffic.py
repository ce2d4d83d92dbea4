"""Every byte the terminal received is covered by a ledger entry (issue 13): the
real app drives the recorder (its own process) through a logging proxy on the
socket; afterwards every answer that carried source or names is matched to the
entry that recorded it, and its lines to the snapshot's, cut as protocol.md §6
says. Nothing answered is unrecorded, and nothing recorded was answered more."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import threading
from pathlib import Path

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.recorder.framing import FrameError, read_frame, write_frame
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.recorderproc import build_room, until
from tests.traffickit import check_covered
from tests.tuikit import FILES

SIZE = (100, 30)


class Proxy:
    """Forwards one terminal's frames to the recorder and logs (request, answer)."""

    def __init__(self, upstream: Path, here: Path) -> None:
        self.upstream, self.path = upstream, here
        self.pairs: list[tuple[object, object]] = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(here))
        self.listener.listen(1)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop, and leave no thread behind (a later test forks, which refuses threads)."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(10)
        assert not self.thread.is_alive()

    def _run(self) -> None:
        while True:
            try:
                terminal, _ = self.listener.accept()
            except OSError:
                return
            recorder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            recorder.connect(str(self.upstream))
            try:
                while True:
                    request = read_frame(terminal, m.MAX_REQUEST)
                    write_frame(recorder, request)
                    answer = read_frame(recorder, m.MAX_ANSWER)
                    self.pairs.append((m.request_decoder.decode(request),
                                       m.answer_decoder.decode(answer)))  # fmt: skip
                    write_frame(terminal, answer)
            except (FrameError, OSError):
                terminal.close()
                recorder.close()


@pytest.fixture
def room():
    built = build_room()
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


def answers(proxy: Proxy, kind: type, query: str | None = None) -> int:
    """How many answers of `kind` went through (to quick open's `query` only, if given)."""
    return sum(isinstance(a, kind) and (query is None or getattr(r, "query", None) == query)
               for r, a in list(proxy.pairs))  # fmt: skip


async def test_every_answer_is_covered_by_its_entry(room):
    proxy = Proxy(room.socket, room.base / "proxy.sock")
    service = RemoteService(proxy.path)
    app = ReviewApp(service)
    # Each step waits for the answer it asks for to go through the proxy (the
    # event that matters: the pair the check reads), not for a fixed 0.3 to 2 s.
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: answers(proxy, m.Listing) > 0)
        app.open_path(b"src/long.py")
        await until(pilot, lambda: answers(proxy, m.Opened) > 0 and answers(proxy, m.Lines) > 0)
        app.query_one(CodeView).focus()
        before = answers(proxy, m.Lines)
        await pilot.press("pagedown", "down", "right", "right", "end")
        await until(pilot, lambda: answers(proxy, m.Lines) > before)
        await pilot.press("ctrl+p")
        await pilot.press(*"main")
        await until(pilot, lambda: answers(proxy, m.Paths, "main") > 0)
        await pilot.press("enter")
        await until(pilot, lambda: answers(proxy, m.Opened) > 1)
        await pilot.press("s")
        await pilot.press(*"value_4", "enter")
        await until(pilot, lambda: answers(proxy, m.Hits) > 0)
        await pilot.press("escape")
        await pilot.pause()
    service.close()
    proxy.close()
    entries = room.entries()
    # the reviewer is the terminal's account, as the kernel names it (SO_PEERCRED)
    assert entries[0].kind == "session_start"
    assert entries[0].payload["reviewer"]["name"] == pwd.getpwuid(os.getuid()).pw_name
    check_covered(proxy.pairs, entries, FILES)
