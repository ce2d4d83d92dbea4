"""A wrapped view over the recorder's socket (protocol version 8, ADR 0212): the
recorder lays the lines out, records the lines with a row on screen, and
answers exactly those rows; a hostile `wrap` is refused and recorded. Real
socket, real ledger, real snapshot."""

from __future__ import annotations

import pytest

from cleanroom.recorder import messages as m
from cleanroom.session.display import display_line
from cleanroom.session.wrap import ROW_BREAK, layout
from tests.recorderkit import RawClient, cleanup, start
from tests.wrapkit import PATH, WIDE, wide_source

LINES = WIDE.split(b"\n")


@pytest.fixture
def recorder(kit, ledger_dir):
    running = start(kit, ledger_dir, source=wide_source(kit, ledger_dir.parent))
    yield running
    cleanup(running)


def test_a_wrapped_view_answers_the_recorded_rows(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    o = client.ask(m.Open(path=PATH))
    assert isinstance(o, m.Opened)
    answer = client.ask(m.View(path=o.path, blob=o.blob, first=2, last=20, col=0, cols=40,
                               wrap=12))  # fmt: skip
    assert isinstance(answer, m.Lines) and answer.first == 2
    want = layout([display_line(x) for x in LINES[1:20]], 12, 40)
    assert [a.decode().split(ROW_BREAK) for a in answer.lines] == want
    assert [len(r) for r in want] == [9, 3]  # line 2: its 9 rows; line 3: 3 of its 6
    (view,) = [e.payload for e in recorder.entries() if e.kind == "view"]
    assert (view["first"], view["last"], view["col"], view["cols"], view["wrap"]) == (
        2, 3, 0, 40, 12)  # fmt: skip
    assert answer.sizes == [len(x) for x in LINES[1:3]]


@pytest.mark.parametrize("wrap, col", [(-1, 0), (5, 3), (10**9, 0)])
def test_a_hostile_wrap_is_refused_and_recorded(recorder, wrap, col):
    client = RawClient(recorder.socket)
    client.hello()
    o = client.ask(m.Open(path=PATH))
    answer = client.ask(m.View(path=o.path, blob=o.blob, first=1, last=3, col=col, cols=40,
                               wrap=wrap))  # fmt: skip
    assert isinstance(answer, m.Refused) and answer.reason == "bounds"
    assert "view" not in recorder.kinds()
    assert [e.payload["reason"] for e in recorder.entries() if e.kind == "refused"] == ["bounds"]


def test_the_guard_counts_every_cell_a_wrapped_view_shows(kit, ledger_dir, tmp_path):
    """A wrapped line shows up to `wrap` rows of `cols` cells: the bulk counter counts
    them as it counts a view scrolled sideways (a bound from above)."""
    from cleanroom.session.local_service import LocalService
    from cleanroom.session.recorder import Recorder
    from cleanroom.session.review import Facts, ReviewSession
    from tests.guardkit import build

    (tmp_path / "room").mkdir()
    room = build(tmp_path / "room")
    try:
        ledger = kit.new_ledger(ledger_dir)
        facts = Facts("Ada Reviewer", "Agency", "ws-01", "wide 1.0", str(ledger.path))
        session = ReviewSession(Recorder(ledger), wide_source(kit, ledger_dir.parent), facts,
                                room.guard)  # fmt: skip
        service = LocalService(session)
        opened = service.open_file(PATH)
        screen = service.view(opened, 2, 2, 0, 40, 9)  # line 2 whole: 325 cells in 9 rows
        assert screen is not None and len(screen.lines[0].split(b"\n")) == 9
        # Every band of line 2 it showed is counted already: none is new again.
        seen = room.guard._seen  # the guard's own count of what was delivered
        assert seen.add(PATH.hex(), 2, 2, 0, 360, [len(LINES[1])]) == 0
        ledger.close()
    finally:
        room.close()
