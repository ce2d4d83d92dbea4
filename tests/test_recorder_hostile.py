"""A hostile terminal speaks the protocol directly (docs/protocol.md) and tries to
get lines, columns, result rows or names it has not had recorded: out of order,
out of bounds, after the seal, under a lock, oversized, malformed and too fast.
Each try is refused, each refusal is in the ledger, and the recorder keeps
serving. Real socket, real ledger, real snapshot."""

from __future__ import annotations

import struct

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.framing import FrameError
from cleanroom.recorder.ratelimit import Bucket
from cleanroom.session.display import visible
from tests.recorderkit import RawClient, cleanup, start
from tests.test_recorder_faults import wait_for
from tests.tuikit import FILES

LONG = FILES[b"src/long.py"].split(b"\n")


@pytest.fixture
def recorder(kit, ledger_dir):
    running = start(kit, ledger_dir)
    yield running
    cleanup(running)


def refused_entries(running):
    return [e.payload for e in running.entries() if e.kind == "refused"]


def opened(client, path=b"src/long.py"):
    answer = client.ask(m.Open(path=path))
    assert isinstance(answer, m.Opened), answer
    return answer


def test_nothing_before_hello(recorder):
    client = RawClient(recorder.socket)
    answer = client.ask(m.Open(path=b"src/long.py"))
    assert isinstance(answer, m.Refused) and answer.reason == "order"
    assert refused_entries(recorder) == [{"request": "open", "reason": "order", "detail": ""}]
    assert "file_open" not in recorder.kinds()
    client.hello()  # the connection stays usable
    assert isinstance(client.ask(m.Status()), m.State)


def test_a_view_answers_exactly_the_recorded_lines_and_columns(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    o = opened(client)
    answer = client.ask(m.View(path=o.path, blob=o.blob, first=10, last=12, col=3, cols=5))
    assert isinstance(answer, m.Lines)
    assert answer.first == 10
    # columns col..col+cols-1 only, with the cut markers (ADR 0212) where the line goes on
    assert answer.lines == [visible(line, None, 3, 5).encode() for line in LONG[9:12]]
    assert all(line[4:7] in got for line, got in zip(LONG[9:12], answer.lines, strict=True))
    assert answer.sizes == [len(line) for line in LONG[9:12]]
    view = [e.payload for e in recorder.entries() if e.kind == "view"][-1]
    assert (view["first"], view["last"], view["col"], view["cols"]) == (10, 12, 3, 5)


def test_no_view_without_an_open_and_none_of_another_file(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    blob = "a" * 64
    answer = client.ask(m.View(path=b"src/long.py", blob=blob, first=1, last=5, col=0, cols=80))
    assert isinstance(answer, m.Refused) and answer.reason == "order"
    o = opened(client, b"README.md")
    answer = client.ask(m.View(path=b"src/long.py", blob=o.blob, first=1, last=5, col=0, cols=80))
    assert isinstance(answer, m.Refused) and answer.reason == "order"
    assert [r["request"] for r in refused_entries(recorder)] == ["view", "view"]
    assert "view" not in recorder.kinds()


@pytest.mark.parametrize(
    "first,last,col,cols",
    [(0, 5, 0, 80), (5, 4, 0, 80), (1, 5001, 0, 80), (1, 501, 0, 80), (1, 5, -1, 80),
     (1, 5, 0, 0), (1, 5, 0, 1001), (-(2**40), 5, 0, 80)],
)  # fmt: skip
def test_views_out_of_bounds_are_refused(recorder, first, last, col, cols):
    client = RawClient(recorder.socket)
    client.hello()
    o = opened(client)
    answer = client.ask(m.View(path=o.path, blob=o.blob, first=first, last=last, col=col,
                               cols=cols))  # fmt: skip
    assert isinstance(answer, m.Refused) and answer.reason == "bounds"
    assert "view" not in recorder.kinds()
    assert refused_entries(recorder)[-1]["reason"] == "bounds"


def test_result_rows_only_as_recorded(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    found = client.search("value_1")
    assert isinstance(found, m.Found) and found.kept > 10
    where = client.ask(m.Where(search_seq=found.seq, index=5))  # never shown
    assert isinstance(where, m.Refused) and where.reason == "order"
    stale = client.ask(m.Rows(search_seq=0, first=0, last=1))  # session_start: no search
    assert isinstance(stale, m.Refused) and stale.reason == "order"
    over = client.ask(m.Rows(search_seq=found.seq, first=0, last=found.kept))
    assert isinstance(over, m.Refused) and over.reason == "bounds"
    rows = client.ask(m.Rows(search_seq=found.seq, first=2, last=4))
    assert isinstance(rows, m.Hits) and len(rows.hits) == 3
    recorded = [e.payload for e in recorder.entries() if e.kind == "search_results_view"]
    assert recorded == [{"search_seq": found.seq, "first": 2, "last": 4}]
    assert isinstance(client.ask(m.Where(search_seq=found.seq, index=3)), m.Location)
    assert [r["request"] for r in refused_entries(recorder)] == ["where", "rows", "rows"]


def test_names_only_as_listed(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    deep = client.ask(m.Tree(path=b"src"))  # the root was never listed
    assert isinstance(deep, m.Refused) and deep.reason == "order"
    root = client.ask(m.Tree(path=b""))
    assert isinstance(root, m.Listing)
    listed = [e.payload for e in recorder.entries() if e.kind == "tree_list"]
    n = len(root.items)
    assert listed == [{"path": "", "entries": n, "start": 0, "total": n}]
    assert isinstance(client.ask(m.Tree(path=b"src")), m.Listing)  # now it was named
    pick = client.ask(m.Pick(query="long", matches=1))  # no list was answered for it
    assert isinstance(pick, m.Refused) and pick.reason == "order"
    names = client.ask(m.Names(query="long"))
    assert isinstance(names, m.Paths) and names.paths == [b"src/long.py"]
    recorded = [e.payload for e in recorder.entries() if e.kind == "quick_open_list"][-1]
    assert recorded["names"] == [{"path": "src/long.py"}]
    # A pick's count is the recorder's, never the terminal's word (attack on issue 12).
    for lie in (2**53 - 1, 0):
        assert isinstance(client.ask(m.Pick(query="long", matches=lie)), m.Ok)
    picks = [e.payload for e in recorder.entries() if e.kind == "quick_open"]
    assert picks == [{"query": "long", "matches": 1}] * 2


def test_a_lock_refuses_views_until_it_is_dismissed(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    o = opened(client)
    assert isinstance(client.ask(m.Idle(after_s=300)), m.Ok)
    view = m.View(path=o.path, blob=o.blob, first=1, last=5, col=0, cols=80)
    for request in (view, m.Open(path=b"README.md"), m.Names(query=""), m.Tree(path=b"")):
        answer = client.ask(request)
        assert isinstance(answer, m.Refused) and answer.reason == "locked"
    assert isinstance(client.ask(m.Active()), m.Ok)
    assert isinstance(client.ask(view), m.Lines)
    kinds = recorder.kinds()
    assert kinds.index("active") < kinds.index("view")
    assert [r["reason"] for r in refused_entries(recorder)] == ["locked"] * 4


def test_nothing_after_the_seal(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    o = opened(client)
    assert isinstance(client.ask(m.Seal()), m.Sealed)
    answer = client.ask(m.View(path=o.path, blob=o.blob, first=1, last=5, col=0, cols=80))
    assert isinstance(answer, m.Refused) and answer.reason == "ended" and answer.seq == -1
    assert recorder.kinds()[-1] == "session_end"  # a sealed ledger takes nothing more
    assert "view" not in recorder.kinds()


@pytest.mark.parametrize(
    "body",
    [b"", b"\xc1", b"\x81\xa1t\xa7unknown", m.encoder.encode({"t": "view", "path": b"x"}),
     m.encoder.encode({"t": "hello", "version": 1, "client": "x", "extra": 1}),
     m.encoder.encode({"t": "open", "path": "not bytes"}), b"\x92\x01\x02",
     m.encoder.encode({"t": "names", "query": "q" * 257})],
)  # fmt: skip
def test_malformed_frames_are_refused_and_recorded(recorder, body):
    client = RawClient(recorder.socket)
    client.hello()
    client.send_raw(body)
    answer = client.receive()
    assert isinstance(answer, m.Refused) and answer.reason == "malformed"
    assert refused_entries(recorder)[-1]["request"] == "?"
    assert isinstance(client.ask(m.Status()), m.State)  # still served


def test_an_oversized_frame_closes_that_connection_only(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    client.sock.sendall(struct.pack(">I", m.MAX_REQUEST + 1))
    with pytest.raises((OSError, FrameError)):
        client.receive()
    wait_for(lambda: recorder.kinds()[-1:] == ["session_end"])  # not a 0.5 s sleep
    kinds = recorder.kinds()
    assert refused_entries(recorder)[-1]["reason"] == "oversized"
    assert "client_lost" in kinds and kinds[-1] == "session_end"  # policy: seal
    again = RawClient(recorder.socket)  # the service goes on, with a new session
    again.hello()
    assert len(recorder.ledgers) == 2


def test_too_fast_is_refused_and_a_flood_ends_the_connection(recorder):
    client = RawClient(recorder.socket)
    client.hello()
    # The session's bucket, on a clock that stands still: every request comes too
    # fast, however slowly this machine sends them (under load, a real clock
    # refilled the bucket as fast as a loaded client could ask: no refusal at all).
    # How the bucket refills is test_the_bucket_refills_at_its_rate_up_to_its_burst.
    recorder.server.live.dispatcher.bucket = Bucket(clock=lambda: 0.0)
    reasons = []
    for _ in range(600):  # the burst (400), then refusals until the flood ends it
        try:
            answer = client.ask(m.Status())
        except (OSError, FrameError):
            break
        if isinstance(answer, m.Refused):
            reasons.append(answer.reason)
    assert reasons and set(reasons) == {"rate"}
    wait_for(lambda: "client_lost" in recorder.kinds(0))
    entries = recorder.entries(0)
    assert sum(e.kind == "refused" for e in entries) == len(reasons) == 64
    lost = [e.payload for e in entries if e.kind == "client_lost"]
    assert lost == [{"detail": "too many refused requests", "policy": "seal"}]


def test_the_bucket_refills_at_its_rate_up_to_its_burst():
    now = [0.0]
    bucket = Bucket(rate=200.0, burst=400.0, clock=lambda: now[0])
    assert sum(bucket.take() for _ in range(500)) == 400  # the burst, then nothing
    now[0] += 0.1  # 20 tokens a tenth of a second
    assert sum(bucket.take() for _ in range(100)) == 20
    now[0] += 60.0  # a long quiet refills to the burst, no further
    assert sum(bucket.take() for _ in range(1000)) == 400


def test_a_peer_that_is_not_a_reviewer_gets_nothing(kit, ledger_dir):
    running = start(kit, ledger_dir, uids=(os_uid_nobody(),))
    try:
        client = RawClient(running.socket)
        with pytest.raises((OSError, FrameError)):
            client.ask(m.Hello(version=m.VERSION))
        assert running.ledgers == []  # no session was even started
    finally:
        cleanup(running)


@pytest.mark.parametrize("version", [1, m.VERSION + 1])  # 1: a listing came whole
def test_another_version_is_refused(recorder, version):
    client = RawClient(recorder.socket)
    answer = client.ask(m.Hello(version=version))
    assert isinstance(answer, m.Refused) and answer.reason == "version"
    assert refused_entries(recorder)[-1]["request"] == "hello"


def os_uid_nobody() -> int:
    import os

    return os.getuid() + 12345
