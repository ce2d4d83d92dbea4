"""Files shaped to exhaust the reader get a clear finding in bounded time, memory
and disk (issue 10 §2; docs/adr/0004).

Each shape runs through the real CLI under `ulimit -v` 1.5 GB and a 60 s
timeout, with SQLite's and Python's temporary directory pointed at an empty
directory that must still be empty afterwards. Before the schema gate and the
streaming reader, these took gigabytes of memory, filled the disk with SQLite
temp files, or ran until the 600 s (ledger) or 6 h (snapshot) budget.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, write_public_key
from tests import forensicskit, hostile_sqlite
from tests.ledgerkit import Kit

REPO = Path(__file__).resolve().parent.parent
CLI = REPO / ".venv" / "bin" / "cleanroom"
ADDRESS_SPACE = 1_500_000_000
SECONDS = 60
MAX_OUTPUT = 100_000  # bytes: the first findings of each code, and counts
KIT = Kit("shapes")


def run_bounded(args: list[str | Path], tmpdir: Path) -> tuple[int, str, float, int]:
    """(exit code, output, seconds, peak RSS in KiB) of `args` under the limits."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    env |= {"TMPDIR": str(tmpdir), "SQLITE_TMPDIR": str(tmpdir)}
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            [str(a) for a in args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=limits,  # the limit must apply before exec
        )
        timer = threading.Timer(SECONDS, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    assert seconds < SECONDS, f"{args[1:3]} ran past {SECONDS} s"
    return proc.returncode, text, seconds, usage.ru_maxrss


LEDGER_SHAPES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "view-of-1MB-blobs": (hostile_sqlite.view_of_big_blobs, "SCHEMA"),
    "endless-sorted-view": (hostile_sqlite.sorted_endless_view, "SCHEMA"),
    "b-tree-sharing-its-pages": (hostile_sqlite.shared_subtree_ledger, "CORRUPT"),
    "120k-bad-rows": (hostile_sqlite.many_bad_rows, "ENCODING"),
}


@pytest.fixture(scope="module")
def trust(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "vendor.pub"
    write_public_key(path, KIT.vendor.public_key(), role=Role.VENDOR_ROOT)
    return path


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    return forensicskit.make_snapshot(KIT, tmp_path_factory.mktemp("snapshot"))


@pytest.mark.parametrize("json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("shape", sorted(LEDGER_SHAPES))
def test_verify_answers_a_hostile_ledger_within_bounds(
    tmp_path: Path, trust: Path, shape: str, json: bool
) -> None:
    build, code = LEDGER_SHAPES[shape]
    ledger = build(tmp_path / "x.ledger")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    args: list[str | Path] = [CLI, "verify", ledger, "--trust", trust]
    status, out, seconds, rss = run_bounded([*args, "--json"] if json else args, scratch)
    print(f"{shape}: {seconds:.2f} s, peak RSS {rss / 1024:.0f} MiB")
    assert status == 1, out[-2000:]
    assert "Traceback" not in out
    assert code in out
    assert len(out) <= MAX_OUTPUT
    assert list(scratch.iterdir()) == [], "temporary files were left behind"


@pytest.mark.parametrize("shape", sorted(LEDGER_SHAPES))
def test_report_answers_a_hostile_ledger_within_bounds(
    tmp_path: Path, trust: Path, snapshot: Path, shape: str
) -> None:
    ledger = LEDGER_SHAPES[shape][0](tmp_path / "x.ledger")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    out_file = tmp_path / "report.json"
    args = [CLI, "report", ledger, "--trust", trust, "--snapshot", snapshot, "-o", out_file]
    args.append("--include-tampered")
    status, out, seconds, rss = run_bounded(args, scratch)
    print(f"report {shape}: {seconds:.2f} s, peak RSS {rss / 1024:.0f} MiB")
    assert "Traceback" not in out
    assert status in (0, 1), out[-2000:]
    assert list(scratch.iterdir()) == []


def test_snapshot_verify_does_not_read_an_endless_view(tmp_path: Path, trust: Path) -> None:
    snapshot = hostile_sqlite.snapshot_with_endless_files_view(tmp_path / "x.snapshot")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for extra in ([], ["--rebuild-index"], ["--json"]):
        args = [CLI, "snapshot", "verify", snapshot, "--trust", trust, *extra]
        status, out, seconds, rss = run_bounded(args, scratch)
        print(f"snapshot verify {extra}: {seconds:.2f} s, peak RSS {rss / 1024:.0f} MiB")
        assert status == 1, out[-2000:]
        assert "SCHEMA" in out and "Traceback" not in out
        assert list(scratch.iterdir()) == []


def test_the_rows_before_a_loop_are_kept(tmp_path: Path) -> None:
    from cleanroom.ledger.load import load_path

    image = load_path(hostile_sqlite.shared_subtree_ledger(tmp_path / "x.ledger"))
    assert [r[0] for r in image.rows] == [0]
    assert any("b-tree" in f.message for f in image.problems), image.problems
