"""A key file or reviewer list with bytes around its key: a UTF-8 byte-order mark
an editor added, or a second key after the first (`cat ada.pub bob.pub`).

A mark was refused with messages that sent a newcomer the wrong way (`keys show`:
"not a workstation certificate (Expecting value...)"; a list: "holds a control or
unprintable character" on line 1). A second key was silently ignored: the file
was read as its first key alone. Each is now refused, saying what it found.
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


def test_two_keys_in_one_file_are_refused_not_read_as_the_first(kit, ledger_dir, keys, tmp_path):
    # Bob countersigned; the user passed `cat ada.pub bob.pub` believing both known.
    both = tmp_path / "both.pub"
    bob = tmp_path / "bob.pub"
    write_public_key(bob, kit.vendor.public_key(), role=Role.REVIEWER)
    both.write_bytes(keys["ada"].read_bytes() + bob.read_bytes())
    ledger = sealed(kit, ledger_dir)
    out = run("verify", ledger.path, "--trust", keys["trust"], "--reviewer-key", both)
    assert out.returncode == 2 and "one key" in out.stderr, out.stdout + out.stderr
    out = run("keys", "show", both)
    assert out.returncode == 2 and "one key" in out.stderr and "key id" not in out.stdout
