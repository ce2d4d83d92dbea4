"""The ledger quota (recorder/quota.py, protocol.md §8a): a reviewer who grows the
ledger with valid requests is stopped before the disk is full, with the reason
recorded and the session sealed while there is room; no session starts while the
ledgers' filesystem is short of its reserve. Real recorder processes, real
ledgers, and (as root) a real small filesystem (tmpfs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from cleanroom.ledger.keys import raw_public
from cleanroom.ledger.verify import verify_path
from cleanroom.recorder import messages as m
from cleanroom.recorder.client import NotAdmitted, RemoteService
from cleanroom.recorder.quota import MIB, LedgerQuota
from tests.ledgerkit import seeded_key
from tests.recorderkit import RawClient
from tests.recorderproc import build_room
from tests.test_recorder_faults import wait_for


def room_with(settings: str, mount_mib: int | None = None):
    built = build_room("seal")
    if mount_mib is not None:
        ledgers = built.base / "ledgers"
        ledgers.mkdir(mode=0o700)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mount_mib}m,mode=0700", "tmpfs",
                        str(ledgers)], check=True)  # fmt: skip
    built.config.write_text(
        built.config.read_text().replace("[recorder]", "[recorder]\n" + settings)
    )
    built.start()
    return built


@pytest.fixture
def rooms():
    made = []
    yield lambda *a, **k: made.append(room_with(*a, **k)) or made[-1]
    for built in made:
        if built.process is not None and built.process.poll() is None:
            built.stop()
        print(built.log()[-3000:])  # shown when the test failed
        if os.path.ismount(built.base / "ledgers"):
            subprocess.run(["umount", str(built.base / "ledgers")], check=False)
        shutil.rmtree(built.base, ignore_errors=True)


def read_until_refused(client: RawClient, most: int = 20_000):
    """View screen after screen (within the rate limit) until a view is refused."""
    o = client.ask(m.Open(path=b"src/long.py"))
    assert isinstance(o, m.Opened)
    for i in range(most):
        first = 1 + i % max(1, o.lines - 40)
        answer = client.ask(m.View(path=o.path, blob=o.blob, first=first, last=first + 39,
                                   col=0, cols=200))  # fmt: skip
        if not isinstance(answer, m.Lines):
            return answer
        time.sleep(0.006)  # under 200 a second: never refused for the rate
    raise AssertionError("never refused")


def last_entries(room, ledger=None) -> list[tuple[str, dict]]:
    return [(e.kind, e.payload) for e in room.entries(ledger) if e.kind != "alert"][-2:]


def intact(ledger) -> bool:
    verdict = verify_path(ledger, [raw_public(seeded_key("rec/vendor"))])
    return verdict.status == "INTACT"


def test_a_session_is_refused_and_sealed_at_its_ledger_quota(rooms):
    room = rooms("ledger_quota_mb = 0.25")
    client = RawClient(room.socket)
    first = client.hello()
    answer = read_until_refused(client)
    assert isinstance(answer, m.Refused) and answer.reason == "quota" and answer.seq > 0
    (refused, why), (end, sealed) = last_entries(room)
    assert (refused, why["reason"], why["request"]) == ("refused", "quota", "view")
    assert "its quota is 0.2 MiB" in why["detail"] or "its quota is 0.3 MiB" in why["detail"]
    assert (end, sealed["reason"]) == ("session_end", "quota")
    ledger = room.ledgers()[0]
    assert ledger.stat().st_size < 0.25 * MIB + 64 * 1024  # stopped at the quota, not later
    assert intact(ledger)
    # Nothing more is served in this session; the next one starts afresh.
    assert isinstance(client.ask(m.Open(path=b"README.md")), m.Refused)
    client.close()
    again = RawClient(room.socket)
    assert again.hello().session_id != first.session_id
    assert isinstance(again.ask(m.Open(path=b"README.md")), m.Opened)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to mount a small filesystem")
def test_a_small_disk_stops_the_session_before_it_is_full_and_starts_no_other(rooms):
    room = rooms("ledger_reserve_mb = 7", mount_mib=8)  # 1 MiB to record in, 7 kept free
    client = RawClient(room.socket)
    client.hello()
    answer = read_until_refused(client)
    assert isinstance(answer, m.Refused) and answer.reason == "quota"
    (refused, why), (end, sealed) = last_entries(room)
    assert refused == "refused" and "below the reserve of 7.0 MiB" in why["detail"]
    assert (end, sealed["reason"]) == ("session_end", "quota")
    fs = os.statvfs(room.base / "ledgers")
    assert fs.f_bavail * fs.f_frsize > 6 * MIB  # never full: the seal had room
    assert intact(room.ledgers()[0])
    client.close()
    # No session starts while the reserve is not free (another file took the room
    # the sealed ledger's journal gave back): nothing is written.
    filler = room.base / "ledgers" / "filler"
    fs = os.statvfs(room.base / "ledgers")
    filler.write_bytes(b"\0" * (fs.f_bavail * fs.f_frsize - int(6.5 * MIB)))
    with pytest.raises((ConnectionError, EOFError, OSError, AssertionError)):
        RawClient(room.socket).hello()
    wait_for(lambda: "no session can start" in room.log())
    assert len(room.ledgers()) == 1
    filler.unlink()  # room again: the next reviewer gets a session
    assert isinstance(RawClient(room.socket).hello(), m.Welcome)


def test_the_quota_counts_the_ledger_and_sqlite_files_beside_it(tmp_path):
    ledger = tmp_path / "x.ledger"
    ledger.write_bytes(b"x" * 1000)
    quota = LedgerQuota(2500, 0)
    assert quota.exceeded(ledger) is None
    (tmp_path / "x.ledger-wal").write_bytes(b"x" * 1500)
    assert "its quota is" in (quota.exceeded(ledger) or "")


def test_a_size_that_cannot_be_read_counts_as_exceeded(tmp_path):
    ledger = tmp_path / "x.ledger"
    ledger.mkdir()
    (ledger / "child").mkdir()
    quota = LedgerQuota(1 << 40, 0)
    assert quota.exceeded(tmp_path / "nothing" / "x.ledger") is not None  # no directory
    assert LedgerQuota(1 << 40, 1 << 62).exceeded(ledger) is not None  # never that much free


@pytest.mark.parametrize("key", ["ledger_quota_mb", "ledger_reserve_mb"])
@pytest.mark.parametrize("value", [0, -1, "1", True])
def test_quota_settings_must_be_sizes(key, value):
    import click

    from cleanroom.cli.recorder_config import recorder_config

    with pytest.raises(click.UsageError, match=key):
        recorder_config({"reviewers": ["user:root"], key: value}, "workstation.toml")


def test_a_terminal_is_told_why_no_session_can_start(rooms):
    """Issue 12's second attack, finding 3: a ledger disk below the reserve made the
    terminal say "Connection reset by peer"; the reason was only in recorder.log."""
    room = rooms("ledger_reserve_mb = 1e9")  # more than any disk has free
    with pytest.raises(NotAdmitted) as refused:
        RemoteService(room.socket)
    assert refused.value.reason == "no_session"
    assert "below the reserve of" in refused.value.detail, refused.value.detail
    assert room.ledgers() == []
