"""The JSON report is written a piece at a time (ADR 0306): a hostile site (six
ledgers of 3 KB paths, 700 MB of JSON) took 2.1 GB to report on, the whole text
and its tree of dicts in memory at once. The bytes are those of encoding it whole.
"""

from __future__ import annotations

import io
import json
import tracemalloc

import pytest

from cleanroom.forensics import report_json
from cleanroom.forensics.report import analyse, build_report
from cleanroom.forensics.report_json import report_to_json, write_json
from cleanroom.forensics.timeline import read_evidence
from cleanroom.jsonsafe import strict
from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot
from tests.ledgerkit import Kit

PART = b'\x1b"\xed\xa0\x80' * 40  # escapes, a quote and a lone surrogate's bytes (not UTF-8)
LONG = b"/".join([PART] * 4)
FILES = {LONG + f"{i:02}.c".encode(): f"int f{i};\n".encode() * 5 for i in range(40)}
FILES["\U0001f600 ok.c".encode()] = b"int pair;\n"  # a surrogate pair in the JSON text


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("json-stream")
    kit = Kit("json-stream")
    snap_path = make_snapshot(kit, root / "snap", files=FILES)
    snap = Snapshot.open(snap_path, kit.trust)
    blobs = {p: snap.stat(p).blob.hex() for p in FILES}
    ref = SnapshotRef(snap.id, snap.manifest.root)
    paths = []
    for n in range(2):
        d = root / f"l{n}"
        d.mkdir()
        ledger = kit.new_ledger(d, snapshot=ref)
        for p, b in blobs.items():
            ledger.append(FileOpen(p, b, 50, 5, {}))
            for first in range(1, 5):
                ledger.append(View(p, b, first, first + 1, 0, 80))
        ledger.seal(countersigner=kit.reviewer)
        ledger.close()
        paths.append(ledger.path)
    evidence = read_evidence(paths, kit.trust, analyse=analyse)
    yield build_report(evidence, kit.trust, [snap])
    snap.close()


def whole(report) -> str:
    value = report_to_json(report)
    return strict(json.dumps(value, ensure_ascii=True, separators=(",", ":"))) + "\n"


@pytest.mark.parametrize("batch", [1, 3, 256])
def test_the_pieces_are_the_whole(report, monkeypatch, batch):
    monkeypatch.setattr(report_json, "_BATCH", batch)
    out = io.StringIO()
    write_json(report, out)
    assert out.getvalue() == whole(report)
    doc = json.loads(out.getvalue())
    assert len(doc["ledgers"]) == 2 and len(doc["coverage"]) == len(FILES)
    assert "path_b64" in out.getvalue()  # the names that are not UTF-8


class Sink:
    """Counts what is written and keeps none of it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> None:
        self.size += len(text)


def test_writing_holds_a_piece_not_the_whole(report, monkeypatch):
    monkeypatch.setattr(report_json, "_BATCH", 8)  # the site is small: pieces smaller too
    sink = Sink()
    write_json(report, sink)  # warm: imports and caches
    tracemalloc.start()
    try:
        write_json(report, Sink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.size > 500_000
    assert peak < sink.size / 4  # encoding it whole held all of it, and its dicts


def test_a_path_named_by_many_entries_is_held_once(report):
    # A hostile site's paths are kilobytes each, named by every ledger's file_open
    # and views: one copy each, however many entries name them (ADR 0306).
    events = [e for s in report.sessions for e in s.timeline.entries if e.kind == "view"]
    by_path: dict[bytes, list] = {}
    for e in events:
        by_path.setdefault(e.event.raw_path, []).append(e)
    assert len(by_path) == len(FILES) and all(len(es) == 8 for es in by_path.values())
    for es in by_path.values():
        assert len({id(e.event.raw_path) for e in es}) == 1
        for key in ("path", "path_b64", "blob"):
            assert len({id(e.payload.get(key)) for e in es}) == 1
