"""A FIFO named where a small file belongs is refused at once, never waited on.

The verifier never hangs on hostile input (docs/verdict.md: usage, exit 2). Key
files, receipts, passphrase and config files are named by the user, and a
`--reviewer-keys` list names key files of its own: a FIFO in any of those places
used to block `open()` until a writer came, forever.
"""

import os
from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, write_public_key
from tests.test_verify_cli import run, sealed

TIMEOUT = 20


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "fifo.pub"
    os.mkfifo(path)
    return path


@pytest.fixture
def trust(kit, tmp_path) -> Path:
    path = tmp_path / "vendor.pub"
    write_public_key(path, kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    return path


def _refused(out, fifo: Path) -> None:
    assert out.returncode == 2, out.stdout + out.stderr
    assert "not a regular file" in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


@pytest.mark.parametrize("option", ["--trust", "--reviewer-key", "--receipt"])
def test_verify_refuses_a_fifo_as_a_named_file(kit, ledger_dir, trust, fifo, option):
    ledger = sealed(kit, ledger_dir)
    out = run("verify", ledger.path, "--trust", trust, option, fifo, timeout=TIMEOUT)
    _refused(out, fifo)


def test_verify_refuses_a_fifo_named_by_a_reviewer_keys_line(kit, ledger_dir, trust, fifo):
    ledger = sealed(kit, ledger_dir)
    listing = fifo.parent / "reviewers.txt"
    listing.write_text(f"{fifo.name} Ada Reviewer\n")
    out = run("verify", ledger.path, "--trust", trust, "--reviewer-keys", listing, timeout=TIMEOUT)
    _refused(out, fifo)
    assert "line 1" in out.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("keys", "show"),
        ("keys", "vendor-init", "--dir", "{tmp}/k", "--passphrase-file"),
        ("review", "--in-process", "--config"),
    ],
    ids=["keys-show", "passphrase-file", "review-config"],
)
def test_other_commands_refuse_a_fifo(fifo, tmp_path, args):
    out = run(*[a.format(tmp=tmp_path) for a in args], fifo, timeout=TIMEOUT)
    _refused(out, fifo)
