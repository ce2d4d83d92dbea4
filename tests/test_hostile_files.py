"""Hostile files given to the verifier: `verify_path` and `cleanroom verify`.

Expectations come from docs/ledger-format.md §2 (exact schema, pragmas), §3.1
(body layout, at most 1 MiB), §5.1 (NOT_SQLITE / CORRUPT / SCHEMA / EMPTY /
ENCODING, sidecars) and the CLI's documented exit codes: 0 intact and sealed,
1 tampered / invalid / untrusted, 3 incomplete, 2 usage. Every case must finish
quickly (a FIFO or a locked file must not hang the verifier) and the CLI must
never print a traceback or a raw escape character.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from cleanroom.ledger.load import load_path
from cleanroom.ledger.schema import ENTRIES_DDL
from cleanroom.ledger.verdict import Status, Verdict
from cleanroom.ledger.verify import verify_path
from tests.ledgerkit import Kit, writable

REPO = Path(__file__).resolve().parent.parent
CLI = REPO / ".venv" / "bin" / "cleanroom"
VENV_PY = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PY if VENV_PY.exists() else Path(sys.executable))
KIT = Kit("hostile")
SECONDS = 20  # far more than any case needs; a hang fails instead of blocking the suite


# -- building blocks -------------------------------------------------------------------


def sealed_ledger(directory: Path, views: int = 4) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    ledger = KIT.new_ledger(directory, views=views)
    ledger.seal(countersigner=KIT.reviewer)
    return ledger.path


def crashed_ledger(directory: Path, views: int = 5) -> Path:
    """An unsealed ledger whose newest entries are only in its -wal, as after a crash:
    the files are copied while the writer still has them open."""
    live = directory / "live"
    live.mkdir(parents=True)
    ledger = KIT.new_ledger(live, views=views)
    try:
        for p in live.iterdir():
            shutil.copyfile(p, directory / p.name)
    finally:
        ledger.close()
    path = directory / ledger.path.name
    assert Path(f"{path}-wal").stat().st_size > 0
    return path


def wal_tampered_ledger(directory: Path) -> Path:
    """A sealed ledger an attacker reopened in WAL mode and altered; the altered page
    is only in the -wal (copied while the attacker's connection is open)."""
    original = sealed_ledger(directory / "orig")
    os.chmod(original, 0o644)
    conn = sqlite3.connect(original, isolation_level=None)
    try:
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
        conn.execute(
            "UPDATE entries SET body = CAST(x'00' || substr(body, 2) AS BLOB) WHERE seq = 2"
        )
        for name in ("", "-wal"):
            shutil.copyfile(f"{original}{name}", directory / f"{original.name}{name}")
    finally:
        conn.close()
    return directory / original.name


LOOSE_DDL = "CREATE TABLE entries (seq INTEGER PRIMARY KEY, body, sig)"


def bypass_strict(path: Path, sql: str, *args: object) -> None:
    """Store what the STRICT table refuses, then put back the exact ledger schema
    text (what an attacker with PRAGMA writable_schema can do)."""
    for step in ("loosen", "write", "restore"):
        with writable(path) as conn:
            if step == "write":
                conn.execute(sql, args)
                continue
            conn.execute("PRAGMA writable_schema = ON")
            ddl = LOOSE_DDL if step == "loosen" else ENTRIES_DDL
            conn.execute("UPDATE sqlite_schema SET sql = ? WHERE name = 'entries'", (ddl,))


def alter(path: Path, sql: str, *args: object) -> None:
    with writable(path) as conn:
        conn.execute(sql, args)


def trust_file(directory: Path) -> Path:
    path = directory / "vendor.pub"
    pem = KIT.vendor.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.write_bytes(pem)
    return path


def bounded(fn: Callable[[], object], seconds: float = SECONDS) -> object:
    """Run fn in a thread; fail (rather than hang the suite) if it does not return."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"verification did not finish within {seconds} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]


# -- the cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]
    status: Status
    codes: tuple[str, ...] = ()  # all of these must be present
    exact: bool = False  # ...and nothing else
    one_of: tuple[str, ...] = ()  # at least one of these must be present
    at: tuple[tuple[int, str], ...] = ()  # (seq, code) findings that must be present
    absent: tuple[str, ...] = ()
    entries: int | None = None  # summary["entries"]
    max_seconds: float = 5.0

    @property
    def exit(self) -> int:
        return {Status.INTACT: 0, Status.TAMPERED: 1, Status.INCOMPLETE: 3}[self.status]


def _file(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / name
        p.write_bytes(data)
        return p

    return build


def _sparse(d: Path) -> Path:
    p = d / "huge.ledger"
    with open(p, "wb") as f:
        f.truncate(2 * 1024**3)
    return p


def _truncated(cut: int | str) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        src = sealed_ledger(d / "src", views=40)
        data = src.read_bytes()
        # "last_entry": cut just before the file's last non-zero byte (the end of an
        # entry's cell: a short read is zero-filled, so trailing zero bytes would not count).
        last_entry = len(data.rstrip(b"\0")) - 1
        n = {"last_page": len(data) - 4096, "last_entry": last_entry}.get(cut, cut)
        assert isinstance(n, int) and 0 <= n < len(data)
        p = d / f"cut-{cut}.ledger"
        p.write_bytes(data[:n])
        return p

    return build


def _other_schema(d: Path) -> Path:
    p = d / "other.ledger"
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('hello')")
    conn.commit()
    conn.close()
    return p


def _altered(sql: str, *args: object, strict: bool = True) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = sealed_ledger(d)
        (alter if strict else bypass_strict)(p, sql, *args)
        return p

    return build


def _schema_not_utf8(d: Path) -> Path:
    p = sealed_ledger(d)
    data = bytearray(p.read_bytes())
    i = data.index(b"CREATE TABLE entries")
    # "CREATE" becomes "CRE\xc1TE": SQLite's syntax error quotes the invalid UTF-8.
    data[i + 3] ^= 0x80
    os.chmod(p, 0o644)
    p.write_bytes(bytes(data))
    return p


def _fifo(d: Path) -> Path:
    p = d / "pipe.ledger"
    os.mkfifo(p)
    return p


def _fifo_wal(d: Path) -> Path:
    p = sealed_ledger(d)
    os.mkfifo(f"{p}-wal")
    return p


def _link_to(target: Callable[[Path], Path] | str) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        real = Path(target) if isinstance(target, str) else target(d / "real")
        link = d / "link.ledger"
        link.symlink_to(real)
        return link

    return build


def _escape_name(d: Path) -> Path:
    p = d / "\x1b[2J\x1b]0;owned\x07evil.ledger"
    p.write_bytes(b"")
    return p


RANDOM = random.Random(4242).randbytes(10_000)
HEADER = b"SQLite format 3\x00"
T = Status.TAMPERED

CASES: dict[str, Case] = {
    "empty_file": Case(_file("empty.ledger", b""), T, ("NOT_SQLITE",), exact=True),
    "random_bytes": Case(_file("random.ledger", RANDOM), T, ("NOT_SQLITE",), exact=True),
    "text_file": Case(
        _file("notes.ledger", b"just some notes\n" * 200), T, ("NOT_SQLITE",), exact=True
    ),
    "sqlite_header_then_random": Case(
        _file("junk.ledger", HEADER + RANDOM), T, one_of=("NOT_SQLITE", "CORRUPT")
    ),
    # The header check fails at byte 0: this must not read 2 GB.
    "sparse_2gb": Case(_sparse, T, ("NOT_SQLITE",), exact=True, max_seconds=2.0),
    "truncated_to_10_bytes": Case(_truncated(10), T, ("NOT_SQLITE",), exact=True),
    "truncated_to_100_bytes": Case(_truncated(100), T, one_of=("NOT_SQLITE", "CORRUPT")),
    "truncated_to_1_page": Case(_truncated(4096), T, one_of=("NOT_SQLITE", "CORRUPT")),
    "truncated_mid_page_2": Case(_truncated(6000), T, one_of=("NOT_SQLITE", "CORRUPT")),
    "truncated_by_last_page": Case(_truncated("last_page"), T, one_of=("NOT_SQLITE", "CORRUPT")),
    "truncated_inside_last_entry": Case(_truncated("last_entry"), T),
    "other_schema": Case(_other_schema, T, ("SCHEMA",)),
    "wrong_application_id": Case(_altered("PRAGMA application_id = 1"), T, ("SCHEMA",), exact=True),
    "wrong_user_version": Case(_altered("PRAGMA user_version = 2"), T, ("SCHEMA",), exact=True),
    "extra_table": Case(_altered("CREATE TABLE x (a)"), T, ("SCHEMA",), exact=True),
    "extra_index": Case(_altered("CREATE INDEX i ON entries (body)"), T, ("SCHEMA",), exact=True),
    "extra_view": Case(
        _altered("CREATE VIEW v AS SELECT * FROM entries"), T, ("SCHEMA",), exact=True
    ),
    "extra_trigger": Case(
        _altered("CREATE TRIGGER t AFTER INSERT ON entries BEGIN SELECT 1; END"),
        T,
        ("SCHEMA",),
        exact=True,
    ),
    "extra_sqlite_stat1": Case(_altered("ANALYZE"), T, ("SCHEMA",), exact=True),
    "schema_text_not_utf8": Case(_schema_not_utf8, T, one_of=("CORRUPT", "SCHEMA")),
    "zero_rows": Case(_altered("DELETE FROM entries"), T, ("EMPTY",), exact=True),
    "body_is_text": Case(
        _altered("UPDATE entries SET body = hex(body) WHERE seq = 2", strict=False),
        T,
        at=((2, "ENCODING"),),
        entries=6,
    ),
    # One undecodable TEXT value must not hide the other entries: the verifier
    # names entry 2, rather than calling a six-entry ledger EMPTY.
    "body_is_text_not_utf8": Case(
        _altered(
            "UPDATE entries SET body = CAST(x'ff' || body AS TEXT) WHERE seq = 2", strict=False
        ),
        T,
        at=((2, "ENCODING"),),
        absent=("EMPTY",),
        entries=6,
    ),
    "sig_is_null": Case(
        _altered("UPDATE entries SET sig = NULL WHERE seq = 2", strict=False),
        T,
        at=((2, "ENCODING"),),
        entries=6,
    ),
    "body_is_5_mb": Case(
        _altered("UPDATE entries SET body = randomblob(5 * 1024 * 1024) WHERE seq = 2"),
        T,
        at=((2, "ENCODING"),),
        entries=6,
    ),
    "fifo": Case(_fifo, T, ("NOT_SQLITE",), exact=True),
    "fifo_as_wal_sidecar": Case(_fifo_wal, Status.INTACT, ("SIDECAR",), exact=True),
    "symlink_to_dev_zero": Case(_link_to("/dev/zero"), T, ("NOT_SQLITE",), exact=True),
    "symlink_to_sealed_ledger": Case(_link_to(sealed_ledger), Status.INTACT, exact=True, entries=6),
    # The link's target keeps its -wal beside it; the verifier must apply it, or it
    # silently reports only the checkpointed entries (here: 1 of 6).
    "symlink_to_crashed_ledger": Case(
        _link_to(crashed_ledger), Status.INCOMPLETE, ("UNSEALED",), exact=True, entries=6
    ),
    # The -wal put the sealed file back in WAL mode: SEAL_UNFINISHED names it, not SIDECAR.
    "ledger_tampered_in_its_wal": Case(
        wal_tampered_ledger, T, ("SEAL_UNFINISHED",), at=((2, "ENCODING"),)
    ),
    # ...and through a symlink the verifier must still see that -wal, not call it INTACT.
    "symlink_to_ledger_tampered_in_its_wal": Case(
        _link_to(wal_tampered_ledger), T, at=((2, "ENCODING"),)
    ),
    "escape_sequences_in_name": Case(_escape_name, T, ("NOT_SQLITE",), exact=True),
}


def check(case: Case, codes: list[str], at: set[tuple[int, str]], entries: int | None) -> None:
    for code in case.codes:
        assert code in codes, f"{code} missing from {codes}"
    if case.exact:
        assert codes == sorted(case.codes), codes
    if case.one_of:
        assert set(case.one_of) & set(codes), f"none of {case.one_of} in {codes}"
    for want in case.at:
        assert want in at, f"{want} missing from {sorted(at)}"
    for code in case.absent:
        assert code not in codes, f"{code} should not be reported: {codes}"
    if case.entries is not None:
        assert entries == case.entries


@pytest.mark.parametrize("name", list(CASES))
def test_verify_path(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = case.build(tmp_path)
    started = time.monotonic()
    v = bounded(lambda: verify_path(path, KIT.trust))
    elapsed = time.monotonic() - started
    assert isinstance(v, Verdict)
    assert v.status is case.status, v.findings
    check(case, v.codes(), {(f.seq, f.code) for f in v.findings}, v.summary.get("entries"))
    assert elapsed < case.max_seconds, f"took {elapsed:.1f} s"


def test_symlink_reads_like_its_target(tmp_path: Path) -> None:
    """Verifying through a symlink reads the target's rows, applying the target's -wal."""
    for make in (sealed_ledger, crashed_ledger, wal_tampered_ledger):
        d = tmp_path / make.__name__
        real = make(d / "real")
        link = d / "link.ledger"
        link.symlink_to(real)
        assert load_path(link).rows == load_path(real).rows, make.__name__


# -- usage mistakes: the library raises, the CLI exits 2 ----------------------------------


def _empty_dir(d: Path) -> Path:
    p = d / "nothing-here"
    p.mkdir()
    (p / "notes.txt").write_text("not a ledger")
    (p / ".20260921T000000Z-00000000.ledger.creating").write_bytes(b"")
    return p


def _dangling(d: Path) -> Path:
    p = d / "dangling.ledger"
    p.symlink_to(d / "gone.ledger")
    return p


USAGE: dict[str, tuple[Callable[[Path], Path], type[Exception]]] = {
    "directory_without_ledgers": (_empty_dir, IsADirectoryError),
    "missing_path": (lambda d: d / "missing.ledger", FileNotFoundError),
    "dangling_symlink": (_dangling, FileNotFoundError),
}


@pytest.mark.parametrize("name", list(USAGE))
def test_verify_path_usage_errors(tmp_path: Path, name: str) -> None:
    build, error = USAGE[name]
    path = build(tmp_path)
    with pytest.raises(error):
        bounded(lambda: verify_path(path, KIT.trust))


# -- locked ledgers: another process holds the database ------------------------------

LOCKER = r"""
import sqlite3, sys, time
path, how = sys.argv[1], sys.argv[2]
if how == "writer":
    from tests.ledgerkit import Kit
    from pathlib import Path
    ledger = Kit("hostile").new_ledger(Path(path), views=5)
else:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    if how == "exclusive_write":
        conn.execute("UPDATE entries SET body = x'00' WHERE seq = 1")
        conn.execute("DELETE FROM entries WHERE seq > 2")
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def locker():
    procs: list[subprocess.Popen[str]] = []

    def start(path: Path, how: str) -> None:
        proc = subprocess.Popen(
            [PYTHON, "-c", LOCKER, str(path), how],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "locked\n", f"locker failed: {line!r} {proc.stderr and proc.stderr.read()}"

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()


def _locked(tmp_path: Path, locker, how: str) -> tuple[Path, list[object] | None]:
    if how == "writer":
        d = tmp_path / "live"
        d.mkdir()
        locker(d, how)
        (path,) = d.glob("*.ledger")
        return path, None
    path = sealed_ledger(tmp_path / "sealed")
    rows = load_path(path).rows
    os.chmod(path, 0o644)  # the locker opens it for writing
    locker(path, how)
    return path, rows


# how -> (status, codes): an uncommitted write leaves a hot -journal beside the sealed
# file, which is a SIDECAR warning; the committed content is what counts.
LOCKS = {
    "exclusive": (Status.INTACT, []),
    "exclusive_write": (Status.INTACT, ["SIDECAR"]),
    "writer": (Status.INCOMPLETE, ["UNSEALED"]),  # the recorder is still running
}


@pytest.mark.parametrize("how", list(LOCKS))
def test_locked_ledger_verifies_without_waiting(tmp_path: Path, locker, how: str) -> None:
    path, rows = _locked(tmp_path, locker, how)
    started = time.monotonic()
    v = bounded(lambda: verify_path(path, KIT.trust))
    assert time.monotonic() - started < 3, "verification waited for the lock"
    assert (v.status, v.codes()) == LOCKS[how], v.findings
    assert v.summary["entries"] == 6
    if rows is not None:  # the verifier saw the committed rows, not the pending ones
        assert load_path(path).rows == rows


# -- the command line --------------------------------------------------------------------


def cli_ready() -> bool:
    if not CLI.exists():
        return False
    r = subprocess.run([str(CLI), "verify", "--help"], capture_output=True, text=True, timeout=60)
    return r.returncode == 0 and "--trust" in r.stdout


needs_cli = pytest.mark.skipif(not cli_ready(), reason="cleanroom verify is not installed yet")


def run_cli(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    trust = trust_file(tmp_path)
    r = subprocess.run(
        [str(CLI), "verify", *args, "--trust", str(trust)],
        capture_output=True,
        text=True,
        timeout=timeout,
        errors="replace",
    )
    assert "Traceback" not in r.stderr, r.stderr
    assert "\x1b" not in r.stdout and "\x1b" not in r.stderr, "raw escape printed"
    return r


@needs_cli
@pytest.mark.parametrize("name", list(CASES))
def test_cli(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = case.build(tmp_path)
    r = run_cli(tmp_path, str(path), "--json")
    assert r.returncode == case.exit, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    doc = json.loads(r.stdout)
    assert doc["status"] == case.status.value
    (ledger,) = doc["ledgers"]
    codes = sorted({f["code"] for f in ledger["findings"]})
    at = {(f["seq"], f["code"]) for f in ledger["findings"]}
    check(case, codes, at, ledger["summary"].get("entries"))


@needs_cli
@pytest.mark.parametrize("name", ["empty_file", "fifo", "symlink_to_sealed_ledger"])
def test_cli_text_output(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = case.build(tmp_path)
    r = run_cli(tmp_path, str(path))
    assert r.returncode == case.exit, (r.returncode, r.stdout, r.stderr)
    assert case.status.value in r.stdout


@needs_cli
@pytest.mark.parametrize("name", list(USAGE))
def test_cli_usage_errors(tmp_path: Path, name: str) -> None:
    build, _ = USAGE[name]
    path = build(tmp_path)
    r = run_cli(tmp_path, str(path))
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip(), "a usage error must say what is wrong"
    assert r.stdout == "", "nothing was verified, so nothing is printed"


@needs_cli
@pytest.mark.parametrize("how", list(LOCKS))
def test_cli_locked_ledger(tmp_path: Path, locker, how: str) -> None:
    path, _ = _locked(tmp_path, locker, how)
    r = run_cli(tmp_path, str(path), "--json", timeout=30)
    status, codes = LOCKS[how]
    assert r.returncode == {Status.INTACT: 0, Status.INCOMPLETE: 3}[status], r.stdout
    (ledger,) = json.loads(r.stdout)["ledgers"]
    assert sorted({f["code"] for f in ledger["findings"]}) == codes


def test_an_sqlite_error_quoting_bad_bytes_is_shown_as_text() -> None:
    """Python raises UnicodeDecodeError when SQLite's message quotes non-UTF-8 bytes of
    a damaged schema; the finding shows the message, not the codec's complaint."""
    from cleanroom.ledger.load import failure

    exc = UnicodeDecodeError("utf-8", b"malformed database schema (\xff\xfe)", 27, 28, "bad")
    finding = failure(exc)
    assert finding.code == "CORRUPT"
    assert finding.message.startswith("malformed database schema")
    assert "codec" not in finding.message
