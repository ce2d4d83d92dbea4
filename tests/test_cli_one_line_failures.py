"""Every CLI failure is one clear line and a documented exit code, never a
traceback (issue 12's third attack, finding 3): `TMPDIR=/nonexistent/x cleanroom
demo` printed three chained tracebacks (ctags could not write its temporary
files), exit 1. ctags now gets a temporary directory that exists; a failure no
command has words for is said in one line, exit 70."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, write_private_key
from tests.ledgerkit import seeded_key

BIN = Path(sys.executable).parent
BAD_TMP = {"TMPDIR": "/nonexistent/x", "TEMP": "/nonexistent/x", "TMP": "/nonexistent/x"}


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | env
    return subprocess.run([f"{BIN}/cleanroom", *args], capture_output=True, text=True, env=full,
                          cwd=cwd, stdin=subprocess.DEVNULL, timeout=300)  # fmt: skip


@pytest.mark.skipif(shutil.which("ctags") is None, reason="universal-ctags is not installed")
def test_a_bad_tmpdir_does_not_break_the_demo(tmp_path: Path) -> None:
    done = run(["demo", "--dir", str(tmp_path / "d")], BAD_TMP, tmp_path)
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said
    # It gets as far as the terminal, which refuses a run with nothing attached.
    assert done.returncode == 2 and "not a terminal" in said, said


@pytest.mark.skipif(shutil.which("ctags") is None, reason="universal-ctags is not installed")
def test_a_bad_tmpdir_does_not_break_snapshot_create(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.c").write_text("int main(void) { return 0; }\n")
    (src / "b.py").write_text("def f():\n    return 1\n")
    key = tmp_path / "vendor.key"
    write_private_key(key, seeded_key("tmpdir/vendor"), role=Role.VENDOR_ROOT)
    done = run(["snapshot", "create", str(src), "--vendor-key", str(key), "-o",
                str(tmp_path / "s.snapshot"), "--version", "1", "--symbols", "-q"],
               BAD_TMP, tmp_path)  # fmt: skip
    said = done.stdout + done.stderr
    assert "Traceback" not in said and done.returncode == 0, said


def test_a_failure_without_words_is_one_line_and_exit_70(tmp_path: Path) -> None:
    """A ctags that says it is universal-ctags, then fails: the demo's snapshot
    cannot be built. One line naming the failure, exit 70, no traceback."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ctags").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "Universal Ctags 5.9.0, Copyright"; exit 0; fi\n'
        "echo 'ctags: refused on purpose' >&2\nexit 1\n"
    )
    (fake / "ctags").chmod(0o755)
    env = {"PATH": f"{fake}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    done = run(["demo", "--dir", str(tmp_path / "d")], env, tmp_path)
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said
    assert done.returncode == 70, said
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "CreateError" in errors[0], said
    assert "refused on purpose" in errors[0], said
