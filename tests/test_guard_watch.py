"""The guard's watchers against real processes and real files (inotify via watchdog).

Each test builds a room (tests/guardkit.py): this process holds the snapshot and
the ledger open and writes the ledger, as Cleanroom does; other processes
(`cat`, `cp`, `mkdir`, a Python child) do what an adversary would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleanroom.guard import Response
from cleanroom.ledger.writer import receipt_path
from cleanroom.snapshot.readonly import connect
from tests.guardkit import Room, build, of


@pytest.fixture
def room(tmp_path: Path):
    r = build(tmp_path)
    yield r
    r.close()


def run(*argv: str | Path) -> None:
    subprocess.run([str(a) for a in argv], check=True, capture_output=True, timeout=30)


def _states(room: Room) -> list[tuple[int, int]]:
    return [(s.st_size, s.st_mtime_ns) for s in map(os.stat, room.guard.places.live_ledger_files)]


def test_cleanroom_own_reads_and_writes_raise_nothing(room: Room):
    before = _states(room)
    room.view(40)  # the room checkpoints every 4 pages: main file and WAL both written
    assert any(a != b for a, b in zip(before, _states(room), strict=True))
    room.read_snapshot()
    assert room.quiet(0.6) == []


def test_another_process_reading_the_snapshot_is_caught_within_a_second(room: Room):
    room.view(3)
    child = "import sys; f = open(sys.argv[1], 'rb'); f.read(); f.close()"  # a second process
    run(sys.executable, "-c", child, room.snapshot_path)
    took = room.wait(lambda a: of("snapshot_access", a) != [])
    (alert,) = of("snapshot_access", room.seen)
    assert took < 1.0
    assert alert.response == Response.LOCK  # review default: lock
    assert "opened" in alert.detail and str(room.snapshot_path) in alert.detail


def test_demo_mode_records_the_same_access(tmp_path: Path):
    room = build(tmp_path, mode="demo")
    try:
        run("cat", room.snapshot_path)
        room.wait(lambda a: of("snapshot_access", a) != [])
        assert {a.response for a in room.seen} == {"record"}
    finally:
        room.close()


def test_copying_the_ledger_elsewhere_is_caught(room: Room, tmp_path: Path):
    room.view(2)
    run("cp", room.ledger.path, tmp_path / "stolen.ledger")
    room.wait(lambda a: of("ledger_copy", a) != [])
    (alert,) = of("ledger_copy", room.seen)
    assert alert.response == Response.RECORD and "opened" in alert.detail
    assert of("ledger_tamper", room.quiet(0.3)) == []  # reading is not tampering


def test_a_new_directory_under_a_media_root_is_caught(room: Room):
    run("mkdir", room.media / "USB-STICK")
    room.wait(lambda a: of("media", a) != [])
    (alert,) = of("media", room.seen)
    assert alert.response == Response.RECORD and "created" in alert.detail
    assert "USB-STICK" in alert.detail


def test_files_written_inside_a_new_directory_on_a_medium_are_caught(room: Room):
    (room.media / "stick").mkdir()
    room.wait(lambda a: of("media", a) != [])
    run("cp", room.snapshot_path, room.media / "stick" / "copy.snapshot")
    room.wait(lambda a: "copy.snapshot" in " ".join(x.detail for x in of("media", a)))
    # And the read of the source was seen too: by another watcher thread, so it may
    # come after the medium's alert (it did, once, in a full run).
    room.wait(lambda a: of("snapshot_access", a) != [])


def test_modifying_the_keys_directory_is_caught(room: Room):
    run("sh", "-c", f"echo x >> '{room.keys / 'workstation.cert'}'")
    room.wait(lambda a: "modified" in " ".join(x.detail for x in of("keys_access", a)))
    assert {a.response for a in of("keys_access", room.seen)} == {Response.LOCK}


def test_reading_a_key_is_caught(room: Room):
    run("cat", room.keys / "workstation.key")
    room.wait(lambda a: of("keys_access", a) != [])
    assert "opened" in of("keys_access", room.seen)[0].detail


def test_another_process_writing_the_live_ledger_ends_the_session(room: Room):
    room.view(2)
    run("sh", "-c", f"printf junk >> '{room.ledger.path}-wal'")
    room.wait(lambda a: of("ledger_tamper", a) != [])
    alert = of("ledger_tamper", room.seen)[0]
    assert alert.response == Response.END
    assert "outside Cleanroom" in alert.detail


def test_a_change_between_two_own_commits_is_not_hidden_by_the_next_commit(room: Room):
    room.view(1)
    before = os.stat(room.ledger.path)
    os.utime(room.ledger.path, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    room.view(1)  # the next own commit checks first, so the change is already queued
    alerts = room.guard.drain()
    assert [a.category for a in alerts] == ["ledger_tamper"]
    assert "main" not in alerts[0].detail and "written" in alerts[0].detail


def test_deleting_the_ledger_directory_is_a_guard_failure(room: Room):
    room.view(1)
    shutil.rmtree(room.ledgers)
    # inotify reports a directory's own deletion only once nothing holds it, and the
    # open ledger inside does: the poll's health check finds the watch lost.
    room.wait(lambda a: of("guard_failure", a) != [], timeout=2.0)
    assert of("ledger_tamper", room.seen)  # the files inside went first
    failure = of("guard_failure", room.seen)[0]
    assert str(room.ledgers) in failure.detail and "gone" in failure.detail
    assert failure.response == Response.LOCK
    room.quiet(0.5)  # reported once, not at every poll
    assert len(of("guard_failure", room.seen)) == 1


def test_deleting_an_idle_watched_directory_is_reported_at_once(room: Room):
    shutil.rmtree(room.media)
    room.wait(lambda a: of("guard_failure", a) != [])
    assert "media root" in of("guard_failure", room.seen)[0].detail
    room.quiet(0.5)
    assert len(of("guard_failure", room.seen)) == 1


def test_a_sealed_ledger_or_receipt_changed_beside_the_session_is_tampering(room: Room):
    room.guard.stop(settle=0)
    old = room.ledger.path
    room.ledger.seal("reviewer")
    from tests.ledgerkit import Kit

    live = Kit("second").new_ledger(room.ledgers)
    try:
        from cleanroom.guard import Guard, Places

        places = Places.of(room.snapshot_path, live.path, [room.keys], [room.media])
        room.guard = Guard(room.guard.policy, places, network=room.guard._read_network,
                           netlink=False)  # fmt: skip
        room.guard.start()
        run("sh", "-c", f"echo '{{}}' > '{receipt_path(old)}'")
        room.wait(lambda a: of("ledger_tamper", a) != [])
        assert receipt_path(old).name in of("ledger_tamper", room.seen)[0].detail
    finally:
        room.guard.stop(settle=0)
        live.close()


def test_stop_before_seal_keeps_the_seal_itself_out_of_the_alerts(room: Room):
    room.view(3)
    final = room.guard.stop()
    room.recorder.seal("reviewer")
    assert final == [] and room.guard.drain() == []


def test_a_hostile_file_name_still_makes_a_recordable_alert(room: Room):
    name = os.fsencode(room.media) + b"/\xff\x1b[2J-evil"
    os.mkdir(name)
    room.wait(lambda a: of("media", a) != [])
    alert = of("media", room.seen)[0]
    assert "\\xff" in alert.detail
    room.recorder.record(alert)  # the ledger's canonical encoding accepts it


def test_a_hard_link_to_the_snapshot_made_elsewhere_is_noticed(room: Room, tmp_path: Path):
    os.link(room.snapshot_path, tmp_path / "elsewhere.snapshot")
    room.wait(lambda a: of("snapshot_access", a) != [], timeout=2.0)  # by the poll, at worst
    assert "hard link" in " ".join(a.detail for a in of("snapshot_access", room.seen))


# -- Cleanroom re-opening the snapshot (a search connection) ------------------------


def test_an_announced_own_reopen_of_the_snapshot_raises_nothing(room: Room):
    with room.guard.own_opens(room.snapshot_path, 2):
        conn = connect(room.snapshot_path, mmap=True)
    conn.execute("SELECT count(*) FROM files").fetchone()
    conn.close()
    assert room.quiet(0.5) == []


def test_a_foreign_open_during_an_announced_reopen_is_still_one_alert(room: Room):
    with room.guard.own_opens(room.snapshot_path, 2):
        run("cat", room.snapshot_path)  # lands inside the announcement, and first
        conn = connect(room.snapshot_path, mmap=True)
    conn.close()
    alerts = of("snapshot_access", room.quiet(0.5))
    assert sum(a.count for a in alerts) == 1


def test_a_failed_reopen_withdraws_its_credit_after_the_grace(room: Room):
    """The credits of failed code lapse `grace` seconds later (OwnOpens): then a
    foreign open is reported again."""
    with pytest.raises(RuntimeError), room.guard.own_opens(room.snapshot_path, 2):
        raise RuntimeError("the open never happened")
    time.sleep(room.guard._opens._grace + 0.1)
    run("cat", room.snapshot_path)
    room.wait(lambda a: of("snapshot_access", a) != [])


def test_an_unannounced_own_reopen_is_reported(room: Room):
    connect(room.snapshot_path).close()
    room.wait(lambda a: of("snapshot_access", a) != [])


def test_key_files_outside_the_keys_directory_are_watched_where_they_live(room: Room):
    """The reviewer's private key in their home and the trusted vendor key in a
    directory of its own: reading either is caught; other files there are not
    the guard's business."""
    from cleanroom.guard import Guard, Places
    from tests.guardkit import AIR_GAPPED

    home, trust = room.root / "home" / ".cleanroom", room.root / "trust"
    home.mkdir(parents=True)
    trust.mkdir()
    (home / "reviewer.key").write_bytes(b"reviewer key")
    (home / "notes.txt").write_text("not a key")
    (trust / "vendor.pub").write_bytes(b"vendor key")
    room.guard.stop(settle=0)
    places = Places.of(room.snapshot_path, room.ledger.path, [room.keys], [room.media],
                       [home / "reviewer.key", trust / "vendor.pub"])  # fmt: skip
    room.guard = Guard(room.guard.policy, places, network=lambda: AIR_GAPPED, netlink=False)
    room.guard.start()
    run("cat", home / "notes.txt")
    assert room.quiet(0.4) == []
    run("cat", home / "reviewer.key")
    room.wait(lambda a: "reviewer.key" in " ".join(x.detail for x in of("keys_access", a)))
    run("sh", "-c", f"echo x >> '{trust / 'vendor.pub'}'")
    room.wait(lambda a: "vendor.pub" in " ".join(x.detail for x in of("keys_access", a)))
    assert {a.response for a in of("keys_access", room.seen)} == {Response.LOCK}
    shutil.rmtree(home)
    room.wait(lambda a: "key file directory" in " ".join(x.detail for x in of("guard_failure", a)))


def test_review_hands_the_guard_every_key_file_it_was_given(tmp_path: Path):
    from cleanroom.cli.review import _key_files

    given = {"workstation_key": "/k/ws.key", "cert": "/k/ws.cert", "trust": "/etc/vendor.pub",
             "reviewer_key": "/home/r/reviewer.key", "snapshot": "/s"}  # fmt: skip
    assert [str(p) for p in _key_files(given)] == [
        "/k/ws.key", "/k/ws.cert", "/etc/vendor.pub", "/home/r/reviewer.key"
    ]  # fmt: skip
    assert [str(p) for p in _key_files({**given, "reviewer_key": None})][-1] == "/etc/vendor.pub"
