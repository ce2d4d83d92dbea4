"""Each key file says whether it is the vendor root, a workstation or a reviewer key,
and every command refuses a key of the wrong role (issue 11 §1 "Key roles").

Real key files made by `cleanroom keys`, the real command line in a subprocess:
the refusals must be exit 2, with a sentence naming the roles and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

BIN = Path(sys.executable).parent
VECTORS = Path(__file__).resolve().parent / "vectors"
PASSPHRASE = "correct horse battery"


def cli(*args: object, cwd: Path | None = None, input: str | None = None):
    return subprocess.run(
        [str(BIN / "cleanroom"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def refused(out: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, a one-line explanation naming `words`, and never a traceback."""
    text = out.stdout + out.stderr
    assert out.returncode == 2, text
    assert "Traceback" not in text and "Error" in out.stderr, text
    for word in words:
        assert word in out.stderr, (word, out.stderr)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """vendor (encrypted), workstation and reviewer keys, made by the real CLI."""
    d = tmp_path_factory.mktemp("keys")
    (d / "pass").write_text(PASSPHRASE + "\n")
    (d / "pass").chmod(0o600)
    for args in (
        ["vendor-init", "--passphrase-file", d / "pass"],
        ["workstation-init"],
        ["reviewer-init"],
    ):
        out = cli("keys", *args, "--dir", d)
        assert out.returncode == 0, out.stderr
    out = cli("keys", "certify", "--vendor-key", d / "vendor.key", "--passphrase-file",
              d / "pass", "--workstation-pub", d / "workstation.pub", "--id", "ws-01",
              "-o", d / "ws.cert")  # fmt: skip
    assert out.returncode == 0, out.stderr
    (d / "src").mkdir()
    (d / "src" / "a.txt").write_text("hello\n")
    return d


def certify(keys: Path, tmp_path: Path, vendor_key: str, workstation_pub: str):
    return cli("keys", "certify", "--vendor-key", keys / vendor_key, "--passphrase-file",
               keys / "pass", "--workstation-pub", keys / workstation_pub, "--id", "ws-02",
               "-o", tmp_path / "new.cert")  # fmt: skip


@pytest.mark.parametrize("wrong", ["workstation.key", "reviewer.key"])
def test_certify_refuses_a_vendor_key_that_is_not_the_vendor_root(keys, tmp_path, wrong):
    out = certify(keys, tmp_path, wrong, "workstation.pub")
    refused(out, "--vendor-key", wrong.split(".")[0], "vendor-root")
    assert not (tmp_path / "new.cert").exists()


@pytest.mark.parametrize("wrong", ["vendor.pub", "reviewer.pub"])
def test_certify_refuses_to_certify_a_key_that_is_not_a_workstation_key(keys, tmp_path, wrong):
    out = certify(keys, tmp_path, "vendor.key", wrong)
    refused(out, "--workstation-pub", wrong.split(".")[0], "workstation")
    assert not (tmp_path / "new.cert").exists()


def test_the_right_keys_still_certify(keys, tmp_path):
    out = certify(keys, tmp_path, "vendor.key", "workstation.pub")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "new.cert").exists()


@pytest.mark.parametrize("wrong", ["workstation.key", "reviewer.key"])
def test_snapshot_create_refuses_a_key_that_is_not_the_vendor_root(keys, tmp_path, wrong):
    out = cli("snapshot", "create", keys / "src", "-o", tmp_path / "s.snapshot", "-q",
              "--vendor-key", keys / wrong)  # fmt: skip
    refused(out, "--vendor-key", wrong.split(".")[0], "vendor-root")
    assert not (tmp_path / "s.snapshot").exists()


@pytest.mark.parametrize("command", ["certify", "snapshot"])
def test_a_public_key_given_as_vendor_key_says_so_rather_than_chmod(keys, tmp_path, command):
    if command == "certify":
        out = certify(keys, tmp_path, "vendor.pub", "workstation.pub")
    else:
        out = cli("snapshot", "create", keys / "src", "-o", tmp_path / "s.snapshot", "-q",
                  "--vendor-key", keys / "vendor.pub")  # fmt: skip
    refused(out, "public key", "vendor.key")
    assert "chmod" not in out.stderr


@pytest.mark.parametrize("wrong", ["workstation.pub", "reviewer.pub", "vendor.key"])
def test_verify_refuses_a_trust_key_that_is_not_a_vendor_root_public_key(keys, wrong):
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", keys / wrong)
    refused(out, "--trust", "vendor-root")
    assert "PRIVATE" not in out.stderr and "BEGIN" not in out.stderr


def test_keys_show_names_the_role_of_every_key_file(keys):
    out = cli("keys", "show", *(keys / f"{n}.{e}" for n in ("vendor", "workstation",
              "reviewer") for e in ("key", "pub")))  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    roles = ["vendor-root"] * 2 + ["workstation"] * 2 + ["reviewer"] * 2
    for line, role in zip(lines, roles, strict=True):
        assert f"{role} {'private' if '.key:' in line else 'public'} key" in line, line


def test_a_role_line_cannot_be_an_unknown_role(keys, tmp_path):
    text = (keys / "vendor.pub").read_text().replace("vendor-root", "vendor-rooty", 1)
    (tmp_path / "odd.pub").write_text(text)
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", tmp_path / "odd.pub")
    refused(out, "vendor-rooty")


# -- files made before key roles ---------------------------------------------------


def legacy_private_key(path: Path) -> Ed25519PrivateKey:
    """A key file exactly as Cleanroom wrote it before key roles: bare PKCS#8 PEM."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def test_old_public_keys_without_a_role_are_still_trusted_for_verifying():
    assert b"Role" not in (VECTORS / "vendor.pub").read_bytes()  # a pre-roles file
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", VECTORS / "vendor.pub")
    assert out.returncode == 0, out.stdout + out.stderr


def test_an_old_private_key_must_be_given_its_role_before_it_signs(keys, tmp_path):
    old = tmp_path / "old-vendor.key"
    legacy_private_key(old)
    out = cli("snapshot", "create", keys / "src", "-o", tmp_path / "s.snapshot", "-q",
              "--vendor-key", old)  # fmt: skip
    refused(out, "no role", f"cleanroom keys set-role vendor-root {old}")
    assert not (tmp_path / "s.snapshot").exists()
    out = cli("keys", "set-role", "vendor-root", old)
    assert out.returncode == 0, out.stderr
    assert os.stat(old).st_mode & 0o777 == 0o600
    out = cli("snapshot", "create", keys / "src", "-o", tmp_path / "s.snapshot", "-q",
              "--vendor-key", old)  # fmt: skip
    assert out.returncode == 0, out.stderr


def test_set_role_never_changes_a_role_a_file_already_has(keys, tmp_path):
    copy = tmp_path / "workstation.key"
    copy.write_bytes((keys / "workstation.key").read_bytes())
    copy.chmod(0o600)
    out = cli("keys", "set-role", "vendor-root", copy)
    refused(out, "workstation")
    assert copy.read_bytes() == (keys / "workstation.key").read_bytes()


def test_set_role_refuses_a_file_that_is_not_a_key(tmp_path):
    junk = tmp_path / "junk.key"
    junk.write_bytes(b"\xff\x00 not a key\n")
    junk.chmod(0o600)
    refused(cli("keys", "set-role", "vendor-root", junk), "junk.key")
    assert junk.read_bytes() == b"\xff\x00 not a key\n"


# -- passphrases -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["vendor-init", "reviewer-init"])
@pytest.mark.parametrize("weak", ["ab", "", "elevenchars"])
def test_a_short_passphrase_file_is_refused_and_nothing_is_written(tmp_path, command, weak):
    (tmp_path / "pass").write_text(weak + "\n")
    out = cli("keys", command, "--dir", tmp_path / "k", "--passphrase-file", tmp_path / "pass")
    refused(out, "12 characters")
    assert not (tmp_path / "k").exists() or not list((tmp_path / "k").iterdir())


def test_a_short_prompted_passphrase_is_refused(tmp_path):
    out = cli("keys", "vendor-init", "--dir", tmp_path / "k", "--encrypt", input="ab\nab\n")
    refused(out, "12 characters")
    assert not (tmp_path / "k").exists() or not list((tmp_path / "k").iterdir())


def test_a_twelve_character_passphrase_is_enough(tmp_path):
    (tmp_path / "pass").write_text("twelve chars\n")
    out = cli("keys", "vendor-init", "--dir", tmp_path / "k", "--passphrase-file",
              tmp_path / "pass")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "k" / "vendor.key").read_bytes()
