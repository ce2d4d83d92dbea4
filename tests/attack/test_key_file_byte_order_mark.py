"""A key file or reviewer list saved by an editor that adds a UTF-8 byte-order mark.

Both were refused, but with messages that sent a newcomer the wrong way: `keys show`
said "not a workstation certificate (Expecting value: line 1 column 1)", verify
said "no PEM block where one should start", and a `--reviewer-keys` list "holds a
control or unprintable character" on line 1. Each now names the mark.
"""

from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, key_id, raw_public, write_public_key
from tests.test_verify_cli import run, sealed

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def keys(kit, tmp_path) -> dict[str, Path]:
    out = {"trust": tmp_path / "vendor.pub", "ada": tmp_path / "ada.pub"}
    write_public_key(out["trust"], kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    write_public_key(out["ada"], kit.reviewer.public_key(), role=Role.REVIEWER)
    return out


def _with_bom(path: Path) -> Path:
    marked = path.with_name("marked-" + path.name)
    marked.write_bytes(BOM + path.read_bytes())
    return marked


def _names_the_mark(out) -> None:
    assert out.returncode == 2, out.stdout + out.stderr
    assert "byte-order mark" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("option", ["--trust", "--reviewer-key"])
def test_verify_names_the_mark_on_a_key_file(kit, ledger_dir, keys, option):
    ledger = sealed(kit, ledger_dir)
    given = keys["trust"] if option == "--trust" else keys["ada"]
    args = ["--trust", keys["trust"]] if option != "--trust" else []
    _names_the_mark(run("verify", ledger.path, *args, option, _with_bom(given)))


def test_keys_show_names_the_mark(keys):
    _names_the_mark(run("keys", "show", _with_bom(keys["ada"])))


def test_a_reviewer_list_with_the_mark_is_refused_by_name(kit, ledger_dir, keys, tmp_path):
    ledger = sealed(kit, ledger_dir)
    listing = tmp_path / "reviewers.txt"
    listing.write_bytes(BOM + f"{raw_public(kit.reviewer).hex()} Ada\n".encode())
    out = run("verify", ledger.path, "--trust", keys["trust"], "--reviewer-keys", listing)
    _names_the_mark(out)
    assert key_id(raw_public(kit.reviewer)) not in out.stdout
