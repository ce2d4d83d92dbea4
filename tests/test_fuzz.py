"""Fuzzing of the verifier entry points, bounded for the suite (issue 10 §3).

Every entry point (tests/fuzz_targets.py) must, on any input, raise nothing but
its documented errors, finish within HANG_SECONDS and touch no file outside its
private temporary directory. Here that is checked on the committed corpus
(tests/fuzz_corpus: real seeds and every crash the long run found), then on
mutants of it: hypothesis, derandomized, drives the structure-aware mutators
(tests/fuzz_mutators.py), so the run is the same on every machine. The long,
coverage-guided run is `scripts/fuzz.py` (atheris); docs/fuzzing.md.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.ledger.encoding import EncodingError, parse_canonical
from cleanroom.ledger.load import load_bytes
from cleanroom.ledger.verify import verify_bytes
from cleanroom.ledger.witness import Receipt, WitnessError
from cleanroom.snapshot.readonly import SnapshotFileError, connect
from cleanroom.snapshot.verify import verify_bytes as snapshot_verify_bytes
from tests.fuzz_mutators import mutate, resign_chain
from tests.fuzz_targets import (
    CORPUS,
    HANG_SECONDS,
    LEDGER_TRUST,
    TARGETS,
    WroteFile,
    corpus_files,
    no_side_effects,
    pack,
    unpack,
)

EXAMPLES = {"ledger_image": 600, "ledger_files": 300, "snapshot": 150, "certificate": 500,
            "entry_body": 500, "canonical_json": 500, "witness": 400}  # fmt: skip
CORPUS_LIMIT = 2 << 20  # bytes: the corpus stays small enough to commit


def run_bounded(target: str, data: bytes) -> None:
    started = time.monotonic()
    TARGETS[target].run(data)
    took = time.monotonic() - started
    assert took < HANG_SECONDS, f"{target}: one input took {took:.1f} s"


CASES = [(t, f) for t in TARGETS for f in corpus_files(t)]


@pytest.mark.parametrize(("target", "path"), CASES, ids=[f"{t}/{f.name}" for t, f in CASES])
def test_the_corpus_keeps_every_invariant(target: str, path: Path) -> None:
    run_bounded(target, path.read_bytes())


def test_the_corpus_is_small_and_covers_every_target() -> None:
    total = sum(f.stat().st_size for f in CORPUS.rglob("*") if f.is_file())
    assert total < CORPUS_LIMIT
    assert {t for t in TARGETS if corpus_files(t)} == set(TARGETS)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_mutants_of_the_corpus_keep_every_invariant(target: str) -> None:
    files = [f.read_bytes() for f in corpus_files(target)]

    @settings(max_examples=EXAMPLES[target], derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.integers(0, len(files) - 1), st.randoms(use_true_random=False), st.integers(1, 4))
    def check(index: int, rng: random.Random, steps: int) -> None:
        data = files[index]
        for _ in range(steps):
            data = mutate(target, data, rng)
        run_bounded(target, data)

    check()


# -- the harness itself must be able to fail -------------------------------------------


def test_a_write_outside_the_private_directory_is_caught(tmp_path: Path) -> None:
    with pytest.raises(WroteFile, match="canary"), no_side_effects():
        (tmp_path / "canary").write_bytes(b"x")
    with pytest.raises(WroteFile, match="canary"), no_side_effects():
        os.remove(tmp_path / "canary")


def test_a_read_write_sqlite_connection_is_caught(tmp_path: Path) -> None:
    with pytest.raises(WroteFile, match="not read-only"), no_side_effects():
        sqlite3.connect(tmp_path / "x.db").close()


def test_a_file_left_in_the_private_directory_is_caught() -> None:
    import tempfile

    with pytest.raises(WroteFile, match="left behind"), no_side_effects():
        tempfile.mkstemp()


def test_a_relative_file_written_by_c_code_is_caught() -> None:
    # SQLite writes through its own C calls, which no audit hook sees: the empty
    # working directory catches a relative path.
    with pytest.raises(WroteFile, match="left behind: rel.db"), no_side_effects():
        conn = sqlite3.connect(":memory:")
        conn.execute("ATTACH 'rel.db' AS x")  # no audit event: only the directory shows it
        conn.execute("CREATE TABLE x.t (a)")
        conn.close()


def test_framing_is_lenient() -> None:
    assert unpack(pack([b"ab", b"c"]), 2) == [b"ab", b"c"]
    assert unpack(b"\x00\x00\x00\x09abc", 2) == [b"abc"]  # a length past the end
    assert unpack(b"\x00\x00", 2) == []


def test_resigned_mutants_reach_past_the_signature_checks() -> None:
    """The point of re-signing: mutants of a sealed ledger whose every entry
    still verifies, so the payload and sequence checks behind them run."""
    data = unpack((CORPUS / "ledger_image" / "sealed.ledger").read_bytes(), 1)[0]
    rows = [list(r) for r in load_bytes(data).rows]
    resign_chain(rows)
    from tests.fuzz_mutators import _with_rows

    again = verify_bytes(_with_rows(data, rows), LEDGER_TRUST)
    assert not {"SIGNATURE", "CHAIN"} & set(again.codes()), again.findings
    codes: Counter[str] = Counter()
    rng = random.Random(7)
    for _ in range(60):
        mutant = unpack(mutate("ledger_image", pack([data]), rng), 1)[0]
        verdict = verify_bytes(mutant, LEDGER_TRUST)
        codes.update(set(verdict.codes()) or {"none"})
    deep = {"ENCODING", "TOTALS", "SEQ_GAP", "SEQ_MISMATCH", "TIME_REVERSED", "CLOCK_STEP"}
    assert deep & set(codes), codes
    assert codes["SIGNATURE"] < 60, codes


# -- docs/fuzzing.md and scripts/fuzz.py -----------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "fuzz.py"


def test_the_docs_list_exactly_the_targets() -> None:
    text = (ROOT / "docs" / "fuzzing.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", text, re.M))
    assert documented == set(TARGETS)


def test_the_script_lists_its_targets_and_options() -> None:
    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = {line.split()[0] for line in run("--list").splitlines()}
    assert listed == set(TARGETS)
    usage = run("--help")
    for option in ("--seconds", "--target", "--crashes", "--work", "--seed", "--make-corpus"):
        assert option in usage
    choices = re.search(r"--target \{([\w,]+)\}", usage)
    assert choices is not None and set(choices.group(1).split(",")) == set(TARGETS)


# -- what the fuzzing found (each also a file in tests/fuzz_corpus) ----------------------


def test_a_receipt_nested_past_the_recursion_limit_is_unreadable(tmp_path: Path) -> None:
    """Found by the witness target: json.loads raised RecursionError out of
    Receipt.load, and `cleanroom verify --receipt` printed a traceback."""
    path = tmp_path / "deep.receipt.json"
    path.write_bytes(b"[" * 5000)
    with pytest.raises(WitnessError, match="unreadable receipt"):
        Receipt.load(path)
    path.write_bytes(b'{"format":"cleanroom.receipt.v1","seq":' + b"[" * 5000 + b"}")
    with pytest.raises(WitnessError, match="unreadable receipt"):
        Receipt.load(path)


BIG = b"1" * 5000  # over int()'s 4300-digit limit


def test_an_integer_over_4300_digits_is_an_encoding_error_everywhere() -> None:
    """Found with the canonical_json target: the decoder's int() raised a plain
    ValueError past its 4300-digit limit, so an unsigned row crashed `cleanroom
    verify` (every ledger of a directory run lost its verdict), decode_body,
    Certificate.parse and the snapshot manifest."""
    with pytest.raises(EncodingError, match="outside"):
        parse_canonical(b'{"a":' + BIG + b"}")
    with pytest.raises(EncodingError, match="outside"):
        parse_canonical(b"-" + BIG)
    assert parse_canonical(b"[-9007199254740991,9007199254740991]") == [-(2**53 - 1), 2**53 - 1]
    with pytest.raises(EncodingError, match="outside"):
        parse_canonical(b"90071992547409910")
    ledger = unpack((CORPUS / "ledger_image" / "crash-ledger-int-over-4300-digits").read_bytes(), 1)
    verdict = verify_bytes(ledger[0], LEDGER_TRUST)
    assert "ENCODING" in verdict.codes()
    snap = (CORPUS / "snapshot" / "crash-snapshot-manifest-int-over-4300-digits").read_bytes()
    from tests.snapshotkit import TRUST

    report = snapshot_verify_bytes(snap, TRUST)
    assert report.status.value != "INTACT", report.to_json()


@pytest.mark.parametrize("how", ["python", "c"])
def test_a_deleted_canary_is_caught(monkeypatch, how: str) -> None:
    """Deleted through Python, the audit hook sees it; deleted by C code (as SQLite
    deleted a super-journal), only the comparison of the evidence afterwards does."""
    import ctypes

    import tests.fuzz_targets as targets

    seed = (CORPUS / "ledger_files" / "journal-names-canary-absolute").read_bytes()
    real = targets.verify_path
    libc_unlink = ctypes.CDLL(None, use_errno=True).unlink

    def replaying(path: Path, *args, **kw):
        verdict = real(path, *args, **kw)
        if how == "python":
            os.unlink(targets.CANARY)
        else:
            assert libc_unlink(targets.CANARY.encode()) == 0
        return verdict

    monkeypatch.setattr(targets, "verify_path", replaying)
    expected = "os.remove" if how == "python" else "the evidence changed: canary.key"
    with pytest.raises(WroteFile, match=expected):
        targets.ledger_files(seed)


def schema_error_not_utf8() -> bytes:
    """A database whose schema SQLite rejects with a message quoting non-UTF-8 bytes."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute("CREATE TABLE files (a INTEGER) STRICT")
        conn.execute("PRAGMA writable_schema = ON")
        sql = b"CREATE TABLE files (\xa5\xa7 display TEXT) STRICT"
        conn.execute("UPDATE sqlite_schema SET sql = CAST(? AS TEXT) WHERE name = 'files'", (sql,))
        conn.execute("PRAGMA writable_schema = OFF")
        return conn.serialize()
    finally:
        conn.close()


def test_an_sqlite_error_that_is_not_utf8_is_a_corrupt_snapshot(tmp_path: Path) -> None:
    """Found by atheris (snapshot target, 2 s into its run): Python's sqlite3
    raises UnicodeDecodeError, not DatabaseError, when SQLite's message quotes
    bytes of a damaged schema, and the snapshot's connection guard let it out of
    `snapshot verify` and of opening a snapshot for review."""
    data = schema_error_not_utf8()
    from tests.snapshotkit import TRUST

    report = snapshot_verify_bytes(data, TRUST)
    assert [f["code"] for f in report.to_json()["findings"]] == ["CORRUPT"]
    assert "malformed database schema" in report.to_json()["findings"][0]["message"]
    path = tmp_path / "bad.snapshot"
    path.write_bytes(data)
    with pytest.raises(SnapshotFileError, match="malformed database schema"):
        connect(path)


def endless_view_with_schema_not_utf8(tmp_path: Path) -> bytes:
    """tests/hostile_sqlite.py's endless `files` view, with one non-UTF-8 byte
    in a comment of its SQL."""
    from tests.hostile_sqlite import snapshot_with_endless_files_view

    data = snapshot_with_endless_files_view(tmp_path / "endless.snapshot").read_bytes()
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.deserialize(data)
        conn.text_factory = bytes
        conn.execute("PRAGMA writable_schema = ON")
        sql = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'files'").fetchone()[0]
        update = "UPDATE sqlite_schema SET sql = CAST(? AS TEXT) WHERE name = 'files'"
        conn.execute(update, (sql + b" /*\xff*/",))
        conn.execute("PRAGMA writable_schema = OFF")
        return conn.serialize()
    finally:
        conn.close()


def test_a_snapshot_schema_that_cannot_be_read_stops_the_checks(tmp_path: Path) -> None:
    """Found by atheris (snapshot target, second run, 23 s in; the reproducer is
    crash-snapshot-integrity-check-not-utf8): a schema whose SQL is not UTF-8
    made the schema step raise, and the verifier went on to the next steps as
    if it had approved it: integrity_check raised UnicodeDecodeError, and an
    endless `files` view was read until SQLite's heap limit (MemoryError)."""
    from tests.snapshotkit import TRUST

    data = endless_view_with_schema_not_utf8(tmp_path)
    started = time.monotonic()
    report = snapshot_verify_bytes(data, TRUST).to_json()
    assert time.monotonic() - started < 10
    assert report["status"] != "INTACT"
    assert [f["code"] for f in report["findings"]] == ["CORRUPT"]
    assert report["findings"][0]["message"].startswith("schema: ")
    crash = (CORPUS / "snapshot" / "crash-snapshot-integrity-check-not-utf8").read_bytes()
    assert snapshot_verify_bytes(crash, TRUST).to_json()["status"] != "INTACT"
