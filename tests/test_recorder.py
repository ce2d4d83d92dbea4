"""Record before display: failures close the display and are themselves recorded."""

import threading

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.session.events import VOCABULARY, FileOpen, View, path_fields, path_from_fields
from cleanroom.session.recorder import Recorder, RecordingError
from tests.ledgerkit import FlakyDisk, read_rows


@pytest.fixture
def recorder_and_disk(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)
    disk = FlakyDisk(ledger._conn)
    ledger._conn = disk
    return Recorder(ledger), disk, ledger


def view(first=1, last=40):
    return View(b"src/main.c", "ab" * 32, first, last, 0, 80)


def kinds(path):
    return [decode_body(b).kind for _, b, _ in read_rows(path)]


def test_record_returns_after_the_entry_is_in_the_ledger(recorder_and_disk):
    recorder, _, ledger = recorder_and_disk
    appended = recorder.record(FileOpen(b"src/main.c", "ab" * 32, 10, 2, {}))
    assert read_rows(ledger.path)[-1][0] == appended.seq == 1


def test_an_identical_repaint_is_not_recorded_twice_but_a_return_is(recorder_and_disk):
    recorder, _, ledger = recorder_and_disk
    assert recorder.record_view(view()) is not None
    assert recorder.record_view(view()) is None
    assert recorder.record_view(view(2, 41)) is not None
    assert recorder.record_view(view()) is not None  # back to an earlier screen: a new viewing
    assert kinds(ledger.path).count("view") == 3


def test_failure_raises_stays_failed_and_is_recorded_on_recovery(recorder_and_disk, kit):
    recorder, disk, ledger = recorder_and_disk
    disk.full = True
    with pytest.raises(RecordingError, match="disk is full"):
        recorder.record(view())
    assert recorder.failure and "disk is full" in recorder.failure
    assert not recorder.retry()
    with pytest.raises(RecordingError):
        recorder.record_view(view(5, 45))
    disk.full = False
    recorder.record(view(9, 49))
    assert recorder.failure is None
    rows = read_rows(ledger.path)
    note, last = decode_body(rows[-2][1]), decode_body(rows[-1][1])
    assert note.kind == "recording_failed" and note.payload["attempts"] == 3
    assert last.kind == "view" and last.payload["first"] == 9
    assert "view" not in kinds(ledger.path)[:-1]  # nothing that failed was recorded
    ledger._conn = disk.real
    recorder.seal()
    assert verify_path(ledger.path, kit.trust).status == "INTACT"


def test_threads_racing_to_record_keep_one_chain(recorder_and_disk, kit):
    recorder, _, ledger = recorder_and_disk
    threads = [
        threading.Thread(target=lambda n=n: [recorder.record(view(n, i)) for i in range(30)])
        for n in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ledger._conn = ledger._conn.real
    recorder.seal()
    verdict = verify_path(ledger.path, kit.trust)
    assert verdict.status == "INTACT" and verdict.summary["by_kind"]["view"] == 120


@pytest.mark.parametrize("raw", [b"src/ok.c", "ünï/cödé.c".encode(), b"bad\xff\xfe.c", b"a\nb"])
def test_paths_are_recorded_exactly(raw):
    assert path_from_fields(path_fields(raw)) == raw


def test_every_kind_is_distinct_and_lowercase():
    names = [cls.kind for cls in VOCABULARY]
    assert len(set(names)) == len(names)
    assert all(n.replace("_", "").isalpha() and n.islower() for n in names)
