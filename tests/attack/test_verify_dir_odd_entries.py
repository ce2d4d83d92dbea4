"""`verify DIR` over a directory where an entry named like a ledger is not a file.

`expand_ledgers` kept only `*.ledger` entries that are regular files (through
links), so a FIFO, a socket or a dangling link named `x.ledger` was dropped
without a word and the rest verified INTACT, exit 0: the set looked complete.
The same FIFO named directly is `NOT_SQLITE` (TAMPERED), and a path that cannot
be read is a usage error (exit 2). Both must hold for the directory too.
"""

import os

from tests.test_verify_cli import run, sealed, trust  # noqa: F401 (fixture)


def test_a_fifo_named_like_a_ledger_is_judged_not_dropped(kit, ledger_dir, trust):  # noqa: F811
    sealed(kit, ledger_dir)
    os.mkfifo(ledger_dir / "x.ledger")
    out = run("verify", ledger_dir, "--trust", trust, timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "x.ledger: TAMPERED" in out.stdout and "NOT_SQLITE" in out.stdout


def test_a_dangling_link_named_like_a_ledger_is_not_dropped(kit, ledger_dir, trust):  # noqa: F811
    sealed(kit, ledger_dir)
    (ledger_dir / "y.ledger").symlink_to(ledger_dir / "moved-away")
    out = run("verify", ledger_dir, "--trust", trust, timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "y.ledger: a link to nothing" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_directory_named_like_a_ledger_is_still_skipped(kit, ledger_dir, trust):  # noqa: F811
    sealed(kit, ledger_dir)
    (ledger_dir / "sub.ledger").mkdir()  # not recursive: a directory is not a ledger
    out = run("verify", ledger_dir, "--trust", trust, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
