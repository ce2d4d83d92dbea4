"""What a killed process leaves behind is removed by the next run, and only that.

Each case kills a real process (SIGKILL, at an exact point, by its own pid)
and then runs the next session start, snapshot creation or verification:

* a ledger being created (`.creating`, and an older release's `-journal`);
* a receipt being written (`.receipt.json.tmp`);
* a snapshot being built (`.partial`);
* a verifier's private copy of the evidence (`cleanroom-verify-*`).

A file or directory a live process is still making, a symbolic link, and
anything not named as ours, are left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from cleanroom.ledger.private_dir import PREFIX
from cleanroom.ledger.writer import Ledger
from tests.ledgerkit import Kit

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KIT = "leftovers"


def run_until_killed(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `code` in a child that SIGKILLs itself; return what it printed."""
    full = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, cwd=REPO, env=full, timeout=120,
    )  # fmt: skip
    assert out.returncode == -signal.SIGKILL, (out.returncode, out.stderr)
    return out.stdout


def start_live(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `code` in a child that prints "ready" and then waits to be killed."""
    full = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=full,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == "ready\n", (line, proc.stderr.read() if proc.stderr else "")
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def next_session(directory: Path) -> Ledger:
    kit = Kit(KIT)
    ledger = kit.new_ledger(directory, views=1, ledger_id=os.urandom(16))
    ledger.seal(countersigner=kit.reviewer)
    return ledger


def dot_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


# -- ledgers and receipts -------------------------------------------------------------

KILL_IN_RECEIPT = r"""
import os, signal, sys
from pathlib import Path
from cleanroom.ledger import witness
from tests.ledgerkit import Kit

real = witness.os.replace
def replace(src, dst):
    if str(dst).endswith(".receipt.json"):
        os.kill(os.getpid(), signal.SIGKILL)  # the .tmp is written, not yet renamed
    real(src, dst)
witness.os.replace = replace
kit = Kit(sys.argv[2])
kit.new_ledger(Path(sys.argv[1]), views=1).seal()
"""


def test_a_receipt_half_written_by_a_killed_seal_is_removed_next_session(tmp_path):
    run_until_killed(KILL_IN_RECEIPT, str(tmp_path), KIT)
    (tmp,) = tmp_path.glob("*.receipt.json.tmp")
    next_session(tmp_path)
    assert not tmp.exists()
    assert len(list(tmp_path.glob("*.receipt.json"))) == 1  # the new session's own


# An older release built the file with SQLite under its temporary name: killed
# mid-transaction, it left a hot rollback journal beside it.
KILL_IN_OLD_CREATE = r"""
import os, signal, sqlite3, sys
from pathlib import Path
tmp = Path(sys.argv[1]) / ".20261126T222223Z-6f767a4d.ledger.creating"
conn = sqlite3.connect(tmp, isolation_level=None)
conn.execute("PRAGMA cache_size = 1")  # spill to the file: the journal is hot
conn.execute("BEGIN")
conn.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB, sig BLOB)")
for i in range(50):
    conn.execute("INSERT INTO entries VALUES (?, ?, ?)", (i, os.urandom(3000), b"s" * 64))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_older_releases_creating_file_and_journal_are_removed(tmp_path):
    run_until_killed(KILL_IN_OLD_CREATE, str(tmp_path))
    assert dot_files(tmp_path) == [
        ".20261126T222223Z-6f767a4d.ledger.creating",
        ".20261126T222223Z-6f767a4d.ledger.creating-journal",
    ]
    next_session(tmp_path)
    assert dot_files(tmp_path) == []


HOLD_CREATING = r"""
import sys, time
from pathlib import Path
from cleanroom.ledger.leftovers import making_files_in
directory = Path(sys.argv[1])
with making_files_in(directory):
    (directory / ".20261126T222223Z-0000beef.ledger.creating").write_bytes(b"x")
    print("ready", flush=True)
    time.sleep(120)
"""


def test_a_ledger_another_process_is_still_creating_is_kept(tmp_path):
    (tmp_path / "notes.creating").write_text("not ours")
    (tmp_path / ".x.ledger.creating-link").symlink_to(tmp_path / "notes.creating")
    live = start_live(HOLD_CREATING, str(tmp_path))
    try:
        next_session(tmp_path)
        assert ".20261126T222223Z-0000beef.ledger.creating" in dot_files(tmp_path)
    finally:
        stop(live)
    next_session(tmp_path)  # its writer is gone now
    assert dot_files(tmp_path) == [".x.ledger.creating-link"]
    assert (tmp_path / "notes.creating").read_text() == "not ours"


# -- snapshots ------------------------------------------------------------------------

KILL_IN_SNAPSHOT = r"""
import os, signal, sys
from pathlib import Path
from cleanroom.snapshot.create import create_snapshot
from tests.ledgerkit import seeded_key

def progress(_):
    os.kill(os.getpid(), signal.SIGKILL)  # the .partial is being written

src, out = Path(sys.argv[1]), Path(sys.argv[2])
create_snapshot(src, out, seeded_key("leftovers/vendor"), "n", "1", progress=progress)
"""


def test_a_partial_snapshot_of_a_killed_creator_is_removed_next_time(tmp_path):
    from cleanroom.snapshot.create import create_snapshot
    from tests.ledgerkit import seeded_key

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    for i in range(20):
        (src / f"f{i}.py").write_text(f"x = {i}\n" * 200)
    (out / ".mine.partial").write_text("not a mkstemp name")
    run_until_killed(KILL_IN_SNAPSHOT, str(src), str(out / "a.snapshot"))
    partials = [n for n in dot_files(out) if n.startswith(".a.snapshot.")]
    assert len(partials) == 1 and partials[0].endswith(".partial"), dot_files(out)
    create_snapshot(src, out / "b.snapshot", seeded_key("leftovers/vendor"), "n", "1")
    assert dot_files(out) == [".mine.partial"]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["b.snapshot"]


# -- the verifier's private copies ----------------------------------------------------

KILL_IN_VERIFY = r"""
import os, signal, sys
from pathlib import Path
from cleanroom.ledger.load import open_path
with open_path(Path(sys.argv[1])) as (image, source):
    assert source is not None and "-wal" in image.sidecars
    os.kill(os.getpid(), signal.SIGKILL)  # a full copy of the evidence is in TMPDIR
"""

HOLD_VERIFY = r"""
import sys, time
from pathlib import Path
from cleanroom.ledger.load import open_path
with open_path(Path(sys.argv[1])) as (image, source):
    print("ready", flush=True)
    time.sleep(120)
"""

TERM_IN_VERIFY = r"""
import signal, sys, time
from pathlib import Path
from cleanroom.cli.verify import _terminated
from cleanroom.ledger.load import open_path
signal.signal(signal.SIGTERM, _terminated)
with open_path(Path(sys.argv[1])) as (image, source):
    print("ready", flush=True)
    time.sleep(120)
"""


def private_dirs(tmpdir: Path) -> list[str]:
    return sorted(p.name for p in tmpdir.iterdir() if p.name.startswith(PREFIX))


def test_a_killed_verifiers_copy_is_removed_by_the_next_run(tmp_path, kit):
    tmpdir, ledgers = tmp_path / "tmp", tmp_path / "ledgers"
    tmpdir.mkdir()
    ledgers.mkdir()
    running = kit.new_ledger(ledgers, views=3)  # open: its -wal lies beside it
    env = {"TMPDIR": str(tmpdir)}
    run_until_killed(KILL_IN_VERIFY, str(running.path), env=env)
    (stale,) = private_dirs(tmpdir)
    assert (tmpdir / stale / "ledger").exists() and (tmpdir / stale / "ledger-wal").exists()
    # What must survive the sweep: a live verifier's copy, a link, another's directory.
    live = start_live(HOLD_VERIFY, str(running.path), env=env)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("x")
    (tmpdir / f"{PREFIX}link").symlink_to(target)
    foreign = tmpdir / f"{PREFIX}nolock"
    foreign.mkdir(mode=0o700)
    try:
        alive = set(private_dirs(tmpdir)) - {stale, f"{PREFIX}link", f"{PREFIX}nolock"}
        assert len(alive) == 1
        out = subprocess.run(
            [BIN / "cleanroom", "verify", running.path, "--trust", trust_file(tmp_path, kit)],
            capture_output=True, text=True, env=dict(os.environ, **env), timeout=120,
        )  # fmt: skip
        assert out.returncode == 3, out.stdout + out.stderr  # UNSEALED
        assert private_dirs(tmpdir) == sorted(alive | {f"{PREFIX}link", f"{PREFIX}nolock"})
    finally:
        stop(live)
    assert (target / "keep").read_text() == "x"
    running.close()


def test_a_terminated_verifier_removes_its_copy(tmp_path, kit):
    tmpdir, ledgers = tmp_path / "tmp", tmp_path / "ledgers"
    tmpdir.mkdir()
    ledgers.mkdir()
    running = kit.new_ledger(ledgers, views=3)
    proc = start_live(TERM_IN_VERIFY, str(running.path), env={"TMPDIR": str(tmpdir)})
    assert len(private_dirs(tmpdir)) == 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    stop(proc)
    assert private_dirs(tmpdir) == []
    running.close()


def trust_file(directory: Path, kit: Kit) -> Path:
    from cleanroom.ledger.keys import Role, write_public_key

    path = directory / "vendor.pub"
    write_public_key(path, kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    return path
