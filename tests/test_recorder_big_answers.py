"""Answers over the 8 MB frame limit (issue 13) must not break the session. A
snapshot whose paths are far longer than PATH_MAX (a deep tree: each of 100
files lies 340 directories down, ~85 KB of path) makes both a quick-open list
and a screen of search results larger than one frame: the list is bounded by
bytes and recorded as what it holds; any other answer too large for a frame is
refused (`too_large`) and recorded, and the connection stays up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cleanroom.recorder import messages as m
from cleanroom.session.events import path_from_fields
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from tests import recorderkit
from tests.ledgerkit import Kit

DEPTH, FILES = 340, 100
PART = "d" * 250


def deep_tree(base: Path) -> Path:
    src = base / "deep-src"
    src.mkdir()
    fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(DEPTH):  # relative to a directory fd: no PATH_MAX in the way
            os.mkdir(PART, dir_fd=fd)
            inner = os.open(PART, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        for i in range(FILES):
            f = os.open(f"f{i:03d}.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(f, b"a needle here\n")
            os.close(f)
    finally:
        os.close(fd)
    return src


@pytest.fixture
def deep(tmp_path):
    kit = Kit()
    out = tmp_path / "deep.snapshot"
    create_snapshot(deep_tree(tmp_path), out, kit.vendor, name="deep", version="1", created=1)
    ledger_dir = tmp_path / "ledgers"
    ledger_dir.mkdir()
    source = SnapshotSource.from_file(out, kit.trust)
    running = recorderkit.start(kit, ledger_dir, source=source)
    client = recorderkit.RawClient(running.socket)
    client.hello()
    yield running, client
    client.close()
    recorderkit.cleanup(running)


def test_a_quick_open_list_over_a_frame_is_bounded_and_recorded_as_sent(deep):
    running, client = deep
    answer = client.ask(m.Names(query=""))
    assert isinstance(answer, m.Paths) and answer.matches == FILES
    assert 0 < len(answer.paths) < FILES  # as many as fit, not the 100 a list shows
    assert len(m.encoder.encode(answer)) <= m.MAX_ANSWER // 2
    assert all(len(p) > DEPTH * len(PART) for p in answer.paths)
    (listed,) = [e.payload for e in running.entries() if e.kind == "quick_open_list"]
    assert [path_from_fields(n) for n in listed["names"]] == list(answer.paths)
    assert listed["matches"] == FILES


def test_an_answer_over_a_frame_is_refused_and_the_session_goes_on(deep):
    running, client = deep
    found = client.ask(m.Search(text="needle", regex=False, case=False, include=[], exclude=[]))
    number = getattr(found, "id", 0)  # the search runs beside: wait for its whole answer
    while isinstance(found, m.Searching) or (isinstance(found, m.Found) and not found.done):
        found = client.ask(m.Wait(id=number))
    assert isinstance(found, m.Found) and found.kept == FILES
    rows = client.ask(m.Rows(search_seq=found.seq, first=0, last=FILES - 1))
    assert isinstance(rows, m.Refused) and rows.reason == "too_large"
    refused = [e.payload for e in running.entries() if e.kind == "refused"]
    assert refused[-1]["request"] == "rows" and refused[-1]["reason"] == "too_large"
    few = client.ask(m.Rows(search_seq=found.seq, first=0, last=9))  # a screenful fits
    assert isinstance(few, m.Hits) and len(few.hits) == 10
    assert isinstance(client.ask(m.Status()), m.State)
