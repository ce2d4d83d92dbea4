"""`cleanroom workstation install --passphrase-file`: a passphrase-protected
workstation key gets its passphrase placed for the recorder alone (0400, the
service account's) and named in workstation.toml, because the recorder runs
unattended (issue 13). Refused, before any change, when the key needs one and
none is given, when it does not open the key, and when the key needs none.
Real accounts, real files under a --root prefix (tests/workstationkit.py)."""

from __future__ import annotations

import os
import pwd
import stat
import tomllib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.ledger.keys import (
    Certificate,
    Role,
    load_private_key,
    save_certificate,
    write_private_key,
)
from cleanroom.workstation import layout
from cleanroom.workstation.sources import first_line
from tests.ledgerkit import CERT_END, CERT_START
from tests.workstationkit import Room, as_user

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def protected(room_sources, tmp_path) -> dict[str, Path]:
    """The room's sources with a passphrase-protected workstation key, certified."""
    vendor = load_private_key(room_sources["--trust"].with_name("vendor.key"),
                              role=Role.VENDOR_ROOT)  # fmt: skip
    key = Ed25519PrivateKey.generate()
    write_private_key(tmp_path / "ws.key", key, PASSPHRASE.encode(), role=Role.WORKSTATION)
    cert = Certificate.issue(vendor, "ws-protected", key.public_key(), CERT_START, CERT_END)
    save_certificate(tmp_path / "ws.cert", cert)
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    (tmp_path / "wrong").write_text("not the passphrase at all\n")
    return {**room_sources, "--workstation-key": tmp_path / "ws.key",
            "--cert": tmp_path / "ws.cert"}  # fmt: skip


def refused(room: Room, *extra: str) -> str:
    done = room.install("--dry-run", *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    assert list(room.root.iterdir()) == [] and "Traceback" not in done.stderr
    return done.stderr


def test_a_protected_key_without_its_passphrase_is_refused(room: Room, protected):
    room.sources = protected
    said = refused(room)
    assert "passphrase-protected" in said and "--passphrase-file" in said


def test_a_passphrase_that_does_not_open_the_key_is_refused(room: Room, protected, tmp_path):
    room.sources = protected
    said = refused(room, "--passphrase-file", str(tmp_path / "wrong"))
    assert "does not open --workstation-key" in said


def test_a_passphrase_for_a_key_that_needs_none_is_refused(room: Room, room_sources, tmp_path):
    room.sources = room_sources
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    said = refused(room, "--passphrase-file", str(tmp_path / "passphrase"))
    assert "not passphrase-protected" in said


def test_dry_run_lists_the_passphrase_then_install_places_it_for_the_recorder_alone(
    room: Room, protected, tmp_path
):
    room.sources = protected
    given = ("--reviewer", room.reviewer(), "--passphrase-file", str(tmp_path / "passphrase"))
    dry = room.install(*given, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert (f"would write {layout.PASSPHRASE} from {tmp_path / 'passphrase'} "
            f"({room.service}:{room.service} 0400)") in dry.stdout  # fmt: skip
    assert list(room.root.iterdir()) == []  # nothing made
    done = room.install(*given)
    assert done.returncode == 0, done.stdout + done.stderr
    placed = room.at(layout.PASSPHRASE)
    st = placed.lstat()
    svc = pwd.getpwnam(room.service)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (svc.pw_uid, svc.pw_gid, 0o400)
    config = tomllib.loads(room.at(layout.CONFIG).read_text())
    assert config["recorder"]["passphrase_file"] == layout.PASSPHRASE
    # it opens the placed key, read as the recorder reads it
    load_private_key(room.at(layout.WORKSTATION_KEY), first_line(placed), role=Role.WORKSTATION)
    denied = as_user(room.reviewer(), "cat", str(placed))
    assert denied.returncode != 0 and "Permission denied" in denied.stderr
    assert "nothing to change" in room.install(*given).stdout
    assert not [p for p in room.check()[1]["problems"] if "passphrase" in p["message"]]
    os.chmod(placed, 0o440)  # readable by the service's group: check holds it to 0400
    wrong = [p["code"] for p in room.check()[1]["problems"] if p.get("path") == layout.PASSPHRASE]
    assert wrong == ["WRONG_MODE"]


def test_a_kept_config_gets_the_setting_and_keeps_its_edits(
    room: Room, room_sources, protected, tmp_path
):
    room.sources = room_sources
    assert room.install("--reviewer", room.reviewer()).returncode == 0
    config = room.at(layout.CONFIG)
    config.write_text("# an edit install keeps\n" + config.read_text())
    room.sources = protected  # the key is replaced by a protected one
    problems = room.check()[1]["problems"]
    assert not [p for p in problems if "passphrase" in p["message"]]  # not yet: key unprotected
    given = ("--reviewer", room.reviewer(), "--passphrase-file", str(tmp_path / "passphrase"))
    dry = room.install(*given, "--dry-run")
    wanted = f"would add [recorder] passphrase_file = {layout.PASSPHRASE} to {layout.CONFIG}"
    assert wanted in dry.stdout, dry.stdout
    assert room.install(*given).returncode == 0
    text = config.read_text()
    assert text.startswith("# an edit install keeps\n")
    assert tomllib.loads(text)["recorder"]["passphrase_file"] == layout.PASSPHRASE
    assert os.stat(config).st_mode & 0o777 == 0o640


def test_check_names_a_protected_key_the_config_gives_no_passphrase_for(
    room: Room, protected, tmp_path
):
    room.sources = protected
    given = ("--reviewer", room.reviewer(), "--passphrase-file", str(tmp_path / "passphrase"))
    assert room.install(*given).returncode == 0
    config = room.at(layout.CONFIG)
    config.write_text(config.read_text().replace(f'passphrase_file = "{layout.PASSPHRASE}"\n', ""))
    messages = [p["message"] for p in room.check()[1]["problems"] if p["code"] == "CONFIG"]
    assert any("names no [recorder] passphrase_file" in m for m in messages), messages
