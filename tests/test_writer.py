"""The ledger writer: durable appends, the key handoff, sealing and resuming."""

import os
import sqlite3
import threading

import pytest

from cleanroom.ledger.encoding import ZERO32, decode_body, signed_message
from cleanroom.ledger.keys import raw_public, verify_signature
from cleanroom.ledger.schema import ENTRIES_DDL
from cleanroom.ledger.verify import verify_path
from cleanroom.ledger.witness import Receipt, witness_code
from cleanroom.ledger.writer import Ledger, LedgerError, receipt_path
from tests.ledgerkit import Kit, View, read_rows


def test_each_entry_is_signed_by_the_key_its_predecessor_named(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir, views=3)
    ledger.seal()
    rows = read_rows(ledger.path)
    bodies = [decode_body(b) for _, b, _ in rows]
    ws_pub = kit.workstation.cert.key
    assert verify_signature(ws_pub, rows[0][2], signed_message(rows[0][1]))
    for (_, body, sig), before in zip(rows[1:], bodies, strict=False):
        assert verify_signature(before.next_key, sig, signed_message(body))
        assert not verify_signature(ws_pub, sig, signed_message(body))
    assert bodies[-1].kind == "session_end" and bodies[-1].next_key == ZERO32
    assert len({b.next_key for b in bodies[:-1]}) == len(bodies) - 1  # every key used once


def test_append_is_durable_when_it_returns(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)
    appended = ledger.append(View("cd" * 32, 1, 2))
    # A second, independent connection sees the committed row straight away.
    # timeout=0: the lock is held for the writer's life, so waiting out sqlite3's
    # default 5 s busy timeout before the error proved nothing more.
    conn = sqlite3.connect(f"file:{ledger.path}?mode=ro", uri=True, timeout=0)
    with pytest.raises(sqlite3.OperationalError):  # the writer holds an exclusive lock
        conn.execute("SELECT count(*) FROM entries").fetchone()
    conn.close()
    ledger.close()
    assert [r[0] for r in read_rows(ledger.path)] == [0, appended.seq]


def test_journal_settings_while_writing(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)
    conn = ledger._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("SELECT sql FROM sqlite_schema").fetchall() == [(ENTRIES_DDL,)]
    ledger.close()


def test_seal_checkpoints_makes_read_only_and_writes_a_matching_receipt(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir, views=2)
    receipt = ledger.seal(countersigner=kit.reviewer)
    assert not os.path.exists(f"{ledger.path}-wal")
    assert os.stat(ledger.path).st_mode & 0o777 == 0o444
    loaded = Receipt.load(receipt_path(ledger.path))
    assert loaded == receipt
    assert receipt.head == ledger.head.head and receipt.seq == 3
    text = receipt_path(ledger.path).read_text()
    assert witness_code(bytes.fromhex(receipt.head)) in text
    verdict = verify_path(ledger.path, kit.trust, receipts=[loaded])
    assert verdict.status == "INTACT" and verdict.summary["reviewer"]["countersigned"]
    with pytest.raises(LedgerError):
        ledger.append(View("cd" * 32, 1, 2))


def test_countersigning_with_another_key_is_refused(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)
    with pytest.raises(ValueError):
        ledger.seal(countersigner=kit.vendor)
    assert not ledger.sealed


def test_structural_kinds_cannot_be_appended_by_callers(kit, ledger_dir):
    from cleanroom.ledger.events import SessionEnd

    ledger = kit.new_ledger(ledger_dir)
    with pytest.raises(ValueError):
        ledger.append(SessionEnd(reason="x", entries=1))
    ledger.close()


def test_failed_append_records_nothing_and_the_ledger_carries_on(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)
    before = ledger.last
    real = ledger._conn
    ledger._conn = _FailingConnection(real)
    with pytest.raises(LedgerError):
        ledger.append(View("cd" * 32, 1, 2))
    assert ledger.last == before
    ledger._conn = real
    ledger.append(View("cd" * 32, 3, 4))
    ledger.seal()
    assert verify_path(ledger.path, kit.trust).status == "INTACT"


class _FailingConnection:
    """Stands in for a disk that refuses writes (SQLITE_FULL); reads still work."""

    def __init__(self, real):
        self.real = real

    def execute(self, sql, params=()):
        if sql.startswith("INSERT"):
            raise sqlite3.OperationalError("database or disk is full")
        return self.real.execute(sql, params)


FULL_DISK_CHILD = r"""
import resource, signal, sys
from pathlib import Path
from tests.ledgerkit import Kit, View
from cleanroom.ledger.writer import LedgerError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of dying
kit = Kit()
ledger = kit.new_ledger(Path(sys.argv[1]), views=5)
hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, hard))
ok = 0
try:
    while True:
        ledger.append(View("cd" * 32, ok, ok))
        ok += 1
except LedgerError as exc:
    print("failed after", ok, "with:", exc, flush=True)
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
ledger.append(View("cd" * 32, -1, -1))  # space is back: recording resumes
print("recovered", ledger.last.seq, flush=True)
"""


def test_a_real_write_limit_fails_closed_and_recovers(kit, ledger_dir):
    """The kernel refuses writes past RLIMIT_FSIZE (EFBIG), as a full disk would."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, str(ledger_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.getcwd(),
    )
    assert out.returncode == 0, out.stderr
    assert "failed after" in out.stdout and "recovered" in out.stdout
    (path,) = ledger_dir.glob("*.ledger")
    verdict = verify_path(path, kit.trust)
    assert verdict.status == "INCOMPLETE" and verdict.codes() == ["UNSEALED"]
    last_seq = int(out.stdout.split("recovered")[1])
    assert verdict.summary["head"]["seq"] == last_seq


def test_concurrent_appends_from_threads_keep_the_chain(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)

    def work(n):
        for i in range(50):
            ledger.append(View("cd" * 32, n, i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ledger.seal()
    verdict = verify_path(ledger.path, kit.trust)
    assert verdict.status == "INTACT" and verdict.summary["entries"] == 202


def test_resume_continues_the_chain_with_a_workstation_signed_entry(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir, views=2)
    ledger.close()  # as if the process died
    resumed = kit.resume(ledger.path)
    resumed.append(View("cd" * 32, 9, 9))
    resumed.seal(countersigner=kit.reviewer)
    rows = read_rows(ledger.path)
    resume = decode_body(rows[3][1])
    assert resume.kind == "session_resume"
    assert resume.payload["after_seq"] == 2
    assert verify_signature(kit.workstation.cert.key, rows[3][2], signed_message(rows[3][1]))
    verdict = verify_path(ledger.path, kit.trust)
    assert verdict.status == "INCOMPLETE" and verdict.codes() == ["RESUMED"]
    assert verdict.summary["resumes"] == [3]


def test_resume_refuses_sealed_and_foreign_ledgers(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)
    ledger.seal()
    with pytest.raises(LedgerError):
        kit.resume(ledger.path)
    other = Kit("other")
    open_ledger = kit.new_ledger(ledger_dir / "..", views=1)
    open_ledger.close()
    with pytest.raises(LedgerError):
        Ledger.resume(open_ledger.path, other.workstation)


def test_a_second_writer_cannot_open_the_same_ledger(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)
    with pytest.raises(LedgerError):
        kit.resume(ledger.path)
    ledger.append(View("cd" * 32, 1, 1))
    ledger.seal()
    assert verify_path(ledger.path, kit.trust).status == "INTACT"


def test_workstation_key_must_match_its_certificate(kit):
    from cleanroom.ledger.writer import Workstation

    with pytest.raises(ValueError):
        Workstation(kit.vendor, kit.workstation.cert)


def test_prev_session_links_sessions(kit, ledger_dir):
    first = kit.new_ledger(ledger_dir)
    first.seal()
    second = Ledger.create(
        ledger_dir,
        kit.workstation,
        kit.reviewer_ref(),
        prev_session=first.head,
        clock=kit.clock,
        keygen=kit.keys,
    )
    second.seal()
    body = decode_body(read_rows(second.path)[0][1])
    assert body.payload["prev_session"] == {
        "ledger": first.id,
        "seq": first.head.seq,
        "head": first.head.head,
    }
    assert raw_public(kit.keys.made[0]) == decode_body(read_rows(first.path)[0][1]).next_key
