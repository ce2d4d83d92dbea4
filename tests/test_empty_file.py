"""Boring contents end to end: an empty file, one byte, no trailing newline
(issue 13: a view of line 1 of an empty file answered 0 lines).

The rule (docs/protocol.md §5-§6, docs/events.md): a file's `lines` is its
signed line count, 0 for an empty file; the viewer shows such a file as one
empty line 1, so a view names lines 1..1 and its answer carries one empty line
of 0 bytes. The same in-process and through the recorder, and the ledger
replays, and reports the file as one line seen, without a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.recorder import messages as m
from cleanroom.session.local_service import LocalService
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from tests.recorderkit import RawClient, cleanup, start
from tests.test_cli_review import write_keys

BIN = Path(sys.executable).parent
COLS = 6
BORING = {  # path -> (content, signed line count, the lines shown)
    b"empty": (b"", 0, [b""]),
    b"one": (b"a", 1, [b"a"]),
    b"newline": (b"\n", 1, [b""]),
    b"no-newline": (b"x\ny", 2, [b"x", b"y"]),
    b"two": (b"x\ny\n", 2, [b"x", b"y"]),
}


def padded(line: bytes) -> bytes:
    return line.ljust(COLS)  # the display cells, UTF-8, padded to the columns asked


@pytest.fixture
def snapshot(kit, tmp_path) -> Path:
    src = tmp_path / "tree"
    src.mkdir()
    for path, (data, _, _) in BORING.items():
        (src / os.fsdecode(path)).write_bytes(data)
    out = tmp_path / "boring.snapshot"
    create_snapshot(src, out, kit.vendor, name="boring", version="1", created=1)
    return out


@pytest.mark.parametrize("path", list(BORING))
def test_in_process_a_boring_file_shows_its_lines(kit, snapshot, ledger_dir, path):
    _, count, shown = BORING[path]
    source = SnapshotSource.from_file(snapshot, kit.trust)
    ledger = kit.new_ledger(ledger_dir, snapshot=source.ref)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "boring 1", str(ledger.path))
    service = LocalService(ReviewSession(Recorder(ledger), source, facts))
    opened = service.open_file(path)
    assert opened.lines == count
    screen = service.view(opened, 1, max(1, count), 0, COLS)
    assert screen is not None
    assert screen.lines == [padded(x) for x in shown]
    assert screen.sizes == [len(x) for x in shown]


def test_through_the_recorder_then_replayed_and_reported(kit, snapshot, ledger_dir, tmp_path):
    source = SnapshotSource.from_file(snapshot, kit.trust)
    running = start(kit, ledger_dir, source=source)
    try:
        client = RawClient(running.socket)
        client.hello()
        for path, (_, count, shown) in BORING.items():
            o = client.ask(m.Open(path=path))
            assert isinstance(o, m.Opened) and o.lines == count, o
            view = m.View(path=o.path, blob=o.blob, first=1, last=max(1, count), col=0, cols=COLS)
            answer = client.ask(view)
            assert isinstance(answer, m.Lines), answer
            assert answer.lines == [padded(x) for x in shown], (path, answer.lines)
            assert answer.sizes == [len(x) for x in shown]
            beyond = m.View(path=o.path, blob=o.blob, first=1, last=max(1, count) + 1, col=0,
                            cols=COLS)  # fmt: skip
            assert isinstance(client.ask(beyond), m.Refused)
        assert isinstance(client.ask(m.Seal(reason="reviewer")), m.Sealed)
        client.close()
    finally:
        cleanup(running)
    ledger = running.ledgers[-1]
    keys = write_keys(kit, tmp_path / "keys")
    common = ["--snapshot", str(snapshot), "--trust", str(keys["trust"])]
    cast = tmp_path / "replay.cast"
    replay = subprocess.run([str(BIN / "cleanroom"), "replay", str(ledger), *common,
                             "--cast", str(cast)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert replay.returncode in (0, 3), (replay.returncode, replay.stderr, replay.stdout)
    assert "Traceback" not in replay.stderr and cast.stat().st_size > 0, replay.stderr
    report = tmp_path / "report.json"
    out = subprocess.run([str(BIN / "cleanroom"), "report", str(ledger), *common, "-o",
                          str(report)], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode in (0, 3), out.stderr
    assert "Traceback" not in out.stderr
    files = {f["path"]: f for f in _files(json.loads(report.read_text()))}
    for path, (_, count, _) in BORING.items():
        f = files[path.decode()]
        # Counted as shown: an empty file is one (empty) line, seen once it was shown.
        assert f["lines"] == f["lines_seen"] == max(1, count), f


def _files(report: dict) -> list[dict]:
    found: list[dict] = []

    def walk(x: object) -> None:
        if isinstance(x, dict):
            if "path" in x and "lines_seen" in x:
                found.append(x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(report)
    return found
